/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pending, cancel-pending: deferred restores waiting for the next boot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ovlctl.h"
#include "strv.h"
#include "table.h"

#define ACTION_INSPECT "org.calculinux.overlayrestore1.inspect"
#define ACTION_MANAGE "org.calculinux.overlayrestore1.manage-jobs"

int verb_pending(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *id, *mount_point, *upper, *mode;
        JsonWriter w;
        Table t = {};
        size_t n = 0;
        int r;

        r = ovlctl_call(bus, MANAGER_PATH, MANAGER_IFACE, "ListPending", ACTION_INSPECT, &reply, NULL);
        if (r > 0)
                return r;
        if (arg_json) {
                ovlctl_json_init(&w);
                json_begin_array(&w);
        } else if (table_new(&t, 4, "ID", "MOUNT", "MODE", "PATHS") < 0)
                return ovlctl_fail(-ENOMEM, "Out of memory");
        r = sd_bus_message_enter_container(reply, 'a', "(ssssas)");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "ssssas")) > 0) {
                _cleanup_strv_free_ char **paths = NULL;

                r = sd_bus_message_read(reply, "ssss", &id, &mount_point, &upper, &mode);
                if (r >= 0)
                        r = sd_bus_message_read_strv(reply, &paths);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        break;
                n++;
                if (arg_json) {
                        json_begin_object(&w);
                        json_field_string(&w, "id", id);
                        json_field_string(&w, "mount_point", mount_point);
                        json_field_string(&w, "upper_dir", upper);
                        json_field_string(&w, "mode", mode);
                        json_key(&w, "paths");
                        json_begin_array(&w);
                        for (char **p = paths; p && *p; p++)
                                json_string(&w, *p);
                        json_end_array(&w);
                        json_end_object(&w);
                        continue;
                }
                for (char **p = paths; r >= 0 && p && *p; p++) {
                        r = table_add(&t, p == paths ? id : "");
                        if (r >= 0)
                                r = table_add(&t, p == paths ? mount_point : "");
                        if (r >= 0)
                                r = table_add(&t, p == paths ? mode : "");
                        if (r >= 0)
                                r = table_add(&t, *p);
                }
        }
        if (arg_json) {
                json_end_array(&w);
                json_finish(&w);
        } else {
                if (r >= 0 && n == 0)
                        printf("No deferred restores.\n");
                else if (r >= 0) {
                        table_print(&t);
                        printf("%zu deferred restore%s, applied at the next boot "
                               "(ovl-restored --apply-pending).\n", n, n == 1 ? "" : "s");
                }
                table_done(&t);
        }
        return r < 0 ? ovlctl_fail(r, "Cannot read the daemon's answer") : EXIT_OK;
}

int verb_cancel_pending(sd_bus *bus, int argc, char *argv[]) {
        int ret = EXIT_OK;

        for (int i = 1; i < argc; i++) {
                int r = ovlctl_call(bus, MANAGER_PATH, MANAGER_IFACE, "CancelPending", ACTION_MANAGE,
                                    NULL, "s", argv[i]);
                if (r > 0 && ret == EXIT_OK)
                        ret = r;
        }
        return ret;
}
