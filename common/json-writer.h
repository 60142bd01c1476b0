/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A streaming JSON writer: commas, nesting and string escaping are its
 * business, the caller only says what comes next.  Strings are taken as
 * UTF-8 (D-Bus guarantees it); control characters, '"' and '\' are
 * escaped.  "pretty" indents by two spaces; otherwise one line. */
#define JSON_MAX_DEPTH 16

typedef struct JsonWriter {
        FILE *f;
        bool pretty;
        unsigned depth;
        bool need_comma[JSON_MAX_DEPTH];
        bool after_key;
} JsonWriter;

void json_init(JsonWriter *w, FILE *f, bool pretty);
void json_begin_object(JsonWriter *w);
void json_end_object(JsonWriter *w);
void json_begin_array(JsonWriter *w);
void json_end_array(JsonWriter *w);
void json_key(JsonWriter *w, const char *key);
void json_string(JsonWriter *w, const char *s);     /* NULL writes null */
void json_uint(JsonWriter *w, uint64_t v);
void json_double(JsonWriter *w, double v);
void json_bool(JsonWriter *w, bool v);
void json_null(JsonWriter *w);
/* Ends a top-level value with a newline. */
void json_finish(JsonWriter *w);

/* Shorthands for "key": value inside an object. */
void json_field_string(JsonWriter *w, const char *key, const char *s);
void json_field_uint(JsonWriter *w, const char *key, uint64_t v);
void json_field_bool(JsonWriter *w, const char *key, bool v);
