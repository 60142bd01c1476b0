/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-options.h"
#include "macro.h"

/* "a, b@last c": the strings that begin each of @n elements of @stride
 * bytes at @base, for an error message; NULL without memory. */
static char *join(const void *base, size_t n, size_t stride, const char *last) {
        char *s = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&s, &size);

        if (!f)
                return NULL;
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%s", i == 0 ? "" : i + 1 == n ? last : ", ",
                        *(const char *const *) ((const uint8_t *) base + i * stride));
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

static int read_one(sd_bus_message *m, const char *method, const BusOption *o, void *ret, sd_bus_error *error) {
        const char contents[] = { o->type, 0 };
        void *field = (uint8_t *) ret + o->offset;
        const char *s;
        int r, b;

        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s option '%s' takes %s.", method,
                                         o->key,
                                         o->type == 'b' ? "a boolean (b)" :
                                         o->type == 'h' ? "a file descriptor (h)" : "a string (s)");
        switch (o->type) {
        case 'b':
                r = sd_bus_message_read(m, "b", &b);
                if (r < 0)
                        return r;
                *(bool *) field = b;
                break;
        case 'h':
                r = sd_bus_message_read(m, "h", &b);
                if (r < 0)
                        return r;
                *(int *) field = b;
                break;
        default:
                r = sd_bus_message_read(m, "s", &s);
                if (r < 0)
                        return r;
                for (b = 0; (size_t) b < o->n_names && !streq(o->names[b], s); b++)
                        ;
                if ((size_t) b == o->n_names) {
                        _cleanup_free_ char *known = join(o->names, o->n_names, sizeof(o->names[0]), " or ");

                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown %s '%s': use %s.",
                                                 o->key, s, known ?: "another");
                }
                *(int *) field = b;
        }
        return sd_bus_message_exit_container(m);
}

int bus_read_options(sd_bus_message *m, const char *method, const BusOption *options, size_t n, void *ret,
                     sd_bus_error *error) {
        uint64_t seen = 0;
        const char *key;
        int r;

        assert(n <= 64);
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                size_t i;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                for (i = 0; i < n && !streq(options[i].key, key); i++)
                        ;
                if (i == n) {
                        _cleanup_free_ char *known = join(options, n, sizeof(options[0]), ", ");

                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Unknown %s option '%s': known are %s.", method, key,
                                                 known ?: "others");
                }
                /* (a key given again could only make the message large where
                 * nothing counts it while polkit answers: polkit.h) */
                if (seen & UINT64_C(1) << i)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "%s option '%s' is given twice.", method, key);
                seen |= UINT64_C(1) << i;
                r = read_one(m, method, &options[i], ret, error);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m); /* e */
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}
