/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bus-path.h"
#include "bus-util.h"
#include "layers.h"
#include "layers-diff.h"
#include "log.h"
#include "lower-ahead.h"
#include "macro.h"
#include "mount.h"
#include "path-util.h"
#include "state.h"

int resolve_caller_path(Manager *m, const char *path, bool allow_mount_point,
                        OvlMount **ret, char **ret_raw, sd_bus_error *error) {
        _cleanup_free_ char *decoded = NULL;
        const char *raw = path;
        bool backslash = false;
        int r;

        r = path_check_caller_escaped(path, &backslash);
        if (r == -ENAMETOOLONG)
                return sd_bus_error_setf(error, ERROR_INVALID_PATH, "Path too long: %.64s...", path);
        if (r < 0)
                return sd_bus_error_setf(error, ERROR_INVALID_PATH,
                                         "Invalid path '%s': give an absolute, normalized path "
                                         "(no '.', '..', '//' or trailing '/').", path);
        /* What the path stands for must be a path too (no NUL, no control
         * byte, no ".." spelt as \x2e\x2e), and the path must be in the one
         * bus form (bus-path.h): an escape where none is needed (\x73 for
         * 's') would show polkit rules another name than the one used.
         * Without a backslash (a D-Bus string is UTF-8) it stands for
         * itself, and is in that form. */
        if (backslash) {
                _cleanup_free_ char *canonical = NULL;

                r = bus_path_decode(path, &decoded);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || path_check_caller(decoded) < 0)
                        return sd_bus_error_setf(error, ERROR_INVALID_PATH,
                                                 "Invalid path '%s': its \\xNN escapes stand for a NUL, a "
                                                 "control byte, or a name that is not allowed.", path);
                canonical = bus_path_encode(decoded);
                if (!canonical)
                        return -ENOMEM;
                if (!streq(canonical, path))
                        return sd_bus_error_setf(error, ERROR_INVALID_PATH,
                                                 "Invalid path '%s': escape only bytes that are not UTF-8, and a "
                                                 "backslash before x and two hex digits; this is '%s'.", path,
                                                 canonical);
                raw = decoded;
        }
        r = manager_mount_for_path(m, raw, ret);
        if (r < 0 && manager_catch_up_mounts(m) > 0)
                /* The monitor had not told us yet. */
                r = manager_mount_for_path(m, raw, ret);
        if (r == -EMEDIUMTYPE)
                return sd_bus_error_setf(error, ERROR_NOT_OVERLAY,
                                         "%s is not on an overlay mount.", path);
        if (r < 0)
                return sd_bus_error_setf(error, ERROR_NO_SUCH_MOUNT,
                                         "No overlay mount holds %s.", path);
        if (!allow_mount_point && streq((*ret)->mount_point, raw))
                return sd_bus_error_setf(error, ERROR_INVALID_PATH,
                                         "%s is the overlay's mount point, not an entry in it.", path);
        if (ret_raw)
                *ret_raw = TAKE_PTR(decoded);
        return 0;
}

#define STATE_SOURCE_NULL \
        ((StateSource) { .fd = -1, .path = IOCTL_PATH_INIT(-1, NULL, 0), .layers = { .upper_fd = -1 } })
#define STATE_FD_USES 64

int state_source_open(OvlMount *mnt, StateSource *ret) {
        StateSource s = STATE_SOURCE_NULL;
        int r;

        s.ioctl = mnt->manager->kernel_ioctl;
        /* (without the ioctl, the layers say it, and they cannot be told) */
        if (!s.ioctl && mnt->options_unreadable)
                return -EOPNOTSUPP;
        s.mount_point = strdup(mnt->mount_point);
        if (!s.mount_point)
                return -ENOMEM;
        s.path.mount_point = s.mount_point;
        s.path.mnt_id = mnt->mnt_id;
        r = !s.ioctl && mnt->upper_dir ? ovl_mount_open_layers(mnt, &s.layers) : 0;
        if (r < 0) {
                free(s.mount_point);
                return r;
        }
        *ret = s;
        return 0;
}

