/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon/kernel-threads.c alone: the kernel threads that the look at every
 * process's mount table passes over.
 * - On this machine's /proc: each one known is a kernel thread (its stat,
 *   read here again), held by a pidfd; neither we nor PID 1 nor kthreadd
 *   are; a second update keeps them.
 * - In a PID namespace of our own, whose PID 2 is a process with a child:
 *   none.
 * - On a directory made to look like /proc (a mock: a real kthreadd has
 *   no child that is not a kernel thread unless the machine's core_pattern
 *   or uevent helper is changed, which a test on a shared machine may not
 *   do), whose kthreadd lists four processes of ours: only the three whose
 *   stat says PF_KTHREAD are known, each with a descriptor; the middle one
 *   is dropped once it has ended, though the list and its stat still name
 *   it, and its descriptor closed.  A /proc whose PID 2 is no kernel
 *   thread, or of another PID namespace than ours (its "self" not our PID,
 *   or our PID but its NSpid two PIDs): none, every descriptor closed.
 * - The parsers: a name with ") " and spaces; a list unsorted, repeated,
 *   with junk. */
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel-threads.h"
#include "macro.h"

#define PF_KTHREAD 0x00200000UL

static int uname_major(void) {
        struct utsname u;
        int major = 0;

        g_assert_cmpint(uname(&u), ==, 0);
        g_assert_cmpint(sscanf(u.release, "%d.", &major), ==, 1);
        return major;
}

/* The flags of /proc/@pid/stat; false if it is gone. */
static bool flags_of(pid_t pid, unsigned long *ret) {
        char *path = g_strdup_printf("/proc/%d/stat", (int) pid), *text = NULL;
        bool ok = g_file_get_contents(path, &text, NULL, NULL);

        if (ok)
                g_assert_cmpint(stat_flags_parse(text, ret), ==, 0);
        g_free(text);
        g_free(path);
        return ok;
}

static void test_this_machine(void) {
        KernelThreads k = {};
        unsigned long flags;
        size_t gone = 0, first;

        if (!flags_of(2, &flags) || !(flags & PF_KTHREAD)) {
                g_test_skip("PID 2 here is no kernel thread (a PID namespace)");
                return;
        }
        if (uname_major() < 6) {
                g_test_skip("before 6.0 no kernel thread is known (kernel-threads.c)");
                return;
        }
        {
                int fd = (int) syscall(SYS_pidfd_open, getpid(), 0);

                if (fd < 0) {
                        g_test_skip("pidfd_open() refused here");
                        return;
                }
                close(fd);
        }
        g_assert_cmpint(kernel_threads_update(&k, "/proc"), ==, 0);
        if (k.n == 0 && access("/proc/2/task/2/children", F_OK) < 0) {
                g_test_skip("no children files in this kernel (CONFIG_PROC_CHILDREN)");
                return;
        }
        g_assert_cmpuint(k.n, >, 0);
        for (size_t i = 0; i < k.n; i++) {
                if (i > 0)
                        g_assert_cmpint(k.pids[i - 1], <, k.pids[i]);
                g_assert_cmpint(fcntl(k.pidfds[i], F_GETFD), ==, FD_CLOEXEC);
                g_assert_true(kernel_threads_has(&k, k.pids[i]));
                if (!flags_of(k.pids[i], &flags)) {
                        gone++;
                        continue;
                }
                g_assert_true(flags & PF_KTHREAD);
        }
        g_test_message("%zu kernel threads, %zu of them gone since", k.n, gone);
        g_assert_false(kernel_threads_has(&k, getpid()));
        g_assert_false(kernel_threads_has(&k, 1));
        g_assert_false(kernel_threads_has(&k, 2));
        first = k.n;
        g_assert_cmpint(kernel_threads_update(&k, "/proc"), ==, 0);
        g_test_message("again: %zu (kernel threads come and go: kworkers)", k.n);
        g_assert_cmpuint(k.n, >, first / 2);
        kernel_threads_done(&k);
        g_assert_cmpuint(k.n, ==, 0);
        g_assert_null(k.pids);
}

