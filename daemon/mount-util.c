/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <libmount.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel-threads.h"
#include "log.h"
#include "macro.h"
#include "mount-options.h"
#include "mount-util.h"
#include "path-util.h"
#include "statx-util.h"
#include "test-hooks.h"

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

void mount_restore_propagation(const char *mount_point, const char *propagation) {
        if (mount(NULL, mount_point, NULL, streq_ptr(propagation, "shared") ? MS_SHARED : MS_PRIVATE, NULL) < 0)
                log_warning("Overlay at %s: cannot restore %s propagation: %m", mount_point, propagation);
}

int fd_mount_id(int fd) {
        struct ovl_statx stx = {};
        int r = ovl_statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, OVL_STATX_MNT_ID, &stx);

        if (r < 0)
                return r;
        if (!(stx.stx_mask & OVL_STATX_MNT_ID))
                return -EOPNOTSUPP;
        return (int) stx.stx_mnt_id;
}

int path_mount_id(const char *path, int *ret_id, dev_t *ret_dev) {
        struct ovl_statx stx = {};
        int r = ovl_statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, OVL_STATX_MNT_ID, &stx);

        if (r < 0)
                return r;
        if (!(stx.stx_mask & OVL_STATX_MNT_ID))
                return -EOPNOTSUPP;
        *ret_id = (int) stx.stx_mnt_id;
        *ret_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
        return 0;
}

int path_is_overlay_mount(const char *path) {
        /* (followed, as mount(2) follows it) */
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
        struct ovl_statx stx = {};
        struct statfs sfs;
        int r;

        if (fd < 0)
                return negative_errno();
        r = ovl_statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, 0, &stx);
        if (r < 0)
                return r;
        if (!(stx.stx_attributes_mask & OVL_STATX_ATTR_MOUNT_ROOT))
                return -EOPNOTSUPP;
        if (fstatfs(fd, &sfs) < 0)
                return negative_errno();
        return (stx.stx_attributes & OVL_STATX_ATTR_MOUNT_ROOT) && sfs.f_type == OVERLAYFS_SUPER_MAGIC;
}

struct libmnt_fs *mount_table_find_id(struct libmnt_table *tb, int id) {
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs = NULL;

        while (it && mnt_table_next_fs(tb, it, &fs) == 0)
                if (mnt_fs_get_id(fs) == id)
                        break;
                else
                        fs = NULL;
        mnt_free_iter(it);
        return fs;
}

/* The peer group ID of @fs's optional field @key ("shared", "master"),
 * or 0 if it has none. */
static int mount_propagation_field(struct libmnt_fs *fs, const char *key) {
        const char *o = mnt_fs_get_optional_fields(fs);
        size_t k = strlen(key);

        for (; o && (o = strstr(o, key)); o += k)
                if (o[k] == ':')
                        return atoi(o + k + 1);
        return 0;
}

const char *mount_propagation_of(struct libmnt_fs *fs) {
        bool shared = mount_propagation_field(fs, "shared") > 0, slave = mount_propagation_field(fs, "master") > 0;

        return shared && slave ? "shared+slave" : shared ? "shared" : slave ? "slave" : "private";
}

static bool same_peer_group(struct libmnt_fs *fs, int group) {
        return group > 0 && mount_propagation_field(fs, "shared") == group;
}

/* A mount table read already: the first line of it, and the open file,
 * which holds its namespace (and so the IDs of its mounts) until the
 * scan ends. */
typedef struct SeenTable {
        char *first_line;
        int fd;
} SeenTable;

#define SEEN_TABLES_MAX 256     /* more: read each of the rest in full */

static bool table_seen(const SeenTable *seen, size_t n_seen, const char *line, size_t len) {
        for (size_t i = 0; i < n_seen; i++)
                if (strlen(seen[i].first_line) == len && memcmp(seen[i].first_line, line, len) == 0)
                        return true;
        return false;
}

