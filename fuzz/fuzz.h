/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The libFuzzer entry points each fuzz target defines (the second one
 * optionally: fuzz-main.c provides a weak default). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant of the code under test: abort (a finding) when it fails,
 * in every build type. */
#define fuzz_check(expr)                                                        \
        do {                                                                    \
                if (!(expr)) {                                                  \
                        fprintf(stderr, "%s:%d: invariant failed: %s\n",        \
                                __FILE__, __LINE__, #expr);                     \
                        abort();                                                \
                }                                                               \
        } while (0)

/* The input as a NUL-terminated string (cut at the first NUL). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (s) {
                memcpy(s, data, size);
                s[size] = '\0';
        }
        return s;
}

/* Reads the input a byte at a time for structured fuzzers: 0 once it
 * ends. */
typedef struct FuzzReader {
        const uint8_t *data;
        size_t size, pos;
} FuzzReader;

static inline uint8_t fuzz_byte(FuzzReader *r) {
        return r->pos < r->size ? r->data[r->pos++] : 0;
}
