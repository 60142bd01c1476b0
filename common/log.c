/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "macro.h"

static int max_level = LOG_LEVEL_INFO;

void log_set_max_level(int level) {
        max_level = level;
}

void log_full(int level, const char *fmt, ...) {
        _cleanup_free_ char *longer = NULL;
        char buf[1024], *line = buf;
        size_t size = sizeof buf;
        int saved_errno = errno, n, m;
        va_list ap;

        if (level > max_level)
                return;
        /* One write a line (stderr is unbuffered: the journal, or a
         * terminal, gets it whole); a line longer than @buf is formatted
         * again into one of its size, with the caller's errno for %m
         * (cut to the space there is, should that fail or grow). */
        for (;;) {
                n = snprintf(line, size, "<%d>", level);
                errno = saved_errno;
                va_start(ap, fmt);
                m = vsnprintf(line + n, size - (size_t) n - 1, fmt, ap);
                va_end(ap);
                if (m < 0)
                        m = 0;
                if ((size_t) m < size - (size_t) n - 1)
                        break;
                if (line != buf || !(longer = malloc((size_t) n + (size_t) m + 2))) {
                        m = (int) (size - (size_t) n - 2);
                        break;
                }
                line = longer;
                size = (size_t) n + (size_t) m + 2;
        }
        line[n + m] = '\n';
        fwrite(line, 1, (size_t) (n + m + 1), stderr);
        errno = saved_errno;
}
