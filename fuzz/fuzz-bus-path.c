/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names on the bus (common/bus-path.h): any bytes encode to valid UTF-8
 * that decodes back to the same bytes; a caller's string never decodes to
 * a NUL; valid UTF-8 with no escape-like backslash is carried unchanged,
 * and bus_path_is_plain() says so exactly when it is. */
#include <string.h>

#include "bus-path.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *raw = fuzz_strndup(data, size), *enc, *dec = NULL;

        if (!raw)
                return 0;
        enc = bus_path_encode(raw);
        if (enc) {
                fuzz_check(utf8_valid(enc));
                fuzz_check(bus_path_decode(enc, &dec) == 0);
                fuzz_check(strcmp(dec, raw) == 0);
                if (utf8_valid(raw) && !strstr(raw, "\\x"))
                        fuzz_check(strcmp(enc, raw) == 0);
                /* (what a Scan sends without a copy) */
                fuzz_check(bus_path_is_plain(raw) == (strcmp(enc, raw) == 0));
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
