/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "boot-id.h"
#include "macro.h"

static int boot_id_read(char buf[static 64]) {
        _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, 63);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return buf[0] ? 0 : -EIO;
}

/* Read once: a process never outlives its boot.  (A failure is not kept:
 * /proc may come later, at early boot.) */
int boot_id_get(char buf[static 64]) {
        static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        static char cached[64];
        char fresh[64];
        int r = 0;

        pthread_mutex_lock(&lock);
        if (!cached[0]) {
                r = boot_id_read(fresh);
                if (r >= 0)
                        memcpy(cached, fresh, sizeof(cached));
        }
        if (r >= 0)
                memcpy(buf, cached, sizeof(cached));
        pthread_mutex_unlock(&lock);
        return r;
}
