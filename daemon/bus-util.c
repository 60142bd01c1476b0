/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bus-path.h"
#include "macro.h"
#include "bus-util.h"
#include "layers-diff.h"
#include "path-util.h"
#include "scan-file.h"
#include "ovl-ioctl.h"
#include "state.h"
#include "strv.h"

int bus_read_strings(sd_bus_message *m, unsigned max, const char ***ret, size_t *ret_n) {
        _cleanup_free_ const char **l = NULL;
        size_t n = 0, cap = 0;
        const char *s;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "s", &s)) > 0) {
                if (n >= max)
                        return -E2BIG;
                if (n + 1 >= cap) {
                        size_t c = cap ? cap * 2 : 16;
                        const char **k = realloc(l, c * sizeof(*l));

                        if (!k)
                                return -ENOMEM;
                        l = k;
                        cap = c;
                }
                l[n++] = s;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        if (!l && !(l = calloc(1, sizeof(*l))))
                return -ENOMEM;
        l[n] = NULL;
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

int bus_append_checked_string(sd_bus_message *m, const char *s, size_t len) {
        char *space;
        int r;

        r = sd_bus_message_append_string_space(m, len, &space);
        if (r < 0)
                return r;
        memcpy(space, s, len);
        return 0;
}

int bus_append_path(sd_bus_message *m, const char *raw) {
        _cleanup_free_ char *enc = NULL;
        ssize_t len = bus_path_plain_len(raw ?: "");

        if (len < 0) {
                enc = bus_path_encode(raw);
                if (!enc)
                        return -ENOMEM;
                len = (ssize_t) strlen(enc);
        }
        return bus_append_checked_string(m, enc ?: raw ?: "", (size_t) len);
}

ssize_t bus_path_below(char *buf, size_t size, const char *mount_point, const char *rel, char **ret_encoded) {
        ssize_t len;
        int r;

        r = path_join_below(buf, size, mount_point, rel);
        if (r < 0)
                return r;
        len = bus_path_plain_len(buf);
        if (len >= 0)
                return len;
        *ret_encoded = bus_path_encode(buf);
        return *ret_encoded ? (ssize_t) strlen(*ret_encoded) : -ENOMEM;
}

int bus_property_get_path(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return bus_append_path(reply, *(char **) userdata);
}

int bus_property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        int b = *(bool *) userdata;

        return sd_bus_message_append_basic(reply, 'b', &b);
}

int bus_property_get_atomic_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        uint64_t v = atomic_load((_Atomic uint64_t *) userdata);

        return sd_bus_message_append_basic(reply, 't', &v);
}

int bus_list_find(const void *first, bus_list_step_t step, const char *path, void **found) {
        for (const void *o = first, *next; o; o = next) {
                const char *p = step(o, &next);

                if (p && streq(p, path)) {
                        *found = (void *) o;
                        return 1;
                }
        }
        return 0;
}

int bus_list_nodes(const void *first, bus_list_step_t step, char ***ret) {
        char **l = strv_new0();

        if (!l)
                return -ENOMEM;
        for (const void *o = first, *next; o; o = next) {
                const char *p = step(o, &next);

                if (p && strv_push(&l, p) < 0)
                        return strv_free(l), -ENOMEM;
        }
        *ret = l;
        return 1;
}

static const struct {
        unsigned bit;
        const char *name;
} scan_flags[] = {
        { SCAN_ADDED,             "added"      },
        { LAYERS_DIFF_TYPE,       "type"       },
        { LAYERS_DIFF_MODE,       "mode"       },
        { LAYERS_DIFF_OWNER,      "owner"      },
        { LAYERS_DIFF_CONTENT,    "content"    },
        { LAYERS_DIFF_XATTRS,     "xattrs"     },
        { LAYERS_DIFF_UNREADABLE, "unreadable" },
};

/* (opaque, no-lower-dir, those of compare, unchanged) */
_Static_assert(2 + ELEMENTSOF(scan_flags) + 1 <= SCAN_FILE_FLAGS_MAX, "a Scan entry's flags");

size_t scan_entry_flags(const OvlState *st, unsigned diff, const char *ret[static SCAN_FILE_FLAGS_MAX]) {
        size_t n = 0;

        if (st->flags & OVL_UPPER_STATE_F_OPAQUE)
                ret[n++] = "opaque";
        if (st->flags & OVL_UPPER_STATE_F_NO_LOWER_DIR)
                ret[n++] = "no-lower-dir";
        for (size_t i = 0; i < ELEMENTSOF(scan_flags); i++)
                if (diff & scan_flags[i].bit)
                        ret[n++] = scan_flags[i].name;
        if ((diff & SCAN_COMPARED) && !(diff & ~SCAN_COMPARED))
                ret[n++] = "unchanged";
        return n;
}

/* (sd_bus_message_append_basic(), not sd_bus_message_append(): a Scan's
 * reply has an entry per whiteout, and parsing a signature per call was
 * a third of its building) */
int bus_append_scan_entry(sd_bus_message *reply, const char *path, size_t path_len, const OvlState *st,
                          unsigned diff) {
        const char *state = ovl_state_to_string(st->state), *flags[SCAN_FILE_FLAGS_MAX];
        size_t n_flags = scan_entry_flags(st, diff, flags);
        int r;

        r = sd_bus_message_open_container(reply, 'r', "ssasu");
        if (r < 0)
                return r;
        r = bus_append_checked_string(reply, path, path_len);
        if (r < 0)
                return r;
        r = bus_append_checked_string(reply, state, strlen(state));
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_flags; i++) {
                r = sd_bus_message_append_basic(reply, 's', flags[i]);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(reply, 'u', &st->mode);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

int bus_append_state(sd_bus_message *reply, const char *path, const OvlState *st) {
        return bus_append_scan_entry(reply, path, strlen(path), st, 0);
}

int bus_reply_array_new(sd_bus_message *call, const char *contents, sd_bus_message **ret) {
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', contents);
        if (r < 0) {
                sd_bus_message_unref(reply);
                return r;
        }
        *ret = reply;
        return 0;
}

int bus_reply_array_send(sd_bus_message *reply, int r) {
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}
