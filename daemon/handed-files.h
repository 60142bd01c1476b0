/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

/* Memfds the daemon made and handed to callers other than root
 * (ScanByFileDescriptor's): their pages stay charged to the daemon's
 * cgroup for as long as the caller keeps the file, not to the caller's,
 * so they are counted per uid until the kernel destroys the file.  Each
 * is made mode 0 before it is handed over: no process but root's can
 * open it anew (through /proc/PID/fd), so the open file handed over is
 * the only one, and its last close destroys the inode, which an inotify
 * watch on it tells (IN_IGNORED).  A uid holding HANDED_FILES_MAX of
 * them, or HANDED_BYTES_MAX bytes, is handed no more until it closes
 * some.  (What a uid's Scans running at once write is bounded apart: by
 * their places, and each by the reply's bound.) */
#define HANDED_FILES_MAX 16
#define HANDED_BYTES_MAX (64u << 20)

typedef struct HandedFiles HandedFiles;

int handed_files_new(sd_event *event, HandedFiles **ret);
HandedFiles *handed_files_free(HandedFiles *h);

/* Whether @uid may be handed another file; what it holds in *@ret_n and
 * *@ret_bytes (either may be NULL). */
bool handed_files_room(HandedFiles *h, uid_t uid, unsigned *ret_n, uint64_t *ret_bytes);
/* @fd, a file of @bytes bytes about to be handed to @uid: made mode 0
 * and counted until it is destroyed.  0, or -errno (nothing counted:
 * the file must not be handed over then). */
int handed_files_add(HandedFiles *h, uid_t uid, int fd, uint64_t bytes);
