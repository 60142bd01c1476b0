/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "test-hooks.h"

void crash_point(const char *name) {
        const char *e = getenv("OVL_RESTORED_CRASH_AT");

        pause_point(name);
        if (e && streq(e, name)) {
                log_notice("OVL_RESTORED_CRASH_AT=%s: killing myself here.", name);
                raise(SIGKILL);
        }
}

void pause_point(const char *name) {
        const char *e = getenv("OVL_RESTORED_PAUSE_AT");
        size_t n = strlen(name);
        ssize_t k;
        char c;
        int fd;

        if (!e || strncmp(e, name, n) != 0 || e[n] != ':')
                return;
        log_notice("OVL_RESTORED_PAUSE_AT=%s: waiting for the test.", name);
        fd = open(e + n + 1, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        /* One byte lets one paused job on (a test that keeps the FIFO
         * open can release several jobs one by one); end of file lets
         * it on as well. */
        do
                k = read(fd, &c, 1);
        while (k < 0 && errno == EINTR);
        close(fd);
        log_notice("OVL_RESTORED_PAUSE_AT=%s: going on.", name);
}

bool test_force_lower_ahead(void) {
        const char *e = getenv("OVL_RESTORED_LOWER_AHEAD");

        return e && (streq(e, "always") || streq(e, "late"));
}

bool test_lower_ahead_late(void) {
        const char *e = getenv("OVL_RESTORED_LOWER_AHEAD");

        return e && streq(e, "late");
}

bool test_without(const char *method) {
        const char *e = getenv("OVL_RESTORED_WITHOUT");

        return e && streq(e, method);
}
