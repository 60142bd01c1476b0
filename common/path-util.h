/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A caller's path: absolute, normalized (no empty, "." or ".." components,
 * no trailing slash except for "/" itself), shorter than PATH_MAX, no
 * control characters.  Returns 0 or -EINVAL / -ENAMETOOLONG. */
int path_check_caller(const char *p);
/* The same, telling also whether @p holds a backslash (an escape,
 * bus-path.h) in *@ret_backslash (may be NULL; untouched on error). */
int path_check_caller_escaped(const char *p, bool *ret_backslash);
/* The same, control bytes allowed: a path of names read from a file
 * system (a recursive job's), which a pending entry keeps escaped. */
int path_check_names(const char *p);

/* If @path is @prefix or below it, returns the rest ("" or "a/b"), else NULL.
 * Both must be normalized absolute paths. */
const char *path_below(const char *path, const char *prefix);

/* Is @name (a directory entry's) "." or ".."? */
static inline bool dot_or_dot_dot(const char *name) {
        return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/* The opposite: @prefix joined with @rel ("" is @prefix itself) into
 * @buf of @size bytes; 0 or -ENAMETOOLONG. */
int path_join_below(char *buf, size_t size, const char *prefix, const char *rel);

/* @p with empty and "." components and a trailing slash dropped
 * ("/data/overlay//etc/upper/" -> "/data/overlay/etc/upper"); ".." is
 * kept.  Returns a malloc'ed string or NULL on OOM. */
char *path_simplify_dup(const char *p);

/* Entry @i of a list of relative paths held by @userdata. */
typedef const char *(*PathAt)(void *userdata, size_t i);

/* How many entries from @i on (of @n), one after another, lie in the
 * directory of entry @i (what its lookups may expect, layers.h). */
unsigned path_run_in_dir(PathAt path, void *userdata, size_t i, size_t n);

/* mkdir -p: the missing parents 0755, @path itself @mode. */
int mkdir_parents_mode(const char *path, mode_t mode);

/* Does @p hold a control byte (below 0x20, or 0x7f)? */
bool path_has_control(const char *p);

/* ...or a C1 control in UTF-8 (U+0080 to U+009F), which terminals may
 * obey: what path_escape_for_log() escapes. */
bool path_has_terminal_control(const char *p);

/* Escapes a path for a log line or a terminal: control characters (C0,
 * DEL, and both bytes of a C1 in UTF-8) and backslashes become \xNN.
 * Returns a malloc'ed string or NULL on OOM. */
char *path_escape_for_log(const char *p);
/* @p as it is written to a terminal or a log: as it is, or, holding a
 * control character, as path_escape_for_log() writes it, in *@buf (to be
 * freed; out of memory: a placeholder). */
const char *path_shown(const char *p, char **buf);
/* A copy of @s fit for a terminal: control characters (C0, DEL, and both
 * bytes of a C1 in UTF-8, U+0080 to U+009F, which some terminals obey) as
 * \xNN, backslashes as they are (text in the bus form, whose backslashes
 * are escapes already).  ovlctl's tables, and every string of the
 * daemon's it prints (its messages quote the caller's paths), go through
 * it.  Malloc'ed, NULL on OOM. */
char *text_escape_terminal(const char *s);
/* Only control bytes as \xNN: for a string in the bus form (bus-path.h),
 * whose backslashes are escapes already and read \xNN as the byte. */
char *path_escape_controls(const char *p);
