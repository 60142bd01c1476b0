/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names on the bus (common/bus-path.h): any bytes encode to valid UTF-8
 * that decodes back to the same bytes; a caller's string never decodes to
 * a NUL; valid UTF-8 with no escape-like backslash is carried unchanged,
 * and bus_path_is_plain() says so exactly when it is.  "Valid UTF-8" is
 * sd-bus's own: utf8_valid() says yes exactly where sd-bus takes the
 * string, so that the daemon may append a bus form without sd-bus
 * checking it again (bus_append_checked_string()). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bus-path.h"
#include "fuzz.h"

/* Does sd-bus take @s as a string?  (A message of a bus on one end of a
 * socket pair: started, never used.) */
static bool sd_bus_takes(const char *s) {
        static sd_bus *bus;
        sd_bus_message *m = NULL;
        int r;

        if (!bus) {
                int sv[2];

                fuzz_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
                fuzz_check(sd_bus_new(&bus) >= 0);
                fuzz_check(sd_bus_set_fd(bus, sv[0], sv[0]) >= 0);
                fuzz_check(sd_bus_start(bus) >= 0);
        }
        fuzz_check(sd_bus_message_new_method_call(bus, &m, "a.b", "/a", "a.b", "C") >= 0);
        r = sd_bus_message_append_basic(m, 's', s);
        fuzz_check(r >= 0 || r == -EINVAL);
        sd_bus_message_unref(m);
        return r >= 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *raw = fuzz_strndup(data, size), *enc, *dec = NULL;
        ssize_t plain;

        if (!raw)
                return 0;
        fuzz_check(utf8_valid(raw) == sd_bus_takes(raw));
        plain = bus_path_plain_len(raw);
        fuzz_check(plain < 0 || (size_t) plain == strlen(raw));
        enc = bus_path_encode(raw);
        if (enc) {
                fuzz_check(utf8_valid(enc));
                fuzz_check(sd_bus_takes(enc));
                fuzz_check(bus_path_decode(enc, &dec) == 0);
                fuzz_check(strcmp(dec, raw) == 0);
                if (utf8_valid(raw) && !strstr(raw, "\\x"))
                        fuzz_check(strcmp(enc, raw) == 0);
                /* (what a Scan sends without a copy) */
                fuzz_check(bus_path_is_plain(raw) == (strcmp(enc, raw) == 0));
                fuzz_check((plain >= 0) == (strcmp(enc, raw) == 0));
                free(dec);
                dec = NULL;
                free(enc);
        }
        /* The input as a caller's string: decoded, no NUL, never longer. */
        if (bus_path_decode(raw, &dec) == 0) {
                fuzz_check(strlen(dec) <= strlen(raw));
                free(dec);
        }
        free(raw);
        return 0;
}
