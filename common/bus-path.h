/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* File names are bytes; D-Bus strings are UTF-8.  How ovl-restored and its
 * clients carry paths (README.md, "Names that are not UTF-8"):
 *   - a byte that is not part of valid UTF-8 is written \xNN (two lower-case
 *     hex digits), and so is a backslash that is followed by 'x' and two hex
 *     digits (\x5c), so that nothing else reads as an escape;
 *   - every \xNN in a path that a caller sends stands for the byte NN.
 * A path that is valid UTF-8 with no such backslash is carried unchanged. */

bool utf8_valid(const char *s);
/* Is @raw its own bus form (no byte to escape)? */
bool bus_path_is_plain(const char *raw);
/* The same in one pass: @raw's length if it is its own bus form, else -1. */
ssize_t bus_path_plain_len(const char *raw);
/* The bus form of @raw (a new string; NULL on ENOMEM). */
char *bus_path_encode(const char *raw);
/* The bytes a caller's path stands for (a new string): -EINVAL if one would
 * be NUL, -ENOMEM. */
int bus_path_decode(const char *s, char **ret);