void state_source_release(StateSource *s) {
        ioctl_path_done(&s->path);
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
        layers_dir_done(&s->dir);
}

void state_source_close(StateSource *s) {
        state_source_release(s);
        layers_close(&s->layers);
        free(s->mount_point);
        *s = STATE_SOURCE_NULL;
}

/* With the ioctl, the kernel walks the path from / and follows links: a
 * user's link to a FUSE mount whose server never answers would hold that
 * walk, and the event loop with it (root's call too, which no caller
 * check walks).  So the path's directory is walked first, and the kernel
 * gets it through /proc (ioctl-path.h).  (Without the ioctl the layers
 * are looked up beneath their roots, which follows no link either, and
 * the overlay is not held open: a remount of it would find it busy.) */
int state_source_get(StateSource *s, const char *path, const CallerCreds *caller, OvlState *ret) {
        bool as_caller = caller && caller->uid != 0;
        const char *rel = NULL, *kpath;
        CallerScope scope;
        int r;

        if (s->ioctl) {
                if (s->fd < 0 || s->fd_uses >= STATE_FD_USES) {
                        state_source_release(s);
                        s->fd = ovl_open_mount(s->mount_point);
                        if (s->fd < 0)
                                return s->fd;
                        s->fd_uses = 0;
                        ioctl_path_reset(&s->path, s->fd);
                }
                s->fd_uses++;
        } else if (s->layers.upper_fd < 0) {
                *ret = (OvlState) { .state = OVL_STATE_NONE };
                return 0;
        }
        rel = path_below(path, s->mount_point);
        if (!rel)
                return -EINVAL;
        /* (the walk too, and the layers' lookups without the ioctl: a path
         * changed since the caller's check is walked as the caller) */
        r = as_caller ? caller_enter(caller, &scope) : 0;
        if (r < 0)
                return r;
        if (!s->ioctl) {
                /* (a lower directory it may not search, under a copy up
                 * that it may: not told as none) */
                s->dir.fail_on_denied = as_caller;
                r = layers_lookup_in(&s->layers, &s->dir, rel, ret, NULL, NULL, NULL);
                s->layer_denied = as_caller && r == -EACCES;
                goto out;
        }
        for (unsigned tries = 0;; tries++) {
                r = ioctl_path_get(&s->path, path, rel, &kpath);
                if (r < 0)
                        break;
                r = ovl_upper_state(s->fd, kpath, ret);
                /* (the directory kept removed meanwhile) */
                if (r != -ENOENT || tries > 0 || !ioctl_path_gone(&s->path))
                        break;
        }
out:
        if (as_caller)
                caller_leave(&scope);
        return r;
}

void state_source_next(StateSource *s, const char *path, const char *next) {
        const char *a = strrchr(path, '/'), *b = next ? strrchr(next, '/') : NULL;

        if (!b || a - path != b - next || strncmp(path, next, (size_t) (a - path)) != 0)
                ioctl_path_done(&s->path);
}

/* Whiteouts known by their inode: overlayfs makes each whiteout a hard
 * link to one it made first (a mount's shared whiteout, Linux 5.8 and
 * later), so the whiteouts of an upper layer share a few inodes.  A
 * character device whose inode number, as readdir() gives it, is one of
 * these on the same file system is a whiteout, known without a stat: a
 * Scan of whiteouts that overlayfs made stats one name per inode.
 * - The walk opens no directory across a mount, so the device is each
 *   directory's.  A file mounted over a name: readdir() gives the inode
 *   under it, which is what overlayfs sees (its own stat would see the
 *   file mounted there, and is not trusted when the inodes differ).
 * - An entry is taken for a whiteout as it is read, not as it is looked
 *   up, up to 2 MiB of names later: a Scan tells what it saw while it
 *   ran, as before, and a restore stats each entry again before it acts.
 * - An inode number names one inode while it lives, with one exception
 *   known: tmpfs without "inode64" (always so on a 32-bit kernel) starts
 *   its numbers over after 2^32 inodes made in one mount (a 64-bit kernel
 *   warns "inode number overflow").  A character device that is no
 *   whiteout would then be reported as one, if it got the very number of
 *   a whiteout with several names. */
