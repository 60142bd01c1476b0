/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The read-only verbs: status, mounts, jobs, state, scan. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-map.h"
#include "path-util.h"
#include "ovlctl.h"
#include "strv.h"
#include "table.h"

#define ACTION_INSPECT "org.calculinux.overlayrestore1.inspect"

static void json_job(JsonWriter *w, const JobInfo *j) {
        json_begin_object(w);
        json_field_uint(w, "id", j->id);
        json_field_string(w, "job", j->object_path);
        json_field_string(w, "operation", j->operation);
        json_field_string(w, "mount_point", j->mount_point);
        json_field_string(w, "state", j->state);
        json_field_string(w, "method", j->method);
        json_field_uint(w, "total", j->total);
        json_field_uint(w, "processed", j->processed);
        json_field_uint(w, "restored", j->restored);
        json_field_uint(w, "skipped", j->skipped);
        json_field_uint(w, "failed", j->failed);
        json_key(w, "progress");
        json_double(w, j->progress);
        json_field_uint(w, "started_by_uid", j->uid);
        json_field_uint(w, "created_usec", j->created_usec);
        json_field_uint(w, "finished_usec", j->finished_usec);
        json_field_string(w, "error", j->error && *j->error ? j->error : NULL);
        json_field_string(w, "error_name", j->error_name && *j->error_name ? j->error_name : NULL);
        json_end_object(w);
}

static void json_mount(JsonWriter *w, const MountInfo *m, const Objects *o) {
        const JobInfo *active = objects_find_job(o, m->active_job);

        json_begin_object(w);
        json_field_string(w, "mount_point", m->mount_point);
        json_field_string(w, "object", m->object_path);
        json_field_string(w, "method", m->method);
        json_field_bool(w, "read_only", m->read_only);
        json_key(w, "lower_dirs");
        json_begin_array(w);
        for (char **l = m->lower_dirs; l && *l; l++)
                json_string(w, *l);
        json_end_array(w);
        json_field_string(w, "upper_dir", m->upper_dir && *m->upper_dir ? m->upper_dir : NULL);
        json_field_string(w, "work_dir", m->work_dir && *m->work_dir ? m->work_dir : NULL);
        json_field_string(w, "options", m->options);
        json_field_uint(w, "queued_jobs", m->queued_jobs);
        json_key(w, "active_job");
        if (active)
                json_job(w, active);
        else
                json_null(w);
        json_end_object(w);
}

static const char *active_job_text(const MountInfo *m, const Objects *o, char buf[static 64]) {
        const JobInfo *j = objects_find_job(o, m->active_job);

        if (!j)
                return "-";
        snprintf(buf, 64, "%u (%s, %.0f%%)", j->id, j->state, j->progress * 100);
        return buf;
}

#define PENDING_TOO_MANY (-2)

/* The number of deferred restores; -1 if the caller may not see them
 * (status itself needs no authorization), PENDING_TOO_MANY if they are
 * more than one answer of ListPending carries.  (In JSON both are null.) */
static int count_pending(sd_bus *bus) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r, n = 0;

        r = sd_bus_call_method(bus, ovlctl_destination(), MANAGER_PATH, MANAGER_IFACE, "ListPending",
                               &error, &reply, NULL);
        /* (LimitExceeded also refuses a caller with too many questions
         * to polkit waiting: the message tells the two apart) */
        if (r < 0 && sd_bus_error_has_name(&error, ERROR_PREFIX "LimitExceeded") &&
            strstr(error.message ?: "", "more than the system bus carries"))
                return PENDING_TOO_MANY;
        if (r < 0)
                return -1;
        r = sd_bus_message_enter_container(reply, 'a', "(ssssas)");
        while (r >= 0 && (r = sd_bus_message_skip(reply, "(ssssas)")) > 0)
                n++;
        return r < 0 ? -1 : n;
}

