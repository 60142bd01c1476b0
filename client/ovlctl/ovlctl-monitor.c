/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* monitor: job and mount events as they happen, one line each (or one
 * JSON object per line), until SIGINT or SIGTERM. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "bus-map.h"
#include "ovlctl.h"
#include "strv.h"
#include "path-util.h"

typedef struct Monitor {
        sd_event *event;
        char **mounts;          /* object path, mount point, ... */
} Monitor;

static const char *mount_point_of(Monitor *mon, const char *object) {
        for (char **l = mon->mounts; l && l[0] && l[1]; l += 2)
                if (streq(l[0], object))
                        return l[1];
        return NULL;
}

static void remember_mount(Monitor *mon, const char *object, const char *mount_point) {
        if (!mount_point_of(mon, object) && strv_push(&mon->mounts, object) >= 0 &&
            strv_push(&mon->mounts, mount_point) < 0) {
                /* Keep pairs whole. */
                size_t n = strv_length(mon->mounts);
                free(mon->mounts[n - 1]);
                mon->mounts[n - 1] = NULL;
        }
}

/* Starts one event: a JSON object with "event", or nothing yet in text. */
static void event_begin(JsonWriter *w, const char *name) {
        if (!arg_json)
                return;
        ovlctl_json_init(w);
        json_begin_object(w);
        json_field_string(w, "event", name);
}

/* Ends the event and writes it out.  Output that cannot be written (a
 * full disk) ends the monitor: exit 1, said. */
static void event_end(Monitor *mon, JsonWriter *w) {
        errno = 0;      /* (a write of json_finish()'s may fail first) */
        if (arg_json) {
                json_end_object(w);
                json_finish(w);
        }
        if (fflush(stdout) == 0 && !ferror(stdout))
                return;
        fprintf(stderr, "Cannot write the output: %s\n", strerror(errno ?: EIO));
        clearerr(stdout);       /* (said once: not again at exit) */
        (void) sd_event_exit(mon->event, EXIT_FAILED);
}

static int on_job_new(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *job, *mount_point;
        uint32_t id;
        JsonWriter w;

        if (sd_bus_message_read(m, "uos", &id, &job, &mount_point) < 0)
                return 0;
        event_begin(&w, "job-new");
        if (arg_json) {
                json_field_uint(&w, "id", id);
                json_field_string(&w, "job", job);
                json_field_string(&w, "mount_point", mount_point);
        } else {
                _cleanup_free_ char *where = text_escape_terminal(mount_point);

                printf("job %u: new on %s\n", id, where ?: "?");
        }
        event_end(userdata, &w);
        return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *job, *result;
        uint32_t id;
        JsonWriter w;

        if (sd_bus_message_read(m, "uos", &id, &job, &result) < 0)
                return 0;
        event_begin(&w, "job-removed");
        if (arg_json) {
                json_field_uint(&w, "id", id);
                json_field_string(&w, "job", job);
                json_field_string(&w, "result", result);
        } else
                printf("job %u: ended, %s\n", id, result);
        event_end(userdata, &w);
        return 0;
}

static uint32_t job_id_of(const char *path) {
        uint32_t id = 0;

        (void) parse_job_id(path ?: "", &id);
        return id;
}

static int on_completed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        uint64_t restored, skipped, failed;
        const char *result;
        JsonWriter w;

        if (sd_bus_message_read(m, "sttt", &result, &restored, &skipped, &failed) < 0)
                return 0;
        event_begin(&w, "job-completed");
        if (arg_json) {
                json_field_uint(&w, "id", job_id_of(sd_bus_message_get_path(m)));
                json_field_string(&w, "result", result);
                json_field_uint(&w, "restored", restored);
                json_field_uint(&w, "skipped", skipped);
                json_field_uint(&w, "failed", failed);
        } else
                printf("job %u: %s, %" PRIu64 " restored, %" PRIu64 " skipped, %" PRIu64 " failed\n",
                       job_id_of(sd_bus_message_get_path(m)), result, restored, skipped, failed);
        event_end(userdata, &w);
        return 0;
}

