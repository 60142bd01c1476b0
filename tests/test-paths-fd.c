/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon/paths-fd.c: the paths of a Restore call's paths-fd, read a chunk
 * at a time.  Every path comes back whole and in order wherever the
 * chunks end; the last path may lack its NUL; empty and over-long paths,
 * more than PATHS_FD_MAX bytes, files that are not regular files of
 * memory open for reading, and a callback's error stop the read. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "paths-fd.h"

static int memfd_with(const char *data, size_t n) {
        int fd = memfd_create("paths", MFD_CLOEXEC);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(write(fd, data, n), ==, (ssize_t) n);
        return fd;
}

static int collect(const char *path, void *userdata) {
        g_ptr_array_add(userdata, g_strdup(path));
        return 0;
}

/* Reads @n bytes of @data back; the paths, or the error. */
static int read_back(const char *data, size_t n, GPtrArray **ret) {
        GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
        int fd = memfd_with(data, n), r;

        r = paths_fd_read(fd, collect, got);
        close(fd);
        *ret = got;
        return r;
}

/* Paths of every length from 1 to 600 bytes, 1 MiB of them, so that the
 * 32 KiB chunks end at every place in a path and at its NUL; with and
 * without the last NUL. */
static void test_every_boundary(void) {
        GString *data = g_string_new(NULL);
        GPtrArray *want = g_ptr_array_new_with_free_func(g_free), *got;

        for (unsigned i = 0; data->len < 1024 * 1024; i++) {
                char *p = g_strdup_printf("/%0*u", (int) (i % 600), i);

                g_string_append_len(data, p, (gssize) strlen(p) + 1);
                g_ptr_array_add(want, p);
        }
        for (int with_last_nul = 1; with_last_nul >= 0; with_last_nul--) {
                g_assert_cmpint(read_back(data->str, data->len - !with_last_nul, &got), ==, 0);
                g_assert_cmpuint(got->len, ==, want->len);
                for (unsigned i = 0; i < want->len; i++)
                        g_assert_cmpstr(got->pdata[i], ==, want->pdata[i]);
                g_ptr_array_unref(got);
        }
        g_string_free(data, TRUE);
        g_ptr_array_unref(want);
}

/* PATH_MAX - 1 bytes pass, across a chunk's end or as the last path
 * without its NUL; PATH_MAX bytes do not, wherever they are. */
static void test_lengths(void) {
        char *longest = g_strnfill(PATH_MAX - 1, 'a'), *too_long = g_strnfill(PATH_MAX, 'b');
        GString *data = g_string_new(NULL);
        GPtrArray *got;

        g_string_append_len(data, "/x", 3);
        while (data->len < PATHS_FD_CHUNK - 100)
                g_string_append_len(data, "/y", 3);
        g_string_append_len(data, longest, PATH_MAX);  /* across the first chunk's end */
        g_string_append(data, longest);                 /* last, no NUL */
        g_assert_cmpint(read_back(data->str, data->len, &got), ==, 0);
        g_assert_cmpstr(got->pdata[got->len - 2], ==, longest);
        g_assert_cmpstr(got->pdata[got->len - 1], ==, longest);
        g_ptr_array_unref(got);

        for (size_t i = 0; i < 2; i++) {
                /* PATH_MAX bytes and a NUL, from 0, and across the first
                 * chunk's end (its NUL in the second chunk) */
                g_string_truncate(data, 0);
                while (data->len < (i ? PATHS_FD_CHUNK - PATH_MAX + 1 : 0))
                        g_string_append_len(data, "/y", 3);
                g_string_append_len(data, too_long, PATH_MAX + 1);
                g_string_append_len(data, "/z", 3);
                g_assert_cmpint(read_back(data->str, data->len, &got), ==, -ENAMETOOLONG);
                g_assert_cmpuint(got->len, ==, (data->len - PATH_MAX - 1 - 3) / 3);
                g_ptr_array_unref(got);
        }
        g_assert_cmpint(read_back(too_long, PATH_MAX, &got), ==, -ENAMETOOLONG);
        g_ptr_array_unref(got);
        g_free(longest), g_free(too_long), g_string_free(data, TRUE);
}

static int stop_at_second(const char *path, void *userdata) {
        GPtrArray *got = userdata;

        if (got->len == 1)
                return -EUCLEAN;
        return collect(path, userdata);
}

