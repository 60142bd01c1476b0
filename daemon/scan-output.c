/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "bus-util.h"
#include "io-util.h"
#include "ovl-ioctl.h"
#include "scan-file.h"
#include "scan-output.h"

int scan_output_open(ScanOutput *o, int fd) {
        int r = memory_file_check(fd, true);

        if (r < 0)
                return r;
        o->buf = malloc(SCAN_OUTPUT_CHUNK + SCAN_FILE_ENTRY_BYTES(PATH_MAX * 4));
        if (!o->buf)
                return -ENOMEM;
        o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (o->fd < 0)
                return -errno;
        o->len = 0;
        o->written = 0;
        o->error = 0;
        return 0;
}

static int flush(ScanOutput *o) {
        size_t done = 0;

        if (o->error < 0)
                return o->error;
        while (done < o->len) {
                ssize_t k = pwrite(o->fd, o->buf + done, o->len - done, (off_t) (o->written + done));

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 || k == 0)
                        return (o->error = k < 0 ? -errno : -EIO);
                done += (size_t) k;
        }
        o->written += o->len;
        o->len = 0;
        return 0;
}

int scan_output_add(ScanOutput *o, const char *path, size_t path_len, const OvlState *st, unsigned diff) {
        const char *flags[SCAN_FILE_FLAGS_MAX];
        size_t n_flags = scan_entry_flags(st, diff, flags);

        if (o->error < 0)
                return o->error;
        o->len += scan_file_format(o->buf + o->len, path, path_len, ovl_state_to_string(st->state), flags,
                                   n_flags, st->mode);
        return o->len >= SCAN_OUTPUT_CHUNK ? flush(o) : 0;
}

int scan_output_finish(ScanOutput *o) {
        int r = flush(o);

        if (r < 0)
                return r;
        if (ftruncate(o->fd, (off_t) o->written) < 0)
                return (o->error = -errno);
        return 0;
}

void scan_output_done(ScanOutput *o) {
        if (o->fd >= 0)
                close(o->fd);
        free(o->buf);
        *o = SCAN_OUTPUT_NULL;
}