/* A job's state or progress changed. */
static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *iface, *path = sd_bus_message_get_path(m);
        JobInfo j = { .state = NULL };
        JsonWriter w;

        if (!path || strncmp(path, JOB_PREFIX "/", strlen(JOB_PREFIX "/")) != 0 ||
            sd_bus_message_read(m, "s", &iface) < 0 || !streq(iface, JOB_IFACE) ||
            bus_map_properties(m, job_property_map, &j) < 0 || !j.state)
                return 0;
        if (!streq(j.state, "running") && !streq(j.state, "queued"))
                return 0;       /* the end comes with Completed */
        event_begin(&w, "job-progress");
        if (arg_json) {
                json_field_uint(&w, "id", job_id_of(path));
                json_field_string(&w, "state", j.state);
                json_field_uint(&w, "processed", j.processed);
                json_field_uint(&w, "total", j.total);
                json_key(&w, "progress");
                json_double(&w, j.progress);
        } else
                printf("job %u: %s, %.0f%% (%" PRIu64 "/%" PRIu64 " paths)\n", job_id_of(path),
                       j.state, j.progress * 100, j.processed, j.total);
        event_end(userdata, &w);
        return 0;
}

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Monitor *mon = userdata;
        const char *object, *iface;
        MountInfo mi = {};
        bool is_mount = false;
        JsonWriter w;
        int r;

        r = sd_bus_message_read(m, "o", &object);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                r = sd_bus_message_read(m, "s", &iface);
                if (r >= 0 && streq(iface, MOUNT_IFACE)) {
                        is_mount = true;
                        r = bus_map_properties(m, mount_property_map, &mi);
                } else if (r >= 0)
                        r = sd_bus_message_skip(m, "a{sv}");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r < 0 || !is_mount || !mi.mount_point) {
                strv_free(mi.lower_dirs);
                return 0;
        }
        remember_mount(mon, object, mi.mount_point);
        event_begin(&w, "mount-added");
        if (arg_json) {
                json_field_string(&w, "mount_point", mi.mount_point);
                json_field_string(&w, "object", object);
                json_field_string(&w, "method", mi.method);
        } else {
                _cleanup_free_ char *where = text_escape_terminal(mi.mount_point ?: "?");

                printf("mount %s: added (method %s)\n", where ?: "?", mi.method ?: "?");
        }
        event_end(userdata, &w);
        strv_free(mi.lower_dirs);
        return 0;
}

static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Monitor *mon = userdata;
        _cleanup_strv_free_ char **ifaces = NULL;
        const char *object, *mount_point;
        bool is_mount = false;
        JsonWriter w;

        if (sd_bus_message_read(m, "o", &object) < 0 || sd_bus_message_read_strv(m, &ifaces) < 0)
                return 0;
        for (char **i = ifaces; i && *i; i++)
                is_mount = is_mount || streq(*i, MOUNT_IFACE);
        mount_point = mount_point_of(mon, object);
        if (!is_mount)
                return 0;
        event_begin(&w, "mount-removed");
        if (arg_json) {
                json_field_string(&w, "mount_point", mount_point);
                json_field_string(&w, "object", object);
        } else {
                _cleanup_free_ char *where = text_escape_terminal(mount_point ?: object);

                printf("mount %s: removed\n", where ?: "?");
        }
        event_end(userdata, &w);
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Monitor *mon = userdata;

        fprintf(stderr, "Lost the connection to the bus.\n");
        return sd_event_exit(mon->event, EXIT_NO_DAEMON);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), EXIT_OK);
}

int verb_monitor(sd_bus *bus, int argc, char *argv[]) {
        static const struct {
                const char *interface, *member;
                sd_bus_message_handler_t handler;
        } matches[] = {
                { MANAGER_IFACE, "JobNew", on_job_new },
                { MANAGER_IFACE, "JobRemoved", on_job_removed },
                { JOB_IFACE, "Completed", on_completed },
                { "org.freedesktop.DBus.Properties", "PropertiesChanged", on_properties_changed },
                { "org.freedesktop.DBus.ObjectManager", "InterfacesAdded", on_interfaces_added },
                { "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved", on_interfaces_removed },
        };
        Monitor mon = {};
        Objects o = {};
        sigset_t ss;
        int r;

        sigemptyset(&ss);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGTERM);
        sigprocmask(SIG_BLOCK, &ss, NULL);

        r = sd_event_default(&mon.event);
        if (r < 0) {
                r = ovlctl_fail(r, "Cannot set up the event loop");
                goto out;
        }
        for (size_t i = 0; i < ELEMENTSOF(matches); i++) {
                r = sd_bus_match_signal(bus, NULL, ovlctl_destination(), NULL, matches[i].interface,
                                        matches[i].member, matches[i].handler, &mon);
                if (r < 0) {
                        r = ovlctl_fail(r, "Cannot subscribe to the daemon's signals");
                        goto out;
                }
        }
        r = sd_bus_match_signal(bus, NULL, NULL, "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, &mon);
        if (r < 0) {
                r = ovlctl_fail(r, "Cannot subscribe to the daemon's signals");
                goto out;
        }
        /* After subscribing: the mounts there are now, for names of later
         * removals (and the daemon gets activated if it was not running). */
        r = objects_get(bus, &o);
        if (r > 0)
                goto out;
        for (size_t i = 0; i < o.n_mounts; i++)
                remember_mount(&mon, o.mounts[i].object_path, o.mounts[i].mount_point);
        objects_done(&o);

        r = sd_bus_attach_event(bus, mon.event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_event_add_signal(mon.event, NULL, SIGINT, on_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(mon.event, NULL, SIGTERM, on_signal, NULL);
        if (r < 0) {
                r = ovlctl_fail(r, "Cannot set up the event loop");
                goto out;
        }
        fprintf(stderr, "Monitoring ovl-restored; Ctrl-C stops.\n");
        r = sd_event_loop(mon.event);
        if (r < 0)
                r = ovlctl_fail(r, "Event loop failed");
out:
        sd_bus_detach_event(bus);
        sd_event_unref(mon.event);
        strv_free(mon.mounts);
        return r;
}
