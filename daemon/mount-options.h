/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The superblock options of a mountinfo line (@len bytes of @field), as
 * the kernel wrote them (each value's commas, blanks and backslashes as
 * \NNN), made into the string the functions below read: each item as it
 * was given, a backslash at its end dropped (overlayfs drops it from a
 * path), joined by commas.  libmount's own reading of the field cannot
 * tell an escaped comma in a path from a path ending in a backslash
 * before the next option: both become "\,".  -EINVAL if an item holds a
 * comma no backslash escapes (a value set through fsconfig(2)) or a NUL
 * (no option string could carry it as overlayfs reads options), or for
 * layers given as lowerdir+ or datadir+ (6.8 and later) and a lowerdir
 * written as 6.5 to 6.7 wrote it (its paths unescaped, ':' as \072):
 * those are not read. */
int ovl_options_from_mountinfo(const char *field, size_t len, char **ret);

/* The upper layer's path in such a field (the kernel's \NNN and
 * overlayfs's backslashes undone), or NULL if none: what a comma set
 * through fsconfig(2) cannot hide (the kernel's literal commas end the
 * items).  -EINVAL if it holds a NUL, -ENOMEM. */
int ovl_upperdir_from_mountinfo(const char *field, size_t len, char **ret);

/* The value of option @name in an overlay's option string ("a=1,b,c=x"),
 * as overlayfs reads it: an item ends at a comma without a backslash
 * before it, so a path with "\," in it stays whole, and with @unescape
 * each backslash takes the next character as it is, one at the end is
 * dropped, as overlayfs's ovl_unescape() does (upperdir, workdir;
 * lowerdir's value goes to lowerdirs_split() escaped, for its colons).
 * Malloc'ed; NULL if absent, valueless, or out of memory. */
char *ovl_option_value(const char *optstr, const char *name, bool unescape);
/* Whether the valueless item @name ("userxattr", "ro") is in @optstr. */
bool ovl_option_has(const char *optstr, const char *name);

/* lowerdir=a:b:c, with "\:" for a colon inside a path (and "\\" for a
 * backslash): the directories, NULL-terminated, never an empty one; NULL
 * only when out of memory. */
char **lowerdirs_split(const char *s);

/* The superblock options as the kernel shows them without the generic
 * "rw" or "ro" (which overlayfs's own option parser refuses on 6.1), for
 * mount(2); *@sb_flags gets MS_RDONLY for "ro".  NULL without memory. */
char *mount_data_from_options(const char *options, unsigned long *sb_flags);

/* (These two split @options as ovl_option_value() does.)
 * @options (a superblock's, as the kernel shows them) without those that
 * may show otherwise for the same overlay: "rw", "ro" and the other
 * superblock flags (a remount changes them), and the features the kernel
 * shows only where they differ from the overlay module's defaults of the
 * moment (index, xino, redirect_dir, metacopy, nfs_export, uuid, verity).
 * What is left names the layers (lowerdir, upperdir, workdir, ...), in
 * its order: what tells one overlay from another.  Every other item is
 * kept, so that nothing in a layer's path can make two overlays look the
 * same.  NULL without memory. */
char *overlay_layer_options(const char *options);