/* In a new PID namespace (its PID 1): PID 2 a process, its child PID 3,
 * both held until we have looked; a procfs of this namespace mounted on a
 * directory of our own.  Writes what kernel_threads_update() found, and
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
        if (mount("proc", dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
                (void) rmdir(dir);
                g_error("mount proc: %m");
        }
        {
                char *path = g_strdup_printf("%s/2/task/2/children", dir);

                (void) g_file_get_contents(path, &children, NULL, NULL);
                g_free(path);
        }
        r = kernel_threads_update(&k, dir);
        snprintf(buf, sizeof buf, "%d %zu %s", r, k.n, children && strstr(children, "3") ? "3" : "-");
        kernel_threads_done(&k);
        (void) umount(dir);
        (void) rmdir(dir);
        g_assert_cmpint(write(out, buf, strlen(buf)), ==, (ssize_t) strlen(buf));
        close(hold[1]);
        g_assert_cmpint(waitpid(two, &status, 0), ==, two);
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
                if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0)
                        _exit(77);
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
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
        if (WEXITSTATUS(status) == 77) {
                g_test_skip("no PID namespace here (unshare refused)");
                return;
        }
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

static void put_stat(const char *dir, pid_t pid, unsigned long flags) {
        char *name = g_strdup_printf("%d/stat", (int) pid);
        char *text = g_strdup_printf("%d (k) thr ) S 2 0 0 0 -1 %lu 0 0 0 0 0 0\n", (int) pid, flags);

        put(dir, name, text);
        g_free(text);
        g_free(name);
}

/* A child that waits until its pipe's write end closes (the parent's
 * copy is in @hold[i], every other child's closed in it). */
static pid_t child_held(int hold[][2], size_t n, size_t i) {
        pid_t pid = fork();
        char c;

        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                for (size_t j = 0; j < n; j++)
                        close(hold[j][1]);
                (void) !read(hold[i][0], &c, 1);
                _exit(0);
        }
        return pid;
}

static void child_end(int hold[][2], size_t i, pid_t pid) {
        int status;

        close(hold[i][1]);
        hold[i][1] = -1;
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
}

