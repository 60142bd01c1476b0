/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The D-Bus errors of org.calculinux.OverlayRestore1 (DESIGN.md), which
 * the restore engine reports too (restore.h: RestoreSink.fail). */
#define ERROR_PREFIX "org.calculinux.OverlayRestore1.Error."
#define ERROR_NO_SUCH_MOUNT ERROR_PREFIX "NoSuchMount"
#define ERROR_NOT_OVERLAY ERROR_PREFIX "NotOverlay"
#define ERROR_INVALID_PATH ERROR_PREFIX "InvalidPath"
#define ERROR_UNSUPPORTED ERROR_PREFIX "Unsupported"
#define ERROR_BUSY ERROR_PREFIX "Busy"
#define ERROR_NO_SUCH_JOB ERROR_PREFIX "NoSuchJob"
#define ERROR_LIMIT_EXCEEDED ERROR_PREFIX "LimitExceeded"
/* An addition to DESIGN.md: Restore while the daemon exits (SIGTERM, or
 * idle: the bus activates a new instance for the next call). */
#define ERROR_SHUTTING_DOWN ERROR_PREFIX "ShuttingDown"
