/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The restore engine, on a worker thread (restore.h: it knows a RestoreRun
 * and reports into its RestoreSink, not the job or the bus).
 *
 * ioctl:   OVL_IOC_RESTORE_LOWER (or IS_RESTORABLE for a dry run) per path,
 *          with OVL_RESTORE_DISCARD or OVL_RESTORE_OPAQUE for those modes.
 * remount: the overlay must be idle: unmount it (EBUSY: it is in use, and
 *          nothing is changed), remove the whiteouts from the upper layer
 *          with every open beneath the layer (no symlinks, no other
 *          mounts), and mount it again with the same options, flags and
 *          propagation at the same place.
 * deferred: recorded durably for `ovl-restored --apply-pending` at the next
 *          boot.  Method auto is ioctl when the kernel has it, else remount,
 *          else (the overlay is in use) deferred. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "bus-errors.h"
#include "ioctl-path.h"
#include "layers.h"
#include "lingering.h"
#include "log.h"
#include "macro.h"
#include "mount-util.h"
#include "ovl-ioctl.h"
#include "path-util.h"
#include "str-util.h"
#include "strv.h"
#include "pending-store.h"
#include "remount-journal.h"
#include "restore-expand.h"
#include "test-hooks.h"
#include "upper-edit.h"

static void run_result(RestoreRun *run, uint32_t path, RestoreOutcome outcome, const char *message) {
        run->sink->result(run->sink_data, path, outcome, message);
}

/* The run as a whole failed (printf-like). */
#define run_fail(run, error_name, ...) \
        (run)->sink->fail((run)->sink_data, (error_name), strprintf(__VA_ARGS__))

/* What a run works on, in order: indices into run->paths (all of those
 * given, in their order, when @idx is NULL). */
typedef struct Work {
        const uint32_t *idx;
        size_t n;
} Work;

static uint32_t work_at(const Work *w, size_t i) {
        return w->idx ? w->idx[i] : (uint32_t) i;
}

static const char *rel_at(RestoreRun *run, const Work *w, size_t i) {
        return path_list_get(run->paths, work_at(w, i));
}

static void cancel_rest(RestoreRun *run, const Work *w, size_t from) {
        for (size_t i = from; i < w->n; i++)
                run_result(run, work_at(w, i), OUTCOME_CANCELLED, "the job was cancelled");
}

/* A path the kernel refused, with what the errno means where strerror()
 * alone would mislead. */
static void add_failure(RestoreRun *run, uint32_t k, int r) {
        char msg[256];

        run_result(run, k, OUTCOME_FAILED, ovl_restore_strerror(r, msg, sizeof(msg)));
}

/* What the kernel's discard answered, in the words of the remount
 * method's (upper-edit.c) where it means the same. */
static void add_discard_outcome(RestoreRun *run, int fd, uint32_t k, const char *path, int r) {
        OvlState st;

        switch (r) {
        case -ENOENT:
                /* no entry (or a whiteout), or no parent directory */
                if (ovl_upper_state(fd, path, &st) < 0) {
                        add_failure(run, k, r);
                        break;
                }
                _fallthrough_;
        case -EEXIST:
                run_result(run, k, OUTCOME_SKIPPED, "no upper copy to discard");
                break;
        case -ENODATA:
                run_result(run, k, OUTCOME_SKIPPED, "no lower version would show: kept");
                break;
        case -EISDIR:
                /* (recursive: a directory without an upper copy, below
                 * which nothing can differ from the lower layers) */
                if (run->options.recursive && ovl_upper_state(fd, path, &st) >= 0 && st.state != OVL_STATE_UPPER)
                        run_result(run, k, OUTCOME_SKIPPED, "no upper copy to discard");
                else
                        run_result(run, k, OUTCOME_FAILED, "discarding a directory is not supported");
                break;
        default:
                add_failure(run, k, r);
        }
}

/* What the kernel answered to clearing an opaque mark, in the words of
 * the remount method's where it means the same. */
