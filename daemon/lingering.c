/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "boot-id.h"
#include "lingering.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "mount.h"
#include "remount-journal.h"
#include "state-dir.h"
#include "statx-util.h"

struct Lingering {
        char *upper;            /* (for messages) */
        dev_t dev;              /* the upper directory: what is compared */
        ino_t ino;
        int fd;
        char *mount_back;       /* the overlay that waits for it to go, to be mounted again */
        sd_event_source *source;        /* (main thread) watching for that */
        bool dead;              /* its superblock is known to have died */
};

/* The record that outlives the daemon (an idle exit, a restart): a file
 * per upper directory, <state_dir>/lingering/<dev>-<ino>, holding the
 * boot's id, the directory's birth time ("born SEC.NSEC", or "born " where
 * it is not known) and the layer's path, a line each.  The directory is
 * known by device and inode, not by path: the same upper layer may be
 * mounted again by another path (its file system bound elsewhere, a
 * symbolic link on the way).  A daemon with a record of this boot but no
 * watch of its own cannot tell when that superblock dies: until the next
 * boot.  But a file system mounted since may take the device and inode
 * numbers of one gone (a fresh tmpfs does), a directory made since those
 * of one removed, and a tmpfs without inode64 repeats its inode numbers
 * after 2^32 inodes made: a record refuses only the directory it was
 * written for, known by its birth time too.  One born at another time is
 * another directory, which that superblock does not hold: the record does
 * not refuse it, and stays (its own may live on).  That holds where nothing
 * can set a birth time (born_kept()); anywhere else, or without a birth
 * time on either side (a record of an earlier daemon), or with one that
 * cannot be read back: the record refuses, the safe way to be wrong. */
static char *record_name(dev_t dev, ino_t ino) {
        char *p;

        return asprintf(&p, "%" PRIx64 "-%" PRIx64, (uint64_t) dev, (uint64_t) ino) < 0 ? NULL : p;
}

/* File systems that keep a birth time from an inode's making to its end,
 * which no system call sets. */
static bool born_kept(int fd) {
        struct statfs sfs;

        if (fstatfs(fd, &sfs) < 0)
                return false;
        switch ((unsigned long) sfs.f_type) {
        case TMPFS_MAGIC:
        case EXT4_SUPER_MAGIC:  /* (ext2 and ext3 too: the ext2 driver, and 128-byte inodes, give none) */
        case XFS_SUPER_MAGIC:
        case BTRFS_SUPER_MAGIC:
        case F2FS_SUPER_MAGIC:
                return true;
        default:
                return false;
        }
}

/* The birth time of directory @fd (O_PATH too), as a record says it:
 * "SEC.NSEC", or "" where it is not known or not kept (born_kept()). */
#define BORN_MAX 32
static void born_text(int fd, char buf[static BORN_MAX]) {
        struct ovl_statx stx = {};

        buf[0] = '\0';
        if (born_kept(fd) &&
            ovl_statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, OVL_STATX_BTIME, &stx) == 0 &&
            (stx.stx_mask & OVL_STATX_BTIME))
                snprintf(buf, BORN_MAX, "%" PRIi64 ".%09" PRIu32, (int64_t) stx.stx_btime.tv_sec,
                         stx.stx_btime.tv_nsec);
}

static int record_write(const char *state_dir, dev_t dev, ino_t ino, const char *upper, const char *born) {
        _cleanup_free_ char *name = record_name(dev, ino), *text = NULL;
        char boot[64];
        int r, n;

        if (!name)
                return -ENOMEM;
        r = boot_id_get(boot);
        if (r < 0)
                return r;
        n = asprintf(&text, "%s\nborn %s\n%s\n", boot, born, upper);
        if (n < 0)
                return -ENOMEM;
        return state_file_write(state_dir, "lingering", name, text, (size_t) n, false);
}

/* Is @line (a record's second, with its newline) a birth time that is
 * not @born (born_text(), not "")? */
static bool born_otherwise(const char *line, const char *born) {
        size_t n = strlen(line);

        /* (all of it, as written: "born ", digits, a dot, nine digits) */
        if (n < 5 + 1 + 1 + 9 + 1 || strncmp(line, "born ", 5) != 0 || line[n - 1] != '\n')
                return false;
        line += 5, n -= 5 + 1;
        if (strspn(line, "0123456789") != n - 10 || line[n - 10] != '.' ||
            strspn(line + n - 9, "0123456789") != 9 || (line[0] == '0' && n - 10 > 1))
                return false;
        return strlen(born) != n || strncmp(line, born, n) != 0;
}

