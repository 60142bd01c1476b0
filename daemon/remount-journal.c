/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot-id.h"
#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "mount-util.h"
#include "path-util.h"
#include "pending-store.h"
#include "remount-journal.h"
#include "state-dir.h"
#include "strv.h"

#define MAGIC "ovl-restore-remount 1"
#define MAX_RECORD (64u << 10)

/* FNV-1a: a file name per mount point. */
static char *record_name(const char *mount_point) {
        uint64_t h = 0xcbf29ce484222325ULL;
        char *name;

        for (const char *c = mount_point; *c; c++)
                h = (h ^ (unsigned char) *c) * 0x100000001b3ULL;
        return asprintf(&name, "%016llx.remount", (unsigned long long) h) < 0 ? NULL : name;
}

int remount_journal_write(const char *state_dir, const char *mount_point, const char *source,
                          const char *data, unsigned long flags, const char *propagation) {
        _cleanup_free_ char *name = record_name(mount_point), *text = NULL;
        char boot[64];
        size_t size = 0;
        FILE *f;
        int r;

        if (!name)
                return -ENOMEM;
        r = boot_id_get(boot);
        if (r < 0)
                return r;
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "%s%c%s%c%s%c%lu%c%s%c%s%c%s%c", MAGIC, 0, boot, 0, mount_point, 0, flags, 0,
                propagation ?: "private", 0, data, 0, source ?: "overlay", 0);
        if (fclose(f) != 0)
                return -ENOMEM;
        if (size >= MAX_RECORD)
                return -E2BIG;  /* the reader would not take it whole */
        return state_file_write(state_dir, "remount", name, text, size, false);
}

void remount_journal_remove(const char *state_dir, const char *mount_point) {
        _cleanup_free_ char *name = record_name(mount_point);
        _cleanup_close_ int dfd = state_subdir_open(state_dir, "remount", false);

        if (dfd < 0 || !name)
                return;
        if (unlinkat(dfd, name, 0) == 0)
                (void) fsync(dfd);
}

/* One record: 1 mounted again, 0 nothing to do, < 0 failed (kept). */
static int recover_one(int dfd, const char *name, const char *boot, const char *why, char ***ret_busy) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        const char *field[7];
        ssize_t n;
        size_t pos = 0;
        unsigned long flags;
        char *end;
        int r;

        if (fd < 0)     /* (none: gone meanwhile, or never written) */
                return errno == ENOENT ? 0 : negative_errno();
        buf = malloc(MAX_RECORD + 1);
        if (!buf)
                return -ENOMEM;
        n = read(fd, buf, MAX_RECORD);
        if (n < 0)
                return negative_errno();
        if (n == MAX_RECORD || n == 0 || buf[n - 1] != '\0') {
                log_warning("Dropping the malformed remount record %s.", name);
                (void) unlinkat(dfd, name, 0);
                return 0;
        }
        buf[n] = '\0';
        for (int i = 0; i < 6; i++) {
                if (pos >= (size_t) n) {
                        log_warning("Dropping the malformed remount record %s.", name);
                        (void) unlinkat(dfd, name, 0);
                        return 0;
                }
                field[i] = buf + pos;
                pos += strlen(buf + pos) + 1;
        }
        /* The mount source (Calculinux: the upper directory); records
         * written before it was kept have none. */
        field[6] = pos < (size_t) n ? buf + pos : "overlay";
        flags = strtoul(field[3], &end, 10);
        if (!streq(field[0], MAGIC) || *end || field[2][0] != '/') {
                log_warning("Dropping the malformed remount record %s.", name);
                (void) unlinkat(dfd, name, 0);
                return 0;
        }
        if (!streq(field[1], boot)) {
                /* Another boot mounted it afresh. */
                (void) unlinkat(dfd, name, 0);
                return 0;
        }
        /* Is it mounted again?  The kernel's answer, not a mount table's:
         * a table read in part (libmount drops a line it cannot parse, out
         * of memory too) would lose the overlay, and it would be mounted a
         * second time over itself; nor the daemon's own read, bounded by
         * MOUNT_TABLE_MAX.  Not told, the record stays. */
        r = path_is_overlay_mount(field[2]);
        if (r < 0) {
                log_error("A remount job on %s was interrupted, and whether the overlay is mounted again "
                          "cannot be told (%s): the record %s stays for the next start.", field[2],
                          strerror(-r), name);
                return r;
        }
        if (r > 0) {
                /* It is back already. */
                (void) unlinkat(dfd, name, 0);
                return 0;
        }
        if (mount(field[6], field[2], "overlay", flags, field[5]) < 0) {
                r = negative_errno();

                if (ret_busy && r == -EBUSY && strv_push(ret_busy, field[2]) >= 0)
                        return r;       /* (the caller tries again) */
                log_error("A remount job on %s was interrupted and the overlay cannot be mounted "
                          "again: %s. Mount it by hand: mount -t overlay '%s' -o '%s' '%s'",
                          field[2], strerror(-r), field[6], field[5], field[2]);
                return r;
        }
        mount_restore_propagation(field[2], field[4]);
        log_notice("A remount job on %s %s: mounted the overlay again.", field[2],
                   why ?: "was interrupted (the daemon was killed)");
        (void) unlinkat(dfd, name, 0);
        return 1;
}

int remount_journal_recover(const char *state_dir, char ***ret_busy) {
        _cleanup_close_ int dfd = state_subdir_open(state_dir, "remount", false);
        _cleanup_(closedirp) DIR *d = NULL;
        char boot[64];
        int r, n = 0;

        if (dfd == -ENOENT)
                return 0;
        if (dfd < 0)
                return dfd;
        r = boot_id_get(boot);
        if (r < 0)
                return r;
        r = opendir_dup(dfd, &d);
        if (r < 0)
                return r;
        for (struct dirent *de; (de = readdir(d));) {
                size_t len = strlen(de->d_name);

                if (len < 9 || !streq(de->d_name + len - 8, ".remount"))
                        continue;
                r = recover_one(dfd, de->d_name, boot, NULL, ret_busy);
                if (r > 0)
                        n++;
        }
        (void) fsync(dfd);
        return n;
}

int remount_journal_recover_one(const char *state_dir, const char *mount_point, const char *why) {
        _cleanup_close_ int dfd = state_subdir_open(state_dir, "remount", false);
        _cleanup_free_ char *name = record_name(mount_point);
        char boot[64];
        int r;

        if (dfd < 0)
                return dfd == -ENOENT ? 0 : dfd;
        if (!name)
                return -ENOMEM;
        r = boot_id_get(boot);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **busy = strv_new0();

        r = busy ? recover_one(dfd, name, boot, why, &busy) : -ENOMEM;
        (void) fsync(dfd);
        return r;
}