static void add_opaque_outcome(RestoreRun *run, int fd, uint32_t k, const char *path, int r) {
        OvlState st;

        switch (r) {
        case -ENOENT:
        case -ENOTDIR:
                /* no entry (or a whiteout), not a directory, or a parent
                 * that is none */
                if (ovl_upper_state(fd, path, &st) < 0) {
                        add_failure(run, k, r);
                        break;
                }
                _fallthrough_;
        case -EEXIST:
                run_result(run, k, OUTCOME_SKIPPED, "not an opaque directory");
                break;
        case -ENODATA:
                run_result(run, k, OUTCOME_SKIPPED, "no lower directory would merge with it: kept");
                break;
        case -EBUSY:
                run_result(run, k, OUTCOME_FAILED, "the directory or something below it is in use (open, "
                               "a working directory, a mount point), or the lower directory shows at "
                               "another name already; method 'deferred' clears the mark at the next boot");
                break;
        case -EXDEV:
                run_result(run, k, OUTCOME_FAILED, "the upper directory carries a redirect (it was renamed), "
                               "which overlayfs would follow once the mark is gone");
                break;
        default:
                add_failure(run, k, r);
        }
}

static void run_deferred(RestoreRun *run, const Work *w, const char *why);

/* The ioctl of @run's mode for @rel (@full below the mount point) through
 * @ip, in *@ret_path: its 0 or -errno; or the walk's, in *@ret_walk too,
 * no ioctl made. */
static int ioctl_one(RestoreRun *run, int fd, IoctlPath *ip, const char *full, const char *rel, uint32_t flags,
                     bool first, const char **ret_path, int *ret_walk) {
        int r;

        for (unsigned tries = 0;; tries++) {
                r = ioctl_path_get(ip, full, rel, ret_path);
                if (r < 0)
                        return *ret_walk = r;
                if (first && tries == 0)
                        pause_point("ioctl-walked");
                r = run->options.dry_run ? ovl_is_restorable(fd, *ret_path, flags)
                                       : ovl_restore_lower(fd, *ret_path, flags);
                /* (the directory kept, removed meanwhile: its name walked
                 * again, once) */
                if (r != -ENOENT || tries > 0 || !ioctl_path_gone(ip))
                        return r;
        }
}

static void run_ioctl(RestoreRun *run, const Work *w) {
        _cleanup_close_ int fd = ovl_open_mount(run->mount_point);
        bool discard = run->options.mode == RESTORE_MODE_DISCARD,
                opaque = run->options.mode == RESTORE_MODE_OPAQUE;
        uint32_t flags = discard ? OVL_RESTORE_DISCARD : opaque ? OVL_RESTORE_OPAQUE : 0;
        /* Method auto: a directory in use keeps its mark until the next
         * boot, as a remount of a busy overlay would. */
        bool defer_busy = opaque && !run->options.dry_run && run->options.method == RESTORE_METHOD_AUTO &&
                !run->no_deferred;
        _cleanup_(index_list_done) IndexList busy = {};
        _cleanup_(ioctl_path_done) IoctlPath ip = IOCTL_PATH_INIT(fd, run->mount_point, run->mount->mnt_id);

        if (fd < 0) {
                run_fail(run, ERROR_NO_SUCH_MOUNT, "Cannot open %s: %s", run->mount_point, strerror(-fd));
                return;
        }
        for (size_t i = 0; i < w->n; i++) {
                uint32_t k = work_at(w, i);
                char full[PATH_MAX];
                const char *path;
                int r, walk = 0;

                if (atomic_load(run->cancel)) {
                        cancel_rest(run, &(Work) { busy.l, busy.n }, 0);
                        cancel_rest(run, w, i);
                        return;
                }
                r = path_join_below(full, sizeof full, run->mount_point, path_list_get(run->paths, k));
                if (r < 0) {
                        add_failure(run, k, r);
                        continue;
                }
                /* (the kernel's walk follows links: ioctl-path.h) */
                r = ioctl_one(run, fd, &ip, full, path_list_get(run->paths, k), flags, i == 0, &path, &walk);
                if (walk == -EXDEV) {
                        run_result(run, k, OUTCOME_FAILED, "the path goes through a symbolic link or another "
                                   "mount inside the overlay");
                        continue;
                }
                if (walk < 0 && ip.unmounted) {
                        run_result(run, k, OUTCOME_FAILED,
                                   "the overlay is no longer what is mounted at its mount point");
                        continue;
                }
                /* (no such directory, say: the errno the kernel's own walk
                 * would have answered, in the words each mode below gives
                 * it) */
                if (walk < 0) {
                        add_failure(run, k, walk);
                        continue;
                }
                if (r == -EBUSY && defer_busy && index_list_push(&busy, k) >= 0)
                        continue;
                if (r == 0)
                        run_result(run, k, run->options.dry_run ? OUTCOME_WOULD_RESTORE : OUTCOME_RESTORED, NULL);
                else if (discard)
                        add_discard_outcome(run, fd, k, path, r);
                else if (opaque)
                        add_opaque_outcome(run, fd, k, path, r);
                else if (r == -ENODATA)
                        run_result(run, k, OUTCOME_SKIPPED,
                                       run->options.dry_run ? "the whiteout hides nothing"
                                                          : "the whiteout hid nothing; it was removed");
                else if (r == -EEXIST)
                        run_result(run, k, OUTCOME_SKIPPED, "not a whiteout (nothing to restore)");
                else
                        add_failure(run, k, r);
        }
        if (busy.n > 0)
                run_deferred(run, &(Work) { busy.l, busy.n }, "the directory is in use: ");
}

