/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static int max_level = LOG_LEVEL_INFO;

void log_set_max_level(int level) {
        max_level = level;
}

void log_full(int level, const char *fmt, ...) {
        char line[1024];
        va_list ap;
        int n, m;

        if (level > max_level)
                return;
        /* One write a line (stderr is unbuffered: the journal, or a
         * terminal, gets it whole), unless it is longer than @line. */
        n = snprintf(line, sizeof line, "<%d>", level);
        va_start(ap, fmt);
        m = vsnprintf(line + n, sizeof line - (size_t) n - 1, fmt, ap);
        va_end(ap);
        flockfile(stderr);
        if (m >= 0 && (size_t) m < sizeof line - (size_t) n - 1) {
                line[n + m] = '\n';
                fwrite(line, 1, (size_t) (n + m + 1), stderr);
        } else {
                /* (longer: in three writes, as it comes) */
                fprintf(stderr, "<%d>", level);
                va_start(ap, fmt);
                vfprintf(stderr, fmt, ap);
                va_end(ap);
                fputc('\n', stderr);
        }
        funlockfile(stderr);
}
