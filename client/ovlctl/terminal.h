/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A copy of @s fit for a terminal (malloc'ed; NULL: out of memory): a
 * control character (C0, DEL, and C1 in UTF-8, U+0080 to U+009F, which
 * some terminals obey) becomes \xNN for each of its bytes, as in the bus
 * form of a path (README.md, "Names that are not UTF-8"), where a
 * backslash that could read as such an escape is \x5c already.  Anyone
 * who may write a directory of an overlay names its files, and root's
 * tables show them; the daemon's messages quote the caller's paths.
 * Tables, and every string of the daemon's that ovlctl prints, go
 * through it. */
char *terminal_escape(const char *s);