typedef struct RunWork {
        RestoreRun *run;
        const Work *w;
} RunWork;

static const char *run_work_path(void *userdata, size_t i) {
        RunWork *rw = userdata;

        return rel_at(rw->run, rw->w, i);
}

static void run_work_report(void *userdata, size_t i, EditOutcome o) {
        RunWork *rw = userdata;

        run_result(rw->run, work_at(rw->w, i), o.outcome, o.message);
}

/* Each path of @w in the unmounted overlay's upper layer, in order,
 * until cancelled. */
static void remount_each(RestoreRun *run, Layers *l, const Work *w) {
        RunWork rw = { run, w };
        char what[32];
        size_t i;

        snprintf(what, sizeof what, "Job %u", run->id);
        /* (a job's outcomes are its results, kept by path: one that
         * comes some edits late is told all the same) */
        i = upper_edit_each(l, run->options.mode, run->options.dry_run, w->n, run_work_path, run_work_report,
                            &rw, true, run->cancel, what);
        cancel_rest(run, w, i);
}

/* Is the mount at @path (not followed) mount @mnt_id, of device @dev? */
static bool mounted_is(const char *path, int mnt_id, dev_t dev) {
        dev_t d;
        int id;

        return path_mount_id(path, &id, &d) >= 0 && id == mnt_id && d == dev;
}

static bool same_fs(int fd, const char *path) {
        struct stat a, b;

        return !path || (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev);
}

/* A remount that cannot be done as it should: method auto defers the
 * restore instead (true), with @why for its message; otherwise false, and
 * the caller fails the job. */
static bool defer_instead(RestoreRun *run, const Work *w, const char *why) {
        if (run->options.method != RESTORE_METHOD_AUTO || run->no_deferred)
                return false;
        log_info("Job %u on %s: %sdeferred to the next boot (method auto).", run->id, run->mount_point, why);
        atomic_store(run->deferred_instead, true);
        run_deferred(run, w, why);
        return true;
}