#define SCAN_WHITEOUT_INODES 8

typedef struct Scan {
        Layers *l;
        LayersDir dir;          /* the directory of the entries being looked up */
        const char *mount_point;
        const CallerCreds *caller;
        ScanResult *out;
        ScanFlush flush;
        void *userdata;
        unsigned max, found;
        size_t kept;            /* bytes of names kept, over the walk's levels */
        bool compare;
        char *unreadable;       /* the directory a readdir() failed in */
        struct {
                dev_t dev;
                ino_t ino;
        } whiteouts[SCAN_WHITEOUT_INODES];      /* inodes of whiteouts with several names */
        unsigned n_whiteouts;   /* how many of them are set, then the next to replace */
        unsigned n_known;       /* whiteouts known by their inode, for the debug line */
        unsigned n_type_stats;  /* character devices stat'ed as they were read */
        unsigned n_listed_ahead;        /* lower directories listed on a thread of their own */
} Scan;

static int scan_add(Scan *s, const char *rel, const OvlState *st, unsigned diff) {
        ScanResult *o = s->out;
        int64_t k;

        if (s->found >= s->max)
                return -E2BIG;
        if (s->flush && o->n >= SCAN_BATCH)
                s->flush(o, s->userdata);
        if (o->n >= o->allocated) {
                /* (a batch handed over leaves room for the next one) */
                size_t cap = o->allocated ? o->allocated * 2 : s->flush ? SCAN_BATCH : 64;
                ScanEntry *e = realloc(o->entries, sizeof(ScanEntry) * cap);
                if (!e)
                        return -ENOMEM;
                o->entries = e;
                o->allocated = cap;
        }
        k = path_list_add(&o->paths, rel, strlen(rel));
        if (k < 0)
                return (int) k;
        o->entries[o->n].path = (uint32_t) k;
        o->entries[o->n].diff = diff;
        o->entries[o->n++].state = *st;
        s->found++;
        return 0;
}

/* What upper entry @name of @upper_dir changed from that of @lower_dir,
 * read as the caller could. */
static unsigned scan_diff(Scan *s, int upper_dir, int lower_dir, const char *name) {
        unsigned diff = LAYERS_DIFF_UNREADABLE;
        CallerScope scope;

        if (s->caller->uid != 0) {
                if (caller_enter(s->caller, &scope) < 0)
                        return SCAN_COMPARED | diff;
                (void) layers_diff(s->l, upper_dir, lower_dir, name, false, &diff);
                caller_leave(&scope);
        } else
                (void) layers_diff(s->l, upper_dir, lower_dir, name, true, &diff);
        return SCAN_COMPARED | diff;
}

/* The type to look entry @de of directory @dfd (on device @dev, 0 if
 * unknown) up as: DT_WHT for a whiteout, known by its inode or found one
 * by a stat now; else what readdir() said. */
static unsigned char scan_entry_type(Scan *s, int dfd, dev_t dev, const struct dirent *de) {
        struct stat st;

        /* (DT_WHT, which no file system an upper layer may be on gives,
         * is this walk's own mark) */
        if (de->d_type == DT_WHT)
                return DT_UNKNOWN;
        if (de->d_type != DT_CHR || de->d_ino == 0)
                return de->d_type;
        for (unsigned i = 0; dev != 0 && i < s->n_whiteouts && i < SCAN_WHITEOUT_INODES; i++)
                if (s->whiteouts[i].ino == de->d_ino && s->whiteouts[i].dev == dev) {
                        s->n_known++;
                        return DT_WHT;
                }
        /* (an inode of another name, a mount on it: looked up as any
         * other entry) */
        s->n_type_stats++;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !layers_stat_is_whiteout_dev(&st) ||
            st.st_ino != de->d_ino)
                return DT_CHR;
        if (st.st_nlink > 1 && dev != 0 && st.st_dev == dev) {
                unsigned i = s->n_whiteouts++ % SCAN_WHITEOUT_INODES;

                s->whiteouts[i].dev = dev;
                s->whiteouts[i].ino = st.st_ino;
        }
        return DT_WHT;
}