/* A process's mount table from @fd (its /proc/PID/mountinfo), unless its
 * first line is that of a table in @seen[]: then only about that line is
 * read (the kernel's seq_file formats no more) and *ret is NULL.  The
 * first line names a namespace and a root: a process chrooted elsewhere
 * in the same namespace sees other mounts first, or the same ones at other
 * paths.  -ESRCH if the process is gone, -E2BIG past MOUNT_TABLE_MAX. */
static int read_mountinfo(int fd, const SeenTable *seen, size_t n_seen, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, cap = 0;
        bool first_known = false;

        for (;;) {
                ssize_t k;

                /* (from the heap at first: the tables of most processes
                 * are passed over after their first line, and a large
                 * block is an mmap() and munmap() each, main.c) */
                if (cap - size < 1024) {
                        size_t c = cap ? cap * 2 : 4096;
                        char *n;

                        if (cap >= MOUNT_TABLE_MAX)
                                return -E2BIG;
                        n = realloc(buf, c);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = c;
                }
                /* (first about a line's worth) */
                k = read(fd, buf + size, first_known ? cap - size - 1 : 256);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)      /* (EINVAL: its namespace went as it exited) */
                        return errno == ESRCH || errno == ENOENT || errno == EINVAL ? -ESRCH : negative_errno();
                buf[size + (size_t) k] = '\0';
                if (!first_known && (k == 0 || strchr(buf + size, '\n'))) {
                        first_known = true;
                        if (table_seen(seen, n_seen, buf, strcspn(buf, "\n"))) {
                                *ret = NULL;
                                return 0;
                        }
                }
                if (k == 0)
                        break;
                size += (size_t) k;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}

/* @text, a mount table read, parsed whole: -EBADMSG if libmount left a
 * line out.  It drops a line it cannot parse (out of memory within it
 * too) and goes on, and may end early yet succeed: a table read in part
 * would lose a mount, and an overlay in use would be taken for one that
 * is not (its upper layer edited underneath it).  (Under an empty file
 * name: given one, libmount resolves it, four readlink()s for a name in
 * /proc, to learn a thread ID that nothing here asks for.) */
static int table_parse(const char *text, struct libmnt_table **ret) {
        size_t len = strlen(text), lines = 0;
        FILE *f = fmemopen((void *) text, len, "r");
        struct libmnt_table *tb = f ? mnt_new_table() : NULL;
        int r = f && tb && mnt_table_parse_stream(tb, f, "") == 0 ? 0 : -ENOMEM;

        for (const char *c = text; (c = memchr(c, '\n', len - (size_t) (c - text))); c++)
                lines++;
        if (len > 0 && text[len - 1] != '\n')
                lines++;
        if (r >= 0 && (size_t) mnt_table_get_nents(tb) != lines)
                r = -EBADMSG;
        if (f)
                fclose(f);
        if (r < 0)
                mnt_unref_table(tb);
        else
                *ret = tb;
        return r;
}

/* Our own mount namespace's table, read once for all the checks (no
 * descriptor kept: our namespace lasts while we are in it). */
typedef struct OwnTable {
        char *text;
        struct libmnt_table *tb;
        struct libmnt_iter *it;         /* (the caller's, at its start) */
} OwnTable;

static void own_table_done(OwnTable *t) {
        mnt_free_iter(t->it);
        mnt_unref_table(t->tb);
        free(t->text);
}

int mountinfo_read_self(char **ret_text, struct libmnt_table **ret_tb) {
        _cleanup_close_ int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        int r;

        if (fd < 0)
                return negative_errno();
        r = read_mountinfo(fd, NULL, 0, &text);
        if (r >= 0)
                r = table_parse(text, ret_tb);
        if (r < 0)
                return r == -ESRCH ? -EIO : r;
        *ret_text = TAKE_PTR(text);
        return 0;
}

/* The superblock options field of mount @mnt_id's line in @text, from
 * *@hint on (then from the start: tables are looked through in their
 * order, so a scan of all of them reads the text once); *@hint then
 * points after that line. */