static unsigned fds_open(void) {
        GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
        unsigned n = 0;

        g_assert_nonnull(d);
        while (g_dir_read_name(d))
                n++;
        g_dir_close(d);
        return n;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void test_mock_proc(void) {
        char *dir = g_dir_make_tmp("test-kernel-threads.XXXXXX", NULL), *p, *self, *me, *status;
        int hold[4][2];
        pid_t pid[4];           /* three kernel threads, says their stat, and a helper */
        KernelThreads k = {};
        unsigned fds;

        if (uname_major() < 6) {
                g_test_skip("before 6.0 no kernel thread is known (kernel-threads.c)");
                return;
        }
        g_assert_nonnull(dir);
        for (size_t i = 0; i < 4; i++)
                g_assert_cmpint(pipe2(hold[i], O_CLOEXEC), ==, 0);
        for (size_t i = 0; i < 4; i++)
                pid[i] = child_held(hold, 4, i);
        for (size_t i = 0; i < 4; i++)
                close(hold[i][0]);
        /* ("self" our PID, NSpid one PID: the /proc of our namespace) */
        self = g_build_filename(dir, "self", NULL);
        me = g_strdup_printf("%d", (int) getpid());
        status = g_strdup_printf("%d/status", (int) getpid());
        g_assert_cmpint(symlink(me, self), ==, 0);
        put(dir, status, "Name:\ttest\nNSpid:\t42\n");
        put_stat(dir, 2, 0x208040);
        p = g_strdup_printf("%d %d %d %d ", (int) pid[3], (int) pid[2], (int) pid[1], (int) pid[0]);
        put(dir, "2/task/2/children", p);
        g_free(p);
        for (size_t i = 0; i < 3; i++)
                put_stat(dir, pid[i], 0x208040);
        put_stat(dir, pid[3], 0x400140);        /* a user-mode helper: no PF_KTHREAD */

        fds = fds_open();
        g_assert_cmpint(kernel_threads_update(&k, dir), ==, 0);
        g_assert_cmpuint(k.n, ==, 3);
        for (size_t i = 0; i < 3; i++)
                g_assert_true(kernel_threads_has(&k, pid[i]));
        g_assert_false(kernel_threads_has(&k, pid[3]));
        g_assert_cmpuint(fds_open(), ==, fds + 3);

        /* the middle one ends: dropped, its descriptor closed, though
         * still listed and still "a kernel thread" */
        child_end(hold, 1, pid[1]);
        fds--;                  /* (our end of its pipe) */
        g_assert_cmpint(kernel_threads_update(&k, dir), ==, 0);
        g_assert_cmpuint(k.n, ==, 2);
        g_assert_true(kernel_threads_has(&k, pid[0]));
        g_assert_false(kernel_threads_has(&k, pid[1]));
        g_assert_true(kernel_threads_has(&k, pid[2]));
        g_assert_cmpuint(fds_open(), ==, fds + 2);

        /* its PID 2 no kthreadd: none, whatever its children's stat says */
        put_stat(dir, 2, 0x400140);
        g_assert_cmpint(kernel_threads_update(&k, dir), ==, 0);
        g_assert_cmpuint(k.n, ==, 0);
        g_assert_cmpuint(fds_open(), ==, fds);
        put_stat(dir, 2, 0x208040);
        g_assert_cmpint(kernel_threads_update(&k, dir), ==, 0);
        g_assert_cmpuint(k.n, ==, 2);

        /* the helper a kernel thread now (as a new process of its PID
         * would be): known */
        put_stat(dir, pid[3], 0x208040);
        g_assert_cmpint(kernel_threads_update(&k, dir), ==, 0);
        g_assert_cmpuint(k.n, ==, 3);
        g_assert_true(kernel_threads_has(&k, pid[3]));

        /* a /proc of a PID namespace above ours: "self" our PID by chance,
         * but NSpid lists two; then "self" another PID: none */
        put(dir, status, "Name:\ttest\nNSpid:\t42\t7\n");
        g_assert_cmpint(kernel_threads_update(&k, dir), ==, 0);
        g_assert_cmpuint(k.n, ==, 0);
        put(dir, status, "Name:\ttest\nNSpid:\t42\n");
        g_assert_cmpint(kernel_threads_update(&k, dir), ==, 0);
        g_assert_cmpuint(k.n, ==, 3);
        g_assert_cmpint(unlink(self), ==, 0);
        g_assert_cmpint(symlink("4194304", self), ==, 0);
        put(dir, "4194304/status", "Name:\tother\nNSpid:\t4194304\n");
        g_assert_cmpint(kernel_threads_update(&k, dir), ==, 0);
        g_assert_cmpuint(k.n, ==, 0);

        /* kthreadd without a children file: none, and no error */
        g_assert_cmpint(unlink(self), ==, 0);
        g_assert_cmpint(symlink(me, self), ==, 0);
        p = g_build_filename(dir, "2/task/2/children", NULL);
        g_assert_cmpint(unlink(p), ==, 0);
        g_free(p);
        g_assert_cmpint(kernel_threads_update(&k, dir), ==, 0);
        g_assert_cmpuint(k.n, ==, 0);
        /* no PID 2 at all */
        g_assert_cmpint(kernel_threads_update(&k, "/nonexistent"), ==, 0);
        g_assert_cmpuint(k.n, ==, 0);
        g_assert_cmpuint(fds_open(), ==, fds);

        for (size_t i = 0; i < 4; i++)
                if (hold[i][1] >= 0)
                        child_end(hold, i, pid[i]);
        g_assert_cmpint(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), ==, 0);
        g_free(status);
        g_free(self);
        g_free(me);
        g_free(dir);
}
static void test_parsers(void) {
        unsigned long flags = 0;
        pid_t *pids = NULL;
        size_t n = 0;

        g_assert_cmpint(stat_flags_parse("2 (k) thr ) S 0 0 0 0 -1 2129984 0 0", &flags), ==, 0);
        g_assert_cmpuint(flags, ==, 2129984);
        g_assert_cmpint(stat_flags_parse("2 (kthreadd) S 0 0", &flags), ==, -EINVAL);
        g_assert_cmpint(stat_flags_parse("no name here", &flags), ==, -EINVAL);

        g_assert_cmpint(children_parse("10 3 5 3 -4 0 99999999999 7x 8", &pids, &n), ==, 0);
        /* (sorted, once each; what is no PID is passed over, and the
         * list ends where it stops being numbers) */
        g_assert_cmpuint(n, ==, 4);
        g_assert_cmpint(pids[0], ==, 3);
        g_assert_cmpint(pids[1], ==, 5);
        g_assert_cmpint(pids[2], ==, 7);
        g_assert_cmpint(pids[3], ==, 10);
        free(pids);
        g_assert_cmpint(children_parse("", &pids, &n), ==, 0);
        g_assert_cmpuint(n, ==, 0);
        free(pids);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/kernel-threads/this-machine", test_this_machine);
        g_test_add_func("/kernel-threads/pid-namespace", test_pid_namespace);
        g_test_add_func("/kernel-threads/mock-proc", test_mock_proc);
        g_test_add_func("/kernel-threads/parsers", test_parsers);
        return g_test_run();
}
