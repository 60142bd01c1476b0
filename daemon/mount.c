/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Overlay mounts: discovered with libmount, kept current with its monitor,
 * published as Mount objects. */
#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "job.h"
#include "layer-reach.h"
#include "log.h"
#include "macro.h"
#include "mount.h"
#include "mount-options.h"
#include "mount-util.h"
#include "path-util.h"
#include "strv.h"

static struct libmnt_table *mount_table; /* the last table read, all mounts */

/* manager_mount_for_path()'s last answer for a directory's entries (a
 * call names many paths of one directory): valid until the table is read
 * again or an overlay is taken away or put back (mount_lookup_forget()). */
static struct {
        char *dir;
        bool mount_point_in;    /* one lies directly in it: no answer kept */
        int r;
        OvlMount *mnt;
} last_lookup;

static void mount_lookup_forget(void) {
        free(last_lookup.dir);
        last_lookup.dir = NULL;
}

OvlMount *ovl_mount_ref(OvlMount *m) {
        if (m)
                m->n_ref++;
        return m;
}

OvlMount *ovl_mount_unref(OvlMount *m) {
        if (!m || --m->n_ref > 0)
                return NULL;
        free(m->mount_point);
        free(m->object_path);
        free(m->source);
        strv_free(m->lower_dirs);
        free(m->upper_dir);
        free(m->work_dir);
        free(m->options);
        free(m->propagation);
        free(m);
        return NULL;
}

/* @text: the mount table @fs is of, as the kernel wrote it (the options
 * are read from there: mountinfo_super_options()). */
static int ovl_mount_update(OvlMount *m, struct libmnt_fs *fs, const char *text, const char **hint) {
        const char *vfsopts = mnt_fs_get_vfs_options(fs) ?: "";
        _cleanup_free_ char *fsopts = NULL;
        unsigned long flags = 0;
        char *lower = NULL;
        int r;

        if (mnt_optstr_get_flags(vfsopts, &flags, mnt_get_builtin_optmap(MNT_LINUX_MAP)) < 0)
                flags = 0;
        /* Options overlayfs would not read as they show (a comma set in a
         * value through fsconfig(2)): the layers are not known, and no
         * job runs on the overlay (check_supported()).  Its Options shows
         * what libmount read. */
        r = mountinfo_super_options(text, mnt_fs_get_id(fs), hint, &fsopts);
        if (r == -ENOMEM)
                return r;
        m->options_unreadable = r < 0;  /* (-ENOENT: no text, the table too large) */
        if (r < 0 && !(fsopts = strdup(mnt_fs_get_fs_options(fs) ?: "")))
                return -ENOMEM;
        strv_free(m->lower_dirs);
        free(m->upper_dir);
        free(m->work_dir);
        m->upper_dir = m->work_dir = NULL;
        if (!m->options_unreadable) {
                lower = ovl_option_value(fsopts, "lowerdir", false);
                m->upper_dir = ovl_option_value(fsopts, "upperdir", true);
                m->work_dir = ovl_option_value(fsopts, "workdir", true);
        }
        m->lower_dirs = lower ? lowerdirs_split(lower) : strv_new0();
        free(lower);
        free(m->options);
        m->options = TAKE_PTR(fsopts);
        free(m->propagation);
        m->propagation = strdup(mount_propagation_of(fs));
        m->vfs_flags = flags;
        m->mnt_id = mnt_fs_get_id(fs);
        m->sb_dev = mnt_fs_get_devno(fs);
        free(m->source);
        m->source = strdup(mnt_fs_get_source(fs) ?: "overlay");
        m->userxattr = ovl_option_has(m->options, "userxattr");
        m->read_only = (flags & MS_RDONLY) || ovl_option_has(m->options, "ro") ||
                !m->upper_dir;
        if (!m->lower_dirs || !m->options || !m->propagation || !m->source)
                return -ENOMEM;
        return 0;
}