/* Is the record @name in @dfd of this boot (@boot), and (with @upper_fd,
 * the directory of its numbers now, its birth time read only then) of
 * that directory?  A former boot's is removed.  Unreadable: true, the
 * safe answer; missing: false. */
static bool record_is_this_boot(int dfd, const char *name, const char *boot, int upper_fd) {
        char line[64] = "", had[BORN_MAX + 16] = "", born[BORN_MAX] = "";
        bool found, another = false;
        FILE *f;
        int fd;

        fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno != ENOENT;
        f = fdopen(fd, "re");
        if (!f) {
                close(fd);
                return true;
        }
        found = fgets(line, sizeof line, f) != NULL;
        if (found) {
                line[strcspn(line, "\n")] = '\0';
                found = streq(line, boot);
        }
        /* (an earlier daemon's record has the layer's path there) */
        if (found && upper_fd >= 0 && fgets(had, sizeof had, f))
                born_text(upper_fd, born);
        if (born[0] && born_otherwise(had, born)) {
                had[strcspn(had, "\n")] = '\0';
                log_notice("The record lingering/%s in the state directory is of another upper directory "
                           "(%s) than the one of its numbers now (born %s): it does not refuse this one.",
                           name, had, born);
                another = true;
        }
        if (!found)
                (void) unlinkat(dfd, name, 0);  /* a former boot's */
        fclose(f);
        return found && !another;
}

/* Is there a record of this boot for that directory, or (a daemon updated
 * within the boot) one in the former format, named by a hash of the upper
 * layer's path as daemons up to 3c5e18d wrote them?  Those cannot be told
 * apart by upper layer, so any one of them refuses every remount until the
 * boot ends. */
static bool record_of_this_boot(const char *state_dir, dev_t dev, ino_t ino, int upper_fd) {
        _cleanup_free_ char *name = record_name(dev, ino);
        char boot[64];
        struct dirent *de;
        bool found;
        DIR *d;
        int dfd;

        if (!name || boot_id_get(boot) < 0)
                return true;            /* (unknown: alive, the safe answer) */
        dfd = state_subdir_open(state_dir, "lingering", false);
        if (dfd < 0)
                return dfd != -ENOENT;
        d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return true;
        }
        found = record_is_this_boot(dirfd(d), name, boot, upper_fd);
        while (!found && (de = readdir(d)))
                if (de->d_name[0] != '.' && !strchr(de->d_name, '-'))
                        found = record_is_this_boot(dirfd(d), de->d_name, boot, -EBADF);
        closedir(d);
        return found;
}

bool inotify_saw_unmount(int fd) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;

                        log_debug("inotify on an overlay's root: 0x%x", e->mask);
                        if (e->mask & IN_UNMOUNT)
                                return true;
                        p += sizeof(*e) + e->len;
                }
        }
}

void lingering_add(LingeringSet *set, const char *state_dir, const char *upper_dir, int upper_fd,
                   const struct stat *st, int fd) {
        char *upper = strdup(upper_dir), born[BORN_MAX];
        struct Lingering *n;
        int r;

        born_text(upper_fd, born);
        /* (under the lock: a worker that finds it stale, of the directory
         * that had its numbers, does not remove it once it is written) */
        pthread_mutex_lock(&set->lock);
        r = upper ? record_write(state_dir, st->st_dev, st->st_ino, upper, born) : -ENOMEM;
        if (r < 0)
                log_error("Cannot record in %s/lingering that a superblock on %s lives on (%s): a "
                          "restarted daemon would not know.", state_dir, upper_dir, strerror(-r));
        n = upper ? realloc(set->entries, sizeof(*n) * (set->n + 1)) : NULL;
        if (n) {
                set->entries = n;
                n[set->n++] = (struct Lingering) {
                        .upper = upper, .dev = st->st_dev, .ino = st->st_ino, .fd = fd,
                };
        }
        pthread_mutex_unlock(&set->lock);
        if (!n) {
                /* (the record, if written, still refuses remounts of it) */
                log_error("Out of memory: cannot watch the superblock on %s that lives on.", upper_dir);
                free(upper);
                close(fd);
        }
}

/* Lets go of entry @i; its record in @state_dir too if @gone (the
 * superblock died) and no other superblock on that upper directory lives
 * on.  (Under the set's lock, or at exit.) */
