/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The value of option @name in a mount option string ("a=1,b,c=x"),
 * malloc'ed; NULL if absent, valueless, or out of memory. */
char *mount_optstr_value(const char *optstr, const char *name);

/* lowerdir=a:b:c, with "\:" for a colon inside a path (and "\\" for a
 * backslash): the directories, NULL-terminated, never an empty one; NULL
 * only when out of memory. */
char **lowerdirs_split(const char *s);

/* The superblock options as the kernel shows them without the generic
 * "rw" or "ro" (which overlayfs's own option parser refuses on 6.1), for
 * mount(2); *@sb_flags gets MS_RDONLY for "ro".  NULL without memory. */
char *mount_data_from_options(const char *options, unsigned long *sb_flags);

/* The options of @options (a superblock's, as the kernel shows them) that
 * name its layers, in their order: lowerdir, lowerdir+, datadir+,
 * upperdir, workdir, userxattr.  What tells one overlay from another: how
 * the others show depends on the overlay module's defaults at the time
 * (index, xino, ...), and a remount may add flags (lazytime, sync).  NULL
 * without memory. */
char *overlay_layer_options(const char *options);