static int ovl_mount_new(Manager *manager, struct libmnt_fs *fs, const char *text, const char **hint,
                         OvlMount **ret) {
        _cleanup_(ovl_mount_unrefp) OvlMount *m = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->n_ref = 1;
        m->manager = manager;
        m->mount_point = strdup(mnt_fs_get_target(fs));
        if (!m->mount_point)
                return -ENOMEM;
        r = sd_bus_path_encode(MOUNT_PREFIX, m->mount_point, &m->object_path);
        if (r < 0)
                return r;
        r = ovl_mount_update(m, fs, text, hint);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

OvlMount *manager_find_mount(Manager *m, const char *mount_point) {
        LIST_FOREACH(mounts, i, m->mounts)
                if (i->present && streq(i->mount_point, mount_point))
                        return i;
        return NULL;
}

static void emit_added(OvlMount *mnt) {
        sd_bus *b;

        MANAGER_FOREACH_BUS(b, mnt->manager)
                (void) sd_bus_emit_object_added(b, mnt->object_path);
}

static void emit_removed(OvlMount *mnt) {
        sd_bus *b;

        MANAGER_FOREACH_BUS(b, mnt->manager)
                (void) sd_bus_emit_object_removed(b, mnt->object_path);
}

void ovl_mount_emit_changed(OvlMount *mnt, const char *property) {
        sd_bus *b;

        if (mnt->present)
                MANAGER_FOREACH_BUS(b, mnt->manager)
                        (void) sd_bus_emit_properties_changed(b, mnt->object_path,
                                                              MOUNT_IFACE, property, NULL);
}

int manager_scan_mounts(Manager *m) {
        _cleanup_free_ char *text = NULL;
        struct libmnt_table *tb = NULL;
        struct libmnt_iter *it;
        struct libmnt_fs *fs;
        const char *hint = NULL;
        int r;

        r = mountinfo_read_self(&text, &tb);
        if (r == -E2BIG) {
                /* (libmount reads it whole; without our own reading of its
                 * text, no overlay's layers are known) */
                log_warning("The mount table is larger than %u MiB: no overlay's layers are read, and no "
                            "job runs.", MOUNT_TABLE_MAX >> 20);
                tb = mnt_new_table();
                if (!tb)
                        return -ENOMEM;
                r = mnt_table_parse_file(tb, "/proc/self/mountinfo");
                if (r < 0)
                        mnt_unref_table(tb);
        }
        if (r < 0)
                return r;
        mnt_unref_table(mount_table);
        mount_table = tb;
        mount_lookup_forget();

        LIST_FOREACH(mounts, i, m->mounts)
                i->present = false;

        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                return -ENOMEM;
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                OvlMount *mnt = NULL;

                if (!streq_ptr(mnt_fs_get_fstype(fs), "overlay"))
                        continue;
                /* Several mounts on one point: the last one is on top. */
                LIST_FOREACH(mounts, i, m->mounts)
                        if (streq(i->mount_point, mnt_fs_get_target(fs)))
                                mnt = i;
                if (mnt) {
                        bool was = mnt->present;
                        r = ovl_mount_update(mnt, fs, text, &hint);
                        mnt->present = true;
                        if (r >= 0 && was)
                                continue;
                } else {
                        r = ovl_mount_new(m, fs, text, &hint, &mnt);
                        if (r < 0) {
                                log_warning("Failed to track overlay at %s: %s",
                                            mnt_fs_get_target(fs), strerror(-r));
                                continue;
                        }
                        mnt->present = true;
                        LIST_APPEND(mounts, m->mounts, mnt);
                        log_info("Overlay mounted at %s", mnt->mount_point);
                }
        }
        mnt_free_iter(it);

        LIST_FOREACH_SAFE(mounts, i, n, m->mounts) {
                if (i->present)
                        continue;
                if (i->remounting) {
                        /* Our own remount is under way: the object stays. */
                        i->present = true;
                        continue;
                }
                log_info("Overlay at %s went away", i->mount_point);
                i->present = true;      /* findable while its removal is announced */
                emit_removed(i);
                i->present = false;
                LIST_REMOVE(mounts, m->mounts, i);
                job_mount_gone(i);
                ovl_mount_unref(i);
        }
        /* Probe before announcing: a client that sees a new overlay sees its
         * final Method, and the probe's brief open of it is over before
         * anyone who waits for the announcement unmounts it. */
        manager_probe_kernel(m);
        LIST_FOREACH(mounts, i, m->mounts)
                if (!i->announced) {
                        emit_added(i);
                        i->announced = true;
                }
        m->mounts_stale = false;
        return 0;
}

