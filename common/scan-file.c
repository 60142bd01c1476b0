/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "io-util.h"
#include "scan-file.h"

size_t scan_file_format(char *buf, const char *path, size_t path_len, const char *state,
                        const char *const *flags, size_t n_flags, uint32_t mode) {
        char digits[12];
        size_t n = 0, k = 0, len;

        memcpy(buf, path, path_len);
        n = path_len;
        buf[n++] = 0;
        len = strlen(state);
        memcpy(buf + n, state, len);
        n += len;
        buf[n++] = 0;
        for (size_t i = 0; i < n_flags; i++) {
                if (i > 0)
                        buf[n++] = ',';
                len = strlen(flags[i]);
                memcpy(buf + n, flags[i], len);
                n += len;
        }
        buf[n++] = 0;
        do {
                digits[k++] = (char) ('0' + (mode & 7));
                mode >>= 3;
        } while (mode);
        while (k > 0)
                buf[n++] = digits[--k];
        buf[n++] = 0;
        return n;
}

/* The field at @p (before @end): its length up to its NUL, or -EBADMSG
 * if it is not ended. */
static long field(const char *p, const char *end) {
        const char *nul = memchr(p, 0, (size_t) (end - p));

        return nul ? nul - p : -EBADMSG;
}

static int parse_mode(const char *s, size_t len, uint32_t *ret) {
        uint64_t v = 0;

        if (len == 0 || len > 11)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '7')
                        return -EBADMSG;
                v = v << 3 | (uint64_t) (s[i] - '0');
        }
        if (v > UINT32_MAX)
                return -EBADMSG;
        *ret = (uint32_t) v;
        return 0;
}

int scan_file_parse(const char *data, size_t size, ScanFileEntry f, void *userdata) {
        const char *p = data, *end = data + size;

        while (p < end) {
                char flag_text[SCAN_FILE_ENTRY_BYTES(0)];
                char *flags[SCAN_FILE_FLAGS_MAX + 1];
                const char *path = NULL, *state = NULL;
                long len[4];
                size_t n_flags = 0;
                uint32_t mode = 0;
                int r;

                for (int i = 0; i < 4; i++) {
                        if (p >= end)
                                return -EBADMSG;
                        len[i] = field(p, end);
                        if (len[i] < 0)
                                return (int) len[i];
                        if (i == 0)
                                path = p;
                        else if (i == 1)
                                state = p;
                        else if (i == 2) {
                                /* (a copy, split where the commas are) */
                                if ((size_t) len[2] >= sizeof flag_text)
                                        return -EBADMSG;
                                memcpy(flag_text, p, (size_t) len[2] + 1);
                        } else {
                                r = parse_mode(p, (size_t) len[3], &mode);
                                if (r < 0)
                                        return r;
                        }
                        p += len[i] + 1;
                }
                if (len[0] == 0 || len[1] == 0)
                        return -EBADMSG;
                for (char *s = flag_text; len[2] > 0; s++) {
                        char *comma = strchr(s, ',');

                        if (n_flags == SCAN_FILE_FLAGS_MAX || comma == s || *s == 0)
                                return -EBADMSG;
                        flags[n_flags++] = s;
                        if (!comma)
                                break;
                        *comma = 0;
                        s = comma;
                }
                flags[n_flags] = NULL;
                r = f(path, state, flags, mode, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

int scan_file_read_fd(int fd, ScanFileEntry f, void *userdata) {
        struct stat st;
        void *data;
        int r, seals;

        seals = memory_file_check(fd, &st);
        if (seals < 0 || !(seals & F_SEAL_SHRINK))
                return -EBADMSG;
        if (st.st_size == 0)
                return 0;
        data = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED)
                return -errno;
        r = scan_file_parse(data, (size_t) st.st_size, f, userdata);
        (void) munmap(data, (size_t) st.st_size);
        return r;
}
