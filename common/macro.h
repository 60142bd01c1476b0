/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _fallthrough_ __attribute__((fallthrough))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p) {
        free(*(void **) p);
}

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Returns the value and leaves -1 behind, for handing an fd on. */
static inline int take_fd(int *fd) {
        int r = *fd;
        *fd = -1;
        return r;
}

/* errno as a negative return value; never 0 even if errno was not set. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

#include <string.h>

#define streq(a, b) (strcmp((a), (b)) == 0)
static inline int streq_ptr(const char *a, const char *b) {
        return a && b ? streq(a, b) : a == b;
}

/* Returns the pointer and leaves NULL behind, for handing ownership on. */
#define TAKE_FD(fd)                                     \
        ({                                              \
                int _fd_ = (fd);                        \
                (fd) = -1;                              \
                _fd_;                                   \
        })

#define TAKE_PTR(p)                                     \
        ({                                              \
                typeof(p) _p = (p);                     \
                (p) = NULL;                             \
                _p;                                     \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)         \
        static inline void func##p(type *p) {           \
                if (*p)                                 \
                        func(*p);                       \
        }

#include <inttypes.h>
#define UID_FMT "%" PRIu32

#define container_of(ptr, type, member) ((type *) (void *) ((char *) (ptr) - offsetof(type, member)))