static int super_field(const char *text, int mnt_id, const char **hint, const char **ret, size_t *ret_len) {
        char id[16];
        size_t n = (size_t) snprintf(id, sizeof id, "%d ", mnt_id);
        const char *from = hint && *hint ? *hint : text;

        for (int pass = 0; pass < 2; pass++) {
                for (const char *l = pass ? text : from; *l && (!pass || l < from);) {
                        const char *eol = strchrnul(l, '\n'), *sep, *field;

                        /* "ID PARENT ... - FSTYPE SOURCE OPTIONS": no field
                         * holds a blank (the kernel writes it \040) */
                        if ((size_t) (eol - l) > n && memcmp(l, id, n) == 0) {
                                sep = memmem(l, (size_t) (eol - l), " - ", 3);
                                field = sep ? memchr(sep + 3, ' ', (size_t) (eol - sep - 3)) : NULL;
                                field = field ? memchr(field + 1, ' ', (size_t) (eol - field - 1)) : NULL;
                                if (!field)
                                        return -EINVAL;
                                if (hint)
                                        *hint = *eol ? eol + 1 : eol;
                                *ret = field + 1;
                                *ret_len = (size_t) (eol - field - 1);
                                return 0;
                        }
                        l = *eol ? eol + 1 : eol;
                }
        }
        return -ENOENT;
}

int mountinfo_super_options(const char *text, int mnt_id, const char **hint, char **ret) {
        const char *field;
        size_t len;
        int r;

        if (!text)
                return -ENOENT;
        r = super_field(text, mnt_id, hint, &field, &len);
        if (r < 0)
                return r;
        return ovl_options_from_mountinfo(field, len, ret);
}

static int own_table_read(OwnTable *ret) {
        OwnTable t = {};
        int r;

        r = mountinfo_read_self(&t.text, &t.tb);
        if (r >= 0 && !(t.it = mnt_new_iter(MNT_ITER_FORWARD)))
                r = -ENOMEM;
        if (r < 0) {
                own_table_done(&t);
                return r;
        }
        *ret = t;
        return 0;
}

int overlay_mounted_any(char **ret_where) {
        _cleanup_(own_table_done) OwnTable own = {};
        struct libmnt_fs *fs;
        int r;

        *ret_where = NULL;
        r = own_table_read(&own);
        if (r < 0)
                return r;
        while (mnt_table_next_fs(own.tb, own.it, &fs) == 0)
                if (streq_ptr(mnt_fs_get_fstype(fs), "overlay")) {
                        *ret_where = strdup(mnt_fs_get_target(fs) ?: "?");
                        return *ret_where ? 1 : -ENOMEM;
                }
        return 0;
}

/* Is an overlay with this upper layer mounted now?  Then its upper layer
 * must not be edited underneath it.  The same directory, however its path
 * is spelt (Calculinux's preinit writes "/data/overlay//etc/upper"). */
int overlay_upper_in_use(const char *upper_dir) {
        _cleanup_(own_table_done) OwnTable own = {};
        _cleanup_free_ char *want = path_simplify_dup(upper_dir);
        struct libmnt_fs *fs;
        struct stat st;
        bool have_st = stat(upper_dir, &st) == 0;
        const char *hint = NULL;
        int r, found = 0;

        if (!want)
                return -ENOMEM;
        r = own_table_read(&own);
        if (r < 0)
                return r;
        while (!found && mnt_table_next_fs(own.tb, own.it, &fs) == 0) {
                _cleanup_free_ char *v = NULL, *simple = NULL;
                const char *field;
                struct stat vst;
                size_t len;

                if (!streq_ptr(mnt_fs_get_fstype(fs), "overlay"))
                        continue;
                /* (its upper layer, even where its other options cannot be
                 * read; one that cannot be told may be this one) */
                r = super_field(own.text, mnt_fs_get_id(fs), &hint, &field, &len);
                if (r >= 0)
                        r = ovl_upperdir_from_mountinfo(field, len, &v);
                if (r == -EINVAL)
                        return 1;
                if (r < 0)
                        return r == -ENOENT ? -EIO : r;
                simple = v ? path_simplify_dup(v) : NULL;
                if (simple && streq(simple, want))
                        found = 1;
                else if (v && have_st && stat(v, &vst) == 0 && vst.st_dev == st.st_dev &&
                         vst.st_ino == st.st_ino)
                        found = 1;
        }
        return found;
}

