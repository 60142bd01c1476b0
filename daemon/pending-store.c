/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libmount.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boot-id.h"
#include "io-util.h"
#include "layers.h"
#include "log.h"
#include "macro.h"
#include "pending-store.h"
#include "mount-options.h"
#include "mount-util.h"
#include "path-util.h"
#include "test-hooks.h"
#include "state-dir.h"
#include "strv.h"
#include "upper-edit.h"

#define SUFFIX ".pending"

bool pending_id_valid(const char *id) {
        size_t n = strlen(id);

        return n > 0 && n < 64 && strspn(id, "0123456789abcdef-") == n;
}

int pending_store_write(const char *state_dir, const PendingEntry *e, char **ret_id) {
        _cleanup_free_ char *text = NULL, *id = NULL, *name = NULL;
        struct timespec ts;
        uint32_t rnd = 0;
        size_t size;
        int r;

        r = pending_entry_format(e, &text, &size);
        if (r < 0)
                return r;
        /* What is recorded is what the boot step reads back: an entry it
         * could not read would wait for ever, its paths told "deferred"
         * (more than PENDING_MAX_SIZE of names a recursive job found:
         * -E2BIG; a name the format cannot hold, in a path or a layer's
         * path: -EBADMSG; the count of paths is bounded as the job's,
         * PENDING_MAX_PATHS being manager.c's max_paths). */
        if (size > PENDING_MAX_SIZE)
                return -E2BIG;
        r = pending_entry_parse(text, size, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) < 0)
                rnd = (uint32_t) getpid() ^ (uint32_t) ts.tv_nsec;
        /* Names sort in the order of writing; no two writes share one. */
        if (asprintf(&id, "%016" PRIx64 "-%08" PRIx32,
                     (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec, rnd) < 0 ||
            asprintf(&name, "%s" SUFFIX, id) < 0)
                return -ENOMEM;
        r = state_file_write(state_dir, "pending", name, text, size, true);
        if (r < 0)
                return r;
        *ret_id = TAKE_PTR(id);
        return 0;
}

static int read_entry(int dfd, const char *name, PendingEntry *ret) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        ssize_t got;

        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode) || st.st_size > PENDING_MAX_SIZE)
                return -EBADMSG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        got = read_full(fd, buf, (size_t) st.st_size);
        if (got < 0)
                return (int) got;
        return pending_entry_parse(buf, (size_t) got, ret);
}

static int compare_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* Names of the entries (sorted): not the temporary files of a write cut
 * short, which state_dir_sweep() removes. */
static int list_names(int dfd, char ***ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        StrvBuilder b = {};
        struct dirent *de;
        int r;

        r = opendir_dup(dfd, &d);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);

                /* (".NAME.tmp" of a write cut short ends otherwise) */
                if (n <= strlen(SUFFIX) || !streq(de->d_name + n - strlen(SUFFIX), SUFFIX))
                        continue;
                r = strv_builder_push(&b, de->d_name);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                strv_builder_done(&b);
                return r;
        }
        *ret = strv_builder_finish(&b);
        if (!*ret)
                return -ENOMEM;
        qsort(*ret, strv_length(*ret), sizeof(char *), compare_str);
        return 0;
}

