/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "macro.h"

/* Reading an a{sv} of properties into a struct, by a table of names,
 * D-Bus types and offsets (systemd's bus_map_all_properties, smaller).
 * Strings point into the message, which must outlive the struct; "as"
 * becomes a malloc'ed strv.  Unknown names are skipped, a known name
 * with another type is -EBADMSG. */
typedef struct BusPropertyMap {
        const char *name;
        char type;              /* s, o, u, t, b, d; 'S' for as */
        size_t offset;
} BusPropertyMap;

int bus_map_properties(sd_bus_message *m, const BusPropertyMap *map, void *userdata);

/* The properties ovlctl shows. */
typedef struct MountInfo {
        const char *object_path;
        const char *mount_point, *upper_dir, *work_dir, *options, *method, *active_job;
        char **lower_dirs;
        uint32_t queued_jobs;
        int read_only;
} MountInfo;

typedef struct JobInfo {
        const char *object_path;
        uint32_t id, uid;
        const char *operation, *mount_point, *state, *method, *error, *error_name;
        uint64_t total, processed, restored, skipped, failed, created_usec, finished_usec;
        double progress;
} JobInfo;

extern const BusPropertyMap mount_property_map[];
extern const BusPropertyMap job_property_map[];

/* Every Mount and Job object with its properties, by one
 * GetManagedObjects call; sorted by mount point and job id.  *reply
 * holds the strings. */
typedef struct Objects {
        sd_bus_message *reply;
        MountInfo *mounts;
        size_t n_mounts;
        JobInfo *jobs;
        size_t n_jobs;
} Objects;

int objects_get(sd_bus *bus, Objects *ret);
void objects_done(Objects *o);
const JobInfo *objects_find_job(const Objects *o, const char *object_path);
