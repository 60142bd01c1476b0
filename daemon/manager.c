/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libmount.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "job.h"
#include "lingering.h"
#include "peer.h"
#include "log.h"
#include "mount.h"
#include "ovl-ioctl.h"
#include "paths-fd.h"
#include "polkit.h"
#include "sender-creds.h"
#include "worker-pool.h"

int manager_new(Manager **ret, sd_event *event) {
        Manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->lingering = LINGERING_SET_INIT;
        r = worker_pool_new(event, &m->workers);
        if (r < 0) {
                sd_event_unref(m->event);
                free(m);
                return r;
        }
        m->max_paths = 100000;
        m->max_queued_per_mount = 64;
        m->max_jobs = 256;
        m->max_active_bytes = 64u << 20;
        m->max_polkit_per_uid = 16;
        /* (the largest paths-fd on one overlay fits alone, its last NUL
         * counted if missing: polkit.h) */
        m->max_polkit_bytes_per_uid = PATHS_FD_MAX + 1 + (size_t) m->max_paths * POLKIT_HELD_INDEXED +
                                      POLKIT_HELD_PER_REQUEST;
        m->max_finished = 256;
        m->max_finished_bytes = 16u << 20;
        m->job_linger_usec = 60 * 1000000ULL;
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        while (m->jobs) {
                Job *j = m->jobs;
                atomic_store(&j->cancel, true);
                job_free(j);
        }
        while (m->mounts) {
                OvlMount *i = m->mounts;
                LIST_REMOVE(mounts, m->mounts, i);
                ovl_mount_unref(i);
        }
        manager_forget_mount_table();
        worker_pool_free(m->workers);
        peer_free_all(m);
        lingering_free_all(m);
        sd_event_source_disable_unref(m->monitor_source);
        sd_event_source_disable_unref(m->idle_source);
        sd_event_source_disable_unref(m->watch_source);
        sd_event_source_disable_unref(m->retry_source);
        if (m->monitor)
                mnt_unref_monitor(m->monitor);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

/* Probes an overlay for the restore ioctls: on a patched kernel an empty
 * path is answered with EINVAL, on others with ENOTTY.  The answer cannot
 * change while the kernel runs, so the first overlay that answers
 * settles it (checked to be an overlay: during a remount its mount point
 * is the directory below). */
void manager_probe_kernel(Manager *m) {
        if (m->kernel_probed)
                return;
        LIST_FOREACH(mounts, i, m->mounts) {
                struct statfs sfs;
                sd_bus *b;
                int fd;

                if (!i->present || i->remounting)
                        continue;
                fd = ovl_open_mount(i->mount_point);
                if (fd < 0)
                        continue;
                if (fstatfs(fd, &sfs) < 0 || sfs.f_type != OVERLAYFS_SUPER_MAGIC) {
                        close(fd);
                        continue;
                }
                m->kernel_ioctl = ovl_kernel_has_ioctls(fd) > 0;
                m->kernel_discard = m->kernel_ioctl && ovl_kernel_has_flag(fd, OVL_RESTORE_DISCARD) > 0;
                m->kernel_opaque = m->kernel_ioctl && ovl_kernel_has_flag(fd, OVL_RESTORE_OPAQUE) > 0;
                m->kernel_probed = true;
                close(fd);
                log_info("Kernel restore interface: %s%s%s%s", m->kernel_ioctl ? "ioctl (whiteouts" : "none",
                         m->kernel_discard ? ", discard" : "", m->kernel_opaque ? ", opaque" : "",
                         m->kernel_ioctl ? ")" : "");
                if (!m->kernel_ioctl)
                        return;
                MANAGER_FOREACH_BUS(b, m)
                        (void) sd_bus_emit_properties_changed(b, MANAGER_PATH, MANAGER_IFACE,
                                                      "KernelInterface", "DefaultMethod", "KernelModes",
                                                      NULL);
                /* Overlays announced before the probe could settle (none
                 * of them could be opened then) change their method. */
                LIST_FOREACH(mounts, j, m->mounts)
                        if (j->announced)
                                ovl_mount_emit_changed(j, "Method");
                return;
        }
}

bool manager_ioctl_can(Manager *m, RestoreMode mode) {
        return m->kernel_ioctl && (mode == RESTORE_MODE_WHITEOUT ||
                                   (mode == RESTORE_MODE_DISCARD && m->kernel_discard) ||
                                   (mode == RESTORE_MODE_OPAQUE && m->kernel_opaque));
}

RestoreMethod manager_auto_method(Manager *m, RestoreMode mode) {
        return manager_ioctl_can(m, mode) ? RESTORE_METHOD_IOCTL : RESTORE_METHOD_REMOUNT;
}

/* Any call re-arms the idle timer: the daemon exits only after
 * --idle-timeout seconds in which nobody called it. */
static int on_any_message(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        if (sd_bus_message_is_method_call(message, NULL, NULL) > 0)
                manager_check_idle(userdata);
        return 0;
}

int manager_add_objects(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_filter(bus, NULL, on_any_message, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_manager(bus, NULL, MANAGER_PATH);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(bus, NULL, MANAGER_PATH, MANAGER_IFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(bus, NULL, MOUNT_PREFIX, MOUNT_IFACE, mount_vtable,
                                       mount_object_find, m);
        if (r < 0)
                return r;
        r = sd_bus_add_node_enumerator(bus, NULL, MOUNT_PREFIX, mount_node_enumerator, m);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(bus, NULL, JOB_PREFIX, JOB_IFACE, job_vtable, job_object_find, m);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(bus, NULL, JOB_PREFIX, job_node_enumerator, m);
}

int manager_attach_bus(Manager *m, sd_bus *bus) {
        /* (a bus of its own id: nothing cached matches it anyway) */
        sender_creds_flush();
        m->bus = sd_bus_ref(bus);
        return manager_add_objects(m, bus);
}

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        log_info("Idle for %" PRIu64 " s: exiting.", m->idle_usec / 1000000);
        /* The name first, so that the bus activates a new instance for
         * whatever comes next; what was sent to us before is answered. */
        m->exiting = true;      /* what is still in our queue gets no job */
        if (m->bus && sd_bus_is_open(m->bus) > 0) {
                (void) sd_bus_release_name(m->bus, BUS_NAME);
                /* Answer what was sent to us before (bounded: a peer that
                 * keeps calling does not keep us). */
                for (unsigned n = 0; n < 1024 && sd_bus_process(m->bus, NULL) > 0; n++)
                        ;
                (void) sd_bus_flush(m->bus);
        }
        /* Exits now, or once what that started (a polkit check) is done. */
        manager_check_idle(m);
        return 0;
}

void manager_busy_ref(Manager *m) {
        m->n_busy++;
        manager_check_idle(m);
}

void manager_busy_unref(Manager *m) {
        if (m->n_busy > 0)
                m->n_busy--;
        manager_check_idle(m);
}

void manager_check_idle(Manager *m) {
        /* A connected peer of the private socket keeps it, too (it may be
         * waiting for signals). */
        bool idle = !m->jobs && !m->peers && !m->n_busy && !m->n_mount_back, active = false;

        LIST_FOREACH(jobs, j, m->jobs)
                if (j->state == JOB_QUEUED || j->state == JOB_RUNNING)
                        active = true;
        if (m->exiting) {
                if (!active && !m->n_busy)
                        (void) sd_event_exit(m->event, 0);
                return;
        }
        if (!m->idle_usec || !idle) {
                m->idle_source = sd_event_source_disable_unref(m->idle_source);
                return;
        }
        if (m->idle_source) {
                (void) sd_event_source_set_time_relative(m->idle_source, m->idle_usec);
                (void) sd_event_source_set_enabled(m->idle_source, SD_EVENT_ONESHOT);
                return;
        }
        (void) sd_event_add_time_relative(m->event, &m->idle_source, CLOCK_MONOTONIC, m->idle_usec, 0,
                                          on_idle, m);
}

void manager_shutdown(Manager *m) {
        m->exiting = true;
        LIST_FOREACH_SAFE(jobs, j, n, m->jobs) {
                if (j->state == JOB_QUEUED || j->state == JOB_RUNNING)
                        (void) job_cancel(j);
                else {
                        job_free(j);
                }
        }
        manager_check_idle(m);
}
