/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bus-util.h"
#include "io-util.h"
#include "ovl-ioctl.h"
#include "scan-file.h"
#include "scan-output.h"

#define SCAN_OUTPUT_ENTRY_MAX SCAN_FILE_ENTRY_BYTES(4 * PATH_MAX)

/* (mount-dbus.c bounds the file by what the same entries would take in
 * the reply) */
_Static_assert(SCAN_FILE_ENTRY_BYTES(0) <= BUS_STATE_ENTRY_BYTES(0), "a file entry takes no more than a reply's");

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

int scan_output_open(ScanOutput *o) {
        o->buf = malloc(SCAN_OUTPUT_CHUNK + SCAN_OUTPUT_ENTRY_MAX);
        if (!o->buf)
                return -ENOMEM;
        /* (not executable where the kernel can say so, 6.3 on: it warns
         * of a memfd made without either flag, and may refuse one) */
        o->fd = memfd_create("ovl-restored-scan", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
        if (o->fd < 0 && errno == EINVAL)
                o->fd = memfd_create("ovl-restored-scan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (o->fd < 0) {
                o->fd = -EBADF;
                return -errno;
        }
        o->len = 0;
        o->error = 0;
        return 0;
}

static int flush(ScanOutput *o) {
        int r;

        r = write_all(o->fd, o->buf, o->len);
        if (r < 0)
                return (o->error = r);
        o->len = 0;
        return 0;
}

int scan_output_add(ScanOutput *o, const char *path, size_t path_len, const OvlState *st, unsigned diff) {
        const char *flags[SCAN_FILE_FLAGS_MAX];
        size_t n_flags = scan_entry_flags(st, diff, flags);

        assert(path_len <= 4 * PATH_MAX);
        o->len += scan_file_format(o->buf + o->len, path, path_len, ovl_state_to_string(st->state), flags,
                                   n_flags, st->mode);
        return o->len >= SCAN_OUTPUT_CHUNK ? flush(o) : 0;
}

int scan_output_finish(ScanOutput *o) {
        int r = flush(o);

        if (r < 0)
                return r;
        if (fcntl(o->fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
                return (o->error = -errno);
        return 0;
}

void scan_output_done(ScanOutput *o) {
        if (o->fd >= 0)
                close(o->fd);
        free(o->buf);
        *o = SCAN_OUTPUT_NULL;
}