static int mount_for_path(Manager *m, const char *path, OvlMount **ret) {
        struct libmnt_fs *best;
        size_t best_len;

        if (!mount_table)
                return -ENOENT;
        /* The last, longest mount point at or above the path holds it. */
        best = mount_holding(mount_table, path, NULL);
        best_len = best ? strlen(mnt_fs_get_target(best)) : 0;
        /* An overlay that a remount job has unmounted for a moment still
         * holds its paths (the job mounts it again). */
        LIST_FOREACH(mounts, i, m->mounts)
                if (i->remounting && path_below(path, i->mount_point) &&
                    strlen(i->mount_point) >= best_len) {
                        *ret = i;
                        return 0;
                }
        if (!best)
                return -ENOENT;
        if (!streq_ptr(mnt_fs_get_fstype(best), "overlay"))
                return -EMEDIUMTYPE;
        *ret = manager_find_mount(m, mnt_fs_get_target(best));
        return *ret ? 0 : -ENOENT;
}

/* Whether a mount point lies directly in @dir (or the mount point of an
 * overlay a remount job has taken away for a moment, which holds its
 * paths still). */
static bool mount_point_in(Manager *m, const char *dir) {
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs;
        const char *rel;
        bool found = !it;       /* (no iterator: say yes, and look each up) */

        while (!found && mnt_table_next_fs(mount_table, it, &fs) == 0)
                found = mnt_fs_get_target(fs) && (rel = path_below(mnt_fs_get_target(fs), dir)) &&
                        *rel && !strchr(rel, '/');
        mnt_free_iter(it);
        LIST_FOREACH(mounts, i, m->mounts)
                found = found || (i->remounting && (rel = path_below(i->mount_point, dir)) &&
                                  *rel && !strchr(rel, '/'));
        return found;
}

int manager_mount_for_path(Manager *m, const char *path, OvlMount **ret) {
        const char *slash = strrchr(path, '/');
        size_t n = slash && slash > path ? (size_t) (slash - path) : 1;        /* "/x": "/" */
        OvlMount *mnt = NULL;
        int r;

        /* The entries of one directory are on one mount, unless one of
         * them is a mount point: the last answer for it stands. */
        if (!slash || !slash[1])
                return mount_for_path(m, path, ret);
        if (last_lookup.dir && strlen(last_lookup.dir) == n && strncmp(last_lookup.dir, path, n) == 0) {
                if (last_lookup.mount_point_in)
                        return mount_for_path(m, path, ret);
                if (last_lookup.r >= 0)
                        *ret = last_lookup.mnt;
                return last_lookup.r;
        }
        r = mount_for_path(m, path, &mnt);
        if (r >= 0)
                *ret = mnt;
        mount_lookup_forget();
        if (!mount_table || !(last_lookup.dir = strndup(path, n)))
                return r;
        last_lookup.mount_point_in = mount_point_in(m, last_lookup.dir);
        last_lookup.r = r;
        last_lookup.mnt = mnt;
        return r;
}

void ovl_mount_set_remounting(OvlMount *mnt, bool on) {
        mnt->remounting = on;
        mount_lookup_forget();
}

/* Overlay mount @id of @tb, or NULL. */
static struct libmnt_fs *table_find_overlay(struct libmnt_table *tb, int id) {
        struct libmnt_fs *fs = mount_table_find_id(tb, id);

