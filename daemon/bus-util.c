/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "bus-util.h"
#include "ovl-ioctl.h"
#include "strv.h"

int bus_read_strv(sd_bus_message *m, unsigned max, char ***ret) {
        _cleanup_strv_free_ char **l = strv_new0();
        const char *s;
        unsigned n = 0;
        int r;

        if (!l)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "s", &s)) > 0) {
                if (++n > max)
                        return -E2BIG;
                r = strv_push(&l, s);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = l;
        l = NULL;
        return 0;
}

int bus_append_state(sd_bus_message *reply, const char *path, const OvlState *st) {
        int r;

        r = sd_bus_message_open_container(reply, 'r', "ssasu");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "ss", path, ovl_state_to_string(st->state));
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        if (st->flags & OVL_UPPER_STATE_F_OPAQUE) {
                r = sd_bus_message_append(reply, "s", "opaque");
                if (r < 0)
                        return r;
        }
        if (st->flags & OVL_UPPER_STATE_F_NO_LOWER_DIR) {
                r = sd_bus_message_append(reply, "s", "no-lower-dir");
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "u", st->mode);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}