/* Entry @rel, of type @type (DT_WHT: a whiteout, known so). */
static int scan_entry(Scan *s, const char *rel, unsigned char type) {
        int upper_dir = -1, lower_dir = -1;     /* (s->dir's) */
        const char *name = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        unsigned diff = 0;
        OvlState st;
        int r, lower;

        r = type == DT_WHT ? layers_lookup_whiteout_in(s->l, &s->dir, rel, &st, &lower)
                           : layers_lookup_in(s->l, &s->dir, rel, &st, &lower, &upper_dir, &lower_dir);
        if (r < 0 || st.state == OVL_STATE_NONE)
                return 0;
        if (s->compare && st.state == OVL_STATE_UPPER)
                diff = lower > 0 ? scan_diff(s, upper_dir, lower_dir, name) : SCAN_ADDED;
        else if (!(st.flags & OVL_UPPER_STATE_F_OPAQUE) && lower <= 0)
                return 0;       /* hides nothing */
        if ((streq(s->mount_point, "/") ? 0 : strlen(s->mount_point)) + 1 + strlen(rel) >= PATH_MAX)
                return 0;
        return scan_add(s, rel, &st, diff);
}

/* Each level of the walk recurses: a cap keeps the stack and the
 * descriptors bounded whatever a user nests. */
#define SCAN_DEPTH_MAX 256
/* A directory's subdirectories are walked after its entries (so that its
 * lookups come one after another, for the lower listing): the first this
 * many are kept for that, by name; any more are walked as they are met
 * (with the directory held open), so that a directory of a million
 * subdirectories costs no more memory than a few thousand names. */
#define SCAN_SUBDIRS_KEPT 4096
/* A directory is read once: its entries are kept (name, 4-byte index,
 * type), up to this many bytes over the whole walk (twice that allocated
 * at most, as arrays grow by doubling), and then looked up, their count
 * known (layers.h: a lower listing may answer the lookups).  A directory
 * of 100,000 names of 8 bytes fits.  Past it, the rest are counted through
 * a second descriptor of the directory, and looked up as they are read on
 * from where the kept ones ended. */
#define SCAN_NAMES_KEPT_BYTES (2u << 20)
/* A directory of which this many names are kept (SCAN_NAMES_KEPT_BYTES)
 * has its lower directories listed on a thread of their own while the
 * rest is read (lower-ahead.h), where the daemon may use more than one
 * CPU: a thread costs about as much as listing a hundred entries. */
#define SCAN_LIST_AHEAD_AFTER 1024

/* @rel joined with @name into @buf (PATH_MAX): 0, or -ENAMETOOLONG. */
static int scan_join(char *buf, const char *rel, const char *name) {
        size_t r = strlen(rel), n = strlen(name), k = r + (r ? 1 : 0);

        if (k + n >= PATH_MAX)
                return -ENAMETOOLONG;
        memcpy(buf, rel, r);
        if (r)
                buf[r] = '/';
        memcpy(buf + k, name, n + 1);
        return 0;
}

/* The entries of the directory @d reads (through a descriptor of its
 * own: @d's position stays), or 0 if they cannot be counted. */