/* The kernel threads, known from one look to the next (kernel-threads.h;
 * looks run on the workers' threads: the lock is held while it is brought
 * up to date and copied, not while the tables are read). */
static pthread_mutex_t kthreads_lock = PTHREAD_MUTEX_INITIALIZER;
static KernelThreads kthreads;

/* The PIDs /proc lists, but @self; sorted. */
static int proc_pids(pid_t self, pid_t **ret, size_t *ret_n) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        DIR *d = opendir("/proc");
        int r = 0;

        if (!d)
                return negative_errno();
        while ((errno = 0, de = readdir(d))) {
                pid_t pid;

                if (!isdigit((unsigned char) de->d_name[0]))
                        continue;
                pid = (pid_t) atoi(de->d_name);
                if (pid == self)
                        continue;
                if (n == cap) {
                        pid_t *m = realloc(pids, sizeof(pid_t) * (cap ? cap * 2 : 256));

                        if (!m) {
                                r = -ENOMEM;
                                break;
                        }
                        pids = m;
                        cap = cap ? cap * 2 : 256;
                }
                pids[n++] = pid;
        }
        if (r == 0 && errno != 0)
                r = negative_errno();
        closedir(d);
        if (r < 0)
                return r;
        if (n > 0)
                qsort(pids, n, sizeof(pid_t), pid_compare);
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}

/* The PIDs of the kernel threads known now (sorted; none if they cannot
 * be told), taken after the processes were listed.  One known before the
 * listing and alive now had its PID all along.  One first seen now may
 * have a PID a process of the listing had: that process has ended, and
 * its table could not have been read. */
static void kernel_threads_now(pid_t **ret, size_t *ret_n) {
        pid_t *copy = NULL;
        size_t n = 0;

        pthread_mutex_lock(&kthreads_lock);
        if (kernel_threads_update(&kthreads, "/proc") >= 0 && kthreads.n > 0 &&
            (copy = malloc(sizeof(pid_t) * kthreads.n))) {
                memcpy(copy, kthreads.pids, sizeof(pid_t) * kthreads.n);
                n = kthreads.n;
        }
        pthread_mutex_unlock(&kthreads_lock);
        *ret = copy;
        *ret_n = n;
}

/* One look at every mount table (foreach_table_with_dev()). */
typedef struct Look {
        char needle[48];        /* " MAJOR:MINOR " of the device */
        SeenTable *seen;
        size_t n_seen, n_read;
        int (*cb)(struct libmnt_table *tb, pid_t pid, void *userdata);
        void *userdata;
} Look;

/* The table of process @pid, unless one with its first line was read. */
static int look_at(Look *l, pid_t pid) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct libmnt_table *tb = NULL;
        char path[64];
        int r;

        l->n_read++;
        snprintf(path, sizeof path, "/proc/%d/mountinfo", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        /* (EINVAL: an exiting process, its namespace already gone) */
        if (fd < 0)
                return errno == ENOENT || errno == ESRCH || errno == EINVAL ? 0 : negative_errno();
        r = read_mountinfo(fd, l->seen, l->n_seen, &text);
        if (r == -ESRCH)
                return 0;
        if (r < 0 || !text)
                return r;       /* (no text: a table read already) */
        /* Each table once, whether or not it holds the device. */
        if (l->n_seen < SEEN_TABLES_MAX) {
                SeenTable *n = realloc(l->seen, sizeof(SeenTable) * (l->n_seen + 1));
                char *line = n ? strndup(text, strcspn(text, "\n")) : NULL;

                if (n)
                        l->seen = n;
                if (!line)
                        return -ENOMEM;
                l->seen[l->n_seen++] = (SeenTable) { .first_line = line, .fd = TAKE_FD(fd) };
        }
        if (!strstr(text, l->needle))
                return 0;
        r = table_parse(text, &tb);
        if (r >= 0)
                r = l->cb(tb, pid, l->userdata);
        mnt_unref_table(tb);
        return r;
}

