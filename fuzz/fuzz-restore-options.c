/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The options dictionary of Restore (daemon/restore-options.c).  The
 * input describes an a{sv}: entries with known and unknown keys, values of
 * the right and of wrong types (nested variants, arrays, other basic
 * types).  sd-bus itself refuses ill-formed messages before a handler sees
 * them (fuzz-dbus sends those to the running daemon); this checks the
 * handler's reading of every well-formed one.
 */
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "fuzz.h"
#include "macro.h"
#include "restore-options.h"

static sd_bus *bus;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        int fds[2];

        /* sd-bus makes messages only for a started connection; a socket
         * pair, never used, is enough. */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 ||
            sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0)
                abort();
        return 0;
}

static const char *pick_string(FuzzReader *r, char *buf, size_t size) {
        static const char *const known[] = {
                "recursive", "dry-run", "mode", "method", "whiteout", "opaque", "discard",
                "auto", "ioctl", "remount", "deferred", "", "paths-fd",
        };
        uint8_t b = fuzz_byte(r);
        size_t n;

        if (b < 200)
                return known[b % (sizeof known / sizeof known[0])];
        n = fuzz_byte(r) % (size - 1);
        for (size_t i = 0; i < n; i++)
                buf[i] = (char) (fuzz_byte(r) % 0x7f ?: 'x');   /* ASCII: valid UTF-8 */
        buf[n] = '\0';
        return buf;
}

static int append_value(sd_bus_message *m, FuzzReader *r, unsigned depth) {
        char buf[64];
        int k;

        switch (fuzz_byte(r) % 7) {
        case 0:
                return sd_bus_message_append(m, "v", "b", (int) (fuzz_byte(r) & 1));
        case 1:
                return sd_bus_message_append(m, "v", "s", pick_string(r, buf, sizeof buf));
        case 2:
                return sd_bus_message_append(m, "v", "i", (int32_t) fuzz_byte(r));
        case 3:
                return sd_bus_message_append(m, "v", "u", (uint32_t) fuzz_byte(r));
        case 4:
                k = sd_bus_message_open_container(m, 'v', "as");
                if (k >= 0)
                        k = sd_bus_message_append(m, "as", 2, "mode", pick_string(r, buf, sizeof buf));
                return k < 0 ? k : sd_bus_message_close_container(m);
        case 5:
                if (depth >= 8)
                        return sd_bus_message_append(m, "v", "y", fuzz_byte(r));
                k = sd_bus_message_open_container(m, 'v', "v");
                if (k >= 0)
                        k = append_value(m, r, depth + 1);
                return k < 0 ? k : sd_bus_message_close_container(m);
        default:
                return sd_bus_message_append(m, "v", "g", "sv");
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        FuzzReader rd = { data, size, 0 };
        sd_bus_message *m = NULL;
        RestoreOptions o;
        int paths_fd;
        unsigned n = fuzz_byte(&rd) % 8;
        char buf[64];
        int r;

        if (sd_bus_message_new_method_call(bus, &m, "org.calculinux.OverlayRestore1",
                                           "/org/calculinux/OverlayRestore1",
                                           "org.calculinux.OverlayRestore1.Manager", "Restore") < 0)
                abort();
        r = sd_bus_message_open_container(m, 'a', "{sv}");
        for (unsigned i = 0; r >= 0 && i < n; i++) {
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", pick_string(&rd, buf, sizeof buf));
                if (r >= 0)
                        r = append_value(m, &rd, 0);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_seal(m, 1, 0);
        if (r >= 0)
                r = sd_bus_message_rewind(m, 1);
        if (r < 0)
                abort();        /* every message made here is well-formed */

        r = restore_options_read(m, &o, &paths_fd, &error);
        if (r >= 0) {
                fuzz_check(!sd_bus_error_is_set(&error));
                fuzz_check(paths_fd == -EBADF); /* (no value made here is an "h") */
                fuzz_check(restore_mode_to_string(o.mode) && restore_method_to_string(o.method));
        } else if (sd_bus_error_is_set(&error))
                fuzz_check(strcmp(error.name, SD_BUS_ERROR_INVALID_ARGS) == 0 && error.message);
        sd_bus_message_unref(m);
        return 0;
}
