/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon/kernel-threads.c alone: the kernel threads that the look at every
 * process's mount table passes over.  On this machine's /proc, each one
 * named is a kernel thread, and neither we nor PID 1 are.  In a PID
 * namespace of our own, whose PID 2 is a process with a child, none are
 * named: its children are not kernel threads.  And, on a directory made
 * to look like /proc (a mock: no procfs names kthreadd "k) thr" or lacks
 * the children file), the name is read past its last parenthesis and the
 * list comes back sorted. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel-threads.h"
#include "macro.h"

#define PF_KTHREAD 0x00200000UL

/* The flags of /proc/@pid/stat; false if it is gone. */
static bool stat_flags(pid_t pid, unsigned long *ret) {
        char *path = g_strdup_printf("/proc/%d/stat", (int) pid), *text = NULL, *p;
        bool ok = g_file_get_contents(path, &text, NULL, NULL);

        if (ok) {
                p = strrchr(text, ')');
                g_assert_nonnull(p);
                g_assert_cmpint(sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", ret), ==, 1);
        }
        g_free(text);
        g_free(path);
        return ok;
}

static void test_this_machine(void) {
        KernelThreads k = {};
        unsigned long flags;
        size_t gone = 0;

        if (!stat_flags(2, &flags) || !(flags & PF_KTHREAD)) {
                g_test_skip("PID 2 here is no kernel thread (a PID namespace)");
                return;
        }
        g_assert_cmpint(kernel_threads_read("/proc", &k), ==, 0);
        if (k.n == 0 && access("/proc/2/task/2/children", F_OK) < 0) {
                g_test_skip("no children files in this kernel (CONFIG_PROC_CHILDREN)");
                return;
        }
        g_assert_cmpuint(k.n, >, 0);
        for (size_t i = 0; i < k.n; i++) {
                if (i > 0)
                        g_assert_cmpint(k.pids[i - 1], <, k.pids[i]);
                if (!stat_flags(k.pids[i], &flags)) {
                        gone++;
                        continue;
                }
                g_assert_true(flags & PF_KTHREAD);
                g_assert_true(kernel_threads_has(&k, k.pids[i]));
        }
        g_test_message("%zu kernel threads, %zu of them gone since", k.n, gone);
        g_assert_false(kernel_threads_has(&k, getpid()));
        g_assert_false(kernel_threads_has(&k, 1));
        g_assert_false(kernel_threads_has(&k, 2));
        kernel_threads_done(&k);
        g_assert_cmpuint(k.n, ==, 0);
        g_assert_null(k.pids);
}

/* In a new PID namespace (its PID 1): PID 2 a process, its child PID 3,
 * both held until we have looked; a procfs of this namespace mounted on a
 * directory of our own.  Writes what kernel_threads_read() found, and
 * whether the children file named PID 3, to @out. */
static _noreturn_ void look_in_namespace(int out) {
        int hold[2], ready[2];
        char dir[] = "/tmp/test-kernel-threads.XXXXXX", *children = NULL, buf[64], c;
        KernelThreads k = {};
        pid_t two;
        int r, status;

        g_assert_cmpint(getpid(), ==, 1);
        g_assert_cmpint(pipe2(hold, O_CLOEXEC), ==, 0);
        g_assert_cmpint(pipe2(ready, O_CLOEXEC), ==, 0);
        two = fork();
        g_assert_cmpint(two, >=, 0);
        if (two == 0) {
                pid_t three = fork();

                if (three == 0) {
                        /* (ready once it exists; then until we are done) */
                        close(hold[1]);
                        (void) !write(ready[1], "x", 1);
                        (void) !read(hold[0], &c, 1);
                        _exit(0);
                }
                close(hold[0]);
                close(hold[1]);
                close(ready[1]);
                _exit(three > 0 && waitpid(three, &status, 0) == three ? 0 : 1);
        }
        close(hold[0]);
        close(ready[1]);
        g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
        g_assert_nonnull(mkdtemp(dir));
        g_assert_cmpint(mount("proc", dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), ==, 0);
        {
                char *path = g_strdup_printf("%s/2/task/2/children", dir);

                (void) g_file_get_contents(path, &children, NULL, NULL);
                g_free(path);
        }
        r = kernel_threads_read(dir, &k);
        snprintf(buf, sizeof buf, "%d %zu %s", r, k.n, children && strstr(children, "3") ? "3" : "-");
        kernel_threads_done(&k);
        g_assert_cmpint(write(out, buf, strlen(buf)), ==, (ssize_t) strlen(buf));
        close(hold[1]);
        g_assert_cmpint(waitpid(two, &status, 0), ==, two);
        g_assert_cmpint(umount(dir), ==, 0);
        g_assert_cmpint(rmdir(dir), ==, 0);
        g_free(children);
        _exit(0);
}

static void test_pid_namespace(void) {
        char buf[64] = "";
        int out[2], status;
        ssize_t n;
        pid_t a;

        if (geteuid() != 0) {
                g_test_skip("not root: no PID namespace of our own");
                return;
        }
        g_assert_cmpint(pipe2(out, O_CLOEXEC), ==, 0);
        a = fork();
        g_assert_cmpint(a, >=, 0);
        if (a == 0) {
                pid_t b;

                close(out[0]);
                if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(2);
                b = fork();
                if (b == 0)
                        look_in_namespace(out[1]);
                _exit(b > 0 && waitpid(b, &status, 0) == b && WIFEXITED(status) ? WEXITSTATUS(status) : 3);
        }
        close(out[1]);
        n = read(out[0], buf, sizeof buf - 1);
        close(out[0]);
        g_assert_cmpint(waitpid(a, &status, 0), ==, a);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        g_assert_cmpint(n, >, 0);
        g_test_message("in the namespace: %s (return, kernel threads, PID 3 among PID 2's children)", buf);
        /* (its PID 2 has a child; none is a kernel thread) */
        g_assert_cmpstr(buf, ==, access("/proc/thread-self/children", F_OK) == 0 ? "0 0 3" : "0 0 -");
}

/* Writes @text to @dir/@name, making the directories on the way. */
static void put(const char *dir, const char *name, const char *text) {
        char *path = g_build_filename(dir, name, NULL), *parent = g_path_get_dirname(path);

        g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
        g_assert_true(g_file_set_contents(path, text, -1, NULL));
        g_free(parent);
        g_free(path);
}

static void test_mock_proc(void) {
        char *dir = g_dir_make_tmp("test-kernel-threads.XXXXXX", NULL), *children, *rm;
        KernelThreads k = {};

        g_assert_nonnull(dir);
        /* (a name with a parenthesis and spaces; flags 0x208040) */
        put(dir, "2/stat", "2 (k) thr ) S 0 0 0 0 -1 2129984 0 0 0 0 0 0\n");
        put(dir, "2/task/2/children", "10 3 5 ");
        g_assert_cmpint(kernel_threads_read(dir, &k), ==, 0);
        g_assert_cmpuint(k.n, ==, 3);
        g_assert_cmpint(k.pids[0], ==, 3);
        g_assert_cmpint(k.pids[1], ==, 5);
        g_assert_cmpint(k.pids[2], ==, 10);
        g_assert_true(kernel_threads_has(&k, 5));
        g_assert_false(kernel_threads_has(&k, 4));
        g_assert_false(kernel_threads_has(&k, 2));
        kernel_threads_done(&k);

        /* the same process, without PF_KTHREAD: none */
        put(dir, "2/stat", "2 (k) thr ) S 0 0 0 0 -1 64 0 0 0 0 0 0\n");
        g_assert_cmpint(kernel_threads_read(dir, &k), ==, 0);
        g_assert_cmpuint(k.n, ==, 0);
        g_assert_false(kernel_threads_has(&k, 5));

        /* kthreadd without a children file: none, and no error */
        put(dir, "2/stat", "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0\n");
        children = g_build_filename(dir, "2/task/2/children", NULL);
        g_assert_cmpint(unlink(children), ==, 0);
        g_assert_cmpint(kernel_threads_read(dir, &k), ==, 0);
        g_assert_cmpuint(k.n, ==, 0);

        /* no PID 2 at all (a PID namespace of one process): none */
        g_assert_cmpint(kernel_threads_read("/nonexistent", &k), ==, 0);
        g_assert_cmpuint(k.n, ==, 0);
        rm = g_strdup_printf("rm -rf '%s'", dir);
        g_assert_cmpint(system(rm), ==, 0);
        g_free(rm);
        g_free(children);
        g_free(dir);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/kernel-threads/this-machine", test_this_machine);
        g_test_add_func("/kernel-threads/pid-namespace", test_pid_namespace);
        g_test_add_func("/kernel-threads/mock-proc", test_mock_proc);
        return g_test_run();
}