/* Calls @cb with the mount table of each process (/proc/PID/mountinfo: the
 * table of its mount namespace, so every namespace a process is in) that
 * holds a mount of device @dev, @own (ours, read already: PID 0) first; each
 * namespace (and root) once, known by the first line of its table, which
 * it keeps open meanwhile: mount IDs are unique across the namespaces
 * that exist, and a namespace that ends during the scan could leave its
 * first mount's ID to a new one.  Reading
 * another process's mountinfo needs no ptrace access (its ns/mnt link
 * would).  A namespace no process is in, a thread's own, what a chrooted
 * process's table leaves out, one a process enters after its table was
 * read, or one of a new process that took a listed PID are not seen: the
 * remount's IN_UNMOUNT check after the unmount catches those.  Kernel
 * threads are passed over (kernel-threads.h): kthreadd's table stands for
 * theirs, which spares a table read each (most of the processes of a
 * quiet machine, about 10 us each; each kernel thread is stat'ed once,
 * when first seen).  The processes are listed before the kernel threads
 * are told, and once more after the tables are read, for those made
 * meanwhile.  Stops at @cb's first non-zero return, and returns it. */
static int foreach_table_with_dev(dev_t dev, const OwnTable *own,
                                  int (*cb)(struct libmnt_table *tb, pid_t pid, void *userdata),
                                  void *userdata) {
        _cleanup_free_ pid_t *pids = NULL, *later = NULL, *kernel = NULL;
        Look l = { .cb = cb, .userdata = userdata };
        char self[32];
        ssize_t k;
        size_t n_pids = 0, n_later = 0, n_kernel = 0, n_passed = 0, n_new = 0;
        pid_t self_pid;
        int r = 0;

        snprintf(l.needle, sizeof l.needle, " %u:%u ", major(dev), minor(dev));
        l.seen = calloc(1, sizeof(SeenTable));
        if (!l.seen)
                return -ENOMEM;
        l.seen[l.n_seen] = (SeenTable) { .first_line = strndup(own->text, strcspn(own->text, "\n")),
                                         .fd = -EBADF };
        if (!l.seen[l.n_seen++].first_line)
                r = -ENOMEM;
        else if (strstr(own->text, l.needle))
                r = cb(own->tb, 0, userdata);
        /* (our PID as this /proc numbers it: none if it shows another
         * PID namespace's processes) */
        k = readlink("/proc/self", self, sizeof self - 1);
        self[k > 0 ? k : 0] = '\0';
        self_pid = (pid_t) atoi(self);
        /* The processes first, then which of them are kernel threads (none
         * if that cannot be told: then every table is read). */
        if (r == 0)
                r = proc_pids(self_pid, &pids, &n_pids);
        if (r == 0)
                kernel_threads_now(&kernel, &n_kernel);
        if (r == 0)
                pause_point("remount-look-listed");
        for (size_t i = 0; r == 0 && i < n_pids; i++) {
                if (pid_in(kernel, n_kernel, pids[i]))
                        n_passed++;
                else
                        r = look_at(&l, pids[i]);
        }
        /* Those made while the tables were read (a kernel thread among
         * them is read too). */
        if (r == 0)
                r = proc_pids(self_pid, &later, &n_later);
        for (size_t i = 0, j = 0; r == 0 && i < n_later; i++) {
                for (; j < n_pids && pids[j] < later[i]; j++)
                        ;
                if (j < n_pids && pids[j] == later[i])
                        continue;
                n_new++;
                r = look_at(&l, later[i]);
        }
        log_debug("Other processes' mount tables: %zu looked at, %zu kernel threads passed over, "
                  "processes made during the look: %zu", l.n_read, n_passed, n_new);
        for (size_t i = 0; i < l.n_seen; i++) {
                free(l.seen[i].first_line);
                if (l.seen[i].fd >= 0)
                        close(l.seen[i].fd);
        }
        free(l.seen);
        return r;
}