static void run_remount(RestoreRun *run, Layers *l, const Work *w) {
        const unsigned long keep = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                   MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME;
        struct statvfs vfs;
        struct stat upper_st;
        bool defer_after = false;
        int r;

        if (run->options.dry_run) {
                remount_each(run, l, w);
                return;
        }

        /* An upper layer that became read-only under a read-write overlay:
         * nothing could be removed, and the overlay could not be mounted
         * again read-write.  Refuse before anything changes. */
        if (fstatvfs(l->upper_fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) && !(run->mount->sb_flags & MS_RDONLY)) {
                run_fail(run, NULL, "The upper layer of %s (%s) is on a read-only file system: nothing "
                         "can be restored, and the overlay could not be mounted again; nothing was "
                         "changed.", run->mount_point, run->mount->upper_dir);
                return;
        }

        /* An earlier remount of it left its old superblock alive elsewhere:
         * until that one goes, this upper layer is not edited (the same
         * directory, by whatever path: device and inode). */
        if (fstat(l->upper_fd, &upper_st) < 0) {
                run_fail(run, NULL, "Cannot stat the upper layer of %s (%s): %s; nothing was changed.",
                         run->mount_point, run->mount->upper_dir, strerror(errno));
                return;
        }
        if (lingering_alive(run->lingering, run->state_dir, l->upper_fd, &upper_st)) {
                if (!defer_instead(run, w, "an earlier superblock of the overlay lives on elsewhere: "))
                        run_fail(run, ERROR_BUSY, "The overlay at %s cannot be remounted: an earlier remount "
                                 "left its former superblock alive elsewhere (another mount namespace, or a "
                                 "detached mount), on the same upper layer; nothing was changed.",
                                 run->mount_point);
                return;
        }

        /* A mount that receives propagation from a master cannot be made
         * again as it was: a new mount can be shared or private, but not
         * the slave of a peer group it is not mounted from. */
        if (strstr(run->mount->propagation, "slave")) {
                if (!defer_instead(run, w, "the overlay is a slave mount, which a remount could not make again: "))
                        run_fail(run, ERROR_UNSUPPORTED, "The overlay at %s cannot be remounted: it is a slave "
                                 "mount (it receives mounts from a master peer group), and a new mount "
                                 "could not be made its slave again; nothing was changed.", run->mount_point);
                return;
        }

        /* mount(2) reads one page of data: options that do not fit (a
         * mount made through fsconfig(2) has no such limit, and the table
         * shows more options than were given) could not mount it again. */
        if (strlen(run->mount->mount_data) >= (size_t) sysconf(_SC_PAGESIZE)) {
                if (!defer_instead(run, w, "the overlay's mount options are too long to mount it again: "))
                        run_fail(run, ERROR_UNSUPPORTED, "The overlay at %s cannot be remounted: its mount "
                                 "options (%zu bytes) do not fit the page mount(2) takes, so it could not "
                                 "be mounted again; nothing was changed.", run->mount_point,
                                 strlen(run->mount->mount_data));
                return;
        }

        /* The way back, written before the overlay goes: a daemon killed
         * before it is mounted again mounts it at its next start. */
        r = remount_journal_write(run->state_dir, run->mount_point, run->mount->source, run->mount->mount_data,
                                  (run->mount->vfs_flags & keep) | run->mount->sb_flags, run->mount->propagation);
        if (r < 0) {
                run_fail(run, NULL, "Cannot record how to mount %s again in %s: %s; nothing was changed.",
                         run->mount_point, run->state_dir, strerror(-r));
                return;
        }
        pause_point("remount-before-unmount");

        /* The kernel says when the superblock dies: IN_UNMOUNT on a watched
         * inode of it comes from its shutdown, not from one mount going.
         * Whatever keeps it alive (a namespace no process shows, a lazily
         * detached mount, an fd of open_tree()) keeps that event away. */
        _cleanup_close_ int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ifd < 0 || inotify_add_watch(ifd, run->mount_point, IN_UNMOUNT | IN_ONLYDIR | IN_DONT_FOLLOW) < 0) {
                r = negative_errno();
                remount_journal_remove(run->state_dir, run->mount_point);
                run_fail(run, NULL, "Cannot watch the overlay at %s for its unmount (%s); nothing was changed.",
                         run->mount_point, strerror(-r));
                return;
        }

        /* What is mounted there must still be the overlay inspected, and
         * mounted nowhere else here: otherwise the unmount would take the
         * wrong mount away, or leave the superblock alive under a bind
         * mount while its upper layer is edited. */
        {
                _cleanup_free_ char *other = NULL;

                r = overlay_check_before_unmount(run->mount_point, run->mount->mnt_id, run->mount->sb_dev,
                                                 run->mount->mount_data, &other);
                if (r < 0) {
                        remount_journal_remove(run->state_dir, run->mount_point);
                        if (r == -EBUSY) {
                                _cleanup_free_ char *why = NULL;

                                if (asprintf(&why, "the overlay is also mounted at %s: ", other) < 0)
                                        why = NULL;
                                if (!defer_instead(run, w, why ?: "the overlay is also mounted elsewhere: "))
                                        run_fail(run, ERROR_BUSY, "The overlay at %s is also mounted at %s: it "
                                                 "cannot be remounted (its upper layer would be edited under "
                                                 "the other mount); nothing was changed.", run->mount_point, other);
                        } else if (r == -ESTALE)
                                run_fail(run, NULL, "What is mounted at %s is no longer the overlay the job was "
                                         "made for; nothing was changed.", run->mount_point);
                        else if (r == -E2BIG)
                                run_fail(run, NULL, "Cannot check the mount at %s: a mount table is too large to "
                                         "read (more than %u MiB); nothing was changed.", run->mount_point,
                                         MOUNT_TABLE_MAX >> 20);
                        else
                                run_fail(run, NULL, "Cannot check the mount at %s: %s; nothing was changed.",
                                         run->mount_point, strerror(-r));
                        return;
                }
        }

        /* The layers' paths, by which the overlay is mounted again, must
         * lead to the directories the job reads and edits (a lower
         * directory covered by the overlay itself is checked once it is
         * unmounted), and the work directory must be on the upper layer's
         * file system. */
        if (!layers_match_paths_outside(l, run->mount->upper_dir, run->mount->lower_dirs, run->mount_point) ||
            !same_fs(l->upper_fd, run->mount->work_dir)) {
                remount_journal_remove(run->state_dir, run->mount_point);
                run_fail(run, NULL, "A layer directory of %s is covered by another mount (its path leads "
                         "elsewhere than the layer the overlay has); nothing was changed.", run->mount_point);
                return;
        }

        pause_point("remount-checked");
        /* ...and nothing changed there since the checks: an overlay
         * unmounted meanwhile and another mount there would be taken
         * away instead.  Detached and alive, or stacked over: another
         * mount ID or device at its place; its superblock gone:
         * IN_UNMOUNT, which an overlay given the same ID and device
         * number leaves as the only sign (read last).  (From here to the
         * unmount, one system call.) */
        if (!mounted_is(run->mount_point, run->mount->mnt_id, run->mount->sb_dev) || inotify_saw_unmount(ifd)) {
                remount_journal_remove(run->state_dir, run->mount_point);
                run_fail(run, NULL, "What is mounted at %s is no longer the overlay the job was made for; "
                         "nothing was changed.", run->mount_point);
                return;
        }
        /* umount without MNT_DETACH fails with EBUSY while anything uses
         * the overlay: that is the idleness check, and nothing changed.
         * (mnt->remounting is set for the whole job by job_start(): the
         * mount table may be read while the overlay is away.) */
        atomic_store(run->away, true);
        if (umount2(run->mount_point, UMOUNT_NOFOLLOW) < 0) {
                r = errno;
                atomic_store(run->away, false);
                remount_journal_remove(run->state_dir, run->mount_point);
                if (r == EBUSY && run->options.method == RESTORE_METHOD_AUTO && run->no_deferred)
                        run_fail(run, ERROR_BUSY,
                                 "The overlay at %s is in use, so it cannot be remounted, and the restore "
                                 "cannot be deferred: %s. Nothing was changed.", run->mount_point,
                                 run->no_deferred);
                else if (r == EBUSY && run->options.method == RESTORE_METHOD_AUTO) {
                        log_info("Job %u: %s is in use; method auto defers the restore to the next boot.",
                                 run->id, run->mount_point);
                        atomic_store(run->deferred_instead, true);
                        run_deferred(run, w, "the overlay is in use: ");
                } else if (r == EBUSY)
                        run_fail(run, ERROR_BUSY,
                                 "The overlay at %s is in use, so it cannot be remounted; nothing was "
                                 "changed. Close what uses it, or use a kernel with the restore ioctls.",
                                 run->mount_point);
                else
                        run_fail(run, NULL, "Cannot unmount %s: %s", run->mount_point, strerror(r));
                return;
        }

        /* The superblock must be gone (the kernel's IN_UNMOUNT: whatever
         * keeps it alive, a mount namespace made since the check, a copy
         * the unmount did not take along, a detached mount), and no
         * overlay may have that upper layer mounted now (a bind mount made
         * since the check).  Else nothing is edited, the overlay is
         * mounted again, and auto defers the restore.  A superblock left
         * alive is watched until it dies (lingering.h): the one mounted
         * again shares its upper layer meanwhile. */
        /* (The last unmount shuts the superblock down before umount2()
         * returns: task work on the way back to user space.  A reference
         * held elsewhere delays it, which reads as alive: the safe way to
         * be wrong.) */
        bool gone = inotify_saw_unmount(ifd);
        if (!gone)
                lingering_add(run->lingering, run->state_dir, run->mount->upper_dir, l->upper_fd, &upper_st, TAKE_FD(ifd));
        int in_use = gone ? overlay_upper_in_use(run->mount->upper_dir) : 0;
        if (in_use < 0) {
                run_fail(run, NULL, "Cannot read the mount table with %s unmounted (%s): nothing was edited, "
                         "and it is mounted again.", run->mount_point,
                         in_use == -E2BIG ? "too large to read" : strerror(-in_use));
                goto mount_again;
        }
        if (!gone || in_use > 0) {
                if (run->options.method == RESTORE_METHOD_AUTO && !run->no_deferred) {
                        log_info("Job %u: the overlay at %s lives on elsewhere after the unmount; method auto "
                                 "mounts it again and defers the restore to the next boot.", run->id,
                                 run->mount_point);
                        defer_after = true;
                } else if (!gone)
                        run_fail(run, ERROR_BUSY, "The overlay at %s lives on elsewhere after its unmount here "
                                 "(another mount namespace, or a detached mount, keeps it): nothing was "
                                 "edited, and it is mounted again.", run->mount_point);
                else
                        run_fail(run, ERROR_BUSY, "The overlay at %s was mounted elsewhere meanwhile: nothing was "
                                 "edited, and it is mounted again.", run->mount_point);
                goto mount_again;
        }
        /* Now every layer path must lead to what the job has open.  If one
         * leads elsewhere, mounting by the paths would put the overlay on
         * the wrong layers: it is left unmounted, for the administrator. */
        if (!layers_match_paths(l, run->mount->upper_dir, run->mount->lower_dirs)) {
                log_error("Job %u: with %s unmounted, a layer path leads elsewhere than its layer: nothing "
                          "edited, and the overlay is left unmounted. Mount it by hand once the paths are "
                          "right: mount -t overlay '%s' -o '%s' '%s'", run->id, run->mount_point, run->mount->source,
                          run->mount->mount_data, run->mount_point);
                run_fail(run, NULL, "With %s unmounted, a layer path leads elsewhere than its layer: nothing "
                         "was edited, and the overlay was left unmounted (mounting it by those paths would "
                         "put it on other layers). Mount it by hand: mount -t overlay '%s' -o '%s' '%s'",
                         run->mount_point, run->mount->source, run->mount->mount_data, run->mount_point);
                remount_journal_remove(run->state_dir, run->mount_point);
                return;
        }
        pause_point("remount-unmounted");
        remount_each(run, l, w);

