/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-errors.h"
#include "lingering.h"
#include "list.h"
#include "macro.h"
#include "restore.h"

#define BUS_NAME "org.calculinux.OverlayRestore1"
#define MANAGER_PATH "/org/calculinux/OverlayRestore1"
#define MANAGER_IFACE "org.calculinux.OverlayRestore1.Manager"
#define MOUNT_PREFIX "/org/calculinux/OverlayRestore1/mount"
#define MOUNT_IFACE "org.calculinux.OverlayRestore1.Mount"
#define JOB_PREFIX "/org/calculinux/OverlayRestore1/job"
#define JOB_IFACE "org.calculinux.OverlayRestore1.Job"

typedef struct OvlMount OvlMount;
typedef struct Job Job;
typedef struct Manager Manager;

struct Manager {
        sd_event *event;
        sd_bus *bus;
        struct WorkerPool *workers;     /* jobs' and Scans' file-system work */

        OvlMount *mounts;
        Job *jobs;
        uint32_t last_job_id;
        unsigned n_jobs;

        struct Peer *peers;     /* connections on the private socket */
        sd_event_source *listen_source;

        struct libmnt_monitor *monitor;
        sd_event_source *monitor_source;
        bool mounts_stale;      /* the table changed since it was last read in full */

        sd_event_source *watch_source;  /* waiting for the system bus to appear */
        sd_event_source *retry_source;

        bool kernel_ioctl;      /* the running kernel answers the ioctls */
        bool kernel_discard;    /* ... and takes OVL_RESTORE_DISCARD */
        bool kernel_opaque;     /* ... and takes OVL_RESTORE_OPAQUE */
        bool kernel_probed;     /* ... and we know it */
        bool exiting;           /* SIGTERM: finishing what runs, then exit */
        bool force_polkit;      /* query polkit for root callers too */
        uint64_t idle_usec;     /* 0: never exit when idle */
        unsigned n_busy;        /* work in flight that is no job: polkit checks, Scans */
        unsigned n_scans;       /* non-root Scans asked for and not answered yet (mount-dbus.c) */
        unsigned n_root_scans;  /* root's */
        unsigned n_state_workers;       /* large GetStates on workers (state-answer.c) */
        unsigned n_mount_back;  /* overlays waiting to be mounted again (lingering.h): no idle
                                 * exit, but a stop does not wait for them (the remount record
                                 * mounts them again at the next start) */
        struct Query *polkit_queries;   /* waiting for polkit's answer */
        LingeringSet lingering; /* superblocks a remount left alive (lingering.h) */
        unsigned max_polkit_per_uid;    /* ... at most this many per caller uid */
        size_t max_polkit_bytes_per_uid;        /* ... holding at most this much (polkit.h) */
        sd_event_source *idle_source;

        const char *state_dir;  /* deferred restores: <state_dir>/pending */
        unsigned max_paths;     /* per call */
        unsigned max_queued_per_mount;
        unsigned max_jobs;      /* queued and running */
        size_t max_active_bytes;        /* what their paths hold (job_paths_bytes()) */
        unsigned n_finished;    /* finished jobs still readable */
        unsigned max_finished;  /* more: the oldest goes at once */
        size_t max_finished_bytes;      /* more held by finished jobs: the oldest drop their results */
        size_t finished_bytes;  /* what they hold */
        uint64_t job_linger_usec;       /* after its results were read */
        uint64_t job_unread_usec;       /* finished, results never read */
};

int manager_new(Manager **ret, sd_event *event);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
int manager_attach_bus(Manager *m, sd_bus *bus);
/* The objects on @bus: the system bus, or a peer of the private socket. */
int manager_add_objects(Manager *m, sd_bus *bus);
/* The system bus (if connected), then each peer of the private socket:
 * where signals go.  @state starts out NULL. */
sd_bus *manager_next_bus(Manager *m, void **state);
#define MANAGER_FOREACH_BUS(b, m) \
        for (void *_state = NULL; ((b) = manager_next_bus((m), &_state)); )

/* Re-arms or disarms the idle exit timer after anything changed; exits
 * once the last job is gone when shutting down. */
void manager_check_idle(Manager *m);
/* Work that is no job starts or ends (a polkit check, a Scan): idle exit
 * waits for it. */
void manager_busy_ref(Manager *m);
void manager_busy_unref(Manager *m);
void manager_probe_kernel(Manager *m);
/* The method "auto" stands for: the kernel's ioctl where it can do @mode
 * (whiteout; discard and opaque with their flags), else remount. */
RestoreMethod manager_auto_method(Manager *m, RestoreMode mode);
/* Whether method ioctl can do @mode on this kernel. */
bool manager_ioctl_can(Manager *m, RestoreMode mode);
/* SIGTERM: cancel what is queued, let running jobs stop at the next path
 * (a remount still mounts the overlay again), then exit. */
void manager_shutdown(Manager *m);

extern const sd_bus_vtable manager_vtable[];