static unsigned dir_count(DIR *d) {
        int fd = openat(dirfd(d), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        unsigned n = 0;
        DIR *c;

        if (fd < 0)
                return 0;
        c = fdopendir(fd);
        if (!c) {
                close(fd);
                return 0;
        }
        while ((de = readdir(c)))
                n += !dot_or_dot_dot(de->d_name) && n < UINT_MAX;
        closedir(c);
        return n;
}

static int scan_dir(Scan *s, const char *rel, unsigned depth);

/* A readdir() of directory @rel failed with @r: the walk ends there, and
 * says where. */
static int scan_unreadable(Scan *s, const char *rel, int r) {
        if (!s->unreadable)
                s->unreadable = strdup(rel);
        return r;
}

/* Entry @name (of type @type, DT_*) of directory @rel (its path in @sub):
 * looked up, and its subdirectory kept in @subdirs to walk later, or
 * walked now once they are too many. */
static int scan_dir_entry(Scan *s, char *sub, const char *rel, const char *name, unsigned char type,
                          PathList *subdirs, unsigned depth) {
        int64_t k;
        int r;

        if (scan_join(sub, rel, name) < 0)
                return 0;
        r = scan_entry(s, sub, type);
        if (r < 0 || type != DT_DIR)
                return r;
        if (subdirs->n >= SCAN_SUBDIRS_KEPT) {
                r = scan_dir(s, sub, depth + 1);
                s->dir.expect = 0;      /* (this directory's lookups: no longer in a row) */
                return r;
        }
        k = path_list_add(subdirs, name, strlen(name));
        return k < 0 ? (int) k : 0;
}

static int scan_dir(Scan *s, const char *rel, unsigned depth) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *sub = NULL;
        _cleanup_free_ unsigned char *types = NULL;
        _cleanup_(path_list_done) PathList subdirs = {}, names = {};
        size_t types_allocated = 0, kept = 0;
        char *next = NULL;      /* the first entry not kept (in @sub's buffer) */
        unsigned char next_type = DT_UNKNOWN;
        bool more = false;      /* entries not kept, read on later */
        ListAhead *ahead = NULL;
        void *outer_ahead = s->dir.ahead_userdata;      /* (a directory that walks this one as met) */
        struct dirent *de;
        struct stat st;
        dev_t dev;
        DIR *d;
        int r = 0;

        if (depth > SCAN_DEPTH_MAX)
                return -ELOOP;
        /* (not on the stack of a deep walk; the first entry not kept after
         * it: a name is not always below NAME_MAX, a FUSE one may be
         * longer, but one of PATH_MAX or more cannot be joined anyway) */
        sub = malloc(2 * PATH_MAX);
        if (!sub)
                return -ENOMEM;
        if (s->caller->uid != 0) {
                _cleanup_free_ char *merged = malloc(PATH_MAX);

                if (!merged)
                        return -ENOMEM;
                /* Only what the caller could list itself (in the merged
                 * view, as it would). */
                if (path_join_below(merged, PATH_MAX, s->mount_point, rel) < 0)
                        return 0;
                if (caller_may_list(s->caller, s->mount_point, merged) <= 0)
                        return 0;
                /* ...and the directory listed is opened as the caller too
                 * (a rename since the check could have put another one
                 * there); its own lookups below are root's again. */
                CallerScope scope;
                r = caller_enter(s->caller, &scope);
                if (r < 0)
                        return r;
                fd = openat_beneath(s->l->upper_fd, rel, O_RDONLY | O_DIRECTORY);
                caller_leave(&scope);
        } else
                fd = openat_beneath(s->l->upper_fd, rel, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return 0;
        dev = fstat(fd, &st) == 0 ? st.st_dev : 0;
        d = fdopendir(fd);
        if (!d)
                return negative_errno();
        fd = -1;
        /* The entries, read once: kept while they fit; the first that does
         * not is kept aside, and the rest stay in @d, read on later. */
        while ((errno = 0, de = readdir(d))) {
                size_t len = strlen(de->d_name), cost = len + 1 + sizeof(uint32_t) + 1;

                if (dot_or_dot_dot(de->d_name))
                        continue;
                if (s->kept + kept + cost > SCAN_NAMES_KEPT_BYTES ||
                    array_reserve((void **) &types, &types_allocated, names.n, 1, 1, 256) < 0 ||
                    path_list_add(&names, de->d_name, len) < 0) {
                        if (len < PATH_MAX) {
                                next = memcpy(sub + PATH_MAX, de->d_name, len + 1);
                                next_type = scan_entry_type(s, dirfd(d), dev, de);
                        }
                        more = true;
                        break;
                }
                types[names.n - 1] = scan_entry_type(s, dirfd(d), dev, de);
                kept += cost;
                /* (if it cannot start, the lookups list as they would) */
                if (names.n == SCAN_LIST_AHEAD_AFTER && list_ahead_start(&ahead, s->l, rel) >= 0 && ahead) {
                        s->dir.ahead = list_ahead_take;
                        s->dir.ahead_userdata = ahead;
                }
        }
        /* (entries missing from what it reports: not a partial answer, an
         * error) */
        if (!de && errno != 0)
                r = scan_unreadable(s, rel, -errno);
        /* How many lookups this directory's entries make: a listing of the
         * lower directories may answer them (layers.h).  Its
         * subdirectories are walked after it, so that its lookups come
         * one after another. */
        s->dir.expect = more ? dir_count(d) : (unsigned) names.n;
        list_ahead_expect(ahead, s->dir.expect);
        s->kept += kept;
        for (size_t i = 0; r >= 0 && i < names.n; i++)
                r = scan_dir_entry(s, sub, rel, path_list_get(&names, i), types[i], &subdirs, depth);
        s->kept -= kept;
        path_list_done(&names);
        free(types);
        types = NULL;
        if (r >= 0 && next)
                r = scan_dir_entry(s, sub, rel, next, next_type, &subdirs, depth);
        while (more && r >= 0 && (errno = 0, de = readdir(d)))
                if (!dot_or_dot_dot(de->d_name))
                        r = scan_dir_entry(s, sub, rel, de->d_name, scan_entry_type(s, dirfd(d), dev, de),
                                           &subdirs, depth);
        if (more && r >= 0 && !de && errno != 0)
                r = scan_unreadable(s, rel, -errno);
        if (ahead) {
                s->dir.ahead_userdata = outer_ahead;
                list_ahead_stop(ahead, &s->n_listed_ahead);
        }
        closedir(d);
        for (size_t i = 0; r >= 0 && i < subdirs.n; i++) {
                if (scan_join(sub, rel, path_list_get(&subdirs, i)) < 0)
                        continue;
                r = scan_dir(s, sub, depth + 1);
        }
        return r;
}

int state_scan(Layers *l, const char *mount_point, const char *path, const CallerCreds *caller,
               bool compare, unsigned max, ScanFlush flush, void *userdata, ScanResult *out,
               char **ret_unreadable) {
        /* (its lower lookups say what shows below, and what is compared
         * with: a listing may answer them, layers.h) */
        Scan s = { .l = l, .dir.list_lower = true, .mount_point = mount_point, .caller = caller, .out = out,
                   .flush = flush, .userdata = userdata, .max = max, .compare = compare };
        const char *rel = path_below(path, mount_point);
        int r = 0;

        *ret_unreadable = NULL;
        if (l->upper_fd < 0 || !rel)
                return 0;
        if (*rel && caller->uid != 0) {
                _cleanup_free_ char *parent = path_parent(path);

                if (!parent)
                        return -ENOMEM;
                r = caller_may_search(caller, mount_point, parent);
                if (r == 0)
                        return -EACCES;
                if (r < 0)
                        return r;
        }
        if (*rel)
                r = scan_entry(&s, rel, DT_UNKNOWN);
        if (r >= 0)
                r = scan_dir(&s, rel, 0);
        log_debug("Scan on the overlay at %s: %u entries found; whiteouts known by their inode: %u, upper "
                  "entries stat'ed: %u, lower directories listed: %u (on a thread of their own: %u), names "
                  "stat'ed in a lower layer: %u",
                  mount_point, s.found, s.n_known, s.n_type_stats + s.dir.n_upper_stats,
                  s.dir.n_listed + s.n_listed_ahead, s.n_listed_ahead, s.dir.n_lower_stats);
        layers_dir_done(&s.dir);
        *ret_unreadable = s.unreadable;
        return r;
}

void scan_result_done(ScanResult *r) {
        free(r->entries);
        path_list_done(&r->paths);
        *r = (ScanResult) {};
}
