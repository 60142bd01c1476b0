/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus-path.h"

/* The length of the valid UTF-8 sequence at @s (as sd-bus counts it: no
 * overlong forms, no surrogates, nothing above U+10FFFF, none of the
 * noncharacters U+FDD0..U+FDEF and U+xFFFE, U+xFFFF), 0 if there is none. */
static size_t utf8_seq(const unsigned char *s) {
        uint32_t c;
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, c = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, c = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, c = s[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
            (c >= 0xd800 && c <= 0xdfff) || (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe)
                return 0;
        return n;
}

static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool escape_like(const char *s) {
        return s[0] == '\\' && s[1] == 'x' && is_hex(s[2]) && is_hex(s[3]);
}

bool utf8_valid(const char *s) {
        for (size_t n;; s += n) {
                /* (most names are ASCII) */
                while ((unsigned char) *s - 1u < 0x7fu)
                        s++;
                if (!*s)
                        return true;
                if (!(n = utf8_seq((const unsigned char *) s)))
                        return false;
        }
}

ssize_t bus_path_plain_len(const char *raw) {
        const char *s = raw;

        for (;;) {
                size_t n;

                /* (most names are ASCII without a backslash) */
                while ((unsigned char) *s - 1u < 0x7fu && *s != '\\')
                        s++;
                if (!*s)
                        return s - raw;
                n = *s == '\\' ? 1 : utf8_seq((const unsigned char *) s);
                if (n == 0 || escape_like(s))
                        return -1;
                s += n;
        }
}

bool bus_path_is_plain(const char *raw) {
        return bus_path_plain_len(raw) >= 0;
}

char *bus_path_encode(const char *raw) {
        static const char hex[] = "0123456789abcdef";
        char *out = malloc(strlen(raw) * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (const char *s = raw; *s;) {
                size_t n = utf8_seq((const unsigned char *) s);

                if (n == 0 || escape_like(s)) {
                        unsigned char b = (unsigned char) *s++;

                        *o++ = '\\';
                        *o++ = 'x';
                        *o++ = hex[b >> 4];
                        *o++ = hex[b & 15];
                } else {
                        memcpy(o, s, n);
                        o += n;
                        s += n;
                }
        }
        *o = '\0';
        return out;
}

static int hex_value(char c) {
        return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

int bus_path_decode(const char *s, char **ret) {
        char *out = malloc(strlen(s) + 1), *o = out;

        if (!out)
                return -ENOMEM;
        while (*s) {
                if (escape_like(s)) {
                        char b = (char) (hex_value(s[2]) << 4 | hex_value(s[3]));

                        if (b == '\0') {
                                free(out);
                                return -EINVAL;
                        }
                        *o++ = b;
                        s += 4;
                } else
                        *o++ = *s++;
        }
        *o = '\0';
        *ret = out;
        return 0;
}
