/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers of ovlctl's verbs. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-path.h"
#include "ovlctl.h"
#include "strv.h"
#include "path-util.h"

void ovlctl_json_init(JsonWriter *w) {
        json_init(w, stdout, arg_json == JSON_PRETTY);
}

const char *mode_to_string(uint32_t mode, char buf[static 16]) {
        if (mode == 0)
                return "-";
        snprintf(buf, 16, "%o", (unsigned) mode);
        return buf;
}

int parse_job_id(const char *s, uint32_t *ret) {
        _cleanup_free_ char *decoded = NULL;
        unsigned long v;
        char *end;

        if (s[0] == '/') {
                if (sd_bus_path_decode(s, JOB_PREFIX, &decoded) <= 0)
                        return -EINVAL;
                s = decoded;
        }
        if (!*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v == 0 || v > UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

int job_object_path(uint32_t id, char **ret) {
        char buf[16];

        snprintf(buf, sizeof buf, "%u", id);
        return sd_bus_path_encode(JOB_PREFIX, buf, ret);
}

int path_make_absolute(const char *p, char **ret) {
        _cleanup_free_ char *cwd = NULL, *joined = NULL;
        char *out, *o;
        const char *s;

        if (!*p)
                return -EINVAL;
        if (p[0] != '/') {
                cwd = getcwd(NULL, 0);
                if (!cwd)
                        return negative_errno();
                if (asprintf(&joined, "%s/%s", cwd, p) < 0)
                        return -ENOMEM;
                p = joined;
        }
        /* (the daemon takes no path with a control byte, whatever it
         * escapes: the whole call would be refused; the working
         * directory's name counts too) */
        if (path_has_control(p))
                return -EBADMSG;
        /* Lexically: drop empty and "." components.  ".." stays (the
         * daemon refuses it: following it lexically could be wrong across
         * symlinks). */
        out = o = malloc(strlen(p) + 2);
        if (!out)
                return -ENOMEM;
        for (s = p; *s;) {
                size_t n;

                while (*s == '/')
                        s++;
                n = strcspn(s, "/");
                if (n == 0 || (n == 1 && s[0] == '.')) {
                        s += n;
                        continue;
                }
                *o++ = '/';
                memcpy(o, s, n);
                o += n;
                s += n;
        }
        if (o == out)
                *o++ = '/';
        *o = '\0';
        /* In the bus form: a name need not be UTF-8 (bus-path.h). */
        *ret = bus_path_encode(out);
        free(out);
        return *ret ? 0 : -ENOMEM;
}

int path_refused(const char *p, const char *from, size_t n, int r) {
        _cleanup_free_ char *shown = text_escape_terminal(p);
        char where[64] = "";

        if (from)
                snprintf(where, sizeof where, " (%.32s, path %zu)", from, n);
        if (r == -EBADMSG)
                fprintf(stderr, "Invalid path '%s'%s: it holds a control byte (or, relative, the working "
                        "directory's name does), which no path named to ovl-restored may (nothing was "
                        "done). Reach such a name through its directory: restore -r, revert -r or "
                        "scan.\n", shown ?: "?", where);
        else
                fprintf(stderr, "Invalid path '%s'%s: %s\n", shown ?: "?", where, strerror(-r));
        return EXIT_USAGE;
}

int paths_make_absolute(char **argv, char ***ret) {
        _cleanup_strv_free_ char **l = strv_new0();

        if (!l)
                return ovlctl_fail(-ENOMEM, "Out of memory");
        for (char **a = argv; *a; a++) {
                _cleanup_free_ char *p = NULL;
                int r = path_make_absolute(*a, &p);

                if (r < 0)
                        return path_refused(*a, NULL, 0, r);
                if (strv_push(&l, p) < 0)
                        return ovlctl_fail(-ENOMEM, "Out of memory");
        }
        *ret = TAKE_PTR(l);
        return 0;
}