mount_again:
        r = mount(run->mount->source, run->mount_point, "overlay", (run->mount->vfs_flags & keep) | run->mount->sb_flags,
                  run->mount->mount_data) < 0 ? errno : 0;
        if (r == EBUSY && !gone) {
                /* index=on: no second superblock on the upper layer while
                 * the first lives.  Mounted again as soon as that one
                 * goes; if it went already (another job saw it), now. */
                int k = lingering_mount_back(run->lingering, &upper_st, run->mount_point);

                /* (it shut down just now: it lets go of the upper layer
                 * a moment after IN_UNMOUNT; 10 s at most) */
                for (unsigned t = 0; k == -ENOENT && r == EBUSY && t < 100; t++) {
                        (void) nanosleep(&(struct timespec) { .tv_nsec = 100 * 1000 * 1000 }, NULL);
                        r = mount(run->mount->source, run->mount_point, "overlay", (run->mount->vfs_flags & keep) | run->mount->sb_flags,
                                  run->mount->mount_data) < 0 ? errno : 0;
                }
                if (k >= 0) {
                        log_error("Cannot mount the overlay at %s again while its former superblock lives on "
                                  "elsewhere (index=on allows one per upper layer): it is mounted again as "
                                  "soon as that one goes.", run->mount_point);
                        if (defer_after) {
                                atomic_store(run->deferred_instead, true);
                                run_deferred(run, w, "the overlay lives on elsewhere after its unmount (and "
                                             "is mounted again once that goes): ");
                        } else
                                run_fail(run, ERROR_BUSY, "The overlay at %s lives on elsewhere after its unmount "
                                         "here (another mount namespace, or a detached mount, keeps it), and it "
                                         "cannot be mounted again meanwhile (%s: index=on allows one superblock "
                                         "per upper layer). Nothing was edited; the daemon mounts it again as "
                                         "soon as the other one goes.", run->mount_point, strerror(r));
                        return;
                }
        }
        if (r != 0) {
                log_error("Cannot mount the overlay at %s again: %s. Mount it by hand: "
                          "mount -t overlay '%s' -o '%s' '%s'",
                          run->mount_point, strerror(r), run->mount->source, run->mount->mount_data, run->mount_point);
                run_fail(run, NULL, "The overlay at %s could not be mounted again: %s",
                         run->mount_point, strerror(r));
                return;         /* the record stays: the next start tries again */
        }
        mount_restore_propagation(run->mount_point, run->mount->propagation);
        remount_journal_remove(run->state_dir, run->mount_point);
        if (defer_after) {
                atomic_store(run->deferred_instead, true);
                run_deferred(run, w, "the overlay lives on elsewhere after its unmount: ");
        }
}

