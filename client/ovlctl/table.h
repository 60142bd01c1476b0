/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Columns aligned for people: a header line, then rows; the last column
 * is not padded.  Cells are copied. */
typedef struct Table {
        size_t n_columns, n_cells, allocated;
        char **cells;           /* headers first, then row by row */
} Table;

int table_new(Table *t, size_t n_columns, ...);        /* the headers */
int table_add(Table *t, const char *cell);             /* NULL shows "-" */
int table_addf(Table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void table_print(const Table *t);
void table_done(Table *t);
static inline size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns - 1;
}