static void test_refusals(void) {
        GPtrArray *got;
        int fds[2], fd;

        /* an empty path stops it there */
        g_assert_cmpint(read_back("/a\0\0/b", 6, &got), ==, -EBADMSG);
        g_assert_cmpuint(got->len, ==, 1);
        g_ptr_array_unref(got);
        g_assert_cmpint(read_back("\0", 1, &got), ==, -EBADMSG);
        g_ptr_array_unref(got);
        /* an empty file: no paths */
        g_assert_cmpint(read_back("", 0, &got), ==, 0);
        g_assert_cmpuint(got->len, ==, 0);
        g_ptr_array_unref(got);
        /* the callback's error */
        got = g_ptr_array_new_with_free_func(g_free);
        fd = memfd_with("/a\0/b\0/c", 8);
        g_assert_cmpint(paths_fd_read(fd, stop_at_second, got), ==, -EUCLEAN);
        g_assert_cmpuint(got->len, ==, 1);
        close(fd);
        /* a pipe, a file of procfs, a directory: not files of memory */
        g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
        g_assert_cmpint(write(fds[1], "/a", 3), ==, 3);
        g_assert_cmpint(paths_fd_read(fds[0], collect, got), ==, -EBADFD);
        close(fds[0]), close(fds[1]);
        fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(paths_fd_read(fd, collect, got), ==, -EBADFD);
        close(fd);
        fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(paths_fd_read(fd, collect, got), ==, -EBADFD);
        close(fd);
        /* A FIFO (whose read would wait for a writer) and a device node on
         * tmpfs: neither 6.1 nor later kernels answer F_GET_SEALS for them
         * (the test says), and the S_ISREG check is there should one do.
         * On a tmpfs of our own, as root. */
        if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) {
                char dir[] = "/tmp/test-paths-fd.XXXXXX";

                g_assert_nonnull(mkdtemp(dir));
                g_assert_cmpint(mount("tmpfs", dir, "tmpfs", 0, NULL), ==, 0);
                g_assert_cmpint(chdir(dir), ==, 0);
                g_assert_cmpint(mkfifo("fifo", 0600), ==, 0);
                /* (no device node in a user namespace: CAP_MKNOD) */
                if (mknod("null", S_IFCHR | 0600, makedev(1, 3)) < 0) {
                        g_assert_cmpint(errno, ==, EPERM);
                        g_test_message("no device node here (EPERM): the FIFO only");
                }
                for (const char *n = "fifo\0null\0"; *n; n += strlen(n) + 1) {
                        if (access(n, F_OK) < 0)
                                continue;
                        fd = open(n, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                        g_assert_cmpint(fd, >=, 0);
                        g_test_message("%s on tmpfs: F_GET_SEALS %s", n,
                                       fcntl(fd, F_GET_SEALS) >= 0 ? "answers" : "does not answer");
                        g_assert_cmpint(paths_fd_read(fd, collect, got), ==, -EBADFD);
                        close(fd);
                }
                g_assert_cmpint(chdir("/"), ==, 0);
                g_assert_cmpint(umount(dir), ==, 0);
                g_assert_cmpint(rmdir(dir), ==, 0);
        } else
                g_test_message("not root: no FIFO or device node on a tmpfs of our own");
        /* a memfd open for writing only, or for neither (O_ACCMODE, 3) */
        fd = memfd_with("/a", 2);
        {
                char *self = g_strdup_printf("/proc/self/fd/%d", fd);
                int wfd = open(self, O_WRONLY | O_CLOEXEC);

                g_assert_cmpint(wfd, >=, 0);
                g_assert_cmpint(paths_fd_read(wfd, collect, got), ==, -EBADFD);
                close(wfd);
                wfd = open(self, O_ACCMODE | O_CLOEXEC);
                g_assert_cmpint(wfd, >=, 0);
                g_assert_cmpint(paths_fd_read(wfd, collect, got), ==, -EBADFD);
                close(wfd);
                g_free(self);
        }
        close(fd);
        g_assert_cmpuint(got->len, ==, 1);
        g_ptr_array_unref(got);
}

static int count(const char *path, void *userdata) {
        (*(size_t *) userdata)++;
        return 0;
}

/* PATHS_FD_MAX bytes pass; one more does not, whatever its paths. */
static void test_at_most(void) {
        int fd = memfd_create("paths", MFD_CLOEXEC);
        char *block = g_malloc(64 * 1024);
        size_t n = 0;

        for (size_t i = 0; i < 64 * 1024; i += 4)
                memcpy(block + i, "/ab", 4);
        g_assert_cmpint(fd, >=, 0);
        for (size_t i = 0; i < PATHS_FD_MAX / (64 * 1024); i++)
                g_assert_cmpint(write(fd, block, 64 * 1024), ==, 64 * 1024);
        g_assert_cmpint(paths_fd_read(fd, count, &n), ==, 0);
        g_assert_cmpuint(n, ==, PATHS_FD_MAX / 4);
        g_assert_cmpint(write(fd, "/", 1), ==, 1);
        n = 0;
        g_assert_cmpint(paths_fd_read(fd, count, &n), ==, -EFBIG);
        close(fd);
        g_free(block);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/paths-fd/every-boundary", test_every_boundary);
        g_test_add_func("/paths-fd/lengths", test_lengths);
        g_test_add_func("/paths-fd/refusals", test_refusals);
        g_test_add_func("/paths-fd/at-most", test_at_most);
        return g_test_run();
}
