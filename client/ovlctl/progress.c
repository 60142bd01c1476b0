/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "progress.h"

double progress_fraction(uint64_t processed, uint64_t total) {
        if (total == 0)
                return 0;
        return processed >= total ? 1 : (double) processed / (double) total;
}

void progress_bar(double f, char bar[static PROGRESS_BAR_WIDTH + 1]) {
        size_t n = !(f > 0) ? 0 : f >= 1 ? PROGRESS_BAR_WIDTH : (size_t) (f * PROGRESS_BAR_WIDTH);

        memset(bar, '#', n);
        memset(bar + n, '.', PROGRESS_BAR_WIDTH - n);
        bar[PROGRESS_BAR_WIDTH] = '\0';
}