        return fs && streq_ptr(mnt_fs_get_fstype(fs), "overlay") ? fs : NULL;
}

int ovl_mount_open_layers(OvlMount *mnt, Layers *ret) {
        struct libmnt_fs *fs = mount_table ? table_find_overlay(mount_table, mnt->mnt_id) : NULL;
        int r;

        /* Unmounted for a moment by our own remount job: its layers are
         * the ones (opened before the unmount). */
        if (mnt->remounting && mnt->active_job && mnt->active_job->snapshot.layers.upper_fd >= 0)
                return layers_dup(ret, &mnt->active_job->snapshot.layers);
        if (fs && !streq_ptr(mnt_fs_get_target(fs), mnt->mount_point))
                fs = NULL;

        if (!fs) {
                /* The monitor may not have told us yet: catch up with the
                 * table (holding @mnt, which the rescan may drop). */
                _cleanup_(ovl_mount_unrefp) OvlMount *hold = ovl_mount_ref(mnt);

                r = manager_catch_up_mounts(mnt->manager);
                if (r <= 0)
                        return r < 0 ? r : -ENOENT;
                fs = hold->present ? table_find_overlay(mount_table, hold->mnt_id) : NULL;
                if (!fs)
                        return -ENOENT;
        }
        return layers_open_reached(ret, mount_table, fs, mnt->upper_dir, mnt->lower_dirs, mnt->userxattr);
}

/* Was @path's mount, when overlay @ovl was mounted, @root or @state,
 * and no overlay?  And is the directory the daemon has open for it (@fd)
 * on that mount's file system (the path's text is what the table is
 * searched by; a symbolic link on the way would lead elsewhere)? */
static bool held_at_boot(const char *path, int fd, struct libmnt_fs *ovl, struct libmnt_fs *root,
                         struct libmnt_fs *state) {
        _cleanup_free_ char *p = path_simplify_dup(path);
        struct libmnt_fs *then = p ? mount_holding(mount_table, p, ovl) : NULL;
        struct stat st;

        return then && (then == root || then == state) && !streq_ptr(mnt_fs_get_fstype(then), "overlay") &&
                fstat(fd, &st) == 0 && st.st_dev == mnt_fs_get_devno(then);
}

const char *ovl_mount_layer_off_boot(OvlMount *mnt, const Layers *layers, const char *state_dir) {
        _cleanup_free_ char *sd = realpath(state_dir, NULL) ?: path_simplify_dup(state_dir);
        struct libmnt_fs *ovl = mount_table ? table_find_overlay(mount_table, mnt->mnt_id) : NULL;
        struct libmnt_fs *root, *state;
        size_t i = 0;

        if (!ovl || !sd)
                return "?";
        root = mount_holding(mount_table, "/", NULL);
        state = mount_holding(mount_table, sd, NULL);
        if (mnt->upper_dir && !held_at_boot(mnt->upper_dir, layers->upper_fd, ovl, root, state))
                return mnt->upper_dir;
        for (char **l = mnt->lower_dirs; l && *l; l++, i++)
                if (i >= layers->n_lower || !held_at_boot(*l, layers->lower_fds[i], ovl, root, state))
                        return *l;
        return NULL;
}