int verb_status(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct {
                const char *version, *kernel_interface, *default_method;
        } mgr = {};
        static const BusPropertyMap map[] = {
                { "Version",         's', 0 },
                { "KernelInterface", 's', sizeof(const char *) },
                { "DefaultMethod",   's', 2 * sizeof(const char *) },
                {}
        };
        Objects o;
        Table t;
        int r, pending;

        r = ovlctl_call(bus, MANAGER_PATH, "org.freedesktop.DBus.Properties", "GetAll", NULL,
                        &reply, "s", MANAGER_IFACE);
        if (r > 0)
                return r;
        r = bus_map_properties(reply, map, &mgr);
        if (r < 0)
                return ovlctl_fail(r, "Cannot read the daemon's properties");
        r = objects_get(bus, &o);
        if (r > 0)
                return r;
        pending = count_pending(bus);

        if (arg_json) {
                JsonWriter w;

                ovlctl_json_init(&w);
                json_begin_object(&w);
                json_field_string(&w, "version", mgr.version);
                json_field_string(&w, "kernel_interface", mgr.kernel_interface);
                json_field_string(&w, "default_method", mgr.default_method);
                json_key(&w, "pending_restores");
                if (pending >= 0)
                        json_uint(&w, (unsigned) pending);
                else
                        json_null(&w);
                json_key(&w, "mounts");
                json_begin_array(&w);
                for (size_t i = 0; i < o.n_mounts; i++)
                        json_mount(&w, &o.mounts[i], &o);
                json_end_array(&w);
                json_end_object(&w);
                json_finish(&w);
                objects_done(&o);
                return EXIT_OK;
        }

        printf("ovl-restored %s\n", mgr.version ?: "?");
        printf("Kernel interface: %s\n", mgr.kernel_interface ?: "?");
        printf("  Default method: %s\n", mgr.default_method ?: "?");
        printf("        Overlays: %zu\n", o.n_mounts);
        if (pending >= 0)
                printf("Deferred restores: %d%s\n", pending, pending ? " (applied at the next boot)" : "");
        else if (pending == PENDING_TOO_MANY)
                printf("Deferred restores: too many to list in one bus message (applied at the next boot; "
                       "see ovlctl pending)\n");
        if (o.n_mounts > 0) {
                printf("\n");
                r = table_new(&t, 4, "MOUNT", "METHOD", "QUEUED", "ACTIVE JOB");
                for (size_t i = 0; i < o.n_mounts && r >= 0; i++) {
                        char buf[64];

                        r = table_add(&t, o.mounts[i].mount_point);
                        if (r >= 0)
                                r = table_add(&t, o.mounts[i].method);
                        if (r >= 0)
                                r = table_addf(&t, "%u", o.mounts[i].queued_jobs);
                        if (r >= 0)
                                r = table_add(&t, active_job_text(&o.mounts[i], &o, buf));
                }
                if (r >= 0)
                        table_print(&t);
                table_done(&t);
        }
        objects_done(&o);
        return r < 0 ? ovlctl_fail(r, "Cannot show the status") : EXIT_OK;
}

int verb_mounts(sd_bus *bus, int argc, char *argv[]) {
        Objects o;
        Table t;
        int r;

        r = objects_get(bus, &o);
        if (r > 0)
                return r;
        if (arg_json) {
                JsonWriter w;

                ovlctl_json_init(&w);
                json_begin_array(&w);
                for (size_t i = 0; i < o.n_mounts; i++)
                        json_mount(&w, &o.mounts[i], &o);
                json_end_array(&w);
                json_finish(&w);
                objects_done(&o);
                return EXIT_OK;
        }
        if (o.n_mounts == 0) {
                printf("No overlay mounts.\n");
                objects_done(&o);
                return EXIT_OK;
        }
        r = table_new(&t, 5, "MOUNT", "METHOD", "MODE", "UPPER", "LOWER");
        for (size_t i = 0; i < o.n_mounts && r >= 0; i++) {
                const MountInfo *m = &o.mounts[i];
                _cleanup_free_ char *lower = strv_join(m->lower_dirs, ":");

                if (!lower) {
                        r = -ENOMEM;
                        break;
                }
                r = table_add(&t, m->mount_point);
                if (r >= 0)
                        r = table_add(&t, m->method);
                if (r >= 0)
                        r = table_add(&t, m->read_only ? "ro" : "rw");
                if (r >= 0)
                        r = table_add(&t, m->upper_dir && *m->upper_dir ? m->upper_dir : NULL);
                if (r >= 0)
                        r = table_add(&t, lower);
        }
        if (r >= 0)
                table_print(&t);
        table_done(&t);
        objects_done(&o);
        return r < 0 ? ovlctl_fail(r, "Cannot list the mounts") : EXIT_OK;
}

