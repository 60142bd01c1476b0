/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-map.h"
#include "ovlctl.h"
#include "strv.h"

#define M(field) offsetof(MountInfo, field)
const BusPropertyMap mount_property_map[] = {
        { "MountPoint", 's', M(mount_point) },
        { "LowerDirs",  'S', M(lower_dirs) },
        { "UpperDir",   's', M(upper_dir) },
        { "WorkDir",    's', M(work_dir) },
        { "Options",    's', M(options) },
        { "ReadOnly",   'b', M(read_only) },
        { "Method",     's', M(method) },
        { "QueuedJobs", 'u', M(queued_jobs) },
        { "ActiveJob",  'o', M(active_job) },
        {}
};
#undef M

#define J(field) offsetof(JobInfo, field)
const BusPropertyMap job_property_map[] = {
        { "Id",           'u', J(id) },
        { "Operation",    's', J(operation) },
        { "MountPoint",   's', J(mount_point) },
        { "State",        's', J(state) },
        { "Method",       's', J(method) },
        { "Total",        't', J(total) },
        { "Processed",    't', J(processed) },
        { "Restored",     't', J(restored) },
        { "Skipped",      't', J(skipped) },
        { "Failed",       't', J(failed) },
        { "Progress",     'd', J(progress) },
        { "StartedByUID", 'u', J(uid) },
        { "CreatedUSec",  't', J(created_usec) },
        { "FinishedUSec", 't', J(finished_usec) },
        { "Error",        's', J(error) },
        { "ErrorName",    's', J(error_name) },
        {}
};
#undef J

static int read_one(sd_bus_message *m, const BusPropertyMap *p, void *userdata) {
        char type[2] = { p->type, 0 };
        void *where = (char *) userdata + p->offset;
        int r;

        if (p->type == 'S') {
                char **l = NULL;

                r = sd_bus_message_enter_container(m, 'v', "as");
                if (r <= 0)
                        return r < 0 ? r : -EBADMSG;
                r = sd_bus_message_read_strv(m, &l);
                if (r < 0)
                        return r;
                strv_free(*(char ***) where);
                *(char ***) where = l;
        } else {
                r = sd_bus_message_enter_container(m, 'v', type);
                if (r <= 0)
                        return r < 0 ? r : -EBADMSG;
                r = sd_bus_message_read_basic(m, p->type, where);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_exit_container(m);
}

int bus_map_properties(sd_bus_message *m, const BusPropertyMap *map, void *userdata) {
        const char *name;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const BusPropertyMap *p;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                for (p = map; p->name; p++)
                        if (streq(p->name, name))
                                break;
                r = p->name ? read_one(m, p, userdata) : sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r == -ENXIO ? -EBADMSG : r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int compare_mounts(const void *a, const void *b) {
        const MountInfo *x = a, *y = b;
        return strcmp(x->mount_point ?: "", y->mount_point ?: "");
}

static int compare_jobs(const void *a, const void *b) {
        const JobInfo *x = a, *y = b;
        return x->id < y->id ? -1 : x->id > y->id;
}

static int grow(void **array, size_t *n, size_t size) {
        void *p = realloc(*array, (*n + 1) * size);

        if (!p)
                return -ENOMEM;
        memset((char *) p + *n * size, 0, size);
        *array = p;
        (*n)++;
        return 0;
}

/* One object's a{sa{sv}}: the Mount or Job interface, if it has one. */
static int read_object(sd_bus_message *m, const char *path, Objects *o) {
        const char *iface;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                r = sd_bus_message_read(m, "s", &iface);
                if (r < 0)
                        return r;
                if (streq(iface, MOUNT_IFACE)) {
                        r = grow((void **) &o->mounts, &o->n_mounts, sizeof(MountInfo));
                        if (r < 0)
                                return r;
                        o->mounts[o->n_mounts - 1].object_path = path;
                        r = bus_map_properties(m, mount_property_map, &o->mounts[o->n_mounts - 1]);
                } else if (streq(iface, JOB_IFACE)) {
                        r = grow((void **) &o->jobs, &o->n_jobs, sizeof(JobInfo));
                        if (r < 0)
                                return r;
                        o->jobs[o->n_jobs - 1].object_path = path;
                        r = bus_map_properties(m, job_property_map, &o->jobs[o->n_jobs - 1]);
                } else
                        r = sd_bus_message_skip(m, "a{sv}");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int objects_get(sd_bus *bus, Objects *ret) {
        Objects o = {};
        const char *path;
        int r;

        r = ovlctl_call(bus, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                        NULL, &o.reply, NULL);
        if (r > 0)
                return r;
        r = sd_bus_message_enter_container(o.reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(o.reply, 'e', "oa{sa{sv}}")) > 0) {
                r = sd_bus_message_read(o.reply, "o", &path);
                if (r >= 0)
                        r = read_object(o.reply, path, &o);
                if (r >= 0)
                        r = sd_bus_message_exit_container(o.reply);
        }
        if (r < 0) {
                objects_done(&o);
                return ovlctl_fail(r, "Cannot read the daemon's objects");
        }
        if (o.n_mounts > 0)
                qsort(o.mounts, o.n_mounts, sizeof(MountInfo), compare_mounts);
        if (o.n_jobs > 0)
                qsort(o.jobs, o.n_jobs, sizeof(JobInfo), compare_jobs);
        *ret = o;
        return 0;
}

void objects_done(Objects *o) {
        for (size_t i = 0; i < o->n_mounts; i++)
                strv_free(o->mounts[i].lower_dirs);
        free(o->mounts);
        free(o->jobs);
        sd_bus_message_unref(o->reply);
        *o = (Objects) {};
}

const JobInfo *objects_find_job(const Objects *o, const char *object_path) {
        for (size_t i = 0; i < o->n_jobs; i++)
                if (streq_ptr(o->jobs[i].object_path, object_path))
                        return &o->jobs[i];
        return NULL;
}