/* The mounts of the superblock outside this namespace, as far as an unmount
 * here takes them along: a copy made by mount propagation (at the same
 * place, on a parent that receives propagation from ours) goes with the
 * unmount, and what is mounted on its root is moved down onto its parent
 * (the kernel's "tucking", since 4.11: systemd's ProtectHome= mounts over
 * /root in its services' namespaces, and these go).  Anything else keeps
 * the superblock alive while its upper layer is edited: a copy elsewhere, a
 * copy with a mount inside it (PrivateTmp='s /var/tmp in a copy of /var),
 * a bind of the overlay itself (caught as a copy whose parent is not in the
 * tree).  Our own namespace's copies are among them: the check of our
 * table lets those in our mount's peer group through. */
typedef struct Copy {
        int parent_shared, parent_master;
        bool goes;              /* same place, nothing mounted inside it */
        bool in_tree;
        pid_t pid;
        char *target;           /* in our own namespace (else NULL) */
} Copy;

typedef struct CopyScan {
        dev_t dev;
        int mnt_id;
        const char *mount_point;
        Copy *copies;
        size_t n;
} CopyScan;

static int collect_copies(struct libmnt_table *tb, pid_t pid, void *userdata) {
        CopyScan *c = userdata;
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs, *parent, *other;
        int r = 0;

        if (!it)
                return -ENOMEM;
        while (r == 0 && mnt_table_next_fs(tb, it, &fs) == 0) {
                struct libmnt_iter *it2;
                bool inside = false;
                Copy *n;

                if (mnt_fs_get_devno(fs) != c->dev || mnt_fs_get_id(fs) == c->mnt_id)
                        continue;       /* (IDs are unique across namespaces: ours is ours) */
                /* A mount inside the copy (not on its root: that one is
                 * moved down) keeps the copy. */
                it2 = mnt_new_iter(MNT_ITER_FORWARD);
                if (!it2) {
                        r = -ENOMEM;
                        break;
                }
                while (!inside && mnt_table_next_fs(tb, it2, &other) == 0)
                        inside = mnt_fs_get_parent_id(other) == mnt_fs_get_id(fs) &&
                                 mnt_fs_get_id(other) != mnt_fs_get_id(fs) &&
                                 !streq_ptr(mnt_fs_get_target(other), mnt_fs_get_target(fs));
                mnt_free_iter(it2);
                parent = mount_table_find_id(tb, mnt_fs_get_parent_id(fs));
                n = realloc(c->copies, sizeof(Copy) * (c->n + 1));
                if (!n) {
                        r = -ENOMEM;
                        break;
                }
                c->copies = n;
                c->copies[c->n] = (Copy) {
                        .parent_shared = parent ? mount_propagation_field(parent, "shared") : 0,
                        .parent_master = parent ? mount_propagation_field(parent, "master") : 0,
                        .goes = !inside && streq_ptr(mnt_fs_get_target(fs), c->mount_point),
                        .pid = pid,
                };
                if (pid == 0 && !(c->copies[c->n].target = strdup(mnt_fs_get_target(fs) ?: "?"))) {
                        r = -ENOMEM;
                        break;
                }
                c->n++;
        }
        mnt_free_iter(it);
        return r;
}

static bool group_in(int g, const int *groups, size_t n) {
        for (size_t i = 0; g > 0 && i < n; i++)
                if (groups[i] == g)
                        return true;
        return false;
}

/* 0 when every other mount of the superblock, in any namespace (ours
 * included), goes with an unmount here (@parent_group: the peer group of
 * our mount's parent, 0 if it propagates nothing); -EBUSY with *ret_pid a
 * process of a namespace where one would stay, and *ret_target its place
 * if that namespace is ours (else NULL). */
