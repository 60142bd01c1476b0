/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layers.h"
#include "macro.h"
#include "path-util.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int openat_beneath(int dirfd, const char *rel, int flags) {
        struct open_how how = {
                .flags = (uint64_t) flags | O_CLOEXEC | O_NOFOLLOW,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                           RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        int fd;

        fd = (int) syscall(SYS_openat2, dirfd, *rel ? rel : ".", &how, sizeof(how));
        return fd < 0 ? negative_errno() : fd;
}

void layers_close(Layers *l) {
        if (l->upper_fd >= 0)
                close(l->upper_fd);
        for (size_t i = 0; i < l->n_lower; i++)
                if (l->lower_fds[i] >= 0)
                        close(l->lower_fds[i]);
        free(l->lower_fds);
        *l = (Layers) { .upper_fd = -1 };
}

static int open_dir_by_path(const char *dir, _unused_ void *userdata) {
        int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? negative_errno() : fd;
}

int layers_open_with(Layers *ret, const char *upper_dir, char * const *lower_dirs, bool userxattr,
                     int (*open_dir)(const char *dir, void *userdata), void *userdata) {
        Layers l = { .upper_fd = -1, .userxattr = userxattr };
        size_t n = 0;
        int r;

        while (lower_dirs && lower_dirs[n])
                n++;
        l.lower_fds = calloc(n ? n : 1, sizeof(int));
        if (!l.lower_fds)
                return -ENOMEM;
        if (upper_dir) {
                r = open_dir(upper_dir, userdata);
                if (r < 0)
                        goto fail;
                l.upper_fd = r;
        }
        for (; l.n_lower < n; l.n_lower++) {
                r = open_dir(lower_dirs[l.n_lower], userdata);
                if (r < 0)
                        goto fail;
                l.lower_fds[l.n_lower] = r;
        }
        *ret = l;
        return 0;
fail:
        layers_close(&l);
        return r;
}

int layers_dup(Layers *ret, const Layers *l) {
        Layers c = { .upper_fd = -1, .userxattr = l->userxattr };

        c.lower_fds = calloc(l->n_lower ? l->n_lower : 1, sizeof(int));
        if (!c.lower_fds)
                return -ENOMEM;
        if (l->upper_fd >= 0) {
                c.upper_fd = fcntl(l->upper_fd, F_DUPFD_CLOEXEC, 3);
                if (c.upper_fd < 0)
                        goto fail;
        }
        for (; c.n_lower < l->n_lower; c.n_lower++) {
                c.lower_fds[c.n_lower] = fcntl(l->lower_fds[c.n_lower], F_DUPFD_CLOEXEC, 3);
                if (c.lower_fds[c.n_lower] < 0)
                        goto fail;
        }
        *ret = c;
        return 0;
fail:
        {
                int r = negative_errno();
                layers_close(&c);
                return r;
        }
}