static void forget(LingeringSet *set, const char *state_dir, size_t i, bool gone) {
        struct Lingering *l = &set->entries[i];
        bool other = false;

        l->dead = gone;
        for (size_t j = 0; gone && j < set->n; j++)
                if (j != i && !set->entries[j].dead && set->entries[j].dev == l->dev &&
                    set->entries[j].ino == l->ino)
                        other = true;
        if (gone && !other) {
                _cleanup_free_ char *name = record_name(l->dev, l->ino);
                _cleanup_close_ int dfd = state_subdir_open(state_dir, "lingering", false);

                if (name && dfd >= 0)
                        (void) unlinkat(dfd, name, 0);
        }
        sd_event_source_disable_unref(l->source);
        close(l->fd);
        free(l->upper);
        free(l->mount_back);
}

bool lingering_alive(LingeringSet *set, const char *state_dir, int upper_fd, const struct stat *st) {
        bool alive = false;

        pthread_mutex_lock(&set->lock);
        for (size_t i = 0; i < set->n;) {
                struct Lingering *l = &set->entries[i];

                /* (the main thread reads those an overlay waits on) */
                if (!l->mount_back && inotify_saw_unmount(l->fd)) {
                        log_info("The superblock that lived on with upper layer %s is gone.", l->upper);
                        forget(set, state_dir, i, true);
                        *l = set->entries[--set->n];
                        continue;
                }
                if (l->dev == st->st_dev && l->ino == st->st_ino)
                        alive = true;
                i++;
        }
        /* Watched by none of ours, but recorded this boot: an earlier
         * instance of the daemon left it. */
        if (!alive)
                alive = record_of_this_boot(state_dir, st->st_dev, st->st_ino, upper_fd);
        pthread_mutex_unlock(&set->lock);
        return alive;
}

void lingering_free_all(Manager *m) {
        LingeringSet *set = &m->lingering;

        /* Gone meanwhile: its record goes too (else the next instance
         * would refuse until the boot ends), unless another on that
         * upper directory lives on.  (No worker runs any more.) */
        for (size_t i = 0; i < set->n; i++)
                set->entries[i].dead = inotify_saw_unmount(set->entries[i].fd);
        for (size_t i = 0; i < set->n; i++)
                forget(set, m->state_dir, i, set->entries[i].dead);
        free(set->entries);
        set->entries = NULL;
        set->n = 0;
}

int lingering_mount_back(LingeringSet *set, const struct stat *st, const char *mount_point) {
        int r = -ENOENT;

        pthread_mutex_lock(&set->lock);
        for (size_t i = 0; i < set->n && r == -ENOENT; i++)
                if (set->entries[i].dev == st->st_dev && set->entries[i].ino == st->st_ino &&
                    !set->entries[i].mount_back) {
                        set->entries[i].mount_back = strdup(mount_point);
                        r = set->entries[i].mount_back ? 0 : -ENOMEM;
                }
        pthread_mutex_unlock(&set->lock);
        return r;
}

static void mount_back_done(Manager *m) {
        if (m->n_mount_back > 0)
                m->n_mount_back--;
        manager_check_idle(m);
}

/* Mounts @mount_point again from its remount record, unless a job is
 * remounting an overlay there now (its record is its own). */
static int mount_back(Manager *m, const char *mount_point) {
        LIST_FOREACH(mounts, i, m->mounts)
                if (i->remounting && streq(i->mount_point, mount_point)) {
                        log_info("Not mounting %s again: a job is remounting an overlay there.", mount_point);
                        return 0;
                }
        return remount_journal_recover_one(m->state_dir, mount_point, "waited for its former superblock to go");
}

/* Mounting @mount_point again from its record once its upper layer is
 * free.  IN_UNMOUNT comes as the former superblock shuts down, a moment
 * before it lets go of the upper layer, and a restarted daemon cannot
 * watch it at all: a mount meeting EBUSY is tried again, every 100 ms for
 * 10 s, then every 5 s, until it is done or the daemon stops.  The source
 * floats: once done it is only disabled, and the event loop frees it (and
 * the Retry, by its destroy callback) at exit. */
typedef struct Retry {
        Manager *manager;
        char *mount_point;
        unsigned tries;
} Retry;

