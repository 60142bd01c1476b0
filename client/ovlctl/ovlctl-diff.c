/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* diff: what the upper layers change of the lower layers (the image), in
 * the manner of systemd-delta; revert: a discard restore. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ovlctl.h"
#include "strv.h"
#include "table.h"

const char *arg_types = NULL;

/* The kinds of difference, as `--type=` names them. */
typedef enum DiffType {
        DIFF_MODIFIED,
        DIFF_UNCHANGED,
        DIFF_DELETED,
        DIFF_OPAQUE,
        DIFF_ADDED,
        DIFF_UNREADABLE,
        _DIFF_TYPE_MAX,
} DiffType;

static const char *const diff_type_names[_DIFF_TYPE_MAX] = {
        [DIFF_MODIFIED] = "modified",
        [DIFF_UNCHANGED] = "unchanged",
        [DIFF_DELETED] = "deleted",
        [DIFF_OPAQUE] = "opaque",
        [DIFF_ADDED] = "added",
        [DIFF_UNREADABLE] = "unreadable",
};

/* What differs, of Scan's flags (the rest say what the entry is). */
static const char *const change_flags[] = { "type", "mode", "owner", "content", "xattrs" };

static bool is_change(const char *flag) {
        for (size_t i = 0; i < ELEMENTSOF(change_flags); i++)
                if (streq(flag, change_flags[i]))
                        return true;
        return false;
}

static DiffType diff_type(const char *state, char **flags) {
        bool changed = false;

        for (char **f = flags; f && *f; f++)
                changed = changed || is_change(*f);
        if (streq(state, "whiteout"))
                return DIFF_DELETED;
        if (strv_contains(flags, "added"))
                return DIFF_ADDED;
        /* (a directory in place of a file is opaque, but hides no contents) */
        if (strv_contains(flags, "opaque") && !strv_contains(flags, "type"))
                return DIFF_OPAQUE;
        if (changed)
                return DIFF_MODIFIED;
        if (strv_contains(flags, "unreadable"))
                return DIFF_UNREADABLE;
        return DIFF_UNCHANGED;
}

typedef struct Diff {
        bool show[_DIFF_TYPE_MAX];
        Table table;
        JsonWriter json;
} Diff;

/* --type=LIST, comma-separated; without it every type but unchanged, as
 * systemd-delta does. */
static int parse_types(const char *list, bool show[static _DIFF_TYPE_MAX]) {
        _cleanup_strv_free_ char **names = NULL;

        for (int i = 0; i < _DIFF_TYPE_MAX; i++)
                show[i] = !list && i != DIFF_UNCHANGED;
        if (!list)
                return 0;
        names = strv_split(list, ",");
        if (!names)
                return -ENOMEM;
        for (char **n = names; *n; n++) {
                int found = -1;

                for (int i = 0; i < _DIFF_TYPE_MAX; i++)
                        if (streq(*n, diff_type_names[i]))
                                found = i;
                if (found < 0) {
                        fprintf(stderr, "Unknown --type '%s': use modified, unchanged, deleted, "
                                "opaque, added or unreadable, comma-separated.\n", *n);
                        return -EINVAL;
                }
                show[found] = true;
        }
        return 0;
}

static int diff_entry(const char *path, const char *state, char **flags, uint32_t mode, void *userdata) {
        Diff *d = userdata;
        _cleanup_strv_free_ char **changes = strv_new0();
        DiffType t = diff_type(state, flags);
        int r = 0;

        if (!changes)
                return -ENOMEM;
        if (!d->show[t])
                return 0;
        for (char **f = flags; r >= 0 && f && *f; f++)
                if (is_change(*f) || streq(*f, "unreadable"))
                        r = strv_push(&changes, *f);
        if (r < 0)
                return r;
        if (arg_json) {
                json_begin_object(&d->json);
                json_field_string(&d->json, "path", path);
                json_field_string(&d->json, "type", diff_type_names[t]);
                json_key(&d->json, "changes");
                json_begin_array(&d->json);
                for (char **c = changes; *c; c++)
                        json_string(&d->json, *c);
                json_end_array(&d->json);
                json_field_uint(&d->json, "mode", mode);
                json_end_object(&d->json);
                return 0;
        }
        _cleanup_free_ char *joined = strv_join(changes, ",");

        if (!joined)
                return -ENOMEM;
        r = table_add(&d->table, diff_type_names[t]);
        if (r >= 0)
                r = table_add(&d->table, path);
        if (r >= 0)
                r = table_add(&d->table, *joined ? joined : NULL);
        return r;
}

int verb_diff(sd_bus *bus, int argc, char *argv[]) {
        Diff d = {};
        int r;

        r = parse_types(arg_types, d.show);
        if (r == -ENOMEM)
                return ovlctl_fail(r, "Out of memory");
        if (r < 0)
                return EXIT_USAGE;
        if (arg_json) {
                ovlctl_json_init(&d.json);
                json_begin_array(&d.json);
        } else if (table_new(&d.table, 3, "TYPE", "PATH", "CHANGES") < 0)
                return ovlctl_fail(-ENOMEM, "Out of memory");

        r = ovlctl_scan_each(bus, argc > 1 ? argv[1] : NULL, true, diff_entry, &d);
        if (arg_json) {
                json_end_array(&d.json);
                json_finish(&d.json);
        } else if (r == 0 && table_rows(&d.table) == 0)
                printf("No differences from the lower layers.\n");
        else if (r == 0)
                table_print(&d.table);
        table_done(&d.table);
        return r;
}

int verb_revert(sd_bus *bus, int argc, char *argv[]) {
        arg_mode = "discard";
        return verb_restore(bus, argc, argv);
}