/* Method deferred: recorded durably, applied at the next boot by
 * `ovl-restored --apply-pending` before the overlay is mounted. */
static void run_deferred(RestoreRun *run, const Work *w, const char *why) {
        _cleanup_strv_free_ char **lowers = strv_new0();
        _cleanup_free_ char *id = NULL, *msg = NULL, *upper = path_simplify_dup(run->mount->upper_dir);
        /* (the run's own strings, not copies) */
        _cleanup_free_ const char **rel = calloc(w->n + 1, sizeof(char *));
        PendingEntry e = {
                .mount_point = (char *) run->mount_point,
                .upper_dir = upper,
                .userxattr = run->mount->userxattr,
                .mode = (char *) restore_mode_to_string(run->options.mode),
        };
        size_t n = 0;
        int r;

        /* The layers' paths as the record keeps them: without the empty
         * components that Calculinux's preinit puts in them
         * ("/data/overlay//etc/upper"). */
        for (size_t i = 0; lowers && run->mount->lower_dirs[i]; i++) {
                _cleanup_free_ char *s = path_simplify_dup(run->mount->lower_dirs[i]);

                if (!s || strv_push(&lowers, s) < 0)
                        lowers = strv_free(lowers);
        }
        e.lower_dirs = lowers;
        if (!rel || !upper || !lowers) {
                run_fail(run, NULL, "Out of memory");
                return;
        }
        for (size_t i = 0; i < w->n; i++) {
                const char *p = rel_at(run, w, i);

                if (!*p)
                        run_result(run, work_at(w, i), OUTCOME_FAILED, "not an entry of this overlay");
                else
                        rel[n++] = p;
        }
        if (n == 0)
                return;
        if (run->options.dry_run) {
                for (size_t i = 0; i < w->n; i++)
                        if (*rel_at(run, w, i))
                                run_result(run, work_at(w, i), OUTCOME_WOULD_RESTORE,
                                               "would be deferred to the next boot");
                return;
        }
        e.paths = (char **) rel;
        r = pending_store_write(run->state_dir, &e, &id);
        if (r == -E2BIG)
                run_fail(run, ERROR_LIMIT_EXCEEDED, "The deferred restore of %zu paths would take more than %u "
                         "MiB to record, more than the boot step reads; nothing was recorded. Restore fewer "
                         "paths at a time.", n, PENDING_MAX_SIZE >> 20);
        else if (r == -EBADMSG)
                run_fail(run, NULL, "The deferred restore holds a path, or its overlay a layer path, that the "
                         "record cannot keep for the boot step; nothing was recorded.");
        else if (r < 0)
                run_fail(run, NULL, "Cannot record the deferred restore in %s: %s",
                         run->state_dir, strerror(-r));
        if (r < 0)
                return;
        if (asprintf(&msg, "%spending %s: applied at the next boot, before the overlay is mounted",
                     why, id) < 0)
                msg = NULL;
        for (size_t i = 0; i < w->n; i++)
                if (*rel_at(run, w, i))
                        run_result(run, work_at(w, i), OUTCOME_DEFERRED, msg);
        log_info("Job %u: deferred restore of %zu paths on %s recorded as %s.", run->id, n,
                 run->mount_point, id);
}

