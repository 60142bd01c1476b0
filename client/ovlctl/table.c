/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "path-util.h"

int table_add(Table *t, const char *cell) {
        char *c;

        if (t->n_cells == t->allocated) {
                size_t n = t->allocated ? t->allocated * 2 : 32;
                char **p = realloc(t->cells, n * sizeof(char *));

                if (!p)
                        return -ENOMEM;
                t->cells = p;
                t->allocated = n;
        }
        c = text_escape_terminal(cell ?: "-");
        if (!c)
                return -ENOMEM;
        t->cells[t->n_cells++] = c;
        return 0;
}

int table_addf(Table *t, const char *fmt, ...) {
        char *s;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        r = table_add(t, s);
        free(s);
        return r;
}

int table_new(Table *t, size_t n_columns, ...) {
        va_list ap;
        int r = 0;

        *t = (Table) { .n_columns = n_columns };
        va_start(ap, n_columns);
        for (size_t i = 0; i < n_columns && r >= 0; i++)
                r = table_add(t, va_arg(ap, const char *));
        va_end(ap);
        return r;
}

void table_print(const Table *t) {
        size_t width[16] = {};
        size_t nc = t->n_columns < 16 ? t->n_columns : 16;

        for (size_t i = 0; i < t->n_cells; i++) {
                size_t l = strlen(t->cells[i]);
                if (l > width[i % t->n_columns % 16])
                        width[i % t->n_columns % 16] = l;
        }
        for (size_t i = 0; i < t->n_cells; i++) {
                size_t col = i % t->n_columns;

                if (col + 1 == t->n_columns || col >= nc)
                        printf("%s\n", t->cells[i]);
                else
                        printf("%-*s ", (int) width[col], t->cells[i]);
        }
}

void table_done(Table *t) {
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        *t = (Table) {};
}