static void retry_free(void *userdata) {
        Retry *t = userdata;

        free(t->mount_point);
        free(t);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Retry *t = userdata;
        Manager *m = t->manager;
        int r = mount_back(m, t->mount_point);

        if (r == -EBUSY) {
                if (++t->tries == 100)
                        log_warning("The overlay at %s still cannot be mounted again (%s): something else "
                                    "holds its upper layer. Tried again every 5 s.", t->mount_point,
                                    strerror(-r));
                if (sd_event_source_set_time_relative(s, t->tries < 100 ? 100 * 1000 : 5 * 1000000) >= 0 &&
                    sd_event_source_set_enabled(s, SD_EVENT_ONESHOT) >= 0)
                        return 0;
        }
        if (r < 0)
                log_error("Cannot mount the overlay at %s again: %s. Mount it by hand, or restart the "
                          "daemon (it mounts it again from its record).", t->mount_point, strerror(-r));
        (void) manager_scan_mounts(m);
        mount_back_done(m);
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

/* Takes @mount_point; counts as an overlay waiting (n_mount_back). */
static int retry_later(Manager *m, char *mount_point) {
        sd_event_source *s = NULL;
        Retry *t = calloc(1, sizeof(*t));
        int r;

        if (!t || !mount_point) {
                free(t);
                free(mount_point);
                return -ENOMEM;
        }
        *t = (Retry) { .manager = m, .mount_point = mount_point };
        r = sd_event_add_time_relative(m->event, &s, CLOCK_MONOTONIC, 100 * 1000, 0, on_retry, t);
        if (r < 0) {
                retry_free(t);
                return r;
        }
        (void) sd_event_source_set_destroy_callback(s, retry_free);
        (void) sd_event_source_set_floating(s, true);
        sd_event_source_unref(s);
        m->n_mount_back++;
        manager_check_idle(m);
        return 0;
}

void lingering_recover_later(Manager *m, char **mount_points) {
        for (char **p = mount_points; p && *p; p++) {
                log_notice("The overlay at %s, which a remount left unmounted, cannot be mounted again "
                           "yet (index=on: a former superblock still holds its upper layer): tried "
                           "again until it lets go.", *p);
                if (retry_later(m, strdup(*p)) < 0)
                        log_error("Cannot try again later to mount %s: mount it by hand, or restart the "
                                  "daemon.", *p);
        }
}

static int on_gone(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        LingeringSet *set = &m->lingering;
        _cleanup_free_ char *upper = NULL, *mount_point = NULL;
        bool gone = false;
        int r;

        pthread_mutex_lock(&set->lock);
        for (size_t i = 0; i < set->n; i++) {
                struct Lingering *l = &set->entries[i];

                if (l->source != s)
                        continue;
                gone = inotify_saw_unmount(fd);
                if (gone) {
                        upper = TAKE_PTR(l->upper);
                        mount_point = TAKE_PTR(l->mount_back);
                        forget(set, m->state_dir, i, true);
                        set->entries[i] = set->entries[--set->n];
                }
                break;
        }
        pthread_mutex_unlock(&set->lock);
        if (!gone)
                return 0;
        log_info("The superblock that lived on with upper layer %s is gone: mounting %s again.",
                 upper ?: "?", mount_point ?: "?");
        r = mount_point ? mount_back(m, mount_point) : 0;
        if (r == -EBUSY) {
                r = retry_later(m, strdup(mount_point));
                if (r >= 0) {
                        mount_back_done(m);     /* (the retry counts now) */
                        return 0;
                }
        }
        if (r < 0)
                log_error("Cannot mount the overlay at %s again: %s. Mount it by hand, or restart the "
                          "daemon (it mounts it again from its record).", mount_point ?: "?", strerror(-r));
        (void) manager_scan_mounts(m);
        mount_back_done(m);
        return 0;
}

void lingering_watch(Manager *m) {
        LingeringSet *set = &m->lingering;

        pthread_mutex_lock(&set->lock);
        for (size_t i = 0; i < set->n; i++) {
                struct Lingering *l = &set->entries[i];
                int r;

                if (!l->mount_back || l->source)
                        continue;
                r = sd_event_add_io(m->event, &l->source, l->fd, EPOLLIN, on_gone, m);
                if (r < 0) {
                        log_error("Cannot watch the superblock on %s that lives on (%s): the overlay "
                                  "waiting for it is mounted again when the daemon next starts.",
                                  l->upper, strerror(-r));
                        continue;
                }
                /* (no idle exit while an overlay waits to be mounted again) */
                m->n_mount_back++;
                manager_check_idle(m);
        }
        pthread_mutex_unlock(&set->lock);
}