int verb_jobs(sd_bus *bus, int argc, char *argv[]) {
        Objects o;
        Table t;
        int r;

        r = objects_get(bus, &o);
        if (r > 0)
                return r;
        if (arg_json) {
                JsonWriter w;

                ovlctl_json_init(&w);
                json_begin_array(&w);
                for (size_t i = 0; i < o.n_jobs; i++)
                        json_job(&w, &o.jobs[i]);
                json_end_array(&w);
                json_finish(&w);
                objects_done(&o);
                return EXIT_OK;
        }
        if (o.n_jobs == 0) {
                printf("No jobs.\n");
                objects_done(&o);
                return EXIT_OK;
        }
        r = table_new(&t, 8, "ID", "OPERATION", "MOUNT", "STATE", "METHOD", "PROGRESS", "UID", "RESULT");
        for (size_t i = 0; i < o.n_jobs && r >= 0; i++) {
                const JobInfo *j = &o.jobs[i];

                r = table_addf(&t, "%u", j->id);
                if (r >= 0)
                        r = table_add(&t, j->operation);
                if (r >= 0)
                        r = table_add(&t, j->mount_point);
                if (r >= 0)
                        r = table_add(&t, j->state);
                if (r >= 0)
                        r = table_add(&t, j->method && *j->method ? j->method : NULL);
                if (r >= 0)
                        r = table_addf(&t, "%" PRIu64 "/%" PRIu64, j->processed, j->total);
                if (r >= 0)
                        r = table_addf(&t, "%u", j->uid);
                if (r >= 0)
                        r = table_addf(&t, "%" PRIu64 " restored, %" PRIu64 " skipped, %" PRIu64 " failed",
                                       j->restored, j->skipped, j->failed);
        }
        if (r >= 0)
                table_print(&t);
        table_done(&t);
        objects_done(&o);
        return r < 0 ? ovlctl_fail(r, "Cannot list the jobs") : EXIT_OK;
}

/* -- state and scan: a(ssasu) -------------------------------------------- */

int ovlctl_read_entries(sd_bus_message *reply, ScanFileEntry entry, void *userdata) {
        const char *path, *state;
        uint32_t mode;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(ssasu)");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "ssasu")) > 0) {
                _cleanup_strv_free_ char **flags = NULL;

                r = sd_bus_message_read(reply, "ss", &path, &state);
                if (r >= 0)
                        r = sd_bus_message_read_strv(reply, &flags);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "u", &mode);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = entry(path, state, flags, mode, userdata);
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

/* Output for a list of a(ssasu) replies. */
typedef struct Entries {
        Table table;
        JsonWriter json;
} Entries;

static int entries_begin(Entries *e) {
        if (arg_json) {
                ovlctl_json_init(&e->json);
                json_begin_array(&e->json);
                e->table = (Table) {};
                return 0;
        }
        return table_new(&e->table, 4, "PATH", "STATE", "FLAGS", "MODE");
}