static int other_namespaces_follow(const OwnTable *own, const char *mount_point, int mnt_id, dev_t dev,
                                   int parent_group, pid_t *ret_pid, char **ret_target) {
        CopyScan c = { .dev = dev, .mnt_id = mnt_id, .mount_point = mount_point };
        int *groups = NULL;
        size_t n_groups = 0;
        bool changed = true;
        int r;

        r = foreach_table_with_dev(dev, own, collect_copies, &c);
        if (r >= 0 && c.n > 0) {
                groups = malloc(sizeof(int) * (2 * c.n + 1));
                if (!groups)
                        r = -ENOMEM;
                else if (parent_group > 0)
                        groups[n_groups++] = parent_group;
        }
        /* Propagation reaches a parent that is a peer or a slave (through
         * any chain of slaves) of our parent's peer group. */
        while (r >= 0 && groups && changed) {
                changed = false;
                for (size_t i = 0; i < c.n; i++) {
                        Copy *k = &c.copies[i];

                        if (k->in_tree || !(group_in(k->parent_shared, groups, n_groups) ||
                                            group_in(k->parent_master, groups, n_groups)))
                                continue;
                        k->in_tree = changed = true;
                        if (k->parent_shared > 0 && !group_in(k->parent_shared, groups, n_groups))
                                groups[n_groups++] = k->parent_shared;
                }
        }
        for (size_t i = 0; r >= 0 && i < c.n; i++)
                if (!c.copies[i].in_tree || !c.copies[i].goes) {
                        *ret_pid = c.copies[i].pid;
                        *ret_target = TAKE_PTR(c.copies[i].target);
                        r = -EBUSY;
                }
        free(groups);
        for (size_t i = 0; i < c.n; i++)
                free(c.copies[i].target);
        free(c.copies);
        return r;
}

int overlay_check_before_unmount(const char *mount_point, int mnt_id, dev_t dev, const char *mount_data,
                                 char **ret_other) {
        _cleanup_close_ int fd = open(mount_point, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_(own_table_done) OwnTable own = {};
        _cleanup_free_ char *options = NULL, *layers = NULL, *want = NULL;
        struct libmnt_fs *fs, *self;
        struct statfs sfs;
        struct stat st;
        int id, r = 0, peer_group = 0;

        *ret_other = NULL;
        if (fd < 0)
                return negative_errno();
        id = fd_mount_id(fd);
        if (id < 0)
                return id;
        if (id != mnt_id || fstat(fd, &st) < 0 || st.st_dev != dev ||
            fstatfs(fd, &sfs) < 0 || sfs.f_type != OVERLAYFS_SUPER_MAGIC)
                return -ESTALE;         /* (IDs and device numbers are reused) */

        r = own_table_read(&own);
        if (r < 0)
                return r;
        /* ...and its layers the same: the kernel hands out the lowest free
         * ID and device number, which an overlay mounted in its place most
         * often takes. */
        self = mount_table_find_id(own.tb, mnt_id);
        if (!self)
                return -ESTALE;
        r = mountinfo_super_options(own.text, mnt_id, NULL, &options);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return -ESTALE;
        layers = overlay_layer_options(options);
        want = overlay_layer_options(mount_data);
        if (!layers || !want)
                return -ENOMEM;
        if (!streq(layers, want))
                return -ESTALE;
        peer_group = mount_propagation_field(self, "shared");
        while (mnt_table_next_fs(own.tb, own.it, &fs) == 0)
                /* (copies in its own peer group go with the unmount) */
                if (mnt_fs_get_devno(fs) == dev && mnt_fs_get_id(fs) != mnt_id && !same_peer_group(fs, peer_group)) {
                        *ret_other = strdup(mnt_fs_get_target(fs) ?: "?");
                        return *ret_other ? -EBUSY : -ENOMEM;
                }
        /* Other mount namespaces (a service's private one keeps a copy of
         * every mount it was made from) must not keep it either.  (Ours
         * is scanned with them, from the table read here.) */
        {
                struct libmnt_fs *parent = mount_table_find_id(own.tb, mnt_fs_get_parent_id(self));
                _cleanup_free_ char *target = NULL;
                pid_t pid = 0;

                r = other_namespaces_follow(&own, mount_point, mnt_id, dev,
                                            parent ? mount_propagation_field(parent, "shared") : 0, &pid, &target);
                if (r == -EBUSY && target)
                        *ret_other = TAKE_PTR(target);
                else if (r == -EBUSY && asprintf(ret_other, "its place in another mount namespace (that of "
                                                 "process %d)", (int) pid) < 0) {
                        *ret_other = NULL;
                        r = -ENOMEM;
                }
        }
        return r;
}
