/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "terminal.h"

static bool needs_escape(const unsigned char *start, const unsigned char *c) {
        if (*c < 0x20 || *c == 0x7f)
                return true;
        /* (U+0080 to U+009F: 0xc2, then 0x80 to 0x9f) */
        if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
                return true;
        return c > start && c[-1] == 0xc2 && *c >= 0x80 && *c <= 0x9f;
}

char *terminal_escape(const char *s) {
        const unsigned char *u = (const unsigned char *) s;
        size_t n = 0;
        char *r, *o;

        for (const unsigned char *c = u; *c; c++)
                n += needs_escape(u, c) ? 4 : 1;
        r = o = malloc(n + 1);
        if (!r)
                return NULL;
        for (const unsigned char *c = u; *c; c++)
                if (needs_escape(u, c))
                        o += sprintf(o, "\\x%02x", *c);
                else
                        *o++ = (char) *c;
        *o = '\0';
        return r;
}