/* One entry into the table or the JSON array. */
static int entry_show(const char *path, const char *state, char **flags, uint32_t mode, void *userdata) {
        Entries *e = userdata;
        char buf[16];
        int r;

        if (arg_json) {
                JsonWriter *w = &e->json;

                json_begin_object(w);
                json_field_string(w, "path", path);
                json_field_string(w, "state", state);
                json_key(w, "flags");
                json_begin_array(w);
                for (char **f = flags; f && *f; f++)
                        json_string(w, *f);
                json_end_array(w);
                json_field_uint(w, "mode", mode);
                json_end_object(w);
                return 0;
        }
        _cleanup_free_ char *joined = strv_join(flags, ",");

        if (!joined)
                return -ENOMEM;
        r = table_add(&e->table, path);
        if (r >= 0)
                r = table_add(&e->table, state);
        if (r >= 0)
                r = table_add(&e->table, *joined ? joined : NULL);
        if (r >= 0)
                r = table_add(&e->table, mode_to_string(mode, buf));
        return r;
}

static int entries_add(Entries *e, sd_bus_message *reply) {
        int r = ovlctl_read_entries(reply, entry_show, e);
        return r < 0 ? ovlctl_fail(r, "Cannot read the daemon's answer") : 0;
}

/* After a failure: JSON (already streamed) is closed, a table dropped. */
static void entries_discard(Entries *e) {
        if (arg_json) {
                json_end_array(&e->json);
                json_finish(&e->json);
        }
        table_done(&e->table);
}

static void entries_end(Entries *e, const char *empty) {
        if (arg_json) {
                json_end_array(&e->json);
                json_finish(&e->json);
        } else if (table_rows(&e->table) == 0)
                printf("%s\n", empty);
        else
                table_print(&e->table);
        table_done(&e->table);
}


int verb_state(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_strv_free_ char **paths = NULL;
        Entries e;
        int r;

        r = paths_make_absolute(argv + 1, &paths);
        if (r > 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, ovlctl_destination(), MANAGER_PATH,
                                           MANAGER_IFACE, "GetState");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, paths);
        if (r < 0)
                return ovlctl_fail(r, "Cannot build the call");
        r = ovlctl_call_message(bus, m, ACTION_INSPECT, &reply, NULL);
        if (r > 0)
                return r;
        if (entries_begin(&e) < 0)
                return ovlctl_fail(-ENOMEM, "Out of memory");
        r = entries_add(&e, reply);
        if (r == 0)
                entries_end(&e, "No entries.");
        else    /* (as verb_scan(): no half a table after the error) */
                entries_discard(&e);
        return r;
}

/* A call of @member (Scan or ScanByFileDescriptor) of @path on @object,
 * "compare" if @compare: 0, or an exit status. */
static int scan_call_new(sd_bus *bus, const char *object, const char *member, const char *path, bool compare,
                         sd_bus_message **ret) {
        int r;

        r = sd_bus_message_new_method_call(bus, ret, ovlctl_destination(), object, MOUNT_IFACE, member);
        if (r >= 0)
                r = compare ? sd_bus_message_append(*ret, "sa{sv}", path, 1, "compare", "b", 1)
                            : sd_bus_message_append(*ret, "sa{sv}", path, 0);
        return r < 0 ? ovlctl_fail(r, "Cannot build the call") : 0;
}

/* A Scan's call failed with @error: -ENODEV if its overlay is gone,
 * unmounted since it was looked up (the caller says so): its object gone
 * before the call, or, while polkit answered, NoSuchMount; else the error
 * said and an exit status. */
static int scan_error(const sd_bus_error *error) {
        if (sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
            sd_bus_error_has_name(error, ERROR_PREFIX "NoSuchMount"))
                return -ENODEV;
        return ovlctl_report_error(error, ACTION_INSPECT);
}

/* Scan's reply, entry by entry, to @entry: for callers other than root
 * (ScanByFileDescriptor is root's), and from a daemon that has none (one
 * started before an upgrade).  0, -ENODEV (scan_error()), or an exit
 * status. */
static int scan_one_in_reply(sd_bus *bus, const char *object, const char *path, bool compare,
                             ScanFileEntry entry, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = scan_call_new(bus, object, "Scan", path, compare, &m);
        if (r > 0)
                return r;
        r = ovlctl_call_message(bus, m, ACTION_INSPECT, &reply, &error);
        if (r < 0)
                return scan_error(&error);
        r = ovlctl_read_entries(reply, entry, userdata);
        return r < 0 ? ovlctl_fail(r, "Cannot read the daemon's answer") : 0;
}