int pending_store_foreach(const char *state_dir, PendingVisit visit, void *userdata) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_close_ int dfd = state_subdir_open(state_dir, "pending", false);
        int r;

        if (dfd == -ENOENT)
                return 0;
        if (dfd < 0)
                return dfd;
        r = list_names(dfd, &names);
        if (r < 0)
                return r;
        for (char **name = names; *name; name++) {
                _cleanup_(pending_entry_done) PendingEntry e = {};
                _cleanup_free_ char *id = NULL;

                r = read_entry(dfd, *name, &e);
                /* (short of memory: not an entry to leave out unsaid) */
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        log_warning("Pending restore %s is unreadable (%s): ignored.", *name, strerror(-r));
                        continue;
                }
                id = strndup(*name, strlen(*name) - strlen(SUFFIX));
                if (!id)
                        return -ENOMEM;
                r = visit(id, &e, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The directory of entry @id, and its file name there. */
static int open_entry(const char *state_dir, const char *id, int *ret_dfd, char **ret_name) {
        int dfd;

        if (!pending_id_valid(id))
                return -ENOENT;
        dfd = state_subdir_open(state_dir, "pending", false);
        if (dfd < 0)
                return dfd;
        if (asprintf(ret_name, "%s" SUFFIX, id) < 0) {
                close(dfd);
                return -ENOMEM;
        }
        *ret_dfd = dfd;
        return 0;
}

int pending_store_read(const char *state_dir, const char *id, PendingEntry *ret) {
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *name = NULL;
        int r = open_entry(state_dir, id, &dfd, &name);

        return r < 0 ? r : read_entry(dfd, name, ret);
}

int pending_store_remove(const char *state_dir, const char *id) {
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *name = NULL;
        int r = open_entry(state_dir, id, &dfd, &name);

        if (r < 0)
                return r;
        if (unlinkat(dfd, name, 0) < 0)
                return negative_errno();
        return fsync(dfd) < 0 ? negative_errno() : 0;
}

static int mode_from_string(const char *s) {
        return streq(s, "opaque") ? RESTORE_MODE_OPAQUE :
               streq(s, "discard") ? RESTORE_MODE_DISCARD : RESTORE_MODE_WHITEOUT;
}

/* An entry as the boot step applies it. */
typedef struct Applying {
        PendingEntry *e;
        size_t n;
        bool failures_only;     /* more than APPLY_LIST_MAX paths, to a terminal: the first
                                 * APPLY_LIST_MAX failures alone */
        size_t restored, skipped, failed;
} Applying;

/* The boot step writes to the console, which a slow one (a serial line,
 * the device's framebuffer) takes its time to show: to a terminal, an
 * entry of more paths than this lists its first failures alone, this many
 * at most, then a summary.
 * (To a file or a pipe, every path.) */
#define APPLY_LIST_MAX 100

static const char *entry_path(void *userdata, size_t i) {
        Applying *a = userdata;

        return a->e->paths[i];
}

/* Each path's outcome on standard output as it comes (ovl-restored(8)):
 * a line each, a tab between path, outcome and message (of an entry of
 * many paths, the failures only).  A name with a control byte (a recursive
 * job's) is written as path_escape_for_log() does, \xNN, so that it keeps
 * to its line. */
static void entry_report(void *userdata, size_t i, EditOutcome o) {
        Applying *a = userdata;
        PendingEntry *e = a->e;
        _cleanup_free_ char *escaped = NULL;
        char full[2 * PATH_MAX], path_crash[32];
        const char *shown = full;

        if (o.outcome == OUTCOME_RESTORED)
                a->restored++;
        else if (o.outcome == OUTCOME_FAILED)
                a->failed++;
        else
                a->skipped++;
        snprintf(path_crash, sizeof path_crash, "pending-apply-path-%zu", i + 1);
        if (a->failures_only && (o.outcome != OUTCOME_FAILED || a->failed > APPLY_LIST_MAX)) {
                crash_point(path_crash);
                return;
        }

        /* (an entry's mount point holds no C0 control, but may a C1; it
         * and each path are below PATH_MAX: pending.c) */
        if (path_join_below(full, sizeof full, e->mount_point, e->paths[i]) < 0)
                shown = "(a path too long)";
        else
                shown = path_shown(full, &escaped);
        printf("%s\t%s%s%s\n", shown, restore_outcome_to_string(o.outcome), *o.message ? "\t" : "",
               o.message);
        fflush(stdout);
        crash_point(path_crash);
}

/* One entry; 0 when applied (and removed), <0 when it stays. */
static int apply_one(int dfd, const char *name) {
        PendingEntry e = {};
        Applying a = { .e = &e };
        Layers l = { .upper_fd = -1 };
        char what[NAME_MAX + 32];
        int r;

        r = read_entry(dfd, name, &e);
        if (r < 0) {
                log_error("Pending restore %s is unreadable (%s): kept, not applied.", name, strerror(-r));
                return r;
        }
        /* (as they are written out: the console shows them) */
        _cleanup_free_ char *mp_buf = NULL, *up_buf = NULL;
        const char *mp = path_shown(e.mount_point, &mp_buf), *up = path_shown(e.upper_dir, &up_buf);
        r = overlay_upper_in_use(e.upper_dir);
        if (r < 0) {
                log_error("Pending restore %s: cannot read the mount table (%s), so cannot tell whether an "
                          "overlay with upper layer %s is mounted. Kept.", name,
                          r == -E2BIG ? "too large to read" : strerror(-r), up);
                goto out;
        }
        if (r > 0) {
                log_error("Pending restore %s: an overlay with upper layer %s is mounted; apply it "
                          "before the overlay is mounted. Kept.", name, up);
                r = -EBUSY;
                goto out;
        }
        r = layers_open(&l, e.upper_dir, e.lower_dirs, e.userxattr);
        if (r < 0) {
                log_error("Pending restore %s: cannot open the layers of %s (%s): kept.",
                          name, mp, strerror(-r));
                goto out;
        }
        snprintf(what, sizeof what, "Pending restore %s", name);
        /* (each outcome printed before the next edit: a boot cut short
         * has told what it did) */
        a.n = strv_length(e.paths);
        a.failures_only = a.n > APPLY_LIST_MAX && isatty(STDOUT_FILENO);
        (void) upper_edit_each(&l, mode_from_string(e.mode), false, a.n, entry_path, entry_report, &a, false,
                               NULL, what);
        if (a.failures_only) {
                printf("%s: %zu paths, %zu restored, %zu skipped, %zu failed (of more than %d paths, the "
                       "first %d failures alone are listed)\n", mp, a.n, a.restored, a.skipped,
                       a.failed, APPLY_LIST_MAX, APPLY_LIST_MAX);
                fflush(stdout);
        }
        /* Every path was tried; what failed is reported, and applying the
         * entry again would not change it: it is done. */
        if (unlinkat(dfd, name, 0) < 0) {
                r = negative_errno();
                goto out;
        }
        crash_point("pending-apply-unlink");
        r = fsync(dfd) < 0 ? negative_errno() : 0;
        log_info("Pending restore %s on %s applied (%zu paths, mode %s: %zu restored, %zu skipped, %zu "
                 "failed).", name, mp, a.n, e.mode, a.restored, a.skipped, a.failed);
out:
        layers_close(&l);
        pending_entry_done(&e);
        return r;
}

int pending_apply_all(const char *state_dir, bool *ret_read) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_close_ int dfd = state_subdir_open(state_dir, "pending", false);
        int r, failed = 0;

        *ret_read = false;
        if (dfd == -ENOENT) {
                *ret_read = true;
                return 0;               /* nothing was ever deferred */
        }
        if (dfd < 0) {
                log_error("Cannot open %s/pending: %s", state_dir, strerror(-dfd));
                return 1;
        }
        r = list_names(dfd, &names);
        if (r < 0) {
                log_error("Cannot list %s/pending: %s", state_dir, strerror(-r));
                return 1;
        }
        *ret_read = true;
        for (char **name = names; *name; name++) {
                r = apply_one(dfd, *name);
                if (r < 0)
                        failed++;
        }
        return failed ? 1 : 0;
}

#define BOOT_STEP "applied-at-boot"

int pending_store_mark_boot(const char *state_dir) {
        char boot[64], text[80];
        int r = boot_id_get(boot);

        if (r < 0)
                return r;
        r = snprintf(text, sizeof text, "%s\n", boot);
        return state_file_write(state_dir, "pending", BOOT_STEP, text, (size_t) r, false);
}

bool pending_store_boot_step_ran(const char *state_dir) {
        _cleanup_close_ int dfd = state_subdir_open(state_dir, "pending", false), fd = -EBADF;
        char boot[64], buf[80];
        struct stat st;
        ssize_t n;

        if (dfd < 0 || boot_id_get(boot) < 0)
                return false;
        /* (non-blocking, a regular file: nothing there can hold the loop) */
        fd = openat(dfd, BOOT_STEP, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        n = read_full(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return streq(buf, boot);
}
