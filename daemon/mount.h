/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "layers.h"
#include "macro.h"
#include "manager.h"

/* What an overlay's options hold that the daemon cannot read its layers
 * from (ovl_options_from_mountinfo()), for messages. */
#define OPTIONS_UNREADABLE_WHAT \
        "what overlayfs would not read back as they show (a comma set through fsconfig, layers " \
        "given as lowerdir+ or datadir+, or an older kernel's escapes), or the mount table was too large"

struct OvlMount {
        Manager *manager;
        unsigned n_ref;

        char *mount_point;
        char *object_path;
        int mnt_id;             /* the mount's ID in the mount table */
        dev_t sb_dev;           /* its superblock's device number */
        char *source;           /* the mount source (Calculinux: the upper directory) */
        char **lower_dirs;      /* NULL-terminated */
        char *upper_dir;        /* NULL: no upper layer */
        char *work_dir;
        char *options;          /* the superblock's options, as given (ovl_options_from_mountinfo()) */
        bool options_unreadable; /* ...not readable as overlayfs would: its layers are not known */
        bool userxattr;         /* the "userxattr" option */
        unsigned long vfs_flags; /* MS_RDONLY, MS_NOSUID, ... of the mount */
        char *propagation;      /* "shared", "shared+slave", "slave", "private" */
        bool read_only;
        bool present;           /* in the mount table (or being remounted) */
        bool announced;         /* InterfacesAdded sent (or the object there before any bus) */
        _Atomic bool remounting;  /* a remount job runs: set on the event loop, by ovl_mount_set_remounting() only */
        _Atomic bool away;      /* unmounted by our remount job, until it ends (its worker sets it) */

        Job *queue;             /* FIFO of queued jobs */
        unsigned n_queued;
        Job *active_job;

        LIST_FIELDS(OvlMount, mounts);
};

OvlMount *ovl_mount_ref(OvlMount *m);
OvlMount *ovl_mount_unref(OvlMount *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(OvlMount *, ovl_mount_unref);
void manager_forget_mount_table(void);

/* Reads the mount table and updates the Mount objects. */
int manager_scan_mounts(Manager *m);
int manager_start_mount_monitor(Manager *m);
/* Reads the table again if the monitor saw it change since the last read
 * (always, without a monitor): 1 if it did, 0 if nothing changed.  What
 * a caller names costs no parse of the table unless the table changed. */
int manager_catch_up_mounts(Manager *m);

OvlMount *manager_find_mount(Manager *m, const char *mount_point);
/* The overlay mount holding @path: the longest mount point that @path is
 * at or below, if that mount is an overlay.  -ENOENT: @path is on no
 * mount we know; -ENOTDIR...: see mount.c. */
int manager_mount_for_path(Manager *m, const char *path, OvlMount **ret);
/* Sets mnt->remounting (what manager_mount_for_path() answers depends on
 * it). */
void ovl_mount_set_remounting(OvlMount *mnt, bool on);

/* Opens the layers of @mnt as overlayfs reached them, beneath whatever
 * covers their paths now (the overlay itself, on Calculinux): see
 * layer-reach.h.  On the event loop's thread (it reads the mount table). */
int ovl_mount_open_layers(OvlMount *mnt, Layers *ret);
/* What a restore run needs of @mnt (restore.h), its layers opened. */
int ovl_mount_snapshot(OvlMount *mnt, MountSnapshot *ret);

/* Would --apply-pending at boot find @mnt's layers at their paths?  It
 * runs before the overlays are mounted, and before whatever else is
 * mounted after it: it can count on the mount at "/" and on the one that
 * holds the state directory @state_dir (its records are there).  Each
 * layer path must have been held, when @mnt was mounted, by one of those
 * two (the same mounts, not only the same file systems: a bind mount made
 * later leads elsewhere at boot), neither an overlay, and the directory
 * @layers has open for it must be on that mount's file system (no
 * symbolic link on the way to another).  The first layer path that is
 * not, or NULL; "?" where the table cannot tell. */
const char *ovl_mount_layer_off_boot(OvlMount *mnt, const Layers *layers, const char *state_dir);

/* The overlay (other than "/") that holds the state directory, or NULL.
 * Then the deferred method is refused (`--apply-pending` at boot runs
 * before that overlay is mounted, so it would never see the records:
 * Calculinux's /var), and so is the remount method on that overlay (it
 * would take its own record away mid-job). */
OvlMount *manager_state_dir_overlay(Manager *m);

/* "ioctl", "remount" or "none": how a restore would be done now. */
const char *ovl_mount_method(OvlMount *mnt);

extern const sd_bus_vtable mount_vtable[];
int mount_object_find(sd_bus *bus, const char *path, const char *interface,
                      void *userdata, void **found, sd_bus_error *error);
int mount_node_enumerator(sd_bus *bus, const char *path, void *userdata,
                          char ***nodes, sd_bus_error *error);

void ovl_mount_emit_changed(OvlMount *mnt, const char *property);