void restore_run(RestoreRun *run) {
        _cleanup_(index_list_done) IndexList work = {}, empty = {};
        _cleanup_(path_list_done) PathList extra = {};
        Work w = { .n = run->n_given };
        Layers *l = &run->mount->layers;
        int r;

        if (!run->mount->upper_dir) {
                run_fail(run, ERROR_UNSUPPORTED, "The overlay at %s has no upper layer: nothing hides anything.",
                         run->mount_point);
                return;
        }
        if (run->options.recursive) {
                r = restore_expand(l, run->mount_point, run->paths, &run->options, run->max_paths,
                                   &extra, &work, &empty);
                if (r >= 0)
                        /* (others may read the paths meanwhile) */
                        r = run->sink->append_paths(run->sink_data, &extra);
                if (r == -ELOOP)
                        run_fail(run, ERROR_LIMIT_EXCEEDED, "Directories are nested more than %u levels below "
                                 "the paths: restore deeper directories one at a time.", EXPAND_DEPTH_MAX);
                else if (r == -E2BIG)
                        run_fail(run, ERROR_LIMIT_EXCEEDED, "More than %u entries below the paths: restore "
                                 "subdirectories one at a time.", run->max_paths);
                else if (r < 0)
                        run_fail(run, NULL, "Cannot list the entries below the paths: %s", strerror(-r));
                if (r < 0)
                        return;
                w = (Work) { work.l, work.n };
                atomic_store(run->total, work.n + empty.n);
                for (size_t i = 0; i < empty.n; i++)
                        run_result(run, empty.l[i], OUTCOME_SKIPPED, "no upper copy of a lower entry below it");
        }
        /* (nothing else to do: no remount for nothing) */
        if (w.n == 0)
                return;

        if (streq(run->method, "ioctl"))
                run_ioctl(run, &w);
        else if (streq(run->method, "deferred"))
                run_deferred(run, &w, "");
        else
                run_remount(run, l, &w);
}
