/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The file of Mount.ScanByFileDescriptor: daemon/scan-output.c writes
 * entries in common/scan-file.h's form into a memfd of its own, a chunk
 * at a time, and seals it; common/scan-file.c (ovlctl's reader) gives
 * them back whole and in order, whatever bytes their paths hold
 * (newlines, tabs, commas: only a NUL ends a field; bus-form paths of up
 * to 4 * PATH_MAX bytes), and refuses bytes that are not entries, and
 * files that are not the daemon's: not of memory, or not sealed against
 * shrinking (a mapping of one could fault). */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layers-diff.h"
#include "scan-file.h"
#include "scan-output.h"

typedef struct Want {
        const char *path, *state, *flags;       /* flags joined by ',' */
        uint32_t mode;
} Want;

static int collect(const char *path, const char *state, char **flags, uint32_t mode, void *userdata) {
        GPtrArray *got = userdata;
        g_autofree char *joined = g_strjoinv(",", flags);

        g_ptr_array_add(got, g_strdup_printf("%s|%s|%s|%o", path, state, joined, mode));
        return 0;
}

/* The @size bytes of @data parsed, as "path|state|flags|mode" strings. */
static int parse(const char *data, size_t size, GPtrArray **ret) {
        GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
        int r = scan_file_parse(data, size, collect, got);

        *ret = got;
        return r;
}

static char *read_file(int fd, size_t *ret_size) {
        struct stat st;
        char *buf;

        g_assert_cmpint(fstat(fd, &st), ==, 0);
        buf = g_malloc(st.st_size + 1);
        g_assert_cmpint(pread(fd, buf, st.st_size, 0), ==, st.st_size);
        *ret_size = st.st_size;
        return buf;
}

/* Entries written by scan_output_add(), more than a chunk of them, read
 * back by scan_file_parse(): the same, in order, with the flags of the
 * state and of "compare" as the reply has them; the file sealed against
 * any change. */
static void test_round_trip(void) {
        ScanOutput o = SCAN_OUTPUT_NULL;
        g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free), got = NULL;
        g_autofree char *data = NULL, *longest = NULL;
        size_t size;
        int seals;
        struct {
                const char *path;
                OvlState st;
                unsigned diff;
                const char *flags;
        } odd[] = {
                { "/etc/new\nline", { OVL_STATE_WHITEOUT, 0, 020000 }, 0, "" },
                { "/etc/tab\there,comma", { OVL_STATE_UPPER, OVL_UPPER_STATE_F_OPAQUE, 040755 }, 0, "opaque" },
                { "/etc/bad\\xff", { OVL_STATE_UPPER, 0, 0100644 }, SCAN_COMPARED, "unchanged" },
                { "/", { OVL_STATE_UPPER, OVL_UPPER_STATE_F_OPAQUE | OVL_UPPER_STATE_F_NO_LOWER_DIR, 040700 },
                  SCAN_COMPARED | SCAN_ADDED | LAYERS_DIFF_TYPE | LAYERS_DIFF_MODE | LAYERS_DIFF_OWNER |
                  LAYERS_DIFF_CONTENT | LAYERS_DIFF_XATTRS | LAYERS_DIFF_UNREADABLE,
                  "opaque,no-lower-dir,added,type,mode,owner,content,xattrs,unreadable" },
                { "/none", { OVL_STATE_NONE, 0, 0 }, 0, "" },
        };

        g_assert_cmpint(scan_output_open(&o), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(odd); i++) {
                g_assert_cmpint(scan_output_add(&o, odd[i].path, strlen(odd[i].path), &odd[i].st, odd[i].diff),
                                ==, 0);
                g_ptr_array_add(want, g_strdup_printf("%s|%s|%s|%o", odd[i].path,
                                                      ovl_state_to_string(odd[i].st.state), odd[i].flags,
                                                      odd[i].st.mode));
        }
        /* paths of every length up to PATH_MAX, past several chunks */
        for (unsigned i = 0; i < 3000; i++) {
                g_autofree char *p = g_strdup_printf("/d/%0*u", (int) (i * 7 % (PATH_MAX - 8)), i);
                OvlState st = { OVL_STATE_WHITEOUT, 0, 020000 };

                g_assert_cmpint(scan_output_add(&o, p, strlen(p), &st, 0), ==, 0);
                g_ptr_array_add(want, g_strdup_printf("%s|whiteout||20000", p));
                /* (and the longest a bus-form path can be, whatever
                 * is in the buffer) */
                if (i % 300 == 0) {
                        OvlState up = { OVL_STATE_UPPER, OVL_UPPER_STATE_F_OPAQUE | OVL_UPPER_STATE_F_NO_LOWER_DIR,
                                        040755 };
                        unsigned diff = SCAN_COMPARED | SCAN_ADDED | LAYERS_DIFF_TYPE | LAYERS_DIFF_MODE |
                                        LAYERS_DIFF_OWNER | LAYERS_DIFF_CONTENT | LAYERS_DIFF_XATTRS |
                                        LAYERS_DIFF_UNREADABLE;

                        g_free(longest);
                        longest = g_strnfill(4 * PATH_MAX, 'x');
                        longest[0] = '/';
                        g_assert_cmpint(scan_output_add(&o, longest, 4 * PATH_MAX, &up, diff), ==, 0);
                        g_ptr_array_add(want, g_strdup_printf("%s|upper|opaque,no-lower-dir,added,type,mode,owner,"
                                                              "content,xattrs,unreadable|40755", longest));
                }
        }
        g_assert_cmpint(scan_output_finish(&o), ==, 0);
        seals = fcntl(o.fd, F_GET_SEALS);
        g_assert_cmpint(seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL), ==,
                        F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
        g_assert_cmpint(pwrite(o.fd, "x", 1, 0), ==, -1);
        data = read_file(o.fd, &size);
        g_assert_cmpuint(size, >, 3 * SCAN_OUTPUT_CHUNK);
        g_assert_cmpint(parse(data, size, &got), ==, 0);
        g_assert_cmpuint(got->len, ==, want->len);
        for (guint i = 0; i < want->len; i++)
                g_assert_cmpstr(got->pdata[i], ==, want->pdata[i]);
        /* (and through the file, as ovlctl reads it) */
        g_ptr_array_set_size(got, 0);
        g_assert_cmpint(scan_file_read_fd(o.fd, collect, got), ==, 0);
        g_assert_cmpuint(got->len, ==, want->len);
        for (guint i = 0; i < want->len; i++)
                g_assert_cmpstr(got->pdata[i], ==, want->pdata[i]);
        scan_output_done(&o);
}