/* One Scan, for root its entries in a file the daemon makes
 * (ScanByFileDescriptor, README.md: root's alone), not carried by the
 * bus.  As scan_one_in_reply(). */
static int scan_one(sd_bus *bus, const char *object, const char *path, bool compare, ScanFileEntry entry,
                    void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r, fd;

        if (geteuid() != 0)
                return scan_one_in_reply(bus, object, path, compare, entry, userdata);
        r = scan_call_new(bus, object, "ScanByFileDescriptor", path, compare, &m);
        if (r > 0)
                return r;
        r = ovlctl_call_message(bus, m, ACTION_INSPECT, &reply, &error);
        /* (a daemon from before the method; or a uid 0 of a user
         * namespace, which the daemon sees as another and refuses before
         * anything runs) */
        if (r < 0 && (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_METHOD) ||
                      (sd_bus_error_has_name(&error, SD_BUS_ERROR_ACCESS_DENIED) &&
                       strstr(error.message ?: "", "root's alone"))))
                return scan_one_in_reply(bus, object, path, compare, entry, userdata);
        if (r < 0)
                return scan_error(&error);
        r = sd_bus_message_read(reply, "h", &fd);
        if (r < 0)
                return ovlctl_fail(r, "Cannot read the daemon's answer");
        r = scan_file_read_fd(fd, entry, userdata);
        return r < 0 ? ovlctl_fail(r, "Cannot read the entries the daemon found") : 0;
}

int ovlctl_scan_each(sd_bus *bus, const char *arg, bool compare, ScanFileEntry entry, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL;
        const char *mount_point, *object;
        int r;

        if (arg) {
                r = path_make_absolute(arg, &path);
                if (r < 0)
                        return path_refused(arg, NULL, 0, r);
                r = ovlctl_call(bus, MANAGER_PATH, MANAGER_IFACE, "GetMountForPath", NULL, &reply,
                                "s", path);
                if (r > 0)
                        return r;
                r = sd_bus_message_read(reply, "so", &mount_point, &object);
                if (r < 0)
                        return ovlctl_fail(r, "Cannot read the daemon's answer");
                r = scan_one(bus, object, path, compare, entry, userdata);
                if (r == -ENODEV) {
                        _cleanup_free_ char *buf = NULL;

                        fprintf(stderr, "The overlay at %s was unmounted while ovlctl asked about it: "
                                "nothing to scan there now.\n", path_shown(mount_point, &buf));
                        return EXIT_FAILED;
                }
                return r;
        }

        /* Every overlay: one unmounted since the list was read is gone
         * from it, said, not the end of the others' scans. */
        r = ovlctl_call(bus, MANAGER_PATH, MANAGER_IFACE, "ListMounts", NULL, &reply, NULL);
        if (r > 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(so)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(so)", &mount_point, &object)) > 0) {
                r = scan_one(bus, object, mount_point, compare, entry, userdata);
                if (r == -ENODEV) {
                        _cleanup_free_ char *buf = NULL;

                        fprintf(stderr, "The overlay at %s was unmounted while ovlctl went through "
                                "the overlays: left out.\n", path_shown(mount_point, &buf));
                        r = 0;
                }
                if (r > 0)
                        return r;
        }
        return r < 0 ? ovlctl_fail(r, "Cannot read the daemon's answer") : 0;
}

int verb_scan(sd_bus *bus, int argc, char *argv[]) {
        Entries e;
        int r;

        if (entries_begin(&e) < 0)
                return ovlctl_fail(-ENOMEM, "Out of memory");
        r = ovlctl_scan_each(bus, argc > 1 ? argv[1] : NULL, false, entry_show, &e);
        if (r == 0)
                entries_end(&e, "Nothing hidden or shadowed.");
        else    /* (the error said what went wrong: no half a list after it) */
                entries_discard(&e);
        return r;
}