static bool same_dir(int fd, const char *path) {
        struct stat a, b;

        return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Is @path at or below @top (string-wise, with empty components)? */
static bool below(const char *path, const char *top) {
        _cleanup_free_ char *p = path_simplify_dup(path), *t = path_simplify_dup(top);

        return p && t && path_below(p, t);
}

bool layers_match_paths_outside(const Layers *l, const char *upper_dir, char * const *lower_dirs,
                                const char *skip_below) {
        size_t n = 0;

        if ((upper_dir != NULL) != (l->upper_fd >= 0))
                return false;
        if (upper_dir && !(skip_below && below(upper_dir, skip_below)) && !same_dir(l->upper_fd, upper_dir))
                return false;
        for (; lower_dirs && lower_dirs[n]; n++)
                if (n >= l->n_lower ||
                    (!(skip_below && below(lower_dirs[n], skip_below)) && !same_dir(l->lower_fds[n], lower_dirs[n])))
                        return false;
        return n == l->n_lower;
}

bool layers_match_paths(const Layers *l, const char *upper_dir, char * const *lower_dirs) {
        return layers_match_paths_outside(l, upper_dir, lower_dirs, NULL);
}

int layers_open(Layers *ret, const char *upper_dir, char * const *lower_dirs, bool userxattr) {
        return layers_open_with(ret, upper_dir, lower_dirs, userxattr, open_dir_by_path, NULL);
}

/* An overlay xattr of what @fd (O_PATH is enough) refers to. */
static int xattr_get_fd(Layers *l, int fd, const char *which, char *buf, size_t size) {
        char proc[64], attr[64];
        ssize_t n;

        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        snprintf(attr, sizeof attr, "%s.overlay.%s", l->userxattr ? "user" : "trusted", which);
        n = getxattr(proc, attr, buf, size);
        return n < 0 ? negative_errno() : (int) n;
}

/* The same of entry @name (one component, no "." or "..") of directory
 * @dirfd: one lgetxattr() through the directory's /proc link (the entry
 * itself is not followed). */
static int xattr_get(Layers *l, int dirfd, const char *name, const char *which, char *buf, size_t size) {
        char proc[64 + NAME_MAX], attr[64];
        ssize_t n;

        if ((size_t) snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", dirfd, name) >= sizeof proc)
                return -ENAMETOOLONG;
        snprintf(attr, sizeof attr, "%s.overlay.%s", l->userxattr ? "user" : "trusted", which);
        n = lgetxattr(proc, attr, buf, size);
        return n < 0 ? negative_errno() : (int) n;
}

/* layers_is_whiteout() of an entry whose stat @st was just read. */
static bool is_whiteout_st(Layers *l, int dirfd, const char *name, const struct stat *st) {
        if (layers_stat_is_whiteout_dev(st))
                return true;
        if (S_ISREG(st->st_mode) && st->st_size == 0)
                return xattr_get(l, dirfd, name, "whiteout", NULL, 0) >= 0;
        return false;
}

bool layers_is_whiteout(Layers *l, int dirfd, const char *name) {
        struct stat st;

        return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && is_whiteout_st(l, dirfd, name, &st);
}

static bool is_opaque_fd(Layers *l, int fd) {
        char v = 0;

        return xattr_get_fd(l, fd, "opaque", &v, 1) == 1 && v == 'y';
}

bool layers_is_opaque_dir(Layers *l, int dirfd, const char *name) {
        struct stat st;
        char v = 0;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                return false;
        return xattr_get(l, dirfd, name, "opaque", &v, 1) == 1 && v == 'y';
}

/* The names of a lower directory: 64-bit hashes of them (seeded per
 * listing, bit 0 cleared), sorted.  Bit 0 set: the entry may be a
 * whiteout (a character device, or a type readdir did not tell), so it
 * is stat'ed.  A regular file is not: overlayfs.rst puts xattr whiteouts
 * in directories marked opaque "x", and such a directory is never listed.
 * (Lookup in 6.7 and later honours one in an unmarked directory too;
 * there the listing counts it as an entry, which changes only what is
 * reported: "restored" for "hid nothing", a Scan line more.  Calculinux's
 * 6.1 has no xattr whiteouts.)  A casefolded directory is never listed
 * either: its lookups are not by the bytes of a name.  Two names of one
 * hash would make one seem present: with a random seed per listing and
 * 2^64 values, a lookup in a directory of 100,000 names errs once in
 * about 10^14, again only in what is reported. */
struct LayersNames {
        uint64_t seed;
        uint64_t *h;
        size_t n;
};

/* A directory is listed once LIST_AFTER lookups in it are made or
 * expected, reading at most LIST_PER_LOOKUP entries per lookup (a larger
 * one is tried again when the lookups have doubled).  An entry read costs
 * about a seventh of a stat (tmpfs, this project's machine): a listing
 * that fails costs at most a seventh of the stats it would have saved
 * (a job of 10,000 names in a directory of 100,000), one that succeeds
 * saves at least six sevenths of them. */
#define LIST_AFTER 64
#define LIST_PER_LOOKUP 1

static uint64_t name_hash(uint64_t seed, const char *s) {
        uint64_t h = seed ^ 0xcbf29ce484222325ULL;      /* FNV-1a */

        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 0x100000001b3ULL;
        }
        return h & ~(uint64_t) 1;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Sorts @a (@n hashes): a radix sort, a byte a pass, where a buffer of
 * their size can be had (a sort by comparisons was a tenth of a Scan of
 * 100,000 whiteouts); else qsort(). */
static void sort_u64(uint64_t *a, size_t n) {
        _cleanup_free_ uint64_t *tmp = NULL;
        size_t count[8][256] = {};
        uint64_t *from = a, *to;

        if (n < 2)
                return;
        if (n < 256 || !(tmp = malloc(n * sizeof(*a)))) {
                qsort(a, n, sizeof(*a), cmp_u64);
                return;
        }
        for (size_t i = 0; i < n; i++)
                for (unsigned b = 0; b < 8; b++)
                        count[b][(a[i] >> (8 * b)) & 0xff]++;
        to = tmp;
        for (unsigned b = 0; b < 8; b++) {
                size_t sum = 0;

                for (unsigned v = 0; v < 256; v++) {
                        size_t c = count[b][v];

                        count[b][v] = sum;
                        sum += c;
                }
                for (size_t i = 0; i < n; i++)
                        to[count[b][(from[i] >> (8 * b)) & 0xff]++] = from[i];
                to = from;
                from = from == a ? tmp : a;
        }
        /* (an even number of passes: back in @a) */
}

static void names_free(LayersNames *n) {
        if (n) {
                free(n->h);
                free(n);
        }
}

/* Lists lower directory @fd: NULL if it holds more than @max entries (or
 * more than LIST_PER_LOOKUP per lookup of *@lookups, read as it goes, if
 * not NULL), may hold xattr whiteouts, or cannot be read (its names are
 * stat'ed then). */
static LayersNames *names_list(Layers *l, int fd, size_t max, const atomic_uint *lookups) {
        LayersNames *n = calloc(1, sizeof(*n));
        size_t cap = 0;
        struct dirent *de;
        char v = 0;
        int dfd = -1, flags = 0;
        DIR *dir;

        if (!n || (xattr_get_fd(l, fd, "opaque", &v, 1) == 1 && v == 'x'))
                goto fail;
        if (getrandom(&n->seed, sizeof(n->seed), GRND_NONBLOCK) != sizeof(n->seed))
                n->seed = (uint64_t) (uintptr_t) n ^ (uint64_t) getpid() << 32;
        /* (reading a lower directory leaves its atime as a stat did) */
        dfd = openat_beneath(fd, "", O_RDONLY | O_DIRECTORY | O_NOATIME);
        if (dfd == -EPERM)
                dfd = openat_beneath(fd, "", O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
                goto fail;
        if (ioctl(dfd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_CASEFOLD_FL)) {
                close(dfd);
                goto fail;
        }
        dir = fdopendir(dfd);
        if (!dir) {
                close(dfd);
                goto fail;
        }
        while ((errno = 0, de = readdir(dir))) {
                if (dot_or_dot_dot(de->d_name))
                        continue;
                if (n->n >= max ||
                    (lookups && n->n / LIST_PER_LOOKUP >= atomic_load_explicit(lookups, memory_order_relaxed)))
                        break;
                if (n->n >= cap) {
                        size_t c = cap ? cap * 2 : 256;
                        uint64_t *h = realloc(n->h, c * sizeof(*h));

                        if (!h)
                                break;
                        n->h = h;
                        cap = c;
                }
                n->h[n->n++] = name_hash(n->seed, de->d_name) |
                               (de->d_type == DT_CHR || de->d_type == DT_UNKNOWN);
        }
        if (de || errno != 0) {         /* (more than @max, no memory, or a read error) */
                closedir(dir);
                goto fail;
        }
        closedir(dir);
        sort_u64(n->h, n->n);
        return n;
fail:
        names_free(n);
        return NULL;
}

/* 1: @name is there and no whiteout; 0: not there; -1: stat it. */
static int names_find(const LayersNames *n, const char *name) {
        uint64_t h = name_hash(n->seed, name);
        size_t lo = 0, hi = n->n;

        /* (the first at least @h: @h, then @h | 1, if either is there) */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (n->h[mid] < h)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < n->n && n->h[lo] == h)
                return 1;
        return lo < n->n && n->h[lo] == (h | 1) ? -1 : 0;
}

/* The listings made ahead for @d's directory, if any: taken for the
 * layers that merge there now as they did for them. */
static void layers_dir_adopt(LayersDir *d) {
        LayersDir *a = d->ahead ? d->ahead(d->ahead_userdata, d->dir) : NULL;

        if (!a || a->n != d->n || !a->names)
                return;
        for (int i = 0; i < d->n; i++)
                if (d->idx[i] != 0 && a->idx[i] == d->idx[i] && a->names[i] && !d->names[i])
                        d->names[i] = TAKE_PTR(a->names[i]);
}

/* Lists each lower directory of @d not listed yet (names_list(), at most
 * @max names each): true if all are listed. */
static bool list_missing(Layers *l, LayersDir *d, size_t max, const atomic_uint *lookups) {
        bool all = true;

        for (int i = 0; i < d->n; i++) {
                if (d->idx[i] == 0 || d->names[i])
                        continue;
                d->names[i] = names_list(l, d->fds[i], max, lookups);
                d->n_listed += !!d->names[i];
                all = all && d->names[i];
        }
        return all;
}

/* Lists the lower directories of @d not listed yet, if it is time. */
static void layers_dir_list(Layers *l, LayersDir *d) {
        unsigned basis = d->expect > d->lookups ? d->expect : d->lookups;

        if (basis < d->next_listing || d->n <= 0)
                return;
        d->next_listing = basis > UINT_MAX / 2 ? UINT_MAX : basis * 2;
        if (!d->names)
                d->names = calloc((size_t) d->n, sizeof(*d->names));
        if (!d->names)
                return;
        layers_dir_adopt(d);
        if (list_missing(l, d, (size_t) basis * LIST_PER_LOOKUP, NULL))
                d->next_listing = UINT_MAX;
}

void layers_dir_done(LayersDir *d) {
        bool list_lower = d->list_lower, fail_on_denied = d->fail_on_denied;
        unsigned expect = d->expect, n_listed = d->n_listed, n_lower_stats = d->n_lower_stats;
        unsigned n_upper_stats = d->n_upper_stats;
        LayersDir *(*ahead)(void *userdata, const char *dir) = d->ahead;
        void *ahead_userdata = d->ahead_userdata;

        for (int i = 0; d->names && i < d->n; i++)
                names_free(d->names[i]);
        free(d->names);
        for (int i = 0; i < d->n; i++)
                if (d->fds[i] >= 0)
                        close(d->fds[i]);
        free(d->fds);
        free(d->idx);
        free(d->dir);
        *d = (LayersDir) { .list_lower = list_lower, .fail_on_denied = fail_on_denied, .expect = expect,
                           .next_listing = LIST_AFTER,
                           .ahead = ahead, .ahead_userdata = ahead_userdata,
                           .n_listed = n_listed, .n_lower_stats = n_lower_stats,
                           .n_upper_stats = n_upper_stats };
}

/* Closes fds[0..m) and fds[from..n). */
static void close_range_of(int *fds, int m, int from, int n) {
        for (int i = 0; i < m; i++)
                close(fds[i]);
        for (int i = from; i < n; i++)
                close(fds[i]);
}

/* The layers (index 0 = upper, 1.. = lowers) whose directory @dir (relative,
 * "" = root) takes part in the merged directory, as overlayfs's lookup
 * decides: a whiteout or a non-directory hides what is below it, an opaque
 * directory ends the merge after itself.  Fills @d: d->n how many layers
 * merge, upper first, or a negative errno (-ENOENT: @dir is not a
 * directory of the merged view). */
static int merged_dir(Layers *l, const char *dir, LayersDir *d) {
        size_t total = 1 + l->n_lower;
        int *fds = d->fds, *idx = d->idx, n = 0;

        /* Start with every layer's root. */
        for (size_t i = 0; i < total; i++) {
                int root = i == 0 ? l->upper_fd : l->lower_fds[i - 1];
                if (root < 0)
                        continue;
                fds[n] = openat_beneath(root, "", O_PATH | O_DIRECTORY);
                if (fds[n] < 0)
                        goto fail;
                idx[n++] = (int) i;
        }

        for (const char *s = dir; *s;) {
                const char *e = strchr(s, '/');
                size_t len = e ? (size_t) (e - s) : strlen(s);
                char name[NAME_MAX + 1];
                int m = 0;
                bool top_is_dir = false;

                if (len == 0 || len > NAME_MAX)
                        goto fail_inval;
                memcpy(name, s, len);
                name[len] = '\0';

                for (int i = 0; i < n; i++) {
                        struct stat st;
                        int fd;

                        if (fstatat(fds[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                                /* (not searchable by this thread's
                                 * credentials: it cannot tell, which
                                 * is not "none") */
                                if ((errno == EACCES || errno == EPERM) && d->fail_on_denied) {
                                        close_range_of(fds, m, i, n);
                                        return d->n = -EACCES;
                                }
                                close(fds[i]);
                                continue;
                        }
                        if (!S_ISDIR(st.st_mode)) {
                                /* a whiteout or a non-directory hides everything below;
                                 * a non-dir on top means no dir */
                                for (int j = i; j < n; j++)
                                        close(fds[j]);
                                break;
                        }
                        fd = openat_beneath(fds[i], name, O_PATH | O_DIRECTORY);
                        close(fds[i]);
                        if ((fd == -EACCES || fd == -EPERM) && d->fail_on_denied) {
                                close_range_of(fds, m, i + 1, n);
                                return d->n = -EACCES;
                        }
                        if (fd < 0) {
                                for (int j = i + 1; j < n; j++)
                                        close(fds[j]);
                                break;
                        }
                        if (m == 0)
                                top_is_dir = true;
                        fds[m] = fd;
                        idx[m++] = idx[i];
                        if (is_opaque_fd(l, fd)) {
                                for (int j = i + 1; j < n; j++)
                                        close(fds[j]);
                                break;
                        }
                }
                n = m;
                if (n == 0 || !top_is_dir)
                        goto fail_noent;
                s = e ? e + 1 : s + len;
        }
        d->n = n;
        return n;

fail_inval:
        for (int i = 0; i < n; i++)
                close(fds[i]);
        return d->n = -EINVAL;
fail_noent:
        for (int i = 0; i < n; i++)
                close(fds[i]);
        return d->n = -ENOENT;
fail:
        {
                int r = negative_errno();
                for (int i = 0; i < n; i++)
                        close(fds[i]);
                return d->n = r;
        }
}

/* @d for directory @dir (@len bytes): looked up again unless it is the
 * one @d holds. */
static int layers_dir_enter(Layers *l, LayersDir *d, const char *dir, size_t len) {
        size_t total = 1 + l->n_lower;

        /* (a failure for want of memory or descriptors may pass: tried again) */
        if (d->dir && strlen(d->dir) == len && strncmp(d->dir, dir, len) == 0 &&
            d->n != -ENOMEM && d->n != -EMFILE && d->n != -ENFILE && d->n != -EAGAIN)
                return d->n;
        layers_dir_done(d);
        d->fds = calloc(total, sizeof(int));
        d->idx = calloc(total, sizeof(int));
        d->dir = strndup(dir, len);
        if (!d->fds || !d->idx || !d->dir) {
                layers_dir_done(d);
                return -ENOMEM;
        }
        return merged_dir(l, d->dir, d);
}

int layers_dir_list_ahead(Layers *l, LayersDir *d, const char *dir, const atomic_uint *lookups) {
        int n = layers_dir_enter(l, d, dir, strlen(dir));

        if (n <= 0)
                return n;
        d->names = calloc((size_t) n, sizeof(*d->names));
        if (!d->names)
                return -ENOMEM;
        (void) list_missing(l, d, SIZE_MAX, lookups);
        return n;
}

static int lookup_in(Layers *l, LayersDir *d, const char *rel, bool upper_whiteout, OvlState *ret_state,
                     int *ret_lower, int *ret_upper_dir, int *ret_lower_dir) {
        const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
        OvlState st = { .state = OVL_STATE_NONE };
        bool has_lower = false;
        int n, lower = 0;       /* lower: 1 found, -1 a lower whiteout ends the search */
        int upper_i = -1, lower_i = -1;
        struct stat sb;

        n = layers_dir_enter(l, d, rel, slash ? (size_t) (slash - rel) : 0);
        if (n < 0)
                return n;
        if (d->list_lower) {
                d->lookups++;
                layers_dir_list(l, d);
        }
        /* The lower layers first (the first that has the entry decides), the
         * upper last: its stat is the last look before an edit of it.  The
         * upper state alone needs only whether a lower directory merges
         * there, not their entries. */
        for (int i = 0; i < n; i++) {
                int k = -1;

                if (d->idx[i] == 0)
                        continue;
                has_lower = true;
                if (!ret_lower && !ret_lower_dir)
                        break;
                if (lower == 0 && d->names && d->names[i])
                        k = names_find(d->names[i], name);
                if (k == 1) {
                        lower = 1;
                        lower_i = i;
                }
                if (k >= 0 || lower != 0)
                        continue;
                d->n_lower_stats++;
                if (fstatat(d->fds[i], name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                lower = is_whiteout_st(l, d->fds[i], name, &sb) ? -1 : 1;
                if (lower > 0)
                        lower_i = i;
        }
        if (upper_whiteout && n > 0 && d->idx[0] == 0) {
                upper_i = 0;
                st.state = OVL_STATE_WHITEOUT;
        } else if ((ret_state || ret_upper_dir) && n > 0 && d->idx[0] == 0 &&
                   (d->n_upper_stats++, fstatat(d->fds[0], name, &sb, AT_SYMLINK_NOFOLLOW) == 0)) {
                upper_i = 0;
                if (is_whiteout_st(l, d->fds[0], name, &sb))
                        st.state = OVL_STATE_WHITEOUT;
                else {
                        st.state = OVL_STATE_UPPER;
                        st.mode = sb.st_mode;
                        if (S_ISDIR(sb.st_mode) && layers_is_opaque_dir(l, d->fds[0], name))
                                st.flags |= OVL_UPPER_STATE_F_OPAQUE;
                }
        }
        if (!has_lower)
                st.flags |= OVL_UPPER_STATE_F_NO_LOWER_DIR;
        if (ret_upper_dir)
                *ret_upper_dir = upper_i >= 0 ? d->fds[upper_i] : -1;
        if (ret_lower_dir)
                *ret_lower_dir = lower_i >= 0 ? d->fds[lower_i] : -1;
        if (ret_state)
                *ret_state = st;
        if (ret_lower)
                *ret_lower = lower > 0;
        return 0;
}

int layers_lookup_in(Layers *l, LayersDir *d, const char *rel, OvlState *ret_state, int *ret_lower,
                     int *ret_upper_dir, int *ret_lower_dir) {
        return lookup_in(l, d, rel, false, ret_state, ret_lower, ret_upper_dir, ret_lower_dir);
}

int layers_lookup_whiteout_in(Layers *l, LayersDir *d, const char *rel, OvlState *ret_state, int *ret_lower) {
        return lookup_in(l, d, rel, true, ret_state, ret_lower, NULL, NULL);
}

int layers_lookup_at(Layers *l, const char *rel, OvlState *ret_state, int *ret_lower,
                     int *ret_upper_dir, int *ret_lower_dir) {
        _cleanup_(layers_dir_done) LayersDir d = {};
        int r, u = -1, lo = -1;

        r = layers_lookup_in(l, &d, rel, ret_state, ret_lower, &u, &lo);
        if (r < 0)
                return r;
        /* (handed over: the caller closes them) */
        if (ret_upper_dir) {
                *ret_upper_dir = -1;
                for (int i = 0; u >= 0 && i < d.n; i++)
                        if (d.fds[i] == u)
                                *ret_upper_dir = TAKE_FD(d.fds[i]);
        }
        if (ret_lower_dir) {
                *ret_lower_dir = -1;
                for (int i = 0; lo >= 0 && i < d.n; i++)
                        if (d.fds[i] == lo)
                                *ret_lower_dir = TAKE_FD(d.fds[i]);
        }
        return 0;
}

int layers_lookup(Layers *l, const char *rel, OvlState *ret_state, int *ret_lower) {
        return layers_lookup_at(l, rel, ret_state, ret_lower, NULL, NULL);
}

int layers_state(Layers *l, const char *rel, OvlState *ret) {
        return layers_lookup(l, rel, ret, NULL);
}

int layers_lower_visible(Layers *l, const char *rel) {
        int lower = 0, r = layers_lookup(l, rel, NULL, &lower);

        return r < 0 ? r : lower;
}