/* Nothing found: an empty file, sealed. */
static void test_empty(void) {
        ScanOutput o = SCAN_OUTPUT_NULL;
        g_autoptr(GPtrArray) got = NULL;
        struct stat st;

        g_assert_cmpint(scan_output_open(&o), ==, 0);
        g_assert_cmpint(scan_output_finish(&o), ==, 0);
        g_assert_cmpint(fstat(o.fd, &st), ==, 0);
        g_assert_cmpint(st.st_size, ==, 0);
        g_assert_cmpint(fcntl(o.fd, F_GET_SEALS) & F_SEAL_GROW, !=, 0);
        scan_output_done(&o);
        g_assert_cmpint(parse("", 0, &got), ==, 0);
        g_assert_cmpuint(got->len, ==, 0);
}

/* Bytes that are not entries. */
static void test_malformed(void) {
        static const struct {
                const char *data;
                size_t size;
        } bad[] = {
#define B(s) { s, sizeof(s) - 1 }
                B("/a"),                                /* a field not ended */
                B("/a\0whiteout\0\0"),                  /* no mode */
                B("/a\0whiteout\0\0" "20000"),          /* the mode not ended */
                B("\0whiteout\0\0" "0\0"),              /* an empty path */
                B("/a\0\0\0" "0\0"),                    /* an empty state */
                B("/a\0upper\0\0" "8\0"),               /* not octal */
                B("/a\0upper\0\0\0"),                   /* an empty mode */
                B("/a\0upper\0\0" "40000000000\0"),     /* past 32 bits */
                B("/a\0upper\0opaque,\0" "0\0"),        /* an empty flag */
                B("/a\0upper\0,opaque\0" "0\0"),
                B("/a\0upper\0a,,b\0" "0\0"),
                B("/a\0upper\0a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\0" "0\0"),   /* 17 flags */
                B("/a\0whiteout\0\0" "0\0/b"),          /* a good entry, then half of one */
#undef B
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(GPtrArray) got = NULL;

                g_test_message("case %zu", i);
                g_assert_cmpint(parse(bad[i].data, bad[i].size, &got), ==, -EBADMSG);
        }
}

static int stop_at_second(const char *path, const char *state, char **flags, uint32_t mode, void *userdata) {
        return ++*(int *) userdata == 2 ? -ECANCELED : 0;
}

/* The callback's error ends the parse. */
static void test_callback_error(void) {
        static const char data[] = "/a\0whiteout\0\0" "0\0/b\0whiteout\0\0" "0\0/c\0whiteout\0\0" "0\0";
        int n = 0;

        g_assert_cmpint(scan_file_parse(data, sizeof data - 1, stop_at_second, &n), ==, -ECANCELED);
        g_assert_cmpint(n, ==, 2);
}

static int count(const char *path, const char *state, char **flags, uint32_t mode, void *userdata) {
        ++*(unsigned *) userdata;
        return 0;
}

/* scan_file_read_fd() reads only a file as the daemon makes it: not a
 * pipe, not a memfd that is not sealed against shrinking (the same bytes
 * are read once it is). */
static void test_read_fd_refused(void) {
        static const char entry[] = "/a\0whiteout\0\0" "20000\0";
        unsigned n = 0;
        int p[2], fd;

        g_assert_cmpint(pipe2(p, O_CLOEXEC), ==, 0);
        g_assert_cmpint(write(p[1], entry, sizeof entry - 1), ==, (ssize_t) sizeof entry - 1);
        g_assert_cmpint(scan_file_read_fd(p[0], count, &n), ==, -EBADMSG);
        close(p[0]), close(p[1]);
        fd = memfd_create("scan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        g_assert_cmpint(write(fd, entry, sizeof entry - 1), ==, (ssize_t) sizeof entry - 1);
        g_assert_cmpint(scan_file_read_fd(fd, count, &n), ==, -EBADMSG);
        g_assert_cmpint(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), ==, 0);
        g_assert_cmpint(scan_file_read_fd(fd, count, &n), ==, 0);
        g_assert_cmpuint(n, ==, 1);
        close(fd);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/scan-output/round-trip", test_round_trip);
        g_test_add_func("/scan-output/empty", test_empty);
        g_test_add_func("/scan-output/malformed", test_malformed);
        g_test_add_func("/scan-output/callback-error", test_callback_error);
        g_test_add_func("/scan-output/read-fd-refused", test_read_fd_refused);
        return g_test_run();
}