int ovl_mount_snapshot(OvlMount *mnt, MountSnapshot *ret) {
        _cleanup_(mount_snapshot_done) MountSnapshot s = MOUNT_SNAPSHOT_NULL;
        int r;

        /* The layers first, before any unmount, beneath whatever covers
         * their paths (the overlay itself, on Calculinux): the worker
         * holds no descriptor inside the overlay.  Opening them may read
         * the mount table again, so what is copied of the mount comes
         * after. */
        if (mnt->upper_dir) {
                r = ovl_mount_open_layers(mnt, &s.layers);
                if (r < 0)
                        return r;
        }
        if (mnt->upper_dir && !(s.upper_dir = strdup(mnt->upper_dir)))
                return -ENOMEM;
        if (mnt->work_dir && !(s.work_dir = strdup(mnt->work_dir)))
                return -ENOMEM;
        s.lower_dirs = strv_copy(mnt->lower_dirs);
        s.mount_data = mount_data_from_options(mnt->options, &s.sb_flags);
        s.propagation = strdup(mnt->propagation);
        s.source = strdup(mnt->source);
        if (!s.lower_dirs || !s.mount_data || !s.propagation || !s.source)
                return -ENOMEM;
        s.vfs_flags = mnt->vfs_flags;
        s.userxattr = mnt->userxattr;
        s.mnt_id = mnt->mnt_id;
        s.sb_dev = mnt->sb_dev;
        *ret = s;
        s = MOUNT_SNAPSHOT_NULL;
        return 0;
}

void mount_snapshot_done(MountSnapshot *s) {
        free(s->upper_dir);
        free(s->work_dir);
        strv_free(s->lower_dirs);
        layers_close(&s->layers);
        free(s->source);
        free(s->mount_data);
        free(s->propagation);
        *s = MOUNT_SNAPSHOT_NULL;
}

OvlMount *manager_state_dir_overlay(Manager *m) {
        /* Where it really is (a symlink to /var/... counts as /var), or,
         * not made yet, where its path says. */
        _cleanup_free_ char *dir = realpath(m->state_dir, NULL) ?: path_simplify_dup(m->state_dir);
        OvlMount *mnt = NULL;

        if (!dir || dir[0] != '/' || manager_mount_for_path(m, dir, &mnt) < 0)
                return NULL;
        /* The root can never be unmounted: a state directory there is safe. */
        return mnt && !streq(mnt->mount_point, "/") ? mnt : NULL;
}

const char *ovl_mount_method(OvlMount *mnt) {
        if (!mnt->upper_dir)
                return "none";
        if (mnt->manager->kernel_ioctl && !mnt->read_only)
                return "ioctl";
        return "remount";
}

int manager_catch_up_mounts(Manager *m) {
        int r;

        /* (the kernel marks the table changed before a mount or an
         * unmount returns: nothing pending means nothing changed; a change
         * whose read failed stays to be read) */
        if (!m->monitor || !mount_table)
                m->mounts_stale = true;
        while (m->monitor && mnt_monitor_next_change(m->monitor, NULL, NULL) == 0)
                m->mounts_stale = true;
        if (!m->mounts_stale)
                return 0;
        r = manager_scan_mounts(m);
        return r < 0 ? r : 1;
}

static int on_monitor(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        int r;

        /* Our own remount job took an overlay away and puts it back: the
         * table is read once when the job ends (job_task_done()), not for
         * each step; whoever needs it meanwhile catches up (a path on no
         * overlay known, a mount not found). */
        LIST_FOREACH(mounts, i, m->mounts)
                if (atomic_load(&i->away)) {
                        while (mnt_monitor_next_change(m->monitor, NULL, NULL) == 0)
                                m->mounts_stale = true;
                        return 0;
                }
        r = manager_catch_up_mounts(m);
        if (r < 0)
                log_warning("Failed to rescan mounts: %s", strerror(-r));
        return 0;
}

int manager_start_mount_monitor(Manager *m) {
        int fd, r;

        m->monitor = mnt_new_monitor();
        if (!m->monitor)
                return -ENOMEM;
        r = mnt_monitor_enable_kernel(m->monitor, 1);
        if (r < 0)
                return r;
        fd = mnt_monitor_get_fd(m->monitor);
        if (fd < 0)
                return fd;
        return sd_event_add_io(m->event, &m->monitor_source, fd, EPOLLIN, on_monitor, m);
}

void manager_forget_mount_table(void) {
        mnt_unref_table(mount_table);
        mount_table = NULL;
        mount_lookup_forget();
}
