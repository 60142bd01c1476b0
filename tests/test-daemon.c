/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ovl-restored against real parts: a real dbus-daemon with the project's
 * bus policy, the real polkitd with the project's .policy and the test
 * rules (tests/data/polkit-rules), real overlay mounts, in a private mount
 * namespace (tests/run-with-bus sets that up).  On the machine's own
 * kernel, which lacks the restore ioctls, so the method is remount.
 *
 * Callers: root (this process), a user in group "ovltest" (polkit rule:
 * allowed), "nobody" (polkit rule: denied) and "daemon" (policy defaults:
 * a challenge, as no agent runs).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#define BUS_NAME "org.calculinux.OverlayRestore1"
#define MANAGER_PATH "/org/calculinux/OverlayRestore1"
#define MANAGER_IFACE BUS_NAME ".Manager"
#define MOUNT_IFACE BUS_NAME ".Mount"
#define JOB_IFACE BUS_NAME ".Job"

static GDBusConnection *bus;
static const char *test_dir, *daemon_bin, *xml_file;
/* "none" on the machine's kernel, "ioctl" on the patched one in UML */
static const char *kernel_interface = "none";
static unsigned counter;

/* -- helpers ------------------------------------------------------------ */

static void write_file(const char *path, const char *content) {
        g_assert_true(g_file_set_contents(path, content, -1, NULL));
}

static char *read_file(const char *path) {
        char *c = NULL;
        if (!g_file_get_contents(path, &c, NULL, NULL))
                return NULL;
        return c;
}

static void assert_content(const char *path, const char *want) {
        char *c = read_file(path);
        g_assert_cmpstr(c, ==, want);
        g_free(c);
}

static gboolean is_whiteout(const char *path) {
        struct stat st;
        return lstat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

typedef struct Overlay {
        char *base, *lower, *upper, *work, *merged;
} Overlay;

/* OVL_TEST_LAYOUT=calculinux: each overlay is mounted as Calculinux's
 * /sbin/preinit mounts /etc (tests/lib/calculinux-layout): on its own
 * lower directory (lower == merged: the image is covered while it is
 * mounted), with the upper directory as its source, the layers under
 * "/data/overlay//etc" and preinit's options.  Otherwise separate lower/
 * and merged/ directories. */
static gboolean calculinux_layout;

/* @s with a backslash before each comma and backslash, as overlayfs
 * reads an option's value (a colon stays: it separates lower layers). */
static char *ovl_escape(const char *s) {
        GString *e = g_string_new(NULL);

        for (; *s; s++) {
                if (*s == ',' || *s == '\\')
                        g_string_append_c(e, '\\');
                g_string_append_c(e, *s);
        }
        return g_string_free(e, FALSE);
}

/* Mounts an overlay of @lowers ("top:bottom") at @merged with this run's
 * layout's options (and @extra_opts). */
static void mount_layers(const char *lowers, const char *upper, const char *work, const char *merged,
                         const char *extra_opts) {
        char *l = ovl_escape(lowers), *u = ovl_escape(upper), *w = ovl_escape(work), *opts;

        if (calculinux_layout)
                opts = g_strdup_printf("upperdir=%s,lowerdir=%s,workdir=%s,index=off,xino=off,"
                                       "redirect_dir=off,metacopy=off%s%s", u, l, w,
                                       extra_opts ? "," : "", extra_opts ?: "");
        else
                opts = g_strdup_printf("lowerdir=%s,upperdir=%s,workdir=%s%s%s", l, u, w,
                                       extra_opts ? "," : "", extra_opts ?: "");
        g_assert_cmpint(mount(calculinux_layout ? upper : "overlay", merged, "overlay", 0, opts), ==, 0);
        g_free(opts), g_free(l), g_free(u), g_free(w);
}

static void overlay_mount(Overlay *o, const char *extra_opts) {
        mount_layers(o->lower, o->upper, o->work, o->merged, extra_opts);
}

/* lower: file ("hello\n"), sub/a, sub/b, link -> file; all removed in the
 * merged view, so the upper layer holds whiteouts for them.  In @base, as
 * "etc" on Calculinux's layout, or with its own lower/ and merged/; with
 * a @name, the overlay's mount point is @base/root/@name on either layout
 * (overlays side by side, as /etc and /usr), its layers named after it. */
static Overlay *overlay_make(const char *base, const char *name, const char *extra_opts) {
        Overlay *o = g_new0(Overlay, 1);

        o->base = g_strdup(base);
        if (calculinux_layout || name) {
                o->upper = g_strdup_printf("%s/data/overlay//%s/upper", base, name ?: "etc");
                o->work = g_strdup_printf("%s/data/overlay//%s/work", base, name ?: "etc");
                o->merged = g_strdup_printf("%s/root/%s", base, name ?: "etc");
                o->lower = calculinux_layout ? g_strdup(o->merged) : g_strdup_printf("%s/image/%s", base, name);
        } else {
                o->lower = g_strdup_printf("%s/lower", o->base);
                o->upper = g_strdup_printf("%s/upper", o->base);
                o->work = g_strdup_printf("%s/work", o->base);
                o->merged = g_strdup_printf("%s/merged", o->base);
        }
        g_assert_cmpint(g_mkdir_with_parents(o->lower, 0755), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(o->upper, 0755), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(o->work, 0755), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(o->merged, 0755), ==, 0);
        char *p = g_strdup_printf("%s/sub", o->lower);
        g_assert_cmpint(mkdir(p, 0755), ==, 0);
        g_free(p);
        p = g_strdup_printf("%s/file", o->lower), write_file(p, "hello\n"), g_free(p);
        p = g_strdup_printf("%s/sub/a", o->lower), write_file(p, "a\n"), g_free(p);
        p = g_strdup_printf("%s/sub/b", o->lower), write_file(p, "b\n"), g_free(p);
        p = g_strdup_printf("%s/link", o->lower);
        g_assert_cmpint(symlink("file", p), ==, 0);
        g_free(p);
        overlay_mount(o, extra_opts);
        for (const char *n = "file\0sub/a\0sub/b\0link\0"; *n; n += strlen(n) + 1) {
                p = g_strdup_printf("%s/%s", o->merged, n);
                g_assert_cmpint(unlink(p), ==, 0);
                g_free(p);
        }
        return o;
}

static Overlay *overlay_new(const char *extra_opts) {
        char *base = g_strdup_printf("%s/ov%u", test_dir, ++counter);
        Overlay *o = overlay_make(base, NULL, extra_opts);

        g_free(base);
        return o;
}

/* The directories of an overlay a test makes itself, by this run's
 * layout, none made yet: its top lower layer is "root/etc" on
 * Calculinux's (mounted on itself) and "lower" otherwise.  overlay_free()
 * frees it. */
static Overlay *overlay_paths_new(void) {
        Overlay *o = g_new0(Overlay, 1);

        o->base = g_strdup_printf("%s/ov%u", test_dir, ++counter);
        o->lower = g_strdup_printf("%s/%s", o->base, calculinux_layout ? "root/etc" : "lower");
        o->upper = g_strdup_printf("%s/upper", o->base);
        o->work = g_strdup_printf("%s/work", o->base);
        o->merged = calculinux_layout ? g_strdup(o->lower) : g_strdup_printf("%s/merged", o->base);
        return o;
}

static char *mp(Overlay *o, const char *rel) {
        return g_strdup_printf("%s/%s", o->merged, rel);
}

static char *up(Overlay *o, const char *rel) {
        return g_strdup_printf("%s/%s", o->upper, rel);
}

static void overlay_free(Overlay *o) {
        umount2(o->merged, MNT_DETACH);
        g_free(o->base), g_free(o->lower), g_free(o->upper), g_free(o->work), g_free(o->merged);
        g_free(o);
}

/* The full listing of a tree: one line per entry, sorted. */
static GPtrArray *listing;
static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f) {
        return remove(path) < 0 ? -errno : 0;
}

/* Removes @root and everything below it (a test's own layers, unmounted:
 * the test directory's tmpfs holds a limited number of inodes, in UML
 * above all). */
static void remove_tree(const char *root) {
        g_assert_cmpint(nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS), ==, 0);
}

/* @o's directories made: its work and merged ones, and @sub in both its
 * layers. */
static void overlay_mkdirs(Overlay *o, const char *sub) {
        for (const char **l = (const char *[]) { o->lower, o->upper, NULL }; *l; l++) {
                g_autofree char *p = g_strdup_printf("%s/%s", *l, sub);

                g_assert_cmpint(g_mkdir_with_parents(p, 0755), ==, 0);
        }
        g_assert_cmpint(g_mkdir_with_parents(o->work, 0755), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(o->merged, 0755), ==, 0);
}

/* @o, mounted, unmounted, its tree removed, and freed. */
static void overlay_remove(Overlay *o) {
        g_assert_cmpint(umount2(o->merged, MNT_DETACH), ==, 0);
        remove_tree(o->base);
        overlay_free(o);
}

static const char *listing_root;
static int list_one(const char *path, const struct stat *st, int flag, struct FTW *f) {
        g_ptr_array_add(listing, g_strdup_printf("%s %o %u:%u %lld", path + strlen(listing_root),
                                                 st->st_mode, major(st->st_rdev), minor(st->st_rdev),
                                                 (long long) (S_ISDIR(st->st_mode) ? 0 : st->st_size)));
        return 0;
}
static int compare_lines(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}
static char *list_tree(const char *root) {
        GString *s = g_string_new(NULL);
        listing = g_ptr_array_new_with_free_func(g_free);
        listing_root = root;
        g_assert_cmpint(nftw(root, list_one, 16, FTW_PHYS), ==, 0);
        g_ptr_array_sort(listing, compare_lines);
        for (guint i = 0; i < listing->len; i++) {
                const char *const *e = (const char *const *) &listing->pdata[i];
                g_string_append_printf(s, "%s\n", *e);
        }
        g_ptr_array_unref(listing);
        return g_string_free(s, FALSE);
}

typedef struct Daemon {
        GSubprocess *proc;
} Daemon;

static void on_name_appeared(GDBusConnection *c, const char *name, const char *owner, gpointer data) {
        *(gboolean *) data = TRUE;
}

static gboolean on_timeout(gpointer data) {
        g_error("timed out waiting: %s", (const char *) data);
        return G_SOURCE_REMOVE;
}

/* Iterates the main context until *flag, failing after 60 s (a guard, not
 * a synchronization). */
static void wait_for(gboolean *flag, const char *what) {
        guint t = g_timeout_add_seconds(60, on_timeout, (gpointer) what);
        while (!*flag)
                g_main_context_iteration(NULL, TRUE);
        g_source_remove(t);
}

/* Does process @p own the daemon's bus name now? */
static gboolean name_owned_by(GSubprocess *p) {
        GVariant *r = g_dbus_connection_call_sync(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                  "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                                  g_variant_new("(s)", BUS_NAME), G_VARIANT_TYPE("(u)"),
                                                  G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
        g_autofree char *id = NULL;
        guint32 pid = 0;

        if (r)
                g_variant_get(r, "(u)", &pid);
        g_clear_pointer(&r, g_variant_unref);
        id = g_strdup_printf("%u", pid);
        return pid != 0 && g_strcmp0(g_subprocess_get_identifier(p), id) == 0;
}

typedef struct Exit {
        gboolean done;
        gboolean exited;        /* (and not cancelled) */
} Exit;

static void on_subprocess_exited(GObject *source, GAsyncResult *res, gpointer data) {
        Exit *e = data;

        e->exited = g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
        e->done = TRUE;
}

/* Waits for @p to exit (60 s guard) and returns its exit status. */
static int subprocess_exit_status(GSubprocess *p, const char *what) {
        Exit e = { 0 };

        g_subprocess_wait_async(p, NULL, on_subprocess_exited, &e);
        wait_for(&e.done, what);
        g_assert_true(e.exited);
        if (g_subprocess_get_if_signaled(p))
                g_error("%s: killed by signal %d", what, g_subprocess_get_term_sig(p));
        return g_subprocess_get_exit_status(p);
}

/* A daemon started (with @extra, if not NULL), owning its bus name; with
 * @log_path, run with --debug and its log written there. */
static Daemon *daemon_start_logged(const char *extra, const char *log_path) {
        Daemon *d = g_new0(Daemon, 1);
        GCancellable *cancel = g_cancellable_new();
        gboolean up = FALSE;
        Exit e = { 0 };
        guint w, t;
        GError *error = NULL;

        w = g_bus_watch_name_on_connection(bus, BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                           on_name_appeared, NULL, &up, NULL);
        if (log_path) {
                GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);

                g_subprocess_launcher_set_stderr_file_path(l, log_path);
                d->proc = g_subprocess_launcher_spawn(l, &error, daemon_bin, "--job-linger=600", "--debug",
                                                      extra, NULL);
                g_object_unref(l);
        } else
                d->proc = g_subprocess_new(G_SUBPROCESS_FLAGS_NONE, &error, daemon_bin, "--job-linger=600",
                                           extra, NULL);
        g_assert_no_error(error);
        /* A daemon that exits instead is reported at once, with its status. */
        g_subprocess_wait_async(d->proc, cancel, on_subprocess_exited, &e);
        /* The name must be this daemon's: a busy bus may still show the
         * previous test's daemon, which has exited, as its owner (seen:
         * the next call then found no owner, ServiceUnknown). */
        t = g_timeout_add_seconds(60, on_timeout, (gpointer) "the daemon's bus name");
        for (;;) {
                while (!up && !e.done)
                        g_main_context_iteration(NULL, TRUE);
                if (e.done && g_subprocess_get_if_signaled(d->proc))
                        g_error("the daemon was killed by signal %d instead of owning its bus name",
                                g_subprocess_get_term_sig(d->proc));
                if (e.done)
                        g_error("the daemon exited (status %d) instead of owning its bus name",
                                g_subprocess_get_exit_status(d->proc));
                if (name_owned_by(d->proc))
                        break;
                up = FALSE;     /* (the stale owner's release and this one's claim are to come) */
        }
        g_source_remove(t);
        g_bus_unwatch_name(w);
        g_cancellable_cancel(cancel);
        while (!e.done)
                g_main_context_iteration(NULL, TRUE);
        g_object_unref(cancel);
        return d;
}

static Daemon *daemon_start(const char *extra) {
        return daemon_start_logged(extra, NULL);
}

static void on_name_vanished(GDBusConnection *c, const char *name, gpointer data) {
        *(gboolean *) data = TRUE;
}

/* Returns once the bus has let the name of a daemon that exited go: a
 * daemon started next would otherwise find it owned (and exit), or its
 * start be taken for the old one's (daemon_start()). */
static void wait_name_released(void) {
        gboolean gone = FALSE;
        guint w = g_bus_watch_name_on_connection(bus, BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                 on_name_vanished, &gone, NULL);

        wait_for(&gone, "the daemon's bus name released");
        g_bus_unwatch_name(w);
}

static void daemon_stop(Daemon *d) {
        GError *error = NULL;

        g_subprocess_send_signal(d->proc, SIGTERM);
        g_assert_true(g_subprocess_wait(d->proc, NULL, &error));
        g_assert_no_error(error);
        wait_name_released();
        g_assert_true(g_subprocess_get_if_exited(d->proc));
        g_assert_cmpint(g_subprocess_get_exit_status(d->proc), ==, 0);
        g_object_unref(d->proc);
        g_free(d);
}

/* No client-side timeout on the daemon's calls: a question of 32 MB
 * (get-state-bigger-than-the-bus) took over 30 s under ASan on a busy
 * machine, and what ends a call that never returns is meson's timeout
 * for the test, whose log names the case. */
#define CALL_TIMEOUT_MSEC G_MAXINT

static GVariant *call(const char *path, const char *iface, const char *method, GVariant *args,
                      const char *reply_type, GError **error) {
        return g_dbus_connection_call_sync(bus, BUS_NAME, path, iface, method, args,
                                           reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
                                           G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, error);
}

static GVariant *get_property(const char *path, const char *iface, const char *name) {
        GError *error = NULL;
        GVariant *r = call(path, "org.freedesktop.DBus.Properties", "Get",
                           g_variant_new("(ss)", iface, name), "(v)", &error), *v;
        g_assert_no_error(error);
        g_variant_get(r, "(v)", &v);
        g_variant_unref(r);
        return v;
}

static char *get_string(const char *path, const char *iface, const char *name) {
        GVariant *v = get_property(path, iface, name);
        char *s = g_variant_dup_string(v, NULL);
        g_variant_unref(v);
        return s;
}

static void assert_error(GError *error, const char *name) {
        g_assert_nonnull(error);
        char *remote = g_dbus_error_get_remote_error(error);
        if (g_strcmp0(remote, name) != 0)
                g_error("expected %s, got %s: %s", name, remote, error->message);
        g_free(remote);
}

/* The same, where either of two errors is right. */
static void assert_error_either(GError *error, const char *name, const char *other) {
        g_assert_nonnull(error);
        char *remote = g_dbus_error_get_remote_error(error);
        if (g_strcmp0(remote, name) != 0 && g_strcmp0(remote, other) != 0)
                g_error("expected %s or %s, got %s: %s", name, other, remote, error->message);
        g_free(remote);
}

/* The Mount object of the overlay that holds @path. */
static char *mount_object(const char *path) {
        GError *error = NULL;
        char *mount_path;
        GVariant *r;

        r = call(MANAGER_PATH, MANAGER_IFACE, "GetMountForPath", g_variant_new("(s)", path), "(so)", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(so)", NULL, &mount_path);
        g_variant_unref(r);
        return mount_path;
}

/* Mount.Scan of @path (with "compare" if @compare) through @mount_path:
 * its entries, each "(ssasu)". */
static GVariantIter *scan_of(const char *mount_path, const char *path, gboolean compare) {
        GError *error = NULL;
        GVariantIter *it;
        GVariant *r;

        r = call(mount_path, MOUNT_IFACE, "Scan",
                 compare ? g_variant_new_parsed("(%s, {'compare': <true>})", path)
                         : g_variant_new_parsed("(%s, @a{sv} {})", path),
                 "(a(ssasu))", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(a(ssasu))", &it);
        g_variant_unref(r);
        return it;
}

/* GDBus sends AddMatch without waiting: a round trip to the bus after it
 * makes sure the match is in place before anything is triggered. */
static void sync_matches(void) {
        GError *error = NULL;
        GVariant *r = g_dbus_connection_call_sync(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                  "org.freedesktop.DBus", "GetId", NULL, NULL,
                                                  G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_variant_unref(r);
}

/* The number of entries of the array that is @r's first member. */
static gsize n_children0(GVariant *r) {
        GVariant *a = g_variant_get_child_value(r, 0);
        gsize n = g_variant_n_children(a);
        g_variant_unref(a);
        return n;
}

/* Jobs that have finished, from JobRemoved: object path -> result. */
static GHashTable *finished;
static void on_job_removed(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                           const char *signal, GVariant *params, gpointer data) {
        guint32 id;
        const char *job, *result;
        g_variant_get(params, "(u&o&s)", &id, &job, &result);
        g_hash_table_insert(finished, g_strdup(job), g_strdup(result));
}

static gboolean job_done_flag;
static const char *job_waited;
static void check_done(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                       const char *signal, GVariant *params, gpointer data) {
        on_job_removed(c, sender, path, iface, signal, params, data);
        if (job_waited && g_hash_table_contains(finished, job_waited))
                job_done_flag = TRUE;
}

/* Subscribed before any Restore call, so no job's end is missed. */
static void subscribe_jobs(void) {
        finished = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        /* Any sender: a well-known sender name is resolved asynchronously by
         * GDBus, and signals that come before that are dropped. */
        g_dbus_connection_signal_subscribe(bus, NULL, MANAGER_IFACE, "JobRemoved", MANAGER_PATH,
                                           NULL, G_DBUS_SIGNAL_FLAGS_NONE, check_done, NULL, NULL);
        sync_matches();
}

/* Most tests: one overlay (mounted with the options the test is added
 * with), then the daemon, and jobs' ends followed. */
typedef struct Fixture {
        Overlay *o;
        Daemon *d;
} Fixture;

static void fixture_set_up(Fixture *fx, gconstpointer options) {
        fx->o = overlay_new(options);
        fx->d = daemon_start(NULL);
        subscribe_jobs();
}

static void fixture_tear_down(Fixture *fx, gconstpointer options) {
        overlay_free(fx->o);
        daemon_stop(fx->d);
}

/* The same with the overlay mounted after the daemon started. */
static void fixture_set_up_daemon_first(Fixture *fx, gconstpointer options) {
        fx->d = daemon_start(NULL);
        fx->o = overlay_new(options);
        subscribe_jobs();
}

#define add_daemon_first_test(path, fn) \
        g_test_add(path, Fixture, NULL, fixture_set_up_daemon_first, fn, fixture_tear_down)
#define add_overlay_test(path, options, fn) \
        g_test_add(path, Fixture, options, fixture_set_up, fn, fixture_tear_down)

static const char *wait_job(const char *job) {
        job_waited = job;
        job_done_flag = g_hash_table_contains(finished, job);
        wait_for(&job_done_flag, job);
        job_waited = NULL;
        return g_hash_table_lookup(finished, job);
}

static char *restore(const char **paths, GVariant *options, GError **error) {
        GVariant *r = call(MANAGER_PATH, MANAGER_IFACE, "Restore",
                           g_variant_new("(^as@a{sv})", paths,
                                         options ?: g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)),
                           "(ao)", error);
        char *job = NULL;
        GVariantIter *it;

        if (!r)
                return NULL;
        g_variant_get(r, "(ao)", &it);
        g_assert_true(g_variant_iter_next(it, "o", &job));
        g_variant_iter_free(it);
        g_variant_unref(r);
        return job;
}

/* Restore(@paths) with @options (GVariant text, or NULL) to its end,
 * which must be @state; the job. */
static char *restore_done(const char **paths, const char *options, const char *state) {
        GError *error = NULL;
        char *job = restore(paths, options ? g_variant_new_parsed(options) : NULL, &error);

        g_assert_no_error(error);
        g_assert_cmpstr(wait_job(job), ==, state);
        return job;
}

/* The job's results (GetResults), to iterate as "(&s&s&s)" (path,
 * outcome, message); g_variant_iter_free() it. */
static GVariantIter *get_results(const char *job) {
        GError *error = NULL;
        GVariant *r = call(job, JOB_IFACE, "GetResults", NULL, "(a(sss))", &error);
        GVariantIter *it;

        g_assert_no_error(error);
        g_variant_get(r, "(a(sss))", &it);
        g_variant_unref(r);
        return it;
}

/* Runs gdbus as another user; returns its exit status, stdout in *out
 * (if not NULL), stderr in *err. */
static int call_as_out(const char *user, char **out, char **err, const char *method, const char *args) {
        struct passwd *pw = getpwnam(user);
        g_assert_nonnull(pw);
        char *cmd = g_strdup_printf("setpriv --reuid=%s --regid=%u --init-groups gdbus call --system "
                                    "--dest " BUS_NAME " --object-path " MANAGER_PATH
                                    " --method " MANAGER_IFACE ".%s %s",
                                    user, (unsigned) pw->pw_gid, method, args);
        int status = 0;
        GError *error = NULL;

        g_spawn_command_line_sync(cmd, out, err, &status, &error);
        g_assert_no_error(error);
        g_free(cmd);
        return status;
}

static int call_as(const char *user, char **err, const char *method, const char *args) {
        return call_as_out(user, NULL, err, method, args);
}

/* -- tests -------------------------------------------------------------- */

static void test_introspection_matches_xml(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        char *xml = NULL;
        GDBusNodeInfo *want;
        const char *paths[] = { NULL, NULL };
        char *job, *mount_path;
        GVariant *r;

        g_assert_true(g_file_get_contents(xml_file, &xml, NULL, NULL));
        want = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);

        paths[0] = mp(o, "file");
        job = restore(paths, g_variant_new_parsed("{'dry-run': <true>}"), &error);
        g_assert_no_error(error);
        wait_job(job);
        r = call(MANAGER_PATH, MANAGER_IFACE, "GetMountForPath", g_variant_new("(s)", paths[0]), "(so)", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(so)", NULL, &mount_path);

        const char *objects[] = { MANAGER_PATH, mount_path, job };
        for (guint i = 0; i < G_N_ELEMENTS(objects); i++) {
                GVariant *x = call(objects[i], "org.freedesktop.DBus.Introspectable", "Introspect", NULL, "(s)", &error);
                const char *s;
                GDBusNodeInfo *live;
                g_assert_no_error(error);
                g_variant_get(x, "(&s)", &s);
                live = g_dbus_node_info_new_for_xml(s, &error);
                g_assert_no_error(error);
                GDBusInterfaceInfo *w = want->interfaces[i];
                GDBusInterfaceInfo *l = g_dbus_node_info_lookup_interface(live, w->name);
                g_assert_nonnull(l);
                GString *a = g_string_new(NULL), *b = g_string_new(NULL);
                g_dbus_interface_info_generate_xml(w, 0, a);
                g_dbus_interface_info_generate_xml(l, 0, b);
                g_assert_cmpstr(b->str, ==, a->str);
                g_string_free(a, TRUE), g_string_free(b, TRUE);
                g_dbus_node_info_unref(live);
                g_variant_unref(x);
        }
        g_dbus_node_info_unref(want);
        g_free(xml), g_free(job), g_free(mount_path), g_free((char *) paths[0]);
        g_variant_unref(r);
}

static void test_manager_properties_and_mounts(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        GVariant *r, *v;
        char *s, *path = NULL, *mpnt = NULL, *f = mp(o, "file");
        gboolean found = FALSE;
        GVariantIter *it;
        const char *a, *b;

        s = get_string(MANAGER_PATH, MANAGER_IFACE, "KernelInterface");
        g_assert_cmpstr(s, ==, kernel_interface);
        g_free(s);
        s = get_string(MANAGER_PATH, MANAGER_IFACE, "DefaultMethod");
        g_assert_cmpstr(s, ==, g_str_equal(kernel_interface, "ioctl") ? "ioctl" : "remount");
        g_free(s);
        s = get_string(MANAGER_PATH, MANAGER_IFACE, "Version");
        g_assert_cmpstr(s, !=, "");
        g_free(s);
        /* the modes method ioctl can do: the patched kernels have the
         * discard flag */
        r = call(MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get",
                 g_variant_new("(ss)", MANAGER_IFACE, "KernelModes"), "(v)", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(v)", &v);
        s = g_variant_print(v, FALSE);
        g_assert_cmpstr(s, ==, g_str_equal(kernel_interface, "ioctl") ? "['whiteout', 'opaque', 'discard']" : "[]");
        g_free(s);
        g_variant_unref(v);
        g_variant_unref(r);

        r = call(MANAGER_PATH, MANAGER_IFACE, "ListMounts", NULL, "(a(so))", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(a(so))", &it);
        while (g_variant_iter_next(it, "(&s&o)", &a, &b))
                if (g_str_equal(a, o->merged)) {
                        found = TRUE;
                        path = g_strdup(b);
                }
        g_variant_iter_free(it);
        g_variant_unref(r);
        g_assert_true(found);

        r = call(MANAGER_PATH, MANAGER_IFACE, "GetMountForPath", g_variant_new("(s)", f), "(so)", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(so)", &mpnt, NULL);
        g_assert_cmpstr(mpnt, ==, o->merged);
        g_variant_unref(r);

        s = get_string(path, MOUNT_IFACE, "UpperDir");
        g_assert_cmpstr(s, ==, o->upper);
        g_free(s);
        s = get_string(path, MOUNT_IFACE, "Method");
        g_assert_cmpstr(s, ==, g_str_equal(kernel_interface, "ioctl") ? "ioctl" : "remount");
        g_free(s);
        v = get_property(path, MOUNT_IFACE, "LowerDirs");
        const char **lowers = g_variant_get_strv(v, NULL);
        g_assert_cmpstr(lowers[0], ==, o->lower);
        g_free(lowers);
        g_variant_unref(v);
        v = get_property(path, MOUNT_IFACE, "ReadOnly");
        g_assert_false(g_variant_get_boolean(v));
        g_variant_unref(v);

        /* A path on the tmpfs below: not an overlay. */
        char *other = g_strdup_printf("%s/x", o->base);
        r = call(MANAGER_PATH, MANAGER_IFACE, "GetMountForPath", g_variant_new("(s)", other), "(so)", &error);
        g_assert_null(r);
        assert_error(error, BUS_NAME ".Error.NotOverlay");
        g_clear_error(&error);
        g_free(other);

        g_free(path), g_free(mpnt), g_free(f);
}

static gboolean added_flag, removed_flag;
static char *watched_mount;
static char *added_method;      /* the Mount's Method in InterfacesAdded */
static void on_interfaces(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                          const char *signal, GVariant *params, gpointer data) {
        const char *obj;
        g_variant_get_child(params, 0, "&o", &obj);
        if (!watched_mount || !g_str_has_prefix(obj, MANAGER_PATH "/mount/"))
                return;
        if (g_str_equal(signal, "InterfacesAdded")) {
                GVariant *ifaces = g_variant_get_child_value(params, 1);
                GVariant *props = g_variant_lookup_value(ifaces, MOUNT_IFACE, G_VARIANT_TYPE_VARDICT);

                g_assert_nonnull(props);
                g_free(added_method);
                g_assert_true(g_variant_lookup(props, "Method", "s", &added_method));
                g_variant_unref(props);
                g_variant_unref(ifaces);
                added_flag = TRUE;
        } else
                removed_flag = TRUE;
}

static void test_mount_objects_follow_mounts(void) {
        Daemon *d = daemon_start(NULL);
        char *default_method;
        guint s1, s2;
        Overlay *o;

        added_flag = removed_flag = FALSE;
        watched_mount = (char *) "any";
        s1 = g_dbus_connection_signal_subscribe(bus, NULL, "org.freedesktop.DBus.ObjectManager",
                                                "InterfacesAdded", MANAGER_PATH, NULL, 0, on_interfaces, NULL, NULL);
        s2 = g_dbus_connection_signal_subscribe(bus, NULL, "org.freedesktop.DBus.ObjectManager",
                                                "InterfacesRemoved", MANAGER_PATH, NULL, 0, on_interfaces, NULL, NULL);
        sync_matches();
        o = overlay_new(NULL);
        wait_for(&added_flag, "InterfacesAdded for a new overlay");
        /* The daemon started with no overlay, so it learns the kernel's
         * interface from this one: announced with its final method (on the
         * patched kernel ioctl), and the daemon no longer holds it open. */
        default_method = get_string(MANAGER_PATH, MANAGER_IFACE, "DefaultMethod");
        g_assert_cmpstr(added_method, ==, default_method);
        g_free(default_method);
        g_assert_cmpint(umount(o->merged), ==, 0);
        wait_for(&removed_flag, "InterfacesRemoved for an unmounted overlay");
        g_dbus_connection_signal_unsubscribe(bus, s1);
        g_dbus_connection_signal_unsubscribe(bus, s2);
        watched_mount = NULL;
        g_clear_pointer(&added_method, g_free);
        overlay_free(o);
        daemon_stop(d);
}

/* What process @pid has read (rchar), or G_MAXUINT64 if the kernel does
 * not tell (no CONFIG_TASK_IO_ACCOUNTING: the UML kernels). */
static guint64 proc_rchar(const char *pid) {
        char *path = g_strdup_printf("/proc/%s/io", pid), *io = NULL, *l;
        guint64 v = G_MAXUINT64;

        if (g_file_get_contents(path, &io, NULL, NULL) && (l = strstr(io, "rchar:")))
                v = g_ascii_strtoull(l + strlen("rchar:"), NULL, 10);
        g_free(io);
        g_free(path);
        return v;
}

/* A GetState of many paths is answered by a worker: while one is held at
 * the worker (a pause point), another caller's GetState is answered.
 * (Answered on the event loop, the second call would wait for the first:
 * the test's call times out.) */
static void on_big_state(GObject *source, GAsyncResult *res, gpointer data) {
        GError *error = NULL;
        GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

        g_assert_no_error(error);
        g_assert_cmpuint(n_children0(r), ==, 100);
        g_variant_unref(r);
        *(gboolean *) data = TRUE;
}

static gboolean on_tick(gpointer data) {
        *(gboolean *) data = TRUE;
        return G_SOURCE_REMOVE;
}

/* Iterates the main context for 5 ms (between polls of something that
 * has no signal to wait for, each poll bounded by a deadline). */
static void tick(void) {
        gboolean done = FALSE;

        g_timeout_add(5, on_tick, &done);
        while (!done)
                g_main_context_iteration(NULL, TRUE);
}

/* A daemon held at pause point @point (daemon/test-hooks.h) on a FIFO made
 * for it, in *@ret_fifo. */
static Daemon *daemon_start_paused(const char *point, char **ret_fifo) {
        char *fifo = g_strdup_printf("%s/pause-%u", test_dir, ++counter);
        char *pause = g_strdup_printf("%s:%s", point, fifo);
        Daemon *d;

        g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
        g_setenv("OVL_RESTORED_PAUSE_AT", pause, TRUE);
        d = daemon_start(NULL);
        g_unsetenv("OVL_RESTORED_PAUSE_AT");
        g_free(pause);
        *ret_fifo = fifo;
        return d;
}

/* @fifo opened for writing once the daemon waits at its pause point:
 * tried every 5 ms as a guard, until @deadline; what ends without pausing
 * (*@ended, or job @job finished) ends the test at once. */
static int pause_fifo_open(const char *fifo, const gboolean *ended, const char *job, gint64 deadline) {
        int fd;

        while ((fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
                g_assert_cmpint(errno, ==, ENXIO);
                g_assert_false(ended && *ended);
                g_assert_false(job && g_hash_table_contains(finished, job));
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                tick();
        }
        return fd;
}

static void test_large_get_state_stalls_nobody(void) {
        char *fifo;
        Overlay *o = overlay_new(NULL);
        Daemon *d;
        char *f = mp(o, "file");
        const char *one[] = { f, NULL };
        GPtrArray *many = g_ptr_array_new();
        gboolean big_done = FALSE;
        GError *error = NULL;
        GVariant *r;
        int fd;

        d = daemon_start_paused("state-answer-worker", &fifo);
        for (guint i = 0; i < 100; i++)
                g_ptr_array_add(many, f);
        g_ptr_array_add(many, NULL);
        g_dbus_connection_call(bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "GetState",
                                g_variant_new("(^as)", (char **) many->pdata), G_VARIANT_TYPE("(a(ssasu))"),
                                G_DBUS_CALL_FLAGS_NONE, 60000, NULL, on_big_state, &big_done);
        /* The FIFO opens once the worker waits at the pause point.  (Tried
         * every 5 ms as a guard, with a deadline: a call answered without
         * the worker ends the wait, and the test, at once.) */
        fd = pause_fifo_open(fifo, &big_done, NULL, g_get_monotonic_time() + 60 * G_USEC_PER_SEC);
        g_assert_false(big_done);
        r = call(MANAGER_PATH, MANAGER_IFACE, "GetState", g_variant_new("(^as)", one), "(a(ssasu))", &error);
        g_assert_no_error(error);
        g_assert_cmpuint(n_children0(r), ==, 1);
        g_variant_unref(r);
        g_assert_cmpint(write(fd, "x", 1), ==, 1);
        close(fd);
        wait_for(&big_done, "the large GetState's reply");

        g_ptr_array_unref(many);
        g_free(f);
        unlink(fifo);
        g_free(fifo);
        overlay_free(o);
        daemon_stop(d);
}

static void on_scan_reply(GObject *source, GAsyncResult *res, gpointer data) {
        GError *error = NULL;
        GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        GError **ret = data;

        if (r)
                g_variant_unref(r);
        /* (an answer without an error leaves a marker) */
        *ret = error ?: g_error_new_literal(G_IO_ERROR, G_IO_ERROR_EXISTS, "answered");
}

/* Root has Scan places of its own, 16, apart from the four of everyone
 * else (whose callers waiting for polkit could otherwise keep root out,
 * test-security), and is refused past them.  The Scans are held on
 * their workers at a pause point, so their places stay taken; a 17th,
 * sent after them on the same connection, is handled after them. */
static void test_root_scans_limited(void) {
        enum { N = 16 };
        char *fifo, *mount_path;
        Overlay *o = overlay_new(NULL);
        GError *answers[N + 1] = {};
        gint64 deadline;
        Daemon *d;
        int fd;

        d = daemon_start_paused("scan-worker", &fifo);
        mount_path = mount_object(o->merged);
        for (guint i = 0; i <= N; i++)
                g_dbus_connection_call(bus, BUS_NAME, mount_path, MOUNT_IFACE, "Scan",
                                       g_variant_new_parsed("(%s, @a{sv} {})", o->merged),
                                       G_VARIANT_TYPE("(a(ssasu))"), G_DBUS_CALL_FLAGS_NONE, 60000, NULL,
                                       on_scan_reply, &answers[i]);
        /* The 17th is refused while the others wait at the pause point
         * (bounded: one taken would wait there too). */
        deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
        while (!answers[N]) {
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                tick();
        }
        assert_error(answers[N], BUS_NAME ".Error.LimitExceeded");
        for (guint i = 0; i < N; i++)
                g_assert_null(answers[i]);
        /* One byte for each, the FIFO open until all have answered. */
        fd = pause_fifo_open(fifo, NULL, NULL, g_get_monotonic_time() + 60 * G_USEC_PER_SEC);
        for (guint i = 0; i < N; i++)
                g_assert_cmpint(write(fd, "x", 1), ==, 1);
        for (guint i = 0; i < N; i++) {
                while (!answers[i]) {
                        g_assert_cmpint(g_get_monotonic_time(), <, deadline + 60 * G_USEC_PER_SEC);
                        tick();
                }
                g_assert_error(answers[i], G_IO_ERROR, G_IO_ERROR_EXISTS);
        }
        close(fd);

        for (guint i = 0; i <= N; i++)
                g_error_free(answers[i]);
        unlink(fifo);
        g_free(fifo);
        g_free(mount_path);
        overlay_free(o);
        daemon_stop(d);
}

/* The mount ID of @path's mount. */
static int mount_id_of(const char *path) {
        struct statx stx = {};

        g_assert_cmpint(statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx), ==, 0);
        g_assert_true(stx.stx_mask & STATX_MNT_ID);
        return (int) stx.stx_mnt_id;
}

/* Remount jobs queued on one overlay: the next one starts from the mount
 * table read after the one before mounted the overlay again.  The first
 * is held at remount-unmounted until the others are queued behind it;
 * meanwhile tmpfs mounts take the mount ID its overlay had (the kernel
 * hands out the lowest free one), so that the overlay comes back with
 * another.  The second job, made from the table of before, would then
 * find another mount at its ID: "no longer the overlay the job was made
 * for".  (If some other process takes that ID first, the case still
 * holds, only without that test of the order.)  The FIFO holds one byte
 * for each job and stays open until all have ended. */
static void test_remounts_queued_on_one_mount(void) {
        char *fifo;
        const char *names[] = { "file", "sub/a", "link" };
        Overlay *o = overlay_new(NULL);
        char *jobs[G_N_ELEMENTS(names)], *mount_path, *f = mp(o, "file");
        GPtrArray *holders = g_ptr_array_new_with_free_func(g_free);
        int old_id = mount_id_of(o->merged), fd;
        GError *error = NULL;
        gboolean taken = FALSE;
        GVariant *v;
        Daemon *d;

        d = daemon_start_paused("remount-unmounted", &fifo);
        subscribe_jobs();
        mount_path = mount_object(o->merged);
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                char *path = mp(o, names[i]);
                const char *paths[] = { path, NULL };

                jobs[i] = restore(paths, g_variant_new_parsed("{'method': <'remount'>}"), &error);
                g_assert_no_error(error);
                g_free(path);
        }
        /* (the first job waits at the pause point) */
        fd = pause_fifo_open(fifo, NULL, jobs[0], g_get_monotonic_time() + 60 * G_USEC_PER_SEC);
        v = get_property(mount_path, MOUNT_IFACE, "QueuedJobs");
        g_assert_cmpuint(g_variant_get_uint32(v), ==, 2);
        g_variant_unref(v);
        for (int id = 0; !taken && id < old_id && holders->len < 256;) {
                char *h = g_strdup_printf("%s/hold-%u-%u", test_dir, counter, holders->len);

                g_assert_cmpint(g_mkdir_with_parents(h, 0755), ==, 0);
                g_assert_cmpint(mount("tmpfs", h, "tmpfs", 0, "size=64k"), ==, 0);
                id = mount_id_of(h);
                taken = id == old_id;   /* (past it: another mount has it) */
                g_ptr_array_add(holders, h);
        }
        if (!taken)
                g_test_message("another mount took ID %d first: the order is not tested this time", old_id);
        g_assert_cmpint(write(fd, "xxx", 3), ==, 3);
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_assert_cmpstr(wait_job(jobs[i]), ==, "done");
                g_free(jobs[i]);
        }
        close(fd);
        if (taken)
                g_assert_cmpint(mount_id_of(o->merged), !=, old_id);
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                char *path = up(o, names[i]);

                g_assert_false(is_whiteout(path));
                g_free(path);
        }
        assert_content(f, "hello\n");

        for (guint i = 0; i < holders->len; i++) {
                g_assert_cmpint(umount((const char *) holders->pdata[i]), ==, 0);
                g_assert_cmpint(rmdir((const char *) holders->pdata[i]), ==, 0);
        }
        g_ptr_array_unref(holders);
        g_free(f), g_free(mount_path);
        unlink(fifo);
        g_free(fifo);
        overlay_free(o);
        daemon_stop(d);
}

/* A call naming a path on no overlay (GetMountForPath needs no
 * authorization) must not make the daemon read the mount table again
 * unless the table changed: measured by what the daemon reads (rchar),
 * against the size of its mount table. */
static void test_unknown_paths_cost_no_rescan(Fixture *fx, gconstpointer unused) {
        const char *pid = g_subprocess_get_identifier(fx->d->proc);
        char *mi_path = g_strdup_printf("/proc/%s/mountinfo", pid), *mi = read_file(mi_path);
        guint64 before, after, size = strlen(mi);
        GError *error = NULL;

        /* (catches up with the overlay's mount, if it has not yet) */
        g_assert_null(call(MANAGER_PATH, MANAGER_IFACE, "GetMountForPath", g_variant_new("(s)", "/proc"),
                           "(so)", &error));
        g_clear_error(&error);
        before = proc_rchar(pid);
        if (before == G_MAXUINT64) {
                g_test_skip("this kernel has no /proc/PID/io (CONFIG_TASK_IO_ACCOUNTING); the host's suite runs it");
                g_free(mi);
                g_free(mi_path);
                return;
        }
        for (int i = 0; i < 200; i++) {
                g_assert_null(call(MANAGER_PATH, MANAGER_IFACE, "GetMountForPath", g_variant_new("(s)", "/proc"),
                                   "(so)", &error));
                assert_error(error, "org.calculinux.OverlayRestore1.Error.NotOverlay");
                g_clear_error(&error);
        }
        after = proc_rchar(pid);
        g_test_message("200 calls: the daemon read %" G_GUINT64_FORMAT " bytes; its mount table is %"
                       G_GUINT64_FORMAT, after - before, size);
        /* (one read of the table would be `size`; before the fix, 200) */
        g_assert_cmpuint(after - before, <, 10 * size);
        /* ...and a table that changed is read again: a new overlay is found */
        Overlay *o2 = overlay_new(NULL);
        GVariant *r = call(MANAGER_PATH, MANAGER_IFACE, "GetMountForPath", g_variant_new("(s)", o2->merged),
                           "(so)", &error);
        g_assert_no_error(error);
        g_variant_unref(r);
        overlay_free(o2);
        g_free(mi);
        g_free(mi_path);
}

static GDBusMessage *count_driver_calls(GDBusConnection *c, GDBusMessage *m, gboolean incoming, gpointer data) {
        if (incoming && g_dbus_message_get_message_type(m) == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
            g_strcmp0(g_dbus_message_get_destination(m), "org.freedesktop.DBus") == 0 &&
            g_str_has_prefix(g_dbus_message_get_member(m) ?: "", "GetConnection"))
                g_atomic_int_inc((gint *) data);
        /* (a monitor must never answer what it sees: the bus would drop it) */
        if (incoming && g_dbus_message_get_message_type(m) == G_DBUS_MESSAGE_TYPE_METHOD_CALL) {
                g_object_unref(m);
                return NULL;
        }
        return m;
}

/* A caller's credentials are asked of the bus driver once per connection,
 * not twice per call (sender-creds.h): a monitor on the bus counts the
 * daemon's GetConnection* calls while one connection makes 20 calls. */
static void test_sender_creds_cached(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        char *addr = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL, NULL), *path = mp(o, "file");
        GDBusConnection *mon;
        GError *error = NULL;
        gint n = 0;
        GVariant *r;

        write_file(path, "x");
        mon = g_dbus_connection_new_for_address_sync(addr, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL,
                                                     &error);
        g_assert_no_error(error);
        g_dbus_connection_add_filter(mon, count_driver_calls, &n, NULL);
        r = g_dbus_connection_call_sync(mon, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus.Monitoring", "BecomeMonitor",
                                        g_variant_new("(^asu)", (const char *[]) {
                                                "type='method_call',destination='org.freedesktop.DBus'", NULL }, 0),
                                        NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_variant_unref(r);
        for (int i = 0; i < 20; i++) {
                r = call(MANAGER_PATH, MANAGER_IFACE, "GetState",
                         g_variant_new("(^as)", (const char *[]) { path, NULL }), "(a(ssasu))", &error);
                g_assert_no_error(error);
                g_variant_unref(r);
        }
        /* (the bus copied each query to the monitor before it routed the
         * answer to our call; a copy the monitor's thread has not read
         * yet could only make the count smaller, never the test fail) */
        g_test_message("20 GetState calls from one connection: %d credential queries", g_atomic_int_get(&n));
        /* (before: two per call, the polkit check's and the caller check's) */
        g_assert_cmpint(g_atomic_int_get(&n), <=, 2);
        g_dbus_connection_close_sync(mon, NULL, NULL);
        g_object_unref(mon);
        g_free(addr);
        g_free(path);
}

/* Tests of what is the daemon's own, the same on any kernel, that take
 * long in UML: they run on the host (daemon, daemon-calculinux, and again
 * under ASan), not again in each of the four UML runs. */
static gboolean skip_in_uml(const char *why) {
        if (!g_getenv("OVL_IN_UML"))
                return FALSE;
        g_test_skip(why);
        return TRUE;
}

/* The daemon's byte bounds count what it keeps, whatever the kernel: on
 * the machine's kernel they take a second, in UML about ten, with
 * messages of several MB each. */
static gboolean skip_bounds_in_uml(void) {
        return skip_in_uml("a bound of the daemon's own, the same on any kernel: run on the host");
}

/* GetState of @paths fails, with the D-Bus error @name and, unless NULL,
 * a message that says @says. */
static void assert_get_state_fails(const char *const *paths, const char *name, const char *says) {
        GError *error = NULL;
        GVariant *r = call(MANAGER_PATH, MANAGER_IFACE, "GetState", g_variant_new("(^as)", paths), NULL, &error);

        g_assert_null(r);
        assert_error(error, name);
        if (says && !strstr(error->message, says))
                g_error("expected a message saying \"%s\", got: %s", says, error->message);
        g_error_free(error);
}

static void test_get_state(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        char *f = mp(o, "file"), *n = mp(o, "new"), *x = mp(o, "nothing");
        const char *paths[] = { f, n, x, NULL };
        const char *path, *state;
        GVariantIter *it, *flags;
        guint32 mode;
        GVariant *r;

        write_file(n, "new\n");
        r = call(MANAGER_PATH, MANAGER_IFACE, "GetState", g_variant_new("(^as)", paths), "(a(ssasu))", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(a(ssasu))", &it);
        g_assert_true(g_variant_iter_next(it, "(&s&sasu)", &path, &state, &flags, &mode));
        g_assert_cmpstr(path, ==, f);
        g_assert_cmpstr(state, ==, "whiteout");
        g_assert_cmpint(g_variant_iter_n_children(flags), ==, 0);
        g_assert_cmpuint(mode, ==, 0);
        g_variant_iter_free(flags);
        g_assert_true(g_variant_iter_next(it, "(&s&sasu)", &path, &state, &flags, &mode));
        g_assert_cmpstr(state, ==, "upper");
        g_assert_cmpuint(mode, ==, S_IFREG | 0644);
        g_variant_iter_free(flags);
        g_assert_true(g_variant_iter_next(it, "(&s&sasu)", &path, &state, &flags, &mode));
        g_assert_cmpstr(state, ==, "none");
        g_variant_iter_free(flags);
        g_variant_iter_free(it);
        g_variant_unref(r);

        /* More than 64 paths: answered by a worker, the same answers, in
         * order (more than two batches of 2,048: the reply is built while
         * the worker reads on); a missing directory at the last path fails
         * the whole call, however much of the answer was built by then. */
#define MANY_STATES 5000
        GPtrArray *many = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < MANY_STATES; i++)
                g_ptr_array_add(many, i % 3 == 0 ? g_strdup(f) : i % 3 == 1 ? g_strdup(n) : g_strdup(x));
        g_ptr_array_add(many, NULL);
        r = call(MANAGER_PATH, MANAGER_IFACE, "GetState", g_variant_new("(^as)", (char **) many->pdata),
                 "(a(ssasu))", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(a(ssasu))", &it);
        g_assert_cmpuint(g_variant_iter_n_children(it), ==, MANY_STATES);
        for (guint i = 0; g_variant_iter_next(it, "(&s&sasu)", &path, &state, &flags, &mode); i++) {
                g_assert_cmpstr(path, ==, g_ptr_array_index(many, i));
                g_assert_cmpstr(state, ==, i % 3 == 0 ? "whiteout" : i % 3 == 1 ? "upper" : "none");
                g_variant_iter_free(flags);
        }
        g_variant_iter_free(it);
        g_variant_unref(r);
        g_free(g_ptr_array_index(many, MANY_STATES - 1));
        g_ptr_array_index(many, MANY_STATES - 1) = mp(o, "no-such-dir/x");
        assert_get_state_fails((const char *const *) many->pdata, BUS_NAME ".Error.InvalidPath",
                               "no-such-dir/x: the parent directory does not exist");
        g_ptr_array_unref(many);

        /* A path through a symbolic link in the overlay: InvalidPath, for
         * root too, whose call no caller check walks.  The kernel's ioctl
         * walks a path from /, following links: a user's link to a FUSE
         * mount whose server never answers would hold the daemon, so the
         * daemon walks it first, without links ("symbolic link or another
         * mount").  Without the ioctl, the layers, looked up without
         * links, have no such directory ("does not exist"). */
        {
                char *dir = mp(o, "real"), *link = mp(o, "link"), *via = mp(o, "link/x");
                const char *one[] = { via, NULL };

                g_assert_cmpint(mkdir(dir, 0755), ==, 0);
                g_assert_cmpint(symlink("real", link), ==, 0);
                r = call(MANAGER_PATH, MANAGER_IFACE, "GetState", g_variant_new("(^as)", one), NULL, &error);
                g_assert_null(r);
                assert_error(error, BUS_NAME ".Error.InvalidPath");
                g_assert_true(strstr(error->message, "symbolic link or another mount") ||
                              strstr(error->message, "the parent directory does not exist"));
                g_clear_error(&error);
                g_assert_cmpint(unlink(link), ==, 0);
                g_assert_cmpint(rmdir(dir), ==, 0);
                g_free(dir), g_free(link), g_free(via);
        }

        /* Hostile or malformed paths: InvalidPath, before anything is done. */
        const char *bad[] = { "relative/path", "/a/../b", "/a//b", "/a/./b", "/a/", "", "/a\nb" };
        for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
                const char *one[] = { bad[i], NULL };
                assert_get_state_fails(one, BUS_NAME ".Error.InvalidPath", NULL);
        }
        char *longp = g_strnfill(5000, 'a');
        longp[0] = '/';
        const char *one[] = { longp, NULL };
        assert_get_state_fails(one, BUS_NAME ".Error.InvalidPath", NULL);
        g_free(longp);

        g_free(f), g_free(n), g_free(x);
}

/* A question the bus carries, whose answer it would not: the system bus
 * takes no message over 32 MiB, and a bus daemon sent one drops its
 * sender (the daemon would lose the bus).  100,000 names of 315 bytes are
 * a 32.0 MB question and a 34.4 MB answer: LimitExceeded, before anything
 * is looked up, and the daemon answers on.  (A bound of the daemon's own:
 * not in UML, where the messages alone took ten seconds.) */
static void test_get_state_bigger_than_the_bus(void) {
        if (skip_bounds_in_uml())
                return;
        Overlay *o = overlay_new(NULL);
        Daemon *d = daemon_start(NULL);
        g_autofree char *f = mp(o, "file"), *sub = g_strnfill(200, 's'), *subdir = mp(o, sub);
        g_autofree char *dir = g_strconcat(subdir, "/", NULL), *name = g_strnfill(315 - strlen(dir) - 6, 'q');
        g_autoptr(GPtrArray) big = g_ptr_array_new_with_free_func(g_free);
        const char *paths[] = { f, NULL }, *path, *state;
        GError *error = NULL;
        GVariantIter *it;
        GVariant *r;

        g_assert_cmpint(mkdir(subdir, 0755), ==, 0);
        for (guint i = 0; i < 100000; i++)
                g_ptr_array_add(big, g_strdup_printf("%s%s%06u", dir, name, i));
        g_ptr_array_add(big, NULL);
        g_assert_cmpuint(strlen(g_ptr_array_index(big, 0)), ==, 315);
        assert_get_state_fails((const char *const *) big->pdata, BUS_NAME ".Error.LimitExceeded",
                               "than the system bus carries");
        /* it answers on */
        r = call(MANAGER_PATH, MANAGER_IFACE, "GetState", g_variant_new("(^as)", paths), "(a(ssasu))", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(a(ssasu))", &it);
        g_assert_true(g_variant_iter_next(it, "(&s&s@asu)", &path, &state, NULL, NULL));
        g_assert_cmpstr(path, ==, f);
        g_assert_cmpstr(state, ==, "whiteout");
        g_variant_iter_free(it);
        g_variant_unref(r);
        g_assert_cmpint(rmdir(subdir), ==, 0);
        daemon_stop(d);
        overlay_free(o);
}

/* Every property of the finished job of test_restore_remount_end_to_end, and of its mount,
 * as the daemon's property tables read them from its fields. */
static void assert_properties(const char *job, Overlay *o) {
        GVariant *v, *all;
        GError *error = NULL;
        char *mount, *s;
        guint32 id;
        guint64 created, finished_at;

        /* Id: as ListJobs lists the job */
        v = get_property(job, JOB_IFACE, "Id");
        id = g_variant_get_uint32(v);
        g_variant_unref(v);
        all = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs", NULL, "(a(ussso))", &error);
        g_assert_no_error(error);
        s = g_variant_print(all, FALSE);
        char *want = g_strdup_printf("(%u, 'restore', '%s', 'done', '%s')", id, o->merged, job);
        if (!strstr(s, want))
                g_error("%s not in %s", want, s);
        g_free(s), g_free(want);
        g_variant_unref(all);
        v = get_property(job, JOB_IFACE, "StartedByUID");
        g_assert_cmpuint(g_variant_get_uint32(v), ==, getuid());
        g_variant_unref(v);
        all = call(job, "org.freedesktop.DBus.Properties", "GetAll", g_variant_new("(s)", JOB_IFACE),
                   "(a{sv})", &error);
        g_assert_no_error(error);
        v = g_variant_get_child_value(all, 0);
        g_assert_true(g_variant_lookup(v, "CreatedUSec", "t", &created));
        g_assert_true(g_variant_lookup(v, "FinishedUSec", "t", &finished_at));
        g_assert_cmpuint(created, >, 1600000000ULL * 1000000ULL);
        g_assert_cmpuint(finished_at, >=, created);
        /* (recursive: sub itself is skipped, its two whiteouts restored) */
        for (const char *const *n = (const char *const[]) { "Total", "4", "Processed", "4", "Restored", "3",
                                                            "Skipped", "1", "Failed", "0", NULL };
             *n; n += 2) {
                guint64 t = 99;

                g_assert_true(g_variant_lookup(v, n[0], "t", &t));
                g_assert_cmpuint(t, ==, g_ascii_strtoull(n[1], NULL, 10));
        }
        g_assert_true(g_variant_lookup(v, "Operation", "&s", &s));
        g_assert_cmpstr(s, ==, "restore");
        g_assert_true(g_variant_lookup(v, "State", "&s", &s));
        g_assert_cmpstr(s, ==, "done");
        g_assert_true(g_variant_lookup(v, "MountPoint", "&s", &s));
        g_assert_cmpstr(s, ==, o->merged);
        g_assert_true(g_variant_lookup(v, "Error", "&s", &s));
        g_assert_cmpstr(s, ==, "");
        g_assert_true(g_variant_lookup(v, "ErrorName", "&s", &s));
        g_assert_cmpstr(s, ==, "");
        gdouble progress = 0;
        g_assert_true(g_variant_lookup(v, "Progress", "d", &progress));
        g_assert_cmpfloat(progress, ==, 1.0);
        g_assert_true(g_variant_lookup(v, "Mount", "&o", &s));
        mount = g_strdup(s);
        g_variant_unref(v);
        g_variant_unref(all);

        s = get_string(mount, MOUNT_IFACE, "MountPoint");
        g_assert_cmpstr(s, ==, o->merged);
        g_free(s);
        s = get_string(mount, MOUNT_IFACE, "UpperDir");
        g_assert_cmpstr(s, ==, o->upper);
        g_free(s);
        s = get_string(mount, MOUNT_IFACE, "WorkDir");
        g_assert_cmpstr(s, ==, o->work);
        g_free(s);
        s = get_string(mount, MOUNT_IFACE, "Options");
        g_assert_nonnull(strstr(s, "upperdir="));
        g_free(s);
        v = get_property(mount, MOUNT_IFACE, "ReadOnly");
        g_assert_false(g_variant_get_boolean(v));
        g_variant_unref(v);
        v = get_property(mount, MOUNT_IFACE, "QueuedJobs");
        g_assert_cmpuint(g_variant_get_uint32(v), ==, 0);
        g_variant_unref(v);
        s = get_string(mount, MOUNT_IFACE, "ActiveJob");
        g_assert_cmpstr(s, ==, "/");
        g_free(s);
        v = get_property(mount, MOUNT_IFACE, "LowerDirs");
        const gchar **lowers = g_variant_get_strv(v, NULL);
        g_assert_nonnull(lowers[0]);
        g_assert_cmpstr(lowers[0], ==, o->lower);
        g_free(lowers);
        g_variant_unref(v);
        g_free(mount);
}

static void test_restore_remount_end_to_end(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        char *f = mp(o, "file"), *sub = mp(o, "sub"), *before, *after, *job, *s;
        const char *paths[] = { f, sub, NULL };
        GVariantIter *it;
        const char *path, *outcome, *msg;
        int restored = 0;

        /* Something that is not a whiteout, and must stay. */
        char *keep = mp(o, "mine"), *ukeep = up(o, "mine");
        write_file(keep, "mine\n");
        before = list_tree(o->upper);

        job = restore_done(paths, "{'recursive': <true>, 'method': <'remount'>}", "done");

        assert_content(f, "hello\n");
        s = mp(o, "sub/a");
        assert_content(s, "a\n");
        g_free(s);
        g_assert_true(g_file_test(ukeep, G_FILE_TEST_EXISTS));
        s = up(o, "link");
        g_assert_true(is_whiteout(s));   /* not asked for: still there */
        g_free(s);

        /* Nothing but the three whiteouts asked for went from the upper layer. */
        after = list_tree(o->upper);
        GString *expect = g_string_new(NULL);
        char **lines = g_strsplit(before, "\n", -1);
        for (char **l = lines; *l && **l; l++)
                if (!g_str_has_prefix(*l, "/file ") && !g_str_has_prefix(*l, "/sub/a ") &&
                    !g_str_has_prefix(*l, "/sub/b "))
                        g_string_append_printf(expect, "%s\n", *l);
        g_assert_cmpstr(after, ==, expect->str);
        g_string_free(expect, TRUE);
        g_strfreev(lines);

        s = get_string(job, JOB_IFACE, "Method");
        g_assert_cmpstr(s, ==, "remount");
        g_free(s);
        assert_properties(job, o);
        it = get_results(job);
        while (g_variant_iter_next(it, "(&s&s&s)", &path, &outcome, &msg))
                if (g_str_equal(outcome, "restored"))
                        restored++;
        g_assert_cmpint(restored, ==, 3);
        g_variant_iter_free(it);

        g_free(f), g_free(sub), g_free(before), g_free(after), g_free(job), g_free(keep), g_free(ukeep);
}

/* The same restore with the kernel's ioctl: at once, the overlay stays
 * mounted and in use (an open fd inside does not matter). */
static void test_restore_ioctl_end_to_end(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        char *f = mp(o, "file"), *sub = mp(o, "sub"), *job, *s;
        const char *paths[] = { f, sub, NULL };
        int fd = open(o->merged, O_RDONLY | O_DIRECTORY);

        job = restore_done(paths, "{'recursive': <true>, 'method': <'ioctl'>}", "done");
        s = get_string(job, JOB_IFACE, "Method");
        g_assert_cmpstr(s, ==, "ioctl");
        g_free(s);
        assert_content(f, "hello\n");
        s = mp(o, "sub/b");
        assert_content(s, "b\n");
        g_free(s);
        s = up(o, "link");
        g_assert_true(is_whiteout(s));
        g_free(s);
        close(fd);
        g_free(f), g_free(sub), g_free(job);
}

/* Two failures in a row, each with its own errno, keep their own
 * messages (a job stores each distinct message once: by its text, not by
 * the buffer it came in). */
static void test_failures_keep_their_messages(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        char *plain = mp(o, "plain"), *a = mp(o, "nodir/x"), *b = mp(o, "plain/x"), *job;
        const char *paths[] = { a, b, NULL }, *path, *outcome, *msg;
        unsigned seen = 0;
        GVariantIter *it;

        write_file(plain, "x\n");
        job = restore_done(paths, "{'method': <'ioctl'>}", "failed");
        it = get_results(job);
        while (g_variant_iter_next(it, "(&s&s&s)", &path, &outcome, &msg)) {
                g_test_message("%s: %s: %s", path, outcome, msg);
                g_assert_cmpstr(outcome, ==, "failed");
                if (g_str_equal(path, a))
                        g_assert_true(g_str_has_prefix(msg, g_strerror(ENOENT)));
                else {
                        g_assert_cmpstr(path, ==, b);
                        g_assert_true(g_str_has_prefix(msg, g_strerror(ENOTDIR)));
                }
                seen++;
        }
        g_assert_cmpuint(seen, ==, 2);
        g_variant_iter_free(it);
        g_free(plain), g_free(a), g_free(b), g_free(job);
}

/* What the kernel's refusal means reaches the caller with it: EOPNOTSUPP
 * on an overlay mounted with index=on, in the path's result. */
static void test_restore_ioctl_error_explained(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        char *f = mp(o, "file"), *uf = up(o, "file"), *job;
        const char *paths[] = { f, NULL }, *path, *outcome, *msg;
        unsigned failed = 0;
        GVariantIter *it;

        job = restore(paths, g_variant_new_parsed("{'method': <'ioctl'>}"), &error);
        g_assert_no_error(error);
        g_assert_cmpstr(wait_job(job), !=, "running");
        it = get_results(job);
        while (g_variant_iter_next(it, "(&s&s&s)", &path, &outcome, &msg)) {
                g_assert_cmpstr(path, ==, f);
                g_assert_cmpstr(outcome, ==, "failed");
                g_assert_cmpstr(msg, ==, "Operation not supported (the overlay is mounted with index, "
                                "redirect_dir or metacopy on, where restores are refused)");
                failed++;
        }
        g_assert_cmpuint(failed, ==, 1);
        g_variant_iter_free(it);
        g_assert_true(is_whiteout(uf));
        g_free(f), g_free(uf), g_free(job);
}

/* The kernel's ioctl walks a path from /, following links: a path
 * through a link in the overlay (a user's, to a FUSE mount whose server
 * never answers, would hold the job for ever) fails before the ioctl, as
 * the remount method's lookups beneath the layers fail it. */
/* Results by path, as "OUTCOME: MESSAGE". */
static GHashTable *results_by_path(const char *job) {
        GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        GVariantIter *it = get_results(job);
        const char *path, *outcome, *msg;

        while (g_variant_iter_next(it, "(&s&s&s)", &path, &outcome, &msg))
                g_hash_table_insert(h, g_strdup(path), g_strdup_printf("%s: %s", outcome, msg));
        g_variant_iter_free(it);
        return h;
}

/* A daemon held at pause point ioctl-walked (daemon/test-hooks.h), in
 * *@ret_d, and a Restore of @paths with the ioctl held there, after its
 * first path's walk: the job; *@ret_fd the pause FIFO, open (its close
 * lets the job on), *@ret_fifo its path. */
static char *restore_ioctl_held(const char **paths, Daemon **ret_d, char **ret_fifo, int *ret_fd) {
        GError *error = NULL;
        char *job;

        *ret_d = daemon_start_paused("ioctl-walked", ret_fifo);
        subscribe_jobs();
        job = restore(paths, g_variant_new_parsed("{'method': <'ioctl'>}"), &error);
        g_assert_no_error(error);
        *ret_fd = pause_fifo_open(*ret_fifo, NULL, job, g_get_monotonic_time() + 60 * G_USEC_PER_SEC);
        return job;
}

static void test_restore_ioctl_through_a_link(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        char *link = mp(o, "via"), *p = mp(o, "via/a"), *ua = up(o, "sub/a"), *job;
        const char *paths[] = { p, NULL };
        GHashTable *res;

        g_assert_cmpint(symlink("sub", link), ==, 0);
        job = restore(paths, g_variant_new_parsed("{'method': <'ioctl'>}"), &error);
        g_assert_no_error(error);
        g_assert_cmpstr(wait_job(job), !=, "running");
        res = results_by_path(job);
        g_assert_cmpuint(g_hash_table_size(res), ==, 1);
        g_assert_cmpstr(g_hash_table_lookup(res, p), ==,
                        "failed: the path goes through a symbolic link or another mount inside the overlay");
        g_hash_table_unref(res);
        g_assert_true(is_whiteout(ua));         /* not restored through the link */
        g_assert_cmpint(unlink(link), ==, 0);
        g_free(link), g_free(p), g_free(ua), g_free(job);
}

/* A directory renamed, and a link to another directory put in its place,
 * between the daemon's walk of a path's directory and its ioctl (held at
 * pause point ioctl-walked): the kernel acts in the directory that was
 * walked, now at its new name, never through the link. */
static void test_restore_ioctl_renamed_to_a_link(void) {
        Overlay *o = overlay_new(NULL);
        char *dir = mp(o, "dir"), *moved = mp(o, "moved"), *p = mp(o, "dir/a"), *udir_a = up(o, "dir/a");
        char *umoved_a = up(o, "moved/a"), *ua = up(o, "sub/a"), *fifo, *job;
        const char *paths[] = { p, NULL };
        GHashTable *res;
        Daemon *d;
        int fd;

        /* dir/a: a whiteout that hides nothing (dir is the upper layer's
         * alone); sub/a: one that hides the lower layer's file. */
        g_assert_cmpint(mkdir(dir, 0755), ==, 0);
        g_assert_cmpint(mknod(udir_a, S_IFCHR, makedev(0, 0)), ==, 0);
        g_assert_true(is_whiteout(ua));
        job = restore_ioctl_held(paths, &d, &fifo, &fd);
        g_assert_cmpint(rename(dir, moved), ==, 0);
        g_assert_cmpint(symlink("sub", dir), ==, 0);
        close(fd);
        g_assert_cmpstr(wait_job(job), !=, "running");
        res = results_by_path(job);
        g_assert_cmpuint(g_hash_table_size(res), ==, 1);
        g_assert_cmpstr(g_hash_table_lookup(res, p), ==, "skipped: the whiteout hid nothing; it was removed");
        g_hash_table_unref(res);
        g_assert_true(is_whiteout(ua));         /* not restored through the link */
        g_assert_cmpint(access(umoved_a, F_OK), <, 0);
        g_assert_cmpint(errno, ==, ENOENT);

        g_assert_cmpint(unlink(dir), ==, 0);
        unlink(fifo);
        g_free(fifo), g_free(job);
        g_free(dir), g_free(moved), g_free(p), g_free(udir_a), g_free(umoved_a), g_free(ua);
        overlay_free(o);
        daemon_stop(d);
}

/* The daemon's walk keeps a path's directory for the paths after it in
 * the same directory.  Removed, and another made at its name, meanwhile
 * (held at pause point ioctl-walked, after the walk for dir/none): the
 * paths are walked again, into the new directory. */
static void test_restore_ioctl_directory_replaced(void) {
        Overlay *o = overlay_new(NULL);
        char *dir = mp(o, "dir"), *none = mp(o, "dir/none"), *b = mp(o, "dir/b"), *ub = up(o, "dir/b");
        char *fifo, *job;
        const char *paths[] = { none, b, NULL };
        GHashTable *res;
        Daemon *d;
        int fd;

        g_assert_cmpint(mkdir(dir, 0755), ==, 0);
        job = restore_ioctl_held(paths, &d, &fifo, &fd);
        g_assert_cmpint(rmdir(dir), ==, 0);
        g_assert_cmpint(mkdir(dir, 0755), ==, 0);
        g_assert_cmpint(mknod(ub, S_IFCHR, makedev(0, 0)), ==, 0);
        close(fd);
        g_assert_cmpstr(wait_job(job), !=, "running");
        res = results_by_path(job);
        g_assert_cmpstr(g_hash_table_lookup(res, none), ==, "skipped: not a whiteout (nothing to restore)");
        g_assert_cmpstr(g_hash_table_lookup(res, b), ==, "skipped: the whiteout hid nothing; it was removed");
        g_assert_cmpint(access(ub, F_OK), <, 0);

        g_hash_table_unref(res);
        unlink(fifo);
        g_free(fifo), g_free(job);
        g_free(dir), g_free(none), g_free(b), g_free(ub);
        overlay_free(o);
        daemon_stop(d);
}

/* The overlay covered by another mount while a job works on it (held at
 * pause point ioctl-walked, after the walk for sub/a): no directory is
 * walked in it any more, as the kernel's own walk from / would not reach
 * it.  (Covered, not unmounted: the daemon cancels a job whose overlay is
 * unmounted, at a moment of the event loop's; covered, the overlay stays
 * in the mount table.) */
static void test_restore_ioctl_overlay_covered(void) {
        Overlay *o = overlay_new(NULL);
        GError *error = NULL;
        char *a = mp(o, "sub/a"), *f = mp(o, "file"), *uf = up(o, "file"), *fifo, *job;
        const char *paths[] = { a, f, NULL };
        GHashTable *res;
        GVariant *r;
        Daemon *d;
        int fd;

        job = restore_ioctl_held(paths, &d, &fifo, &fd);
        g_assert_cmpint(mount("cover", o->merged, "tmpfs", 0, NULL), ==, 0);
        close(fd);
        g_assert_cmpstr(wait_job(job), !=, "running");
        res = results_by_path(job);
        g_assert_cmpstr(g_hash_table_lookup(res, a), ==, "restored: ");
        g_assert_cmpstr(g_hash_table_lookup(res, f), ==,
                        "failed: the overlay is no longer what is mounted at its mount point");
        g_assert_true(is_whiteout(uf));
        /* GetState: no answer from the cover, none from the overlay under
         * it (the path is looked up first: what covers it is no overlay) */
        r = call(MANAGER_PATH, MANAGER_IFACE, "GetState", g_variant_new("(^as)", (const char *[]) { f, NULL }),
                 "(a(ssasu))", &error);
        g_assert_null(r);
        /* (NoSuchMount if the daemon had not read the cover's mount yet) */
        assert_error_either(error, BUS_NAME ".Error.NotOverlay", BUS_NAME ".Error.NoSuchMount");
        g_clear_error(&error);

        g_assert_cmpint(umount2(o->merged, MNT_DETACH), ==, 0);
        g_hash_table_unref(res);
        unlink(fifo);
        g_free(fifo), g_free(job), g_free(a), g_free(f), g_free(uf);
        overlay_free(o);
        daemon_stop(d);
}

static void test_restore_busy(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        char *f = mp(o, "file"), *uf = up(o, "file"), *job, *s;
        const char *paths[] = { f, NULL };
        int fd = open(o->merged, O_RDONLY | O_DIRECTORY);    /* keeps the overlay in use */

        g_assert_cmpint(fd, >=, 0);
        job = restore_done(paths, "{'method': <'remount'>}", "failed");
        s = get_string(job, JOB_IFACE, "Error");
        g_assert_nonnull(strstr(s, "in use"));
        g_free(s);
        g_assert_true(is_whiteout(uf));
        close(fd);
        g_free(f), g_free(uf), g_free(job);
}

static void test_restore_hostile(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        char *outside = g_strdup_printf("%s/outside", o->base), *ox = g_strdup_printf("%s/x", outside);
        char *evil_lower = g_strdup_printf("%s/evil", o->lower), *elx = g_strdup_printf("%s/x", evil_lower);
        char *evil_upper = up(o, "evil"), *path = mp(o, "evil/x"), *job;
        const char *paths[] = { path, NULL };

        /* A whiteout outside the layers, and an upper symlink pointing at it
         * where the lower layer has a directory. */
        g_assert_cmpint(umount(o->merged), ==, 0);
        g_assert_cmpint(mkdir(outside, 0755), ==, 0);
        g_assert_cmpint(mknod(ox, S_IFCHR, makedev(0, 0)), ==, 0);
        g_assert_cmpint(mkdir(evil_lower, 0755), ==, 0);
        write_file(elx, "x\n");
        g_assert_cmpint(symlink(outside, evil_upper), ==, 0);
        overlay_mount(o, NULL);

        job = restore(paths, NULL, &error);
        g_assert_no_error(error);
        wait_job(job);
        g_assert_true(is_whiteout(ox));          /* never followed out of the layer */
        g_free(job);

        /* ".." and paths on another mount are refused before anything runs. */
        char *dotdot = g_strdup_printf("%s/../outside/x", o->merged);
        const char *p2[] = { dotdot, NULL };
        g_assert_null(restore(p2, NULL, &error));
        assert_error(error, BUS_NAME ".Error.InvalidPath");
        g_clear_error(&error);
        const char *p3[] = { ox, NULL };
        g_assert_null(restore(p3, NULL, &error));
        assert_error(error, BUS_NAME ".Error.NotOverlay");
        g_clear_error(&error);
        /* Unknown options and wrong types: InvalidArgs. */
        const char *p4[] = { path, NULL };
        g_assert_null(restore(p4, g_variant_new_parsed("{'recursive': <'yes'>}"), &error));
        assert_error(error, "org.freedesktop.DBus.Error.InvalidArgs");
        g_clear_error(&error);
        g_assert_null(restore(p4, g_variant_new_parsed("{'colour': <true>}"), &error));
        assert_error(error, "org.freedesktop.DBus.Error.InvalidArgs");
        g_assert_nonnull(strstr(error->message, "known are recursive, dry-run, mode, method"));
        g_clear_error(&error);
        g_assert_null(restore(p4, g_variant_new_parsed("{'mode': <'sideways'>}"), &error));
        assert_error(error, "org.freedesktop.DBus.Error.InvalidArgs");
        g_assert_nonnull(strstr(error->message, "Unknown mode 'sideways': use whiteout, opaque or discard"));
        g_clear_error(&error);
        g_assert_null(restore(p4, g_variant_new_parsed("{'method': <true>}"), &error));
        assert_error(error, "org.freedesktop.DBus.Error.InvalidArgs");
        g_assert_nonnull(strstr(error->message, "option 'method' takes a string (s)"));
        g_clear_error(&error);
        /* Without the kernel's ioctls, asking for them is Unsupported. */
        if (g_str_equal(kernel_interface, "none")) {
                g_assert_null(restore(p4, g_variant_new_parsed("{'method': <'ioctl'>}"), &error));
                assert_error(error, BUS_NAME ".Error.Unsupported");
                g_clear_error(&error);
        }
        g_assert_true(is_whiteout(ox));

        g_free(dotdot), g_free(outside), g_free(ox), g_free(evil_lower), g_free(elx);
        g_free(evil_upper), g_free(path);
}

/* Hundreds of names in one directory, of two lower layers: enough for
 * the daemon to answer "what shows below" from a listing of each lower
 * directory instead of a stat per name (common/layers.c).  Each name is
 * one of four cases; Scan and a whiteout restore (remount on the host,
 * the ioctl in UML) must tell each exactly:
 *   0  a file of the top lower layer: shown again
 *   1  a file of the bottom lower layer only: shown again
 *   2  the top lower layer's whiteout over the bottom one's file: the
 *      upper whiteout hides nothing
 *   3  nothing below at all: hides nothing
 * and "dir", a directory of the top lower layer, shown again; just
 * before it, "dir/inner", a file of that directory, not an entry of the
 * merged view while "dir" is a whiteout.  A second directory, "none",
 * holds EMPTY whiteouts over an empty lower directory (a listing of no
 * names): all hide nothing.  A dry run first, then the restore.  With the
 * remount method, the lower lookups of both run on a thread of their own
 * (daemon/lower-ahead.h; OVL_RESTORED_LOWER_AHEAD=always, whatever the
 * CPUs), and the daemon's debug line says so: the edits looked up no
 * lower entry themselves but "dir/inner" (which the thread could not look
 * up either), and only if the thread had said so before the edits came to
 * it, and the listings and stats are those the edits made themselves
 * before. */
#define MANY 300
#define EMPTY 70

/* Each of @outcomes (a dry run's or a restore's) for the paths of
 * test_many_in_one_directory(), in their order. */
static void assert_many_outcomes(const char *job, const char *merged, GPtrArray *paths, gboolean dry_run) {
        const char *shown = dry_run ? "would-restore" : "restored", *nothing = dry_run ? "hides nothing" : "hid nothing";
        const char *path, *outcome, *msg;
        unsigned seen[5] = { 0 }, n_none = 0, n_inner = 0;
        GVariantIter *it = get_results(job);

        for (guint i = 0; g_variant_iter_next(it, "(&s&s&s)", &path, &outcome, &msg); i++) {
                const char *name = path + strlen(merged) + strlen("/many/");
                int k = g_str_equal(name, "dir") ? 4 : atoi(name + 1) % 4;

                /* (in the order given: README, "Per-path outcomes") */
                g_assert_cmpstr(path, ==, g_ptr_array_index(paths, i));

                if (g_str_equal(name, "dir/inner")) {
                        g_assert_cmpstr(outcome, ==, "failed");
                        g_assert_cmpstr(msg, ==, "No such file or directory");
                        n_inner++;
                        continue;
                }
                if (strstr(path, "/none/")) {
                        g_assert_cmpstr(outcome, ==, "skipped");
                        g_assert_nonnull(strstr(msg, nothing));
                        seen[2]++;      /* (as case 3 of "many", counted apart below) */
                        n_none++;
                        continue;
                }
                if (k == 0 || k == 1 || k == 4)
                        g_assert_cmpstr(outcome, ==, shown);
                else {
                        g_assert_cmpstr(outcome, ==, "skipped");
                        g_assert_nonnull(strstr(msg, nothing));
                }
                seen[k]++;
        }
        g_variant_iter_free(it);
        g_assert_cmpuint(seen[0] + seen[1] + seen[2] + seen[3], ==, MANY + EMPTY);
        g_assert_cmpuint(n_none, ==, EMPTY);
        g_assert_cmpuint(seen[4], ==, 1);
        g_assert_cmpuint(n_inner, ==, 1);
}

static void many_in_one_directory(const char *ahead) {
        Overlay *o = overlay_paths_new();
        const char *base = o->base, *top = o->lower, *upper = o->upper, *work = o->work, *merged = o->merged;
        g_autofree char *bottom = g_strdup_printf("%s/lower2", base);
        g_autofree char *lowers = NULL, *log = NULL, *text = NULL;
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        const char *path, *state, *line;
        unsigned seen[5] = { 0 }, n_ahead = 0;
        GVariantIter *it, *flags;
        char *mount_path, *job;
        guint32 mode;
        Daemon *d;

        for (const char *dir = "many\0none\0"; *dir; dir += strlen(dir) + 1)
                for (const char **l = (const char *[]) { top, bottom, upper, NULL }; *l; l++) {
                        char *p = g_strdup_printf("%s/%s", *l, dir);

                        g_assert_cmpint(g_mkdir_with_parents(p, 0755), ==, 0);
                        g_free(p);
                }
        g_assert_cmpint(g_mkdir_with_parents(work, 0755), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(merged, 0755), ==, 0);
        for (int i = 0; i < MANY; i++) {
                g_autofree char *t = g_strdup_printf("%s/many/n%03d", top, i);
                g_autofree char *b = g_strdup_printf("%s/many/n%03d", bottom, i);
                g_autofree char *u = g_strdup_printf("%s/many/n%03d", upper, i);

                if (i % 4 == 0)
                        write_file(t, "top\n");
                if (i % 4 == 1 || i % 4 == 2)
                        write_file(b, "bottom\n");
                if (i % 4 == 2)
                        g_assert_cmpint(mknod(t, S_IFCHR | 0600, makedev(0, 0)), ==, 0);
                g_assert_cmpint(mknod(u, S_IFCHR | 0600, makedev(0, 0)), ==, 0);
                g_ptr_array_add(paths, g_strdup_printf("%s/many/n%03d", merged, i));
        }
        {
                g_autofree char *t = g_strdup_printf("%s/many/dir", top);
                g_autofree char *ti = g_strdup_printf("%s/many/dir/inner", top);
                g_autofree char *u = g_strdup_printf("%s/many/dir", upper);

                g_assert_cmpint(mkdir(t, 0755), ==, 0);
                write_file(ti, "inner\n");
                g_assert_cmpint(mknod(u, S_IFCHR | 0600, makedev(0, 0)), ==, 0);
                g_ptr_array_add(paths, g_strdup_printf("%s/many/dir/inner", merged));
                g_ptr_array_add(paths, g_strdup_printf("%s/many/dir", merged));
        }
        for (int i = 0; i < EMPTY; i++) {
                g_autofree char *u = g_strdup_printf("%s/none/e%03d", upper, i);

                g_assert_cmpint(mknod(u, S_IFCHR | 0600, makedev(0, 0)), ==, 0);
                g_ptr_array_add(paths, g_strdup_printf("%s/none/e%03d", merged, i));
        }
        g_ptr_array_add(paths, NULL);
        lowers = g_strdup_printf("%s:%s", top, bottom);
        mount_layers(lowers, upper, work, merged, NULL);
        log = g_strdup_printf("%s/daemon-%u.log", test_dir, ++counter);
        g_setenv("OVL_RESTORED_LOWER_AHEAD", ahead, TRUE);
        d = daemon_start_logged(NULL, log);
        g_unsetenv("OVL_RESTORED_LOWER_AHEAD");
        subscribe_jobs();

        mount_path = mount_object(merged);
        it = scan_of(mount_path, merged, FALSE);
        while (g_variant_iter_next(it, "(&s&sasu)", &path, &state, &flags, &mode)) {
                const char *name = path + strlen(merged) + strlen("/many/");

                g_variant_iter_free(flags);
                if (g_str_has_suffix(path, "/many") || g_str_has_suffix(path, "/none"))
                        continue;       /* (the directories: upper, merged with the lower ones) */
                g_assert_false(strstr(path, "/none/"));
                g_assert_cmpstr(state, ==, "whiteout");
                if (g_str_equal(name, "dir"))
                        seen[4]++;
                else
                        seen[atoi(name + 1) % 4]++;
        }
        g_variant_iter_free(it);
        /* (only the whiteouts that hide something, each once) */
        g_assert_cmpuint(seen[0], ==, MANY / 4);
        g_assert_cmpuint(seen[1], ==, MANY / 4);
        g_assert_cmpuint(seen[2] + seen[3], ==, 0);
        g_assert_cmpuint(seen[4], ==, 1);

        /* ("failed": a path failed, "dir/inner") */
        job = restore_done((const char **) paths->pdata, "{'dry-run': <true>}", "failed");
        assert_many_outcomes(job, merged, paths, TRUE);
        g_free(job);
        job = restore_done((const char **) paths->pdata, NULL, "failed");
        assert_many_outcomes(job, merged, paths, FALSE);
        for (int i = 0; i < MANY; i++) {
                g_autofree char *m = g_strdup_printf("%s/many/n%03d", merged, i);

                if (i % 4 == 0)
                        assert_content(m, "top\n");
                else if (i % 4 == 1)
                        assert_content(m, "bottom\n");
                else
                        g_assert_cmpint(access(m, F_OK), ==, -1);
        }

        g_free(job), g_free(mount_path);
        umount2(merged, MNT_DETACH);
        daemon_stop(d);

        /* Both jobs' lower lookups ran ahead: one listing of each lower
         * "many" and "none" (300 and 70 lookups), a stat of each name the
         * top one has as a character device (case 2), and one of "dir"
         * (alone in its run). */
        g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
        for (line = text; (line = strstr(line, "lower layers looked up ahead")); line++) {
                g_autofree char *l = g_strndup(line, strchrnul(line, '\n') - line);

                /* ("dir/inner": looked up by the edits where the thread
                 * said it could not before they came to it; not where
                 * its answer was not in yet, or not taken, "late".  And
                 * where the edits, which need not wait for the thread,
                 * removed the whiteout "dir" before the thread looked
                 * "dir/inner" up, the thread finds the lower "dir" and
                 * stats "inner" in it: 77.  No outcome depends on it:
                 * "dir/inner" fails in the upper layer either way.) */
                g_assert_true(g_str_has_suffix(l, "and looked up 0 entries themselves): lower directories listed: 4, "
                                               "names stat'ed in a lower layer: 76") ||
                              g_str_has_suffix(l, "and looked up 0 entries themselves): lower directories listed: 4, "
                                               "names stat'ed in a lower layer: 77") ||
                              (g_str_equal(ahead, "always") &&
                               (g_str_has_suffix(l, "and looked up 1 entry themselves): lower directories listed: "
                                                    "4, names stat'ed in a lower layer: 76") ||
                                g_str_has_suffix(l, "and looked up 1 entry themselves): lower directories listed: "
                                                    "4, names stat'ed in a lower layer: 77"))) ||
                              (g_printerr("%s\n", l), FALSE));
                n_ahead++;
        }
        g_assert_cmpuint(n_ahead, ==, strstr(text, "method remount)") ? 2 : 0);
        overlay_free(o);
}

static void test_many_in_one_directory(void) {
        many_in_one_directory("always");
}

/* The same, the edits taking none of the thread's answers before they
 * are all done (OVL_RESTORED_LOWER_AHEAD=late): each whiteout's outcome
 * waits for its answer, and "dir/inner"'s failure for those before it. */
static void test_many_in_one_directory_late(void) {
        many_in_one_directory("late");
}

/* The edits of a remount job wait for the lower answers they still need
 * once (daemon/lower-ahead.c), however many: the thread ahead is held
 * before its first lookup (pause point lower-ahead-thread) until every
 * whiteout is gone from the upper layer (its inotify events counted),
 * the edits taking none of its answers meanwhile
 * (OVL_RESTORED_LOWER_AHEAD=late).  The daemon's debug line says how many
 * times they waited: once at most.  (Woken at each answer, they waited
 * again each time they came to one not given yet.) */
#define WAITED_N 1000
static void test_edits_wait_once(void) {
        Overlay *o = overlay_new(NULL);
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *fifo = g_strdup_printf("%s/pause-%u", test_dir, ++counter);
        g_autofree char *pause = g_strdup_printf("lower-ahead-thread:%s", fifo);
        g_autofree char *log = g_strdup_printf("%s/daemon-%u.log", test_dir, ++counter);
        g_autofree char *text = NULL, *job = NULL;
        char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
        const char *line;
        GError *error = NULL;
        unsigned deleted = 0, n_lines = 0;
        int ifd, fd;
        Daemon *d;

        g_assert_cmpint(umount(o->merged), ==, 0);
        for (int i = 0; i < WAITED_N; i++) {
                g_autofree char *l = g_strdup_printf("%s/w%04d", o->lower, i);
                g_autofree char *u = g_strdup_printf("%s/w%04d", o->upper, i);

                write_file(l, "lower\n");
                g_assert_cmpint(mknod(u, S_IFCHR | 0600, makedev(0, 0)), ==, 0);
                g_ptr_array_add(paths, g_strdup_printf("%s/w%04d", o->merged, i));
        }
        g_ptr_array_add(paths, NULL);
        overlay_mount(o, NULL);

        g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
        g_setenv("OVL_RESTORED_PAUSE_AT", pause, TRUE);
        g_setenv("OVL_RESTORED_LOWER_AHEAD", "late", TRUE);
        d = daemon_start_logged(NULL, log);
        g_unsetenv("OVL_RESTORED_LOWER_AHEAD");
        g_unsetenv("OVL_RESTORED_PAUSE_AT");
        subscribe_jobs();
        ifd = inotify_init1(IN_CLOEXEC);
        g_assert_cmpint(ifd, >=, 0);
        g_assert_cmpint(inotify_add_watch(ifd, o->upper, IN_DELETE), >=, 0);
        job = restore((const char **) paths->pdata, g_variant_new_parsed("{'method': <'remount'>}"), &error);
        g_assert_no_error(error);

        /* Every whiteout removed, the thread still held... */
        while (deleted < WAITED_N) {
                struct pollfd pfd = { .fd = ifd, .events = POLLIN };
                ssize_t k;

                /* (a guard: a job that removes nothing ends the test) */
                g_assert_cmpint(poll(&pfd, 1, 60 * 1000), ==, 1);
                k = read(ifd, buf, sizeof buf);
                g_assert_cmpint(k, >, 0);
                for (char *p = buf; p < buf + k; p += sizeof(struct inotify_event) + ((struct inotify_event *) p)->len)
                        deleted += g_str_has_prefix(((struct inotify_event *) p)->name, "w");
        }
        close(ifd);
        g_assert_false(g_hash_table_contains(finished, job));
        /* ...then let go. */
        fd = pause_fifo_open(fifo, NULL, job, g_get_monotonic_time() + 60 * G_USEC_PER_SEC);
        g_assert_cmpint(write(fd, "x", 1), ==, 1);
        close(fd);
        g_assert_cmpstr(wait_job(job), ==, "done");
        for (int i = 0; i < WAITED_N; i += 97) {
                g_autofree char *m = g_strdup_printf("%s/w%04d", o->merged, i);

                assert_content(m, "lower\n");
        }
        daemon_stop(d);

        g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
        for (line = text; (line = strstr(line, "lower layers looked up ahead")); line++) {
                g_autofree char *l = g_strndup(line, strchrnul(line, '\n') - line);

                /* (none, where the thread was through before the edits
                 * came to wait: they need not have waited yet when their
                 * last removal is seen) */
                g_assert_true(strstr(l, "(the edits waited for it 1 time, and looked up 0 entries themselves)") ||
                              strstr(l, "(the edits waited for it 0 times, and looked up 0 entries themselves)") ||
                              (g_printerr("%s\n", l), FALSE));
                n_lines++;
        }
        g_assert_cmpuint(n_lines, ==, 1);
        unlink(fifo);
        overlay_free(o);
}

/* Appends to @out the names of directory @dir, in its readdir order,
 * those starting with @prefix only, each as "@rel/NAME" (or "NAME"). */
static void readdir_names(const char *dir, const char *rel, const char *prefix, GPtrArray *out) {
        DIR *d = opendir(dir);
        struct dirent *de;

        g_assert_nonnull(d);
        while ((de = readdir(d)))
                if (g_str_has_prefix(de->d_name, prefix))
                        g_ptr_array_add(out, *rel ? g_strdup_printf("%s/%s", rel, de->d_name) : g_strdup(de->d_name));
        closedir(d);
}

/* A Scan finds more than the walk hands over at a time (SCAN_BATCH,
 * 2048): what it found goes into the reply batch by batch while the walk
 * goes on (daemon/mount-dbus.c).  The reply must be exactly the walk's:
 * the directories (the root's readdir order), then each one's hidden
 * entries in its own readdir order (the upper directories, which the
 * walk lists), each once, none lost or moved between batches.  Past the
 * limit of 100,000 entries, what was built is dropped for LimitExceeded
 * (host only: in UML 100,001 files take long to make, and the batching is
 * the daemon's). */
#define SCAN_DIRS 3
#define SCAN_PER_DIR 3000
static void test_scan_in_batches(void) {
        Overlay *o = overlay_paths_new();
        const char *lower = o->lower, *upper = o->upper, *work = o->work, *merged = o->merged;
        g_autofree char *mount_path = NULL;
        g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free);
        const char *path, *state;
        GVariantIter *it, *flags;
        GError *error = NULL;
        guint32 mode;
        GVariant *r;
        guint n = 0;
        Daemon *d;

        for (int k = 0; k < SCAN_DIRS; k++) {
                g_autofree char *dk = g_strdup_printf("d%d", k);

                overlay_mkdirs(o, dk);
        }
        /* Each lower file hidden: a whiteout, or (every tenth) an upper
         * copy; and upper files with nothing below, which a Scan without
         * "compare" leaves out. */
        for (int k = 0; k < SCAN_DIRS; k++)
                for (int i = 0; i < SCAN_PER_DIR; i++) {
                        g_autofree char *lo = g_strdup_printf("%s/d%d/n%04d", lower, k, i);
                        g_autofree char *u = g_strdup_printf("%s/d%d/n%04d", upper, k, i);
                        g_autofree char *mine = g_strdup_printf("%s/d%d/mine%04d", upper, k, i);

                        g_assert_cmpint(mknod(lo, S_IFREG | 0644, 0), ==, 0);
                        g_assert_cmpint(mknod(u, i % 10 ? S_IFCHR | 0600 : S_IFREG | 0644, makedev(0, 0)), ==, 0);
                        if (i % 100 == 0)
                                g_assert_cmpint(mknod(mine, S_IFREG | 0644, 0), ==, 0);
                }
        /* (the walk's order, from the upper layer it lists) */
        readdir_names(upper, "", "d", want);
        for (guint k = 0; k < SCAN_DIRS; k++) {
                g_autofree char *dir = g_strdup_printf("%s/%s", upper, (char *) g_ptr_array_index(want, k));

                readdir_names(dir, g_ptr_array_index(want, k), "n", want);
        }
        g_assert_cmpuint(want->len, ==, SCAN_DIRS + SCAN_DIRS * SCAN_PER_DIR);
        mount_layers(lower, upper, work, merged, NULL);
        d = daemon_start(NULL);

        mount_path = mount_object(merged);
        it = scan_of(mount_path, merged, FALSE);
        while (g_variant_iter_next(it, "(&s&sasu)", &path, &state, &flags, &mode)) {
                const char *rel = path + strlen(merged) + 1, *slash = strchr(rel, '/');

                g_variant_iter_free(flags);
                g_assert_true(g_str_has_prefix(path, merged) && path[strlen(merged)] == '/');
                g_assert_cmpuint(n, <, want->len);
                g_assert_cmpstr(rel, ==, g_ptr_array_index(want, n));
                n++;
                /* a directory (upper and lower merged), an upper copy or a whiteout */
                g_assert_cmpstr(state, ==, !slash || atoi(slash + 2) % 10 == 0 ? "upper" : "whiteout");
        }
        g_variant_iter_free(it);
        g_assert_cmpuint(n, ==, want->len);

        if (!g_getenv("OVL_IN_UML")) {
                g_autofree char *many = g_strdup_printf("%s/d0/many", upper);

                /* 100,001 upper files with nothing below: "compare" reports
                 * each as added, one more than a Scan may. */
                umount2(merged, MNT_DETACH);
                g_assert_cmpint(mkdir(many, 0755), ==, 0);
                for (int i = 0; i <= 100000; i++) {
                        g_autofree char *f = g_strdup_printf("%s/%d", many, i);

                        g_assert_cmpint(mknod(f, S_IFREG | 0644, 0), ==, 0);
                }
                mount_layers(lower, upper, work, merged, NULL);
                /* (the overlay's object again: GetMountForPath catches up
                 * with the mount table, a call on the object might not yet) */
                g_free(mount_path);
                mount_path = mount_object(merged);
                r = call(mount_path, MOUNT_IFACE, "Scan", g_variant_new_parsed("(%s, {'compare': <true>})", merged),
                         "(a(ssasu))", &error);
                g_assert_null(r);
                assert_error(error, BUS_NAME ".Error.LimitExceeded");
                g_assert_nonnull(strstr(error->message, "More than 100000 entries"));
                g_clear_error(&error);
                /* (and the daemon answers on) */
                it = scan_of(mount_path, merged, FALSE);
                g_assert_cmpuint(g_variant_iter_n_children(it), ==, want->len);
                g_variant_iter_free(it);
        } else
                g_test_message("Scan past its limit: not in UML (100,001 files take long to make there)");
        daemon_stop(d);
        overlay_remove(o);
}

/* The Scan of @path through @mount_path (the overlay at @merged): exactly
 * the entries of @want (relative to @merged), in that order; directories
 * (merged) "upper", the rest whiteouts. */
static void assert_scan_walk(const char *mount_path, const char *merged, const char *path, GPtrArray *want) {
        GVariantIter *it = scan_of(mount_path, path, FALSE), *flags;
        const char *p, *state;
        guint32 mode;
        guint n = 0;

        while (g_variant_iter_next(it, "(&s&sasu)", &p, &state, &flags, &mode)) {
                g_variant_iter_free(flags);
                g_assert_true(g_str_has_prefix(p, merged) && p[strlen(merged)] == '/');
                g_assert_cmpuint(n, <, want->len);
                g_assert_cmpstr(p + strlen(merged) + 1, ==, g_ptr_array_index(want, n));
                n++;
                g_assert_cmpstr(state, ==, S_ISDIR(mode) ? "upper" : "whiteout");
        }
        g_variant_iter_free(it);
        g_assert_cmpuint(n, ==, want->len);
}

/* The daemon's debug line of the one Scan in @log (daemon_start_logged()),
 * from "Scan on the overlay at " to its end. */
static char *scan_debug_line(const char *log) {
        g_autofree char *text = NULL;
        char *line;

        g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
        line = strstr(text, "Scan on the overlay at ");
        g_assert_nonnull(line);
        return g_strndup(line, strchrnul(line, '\n') - line);
}

/* @line ends in @end (if not, it is printed). */
static void assert_line_ends(const char *line, const char *end) {
        if (!g_str_has_suffix(line, end))
                g_printerr("%s\n", line);
        g_assert_true(g_str_has_suffix(line, end));
}

/* A daemon with its debug lines in a new file, *@ret_log; it lists a
 * lower directory of 1,024 names or more on a thread of its own, whatever
 * the CPUs (OVL_RESTORED_LOWER_AHEAD, daemon/test-hooks.h). */
static Daemon *daemon_start_scan_logged(char **ret_log) {
        Daemon *d;

        *ret_log = g_strdup_printf("%s/daemon-%u.log", test_dir, ++counter);
        g_setenv("OVL_RESTORED_LOWER_AHEAD", "always", TRUE);
        d = daemon_start_logged(NULL, *ret_log);
        g_unsetenv("OVL_RESTORED_LOWER_AHEAD");
        return d;
}

/* @o mounted; its @sub scanned by a daemon of its own
 * (daemon_start_scan_logged()) and checked by assert_scan_walk() against
 * @want; @o removed (overlay_remove()): the Scan's debug line. */
static char *scan_walk_logged(Overlay *o, const char *sub, GPtrArray *want) {
        g_autofree char *log = NULL, *mount_path = NULL, *path = g_strdup_printf("%s/%s", o->merged, sub);
        Daemon *d;

        mount_layers(o->lower, o->upper, o->work, o->merged, NULL);
        d = daemon_start_scan_logged(&log);
        mount_path = mount_object(o->merged);
        assert_scan_walk(mount_path, o->merged, path, want);
        daemon_stop(d);
        overlay_remove(o);
        return scan_debug_line(log);
}

/* A directory whose names are more than a Scan keeps in memory while it
 * reads them (SCAN_NAMES_KEPT_BYTES, 2 MiB: 8,600 names of 250 bytes):
 * the walk looks up the kept ones, then reads on from where they ended
 * (daemon/state.c).  Every hidden entry must still come once, in the
 * upper directory's readdir order, and the subdirectories among the rest
 * must be walked too, after it.  Each name costs 250 + 1 + 4 + 1 bytes:
 * 8,192 fit, and the first one not kept is the 8,193rd in readdir order,
 * entry 8192 in the order of creation (tmpfs since 6.6) or 407 in the
 * reverse (before): the entries around both are directories too.  The
 * directory is counted all the same, so its lower directory is listed
 * once, not stat'ed name by name; and it is listed on a thread of its own
 * while the Scan reads the upper one, past 1,024 names (the daemon's
 * debug line says both). */
#define SCAN_LONG_NAMES 8600
static gboolean scan_long_is_dir(int i) {
        return i % 97 == 0 || (i >= 8189 && i <= 8195) || (i >= 404 && i <= 410);
}
static void test_scan_long_names(void) {
        Overlay *o = overlay_paths_new();
        const char *lower = o->lower, *upper = o->upper;
        g_autofree char *big = NULL, *line = NULL, *counts = NULL;
        g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        char pad[246];
        guint dirs = 0;

        memset(pad, 'x', sizeof pad - 1);
        pad[sizeof pad - 1] = '\0';
        overlay_mkdirs(o, "big");
        /* Each lower file hidden by a whiteout; every 97th entry a
         * directory in both layers, its file "f" hidden too (some among
         * the names kept, some among the rest, whatever the order). */
        for (int i = 0; i < SCAN_LONG_NAMES; i++) {
                g_autofree char *lo = g_strdup_printf("%s/big/n%04d%s", lower, i, pad);
                g_autofree char *u = g_strdup_printf("%s/big/n%04d%s", upper, i, pad);

                if (scan_long_is_dir(i)) {
                        g_autofree char *lf = g_strdup_printf("%s/f", lo), *uf = g_strdup_printf("%s/f", u);

                        g_assert_cmpint(mkdir(lo, 0755), ==, 0);
                        g_assert_cmpint(mkdir(u, 0755), ==, 0);
                        g_assert_cmpint(mknod(lf, S_IFREG | 0644, 0), ==, 0);
                        g_assert_cmpint(mknod(uf, S_IFCHR | 0600, makedev(0, 0)), ==, 0);
                } else {
                        g_assert_cmpint(mknod(lo, S_IFREG | 0644, 0), ==, 0);
                        g_assert_cmpint(mknod(u, S_IFCHR | 0600, makedev(0, 0)), ==, 0);
                }
        }
        /* (the walk's order: "big", its entries, then each subdirectory's) */
        big = g_strdup_printf("%s/big", upper);
        g_ptr_array_add(want, g_strdup("big"));
        readdir_names(big, "big", "n", want);
        readdir_names(big, "", "n", names);
        for (guint i = 0; i < names->len; i++)
                if (scan_long_is_dir(atoi((char *) g_ptr_array_index(names, i) + 1))) {
                        g_ptr_array_add(want, g_strdup_printf("big/%s/f", (char *) g_ptr_array_index(names, i)));
                        dirs++;
                }
        g_assert_cmpuint(dirs, ==, (SCAN_LONG_NAMES + 96) / 97 + 14);
        g_assert_cmpuint(want->len, ==, 1 + SCAN_LONG_NAMES + dirs);
        /* (the cut falls among directories, in this file system's order) */
        for (guint i = 8191; i <= 8193; i++)
                g_assert_true(scan_long_is_dir(atoi((char *) g_ptr_array_index(names, i) + 1)));
        line = scan_walk_logged(o, "big", want);
        /* One listing (of the lower "big", on a thread of its own), and a
         * stat for each name of the other directories: "big" itself and
         * each subdirectory's "f" (one lookup each, too few to list for). */
        counts = g_strdup_printf(": %u entries found; whiteouts known by their inode: 0, upper entries "
                                 "stat'ed: %u, lower directories listed: 1 (on a thread of their own: 1), names "
                                 "stat'ed in a lower layer: %u", want->len, want->len, 1 + dirs);
        assert_line_ends(line, counts);
}

/* Whiteouts that overlayfs made share one inode (a mount's shared
 * whiteout, Linux 5.8 and later): a Scan knows all but the first by the
 * inode readdir() gives, without a stat (daemon/state.c).  Beside them,
 * in the same directory: a whiteout of an inode of its own, and a
 * character device that is not a whiteout with two names, over lower
 * files.  Each must be reported as what it is: the device as an upper
 * entry, under either name, whichever the walk meets first. */
#define SHARED_WHITEOUTS 300
static void test_scan_shared_whiteouts(void) {
        Overlay *o = overlay_paths_new();
        const char *lower = o->lower, *upper = o->upper, *work = o->work, *merged = o->merged;
        g_autofree char *mount_path = NULL, *log = NULL, *counts = NULL, *dir = NULL, *line = NULL;
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        const char *p, *state;
        GVariantIter *it, *flags;
        struct stat st;
        guint32 mode;
        Daemon *d;

        overlay_mkdirs(o, "s");
        for (int i = 0; i < SHARED_WHITEOUTS + 3; i++) {
                g_autofree char *f = i < SHARED_WHITEOUTS ? g_strdup_printf("%s/s/w%03d", lower, i)
                                                          : g_strdup_printf("%s/s/%s", lower,
                                                                            (const char *[]) { "own", "dev1",
                                                                                               "dev2" }[i - SHARED_WHITEOUTS]);

                g_assert_true(g_file_set_contents(f, "x", 1, NULL));
        }
        /* (the whiteouts made through the merged view, as a user's rm
         * makes them) */
        mount_layers(lower, upper, work, merged, NULL);
        for (int i = 0; i < SHARED_WHITEOUTS; i++) {
                g_autofree char *f = g_strdup_printf("%s/s/w%03d", merged, i);

                g_assert_cmpint(unlink(f), ==, 0);
        }
        g_assert_cmpint(umount2(merged, MNT_DETACH), ==, 0);
        dir = g_strdup_printf("%s/s/w000", upper);
        g_assert_cmpint(lstat(dir, &st), ==, 0);
        g_assert_true(S_ISCHR(st.st_mode) && st.st_rdev == 0);
        g_assert_cmpuint(st.st_nlink, >=, SHARED_WHITEOUTS);
        g_free(dir);
        dir = g_strdup_printf("%s/s", upper);
        {
                g_autofree char *own = g_strdup_printf("%s/own", dir), *d1 = g_strdup_printf("%s/dev1", dir),
                                *d2 = g_strdup_printf("%s/dev2", dir);

                g_assert_cmpint(mknod(own, S_IFCHR | 0600, makedev(0, 0)), ==, 0);
                g_assert_cmpint(mknod(d1, S_IFCHR | 0600, makedev(1, 3)), ==, 0);
                g_assert_cmpint(link(d1, d2), ==, 0);
        }
        mount_layers(lower, upper, work, merged, NULL);
        d = daemon_start_scan_logged(&log);

        mount_path = mount_object(merged);
        g_free(dir);
        dir = g_strdup_printf("%s/s", merged);
        it = scan_of(mount_path, dir, FALSE);
        while (g_variant_iter_next(it, "(&s&sasu)", &p, &state, &flags, &mode)) {
                const char *rel = p + strlen(dir);
                gboolean whiteout = g_str_has_prefix(rel, "/w") || g_str_equal(rel, "/own");

                g_variant_iter_free(flags);
                g_assert_true(g_str_has_prefix(p, dir));
                if (*rel == '\0')
                        g_assert_cmpstr(state, ==, "upper");
                else if (whiteout)
                        g_assert_cmpstr(state, ==, "whiteout");
                else {
                        g_assert_true(g_str_equal(rel, "/dev1") || g_str_equal(rel, "/dev2"));
                        g_assert_cmpstr(state, ==, "upper");
                        g_assert_cmpuint(mode, ==, S_IFCHR | 0600);
                }
                g_assert_true(g_hash_table_add(seen, g_strdup(rel)));
        }
        g_variant_iter_free(it);
        g_assert_cmpuint(g_hash_table_size(seen), ==, 1 + SHARED_WHITEOUTS + 3);
        daemon_stop(d);
        /* All the shared whiteouts but the first known by their inode;
         * "own", "dev1" and "dev2" stat'ed as they were read, and the
         * devices again when looked up (no whiteouts), "s" too: 7 stats
         * of upper entries, where a stat of each would be 307.  The lower
         * "s" listed, and "s" itself stat'ed there (one lookup in its
         * directory). */
        counts = g_strdup_printf(": %u entries found; whiteouts known by their inode: %u, upper entries "
                                 "stat'ed: 7, lower directories listed: 1 (on a thread of their own: 0), names "
                                 "stat'ed in a lower layer: 1", 1 + SHARED_WHITEOUTS + 3, SHARED_WHITEOUTS - 1);
        line = scan_debug_line(log);
        assert_line_ends(line, counts);
        overlay_remove(o);
}

/* A directory of more subdirectories than a Scan keeps to walk after its
 * entries (SCAN_SUBDIRS_KEPT, 4,096): each one past them is walked as it
 * is met, its entries right after it, while the directory's kept names
 * are held (daemon/state.c); the first 4,096 after all the directory's
 * entries.  Some subdirectories (the first 110 and the last 110 made, so
 * that in either readdir order the ones around the 4,096th are among
 * them, and every 64th) have a lower one, and a file hidden there; the
 * others are new upper directories, walked but not reported (cheap to
 * make in UML).  The first and the last made hide 1,100 files more: one
 * of them is walked as it is met, the other after, in either order, and
 * each has its lower directory listed on a thread of its own, while the
 * thread of "many" has been taken (daemon/state.c; the test hook makes
 * it so on one CPU too). */
#define SCAN_SUBDIRS 4200
#define SCAN_SUBDIR_BIG 1100
static gboolean scan_subdir_big(int i) {
        return i == 0 || i == SCAN_SUBDIRS - 1;
}
#define SCAN_SUBDIRS_KEPT 4096
static gboolean scan_subdir_merges(int i) {
        return i < SCAN_SUBDIRS - SCAN_SUBDIRS_KEPT + 6 || i >= SCAN_SUBDIRS_KEPT - 6 || i % 64 == 0;
}

/* The entries of upper directory many/@name, as "many/@name/ENTRY", in
 * its readdir order (the walk's). */
static void scan_subdir_entries(const char *upper, const char *name, GPtrArray *want) {
        g_autofree char *dir = g_strdup_printf("%s/many/%s", upper, name);
        g_autofree char *rel = g_strdup_printf("many/%s", name);
        DIR *d = opendir(dir);
        struct dirent *de;

        g_assert_nonnull(d);
        while ((de = readdir(d)))
                if (!g_str_equal(de->d_name, ".") && !g_str_equal(de->d_name, ".."))
                        g_ptr_array_add(want, g_strdup_printf("%s/%s", rel, de->d_name));
        closedir(d);
}

static void test_scan_many_subdirs(void) {
        Overlay *o = overlay_paths_new();
        const char *lower = o->lower, *upper = o->upper;
        g_autofree char *many = NULL, *line = NULL;
        g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

        overlay_mkdirs(o, "many");
        for (int i = 0; i < SCAN_SUBDIRS; i++)
                for (const char **l = (const char *[]) { lower, upper, NULL }; *l; l++) {
                        g_autofree char *dir = g_strdup_printf("%s/many/d%04d", *l, i);
                        g_autofree char *f = g_strdup_printf("%s/f", dir);

                        if (*l == lower && !scan_subdir_merges(i))
                                continue;
                        g_assert_cmpint(mkdir(dir, 0755), ==, 0);
                        if (scan_subdir_merges(i))
                                g_assert_cmpint(mknod(f, *l == upper ? S_IFCHR | 0600 : S_IFREG | 0644,
                                                      makedev(0, 0)), ==, 0);
                        for (int k = 0; scan_subdir_big(i) && k < SCAN_SUBDIR_BIG; k++) {
                                g_autofree char *g = g_strdup_printf("%s/g%04d", dir, k);

                                g_assert_cmpint(mknod(g, *l == upper ? S_IFCHR | 0600 : S_IFREG | 0644,
                                                      makedev(0, 0)), ==, 0);
                        }
                }
        /* (the walk's order, from the upper directory it lists) */
        many = g_strdup_printf("%s/many", upper);
        readdir_names(many, "", "d", names);
        g_assert_cmpuint(names->len, ==, SCAN_SUBDIRS);
        g_ptr_array_add(want, g_strdup("many"));
        for (guint i = 0; i < names->len; i++) {
                const char *name = g_ptr_array_index(names, i);

                if (!scan_subdir_merges(atoi(name + 1)))
                        continue;
                g_ptr_array_add(want, g_strdup_printf("many/%s", name));
                if (i >= SCAN_SUBDIRS_KEPT)
                        scan_subdir_entries(upper, name, want);
        }
        for (guint i = 0; i < SCAN_SUBDIRS_KEPT; i++) {
                const char *name = g_ptr_array_index(names, i);

                if (scan_subdir_merges(atoi(name + 1)))
                        scan_subdir_entries(upper, name, want);
        }
        line = scan_walk_logged(o, "many", want);
        g_assert_true(strstr(line, " (on a thread of their own: 3), ") || (g_printerr("%s\n", line), FALSE));
}

/* Manager.Restore of @paths with @options: one job on @a, then one on
 * @b, each done. */
static void assert_restore_on_two(const char **paths, GVariant *options, Overlay *a, Overlay *b) {
        GError *error = NULL;
        GVariantIter *it;
        GVariant *r;
        char *job;
        int n = 0;

        subscribe_jobs();
        r = call(MANAGER_PATH, MANAGER_IFACE, "Restore",
                 g_variant_new("(^as@a{sv})", paths,
                               options ?: g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)),
                 "(ao)", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(ao)", &it);
        while (g_variant_iter_next(it, "o", &job)) {
                char *m = get_string(job, JOB_IFACE, "MountPoint");

                g_assert_cmpstr(wait_job(job), ==, "done");
                g_assert_cmpstr(m, ==, n == 0 ? a->merged : b->merged);
                g_free(m), g_free(job);
                n++;
        }
        g_assert_cmpint(n, ==, 2);      /* one job per overlay */
        g_variant_iter_free(it);
        g_variant_unref(r);
}

static void test_jobs_on_two_mounts(void) {
        Overlay *a = overlay_new(NULL), *b = overlay_new(NULL);
        Daemon *d = daemon_start(NULL);
        GError *error = NULL;
        char *fa = mp(a, "file"), *fb = mp(b, "file");
        const char *paths[] = { fa, fb, NULL };
        GVariant *r;

        assert_restore_on_two(paths, NULL, a, b);
        assert_content(fa, "hello\n");
        assert_content(fb, "hello\n");

        r = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs", NULL, "(a(ussso))", &error);
        g_assert_no_error(error);
        g_assert_cmpint(n_children0(r), ==, 2);
        g_variant_unref(r);

        /* Cancelling a finished job: NoSuchJob, saying so. */
        r = call(MANAGER_PATH "/job/_31", JOB_IFACE, "Cancel", NULL, NULL, &error);
        g_assert_null(r);
        assert_error(error, BUS_NAME ".Error.NoSuchJob");
        g_clear_error(&error);

        g_free(fa), g_free(fb);
        overlay_free(a), overlay_free(b);
        daemon_stop(d);
}

/* Overlays side by side in one directory, as Calculinux mounts /etc and
 * /usr in /: a call naming both mount points (recursive: all of each) gets
 * a job on each.  (The daemon looks the paths of one directory up once,
 * unless a mount point lies in that directory: here both do.) */
static void test_overlays_side_by_side(void) {
        char *base = g_strdup_printf("%s/side%u", test_dir, ++counter);
        Overlay *a = overlay_make(base, "etc", NULL), *b = overlay_make(base, "usr", NULL);
        Daemon *d = daemon_start(NULL);
        char *fa = mp(a, "sub/a"), *fb = mp(b, "sub/b");
        const char *paths[] = { a->merged, b->merged, NULL };

        assert_restore_on_two(paths, g_variant_new_parsed("{'recursive': <true>}"), a, b);
        assert_content(fa, "a\n");
        assert_content(fb, "b\n");

        g_free(fa), g_free(fb), g_free(base);
        overlay_free(a), overlay_free(b);
        daemon_stop(d);
}

/* The superblock options of the mount at @path, as the mount table shows
 * them (the kernel's escapes undone: "\134" and "\054" are "\" and ","). */
static char *super_options_of(const char *path) {
        char *table = read_file("/proc/self/mountinfo"), **lines = g_strsplit(table, "\n", -1), *found = NULL;

        for (char **l = lines; *l && !found; l++) {
                char **f = g_strsplit(*l, " ", -1), *sep;

                if (g_strv_length(f) > 4 && g_str_equal(f[4], path) && (sep = strstr(*l, " - "))) {
                        char **t = g_strsplit(sep + 3, " ", 3);

                        g_assert_cmpint(g_strv_length(t), ==, 3);
                        found = g_strcompress(t[2]);
                        g_strfreev(t);
                }
                g_strfreev(f);
        }
        g_strfreev(lines), g_free(table);
        g_assert_nonnull(found);
        return found;
}

/* The overlay's layers as the daemon tells them must be @o's. */
static void assert_layers(Overlay *o) {
        char *obj = mount_object(o->merged), *upper = get_string(obj, MOUNT_IFACE, "UpperDir"),
             *work = get_string(obj, MOUNT_IFACE, "WorkDir");
        GVariant *lowers = get_property(obj, MOUNT_IFACE, "LowerDirs");
        const char **l = g_variant_get_strv(lowers, NULL);

        g_assert_cmpstr(upper, ==, o->upper);
        g_assert_cmpstr(work, ==, o->work);
        g_assert_cmpstr(l[0], ==, o->lower);
        g_assert_null(l[1]);
        g_free(l), g_variant_unref(lowers), g_free(obj), g_free(upper), g_free(work);
}

/* Layers whose paths hold commas, and after them what could read as
 * options ("userxattr", "index=on", and "ro" at the end of the lower
 * layer's path, an item of its own to a plain split): overlayfs takes
 * "\," for such a comma, and shows the option as it was given.  The
 * daemon must open the layers by their real paths, and (remount) mount
 * the overlay again with the same options. */
static void test_commas_in_layer_paths(void) {
        char *base = g_strdup_printf("%s/comma%u", test_dir, ++counter);
        Overlay *o = overlay_make(base, "e,userxattr,index=on,ro", NULL);
        Daemon *d = daemon_start(NULL);
        char *f = mp(o, "file"), *before = super_options_of(o->merged), *after, *job;
        const char *paths[] = { f, NULL };

        g_assert_nonnull(strstr(before, "e\\,userxattr\\,index=on\\,ro/upper"));
        assert_layers(o);
        subscribe_jobs();
        job = restore_done(paths, "{'method': <'remount'>}", "done");
        assert_content(f, "hello\n");
        after = super_options_of(o->merged);
        g_assert_cmpstr(after, ==, before);
        assert_layers(o);

        g_free(f), g_free(before), g_free(after), g_free(job), g_free(base);
        overlay_free(o);
        daemon_stop(d);
}

/* An upperdir whose value ends in a backslash, the last of the options
 * given: overlayfs drops the backslash (the layer is the directory
 * without it), and shows it before workdir: "upperdir=U\134,workdir=W" in
 * the mount table, which libmount reads as "upperdir=U\,workdir=W", as if
 * a comma were in the path.  The daemon reads the kernel's own escapes. */
static void test_backslash_ending_a_layer_path(void) {
        char *base = g_strdup_printf("%s/backslash%u", test_dir, ++counter);
        Overlay *o = overlay_make(base, NULL, NULL);
        char *f = mp(o, "file"), *opts, *job;
        const char *paths[] = { f, NULL };
        Daemon *d;

        g_assert_cmpint(umount2(o->merged, MNT_DETACH), ==, 0);
        opts = calculinux_layout
                ? g_strdup_printf("lowerdir=%s,workdir=%s,index=off,xino=off,redirect_dir=off,metacopy=off,"
                                  "upperdir=%s\\", o->lower, o->work, o->upper)
                : g_strdup_printf("lowerdir=%s,workdir=%s,upperdir=%s\\", o->lower, o->work, o->upper);
        g_assert_cmpint(mount(calculinux_layout ? o->upper : "overlay", o->merged, "overlay", 0, opts), ==, 0);
        g_free(opts);
        opts = super_options_of(o->merged);
        g_assert_nonnull(strstr(opts, "/upper\\,workdir="));     /* (as libmount reads it) */
        d = daemon_start(NULL);
        assert_layers(o);
        subscribe_jobs();
        job = restore_done(paths, "{'method': <'remount'>}", "done");
        assert_content(f, "hello\n");
        assert_layers(o);

        g_free(f), g_free(opts), g_free(job), g_free(base);
        overlay_free(o);
        daemon_stop(d);
}

/* The overlay of fs context @fs, its workdir @work, mounted at @merged. */
static void fs_context_mount(int fs, const char *work, const char *merged) {
        int mfd;

        g_assert_cmpint(fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0), ==, 0);
        g_assert_cmpint(fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0), ==, 0);
        mfd = fsmount(fs, FSMOUNT_CLOEXEC, 0);
        g_assert_cmpint(mfd, >=, 0);
        g_assert_cmpint(move_mount(mfd, "", AT_FDCWD, merged, MOVE_MOUNT_F_EMPTY_PATH), ==, 0);
        close(mfd);
}

/* An overlay made through fsconfig(2) with a comma in its upper layer's
 * path, as no mount option string could give it (6.5 and later; 6.1
 * refuses the comma): the kernel shows "upperdir=.../up\054per", which
 * overlayfs would not read back as one path.  The daemon must not take
 * it for ".../up" (or anything else): the overlay's jobs are refused,
 * and nothing is edited.  The same for layers given as lowerdir+. */
static void test_comma_set_through_fsconfig(void) {
        char *base = g_strdup_printf("%s/fsconfig%u", test_dir, ++counter);
        char *lower = g_strdup_printf("%s/lower", base), *upper = g_strdup_printf("%s/up,per", base),
             *decoy = g_strdup_printf("%s/up", base), *work = g_strdup_printf("%s/work", base),
             *merged = g_strdup_printf("%s/merged", base), *f = g_strdup_printf("%s/file", merged),
             *lf = g_strdup_printf("%s/file", lower), *df = g_strdup_printf("%s/file", decoy), *obj, *u;
        const char *paths[] = { f, NULL };
        GError *error = NULL;
        Daemon *d;
        int fs;

        for (char **p = (char *[]) { lower, upper, decoy, work, merged, NULL }; *p; p++)
                g_assert_cmpint(g_mkdir_with_parents(*p, 0755), ==, 0);
        write_file(lf, "hello\n");
        /* (a whiteout in the directory a misreading would take for the
         * upper layer: it must stay) */
        g_assert_cmpint(mknod(df, S_IFCHR | 0600, makedev(0, 0)), ==, 0);
        fs = fsopen("overlay", FSOPEN_CLOEXEC);
        g_assert_cmpint(fs, >=, 0);
        g_assert_cmpint(fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0), ==, 0);
        /* (a path without a comma first: so that the skip below is for
         * the comma alone) */
        g_assert_cmpint(fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", decoy, 0), ==, 0);
        if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0) {
                g_assert_cmpint(errno, ==, EINVAL);
                g_test_skip("this kernel takes no comma in an overlay's option set through fsconfig");
                goto out;
        }
        fs_context_mount(fs, work, merged);
        g_assert_cmpint(unlink(f), ==, 0);      /* a whiteout in up,per */

        d = daemon_start(NULL);
        obj = mount_object(f);
        u = get_string(obj, MOUNT_IFACE, "UpperDir");
        g_assert_cmpstr(u, ==, "");             /* not known */
        g_assert_null(restore(paths, NULL, &error));
        assert_error(error, BUS_NAME ".Error.Unsupported");
        g_assert_nonnull(strstr(error->message, "would not read back as they show"));
        g_clear_error(&error);
        g_assert_true(is_whiteout(df));
        /* Scan and GetState cannot tell either what the layers hold (but
         * for the kernel's ioctl, which reads them itself): Unsupported,
         * not an empty answer, nor "none" for a whiteout. */
        {
                char *k = get_string(MANAGER_PATH, MANAGER_IFACE, "KernelInterface");
                GVariant *r = call(obj, MOUNT_IFACE, "Scan", g_variant_new_parsed("(%s, @a{sv} {})", merged),
                                   NULL, &error);

                g_assert_null(r);
                assert_error(error, BUS_NAME ".Error.Unsupported");
                g_assert_nonnull(strstr(error->message, "would not read back as they show"));
                g_clear_error(&error);
                r = call(MANAGER_PATH, MANAGER_IFACE, "GetState", g_variant_new("(^as)", paths), "(a(ssasu))",
                         &error);
                if (g_strcmp0(k, "ioctl") == 0) {
                        GVariant *all, *first;
                        const char *state;

                        g_assert_no_error(error);
                        all = g_variant_get_child_value(r, 0);
                        first = g_variant_get_child_value(all, 0);
                        g_variant_get_child(first, 1, "&s", &state);
                        g_assert_cmpstr(state, ==, "whiteout");
                        g_variant_unref(first), g_variant_unref(all), g_variant_unref(r);
                } else {
                        g_assert_null(r);
                        assert_error(error, BUS_NAME ".Error.Unsupported");
                        g_clear_error(&error);
                }
                g_free(k);
        }
        g_free(obj), g_free(u);
        g_assert_cmpint(umount2(merged, MNT_DETACH), ==, 0);

        /* Layers given one by one (lowerdir+, 6.8 and later), which
         * overlayfs does not unescape: not read either.  (At another
         * mount point, with another workdir: an object the daemon knows
         * already could answer for the wrong overlay.) */
        close(fs);
        fs = fsopen("overlay", FSOPEN_CLOEXEC);
        g_assert_cmpint(fs, >=, 0);
        if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lower, 0) < 0) {
                g_assert_cmpint(errno, ==, EINVAL);
                g_test_message("no lowerdir+ on this kernel");
        } else {
                char *merged2 = g_strdup_printf("%s2", merged), *work2 = g_strdup_printf("%s2", work);
                char *f2 = g_strdup_printf("%s/file", merged2);
                const char *paths2[] = { f2, NULL };

                g_assert_cmpint(g_mkdir_with_parents(merged2, 0755), ==, 0);
                g_assert_cmpint(g_mkdir_with_parents(work2, 0755), ==, 0);
                g_assert_cmpint(fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", decoy, 0), ==, 0);
                fs_context_mount(fs, work2, merged2);
                g_assert_null(restore(paths2, NULL, &error));
                assert_error(error, BUS_NAME ".Error.Unsupported");
                g_assert_nonnull(strstr(error->message, merged2));
                g_clear_error(&error);
                g_assert_true(is_whiteout(df));
                g_assert_cmpint(umount2(merged2, MNT_DETACH), ==, 0);
                g_free(merged2), g_free(work2), g_free(f2);
        }
        daemon_stop(d);
out:
        close(fs);
        g_free(base), g_free(lower), g_free(upper), g_free(decoy), g_free(work), g_free(merged);
        g_free(f), g_free(lf), g_free(df);
}

/* A job queued on an overlay that, before its turn, is replaced at its
 * mount point by one whose options cannot be read (a comma set through
 * fsconfig, 6.5 and later): the job must end, failed and Unsupported,
 * not start on the old overlay's layers nor stay queued for ever. */
static void test_queued_job_on_an_unreadable_overlay(void) {
        Overlay *o = overlay_new(NULL);
        char *fifo = NULL, *mount_path,
             *lower2 = g_strdup_printf("%s/lower2", o->base), *upper2 = g_strdup_printf("%s/up,per", o->base),
             *work2 = g_strdup_printf("%s/work2", o->base), *f = mp(o, "file"), *sa = mp(o, "sub/a"),
             *job1, *job2, *s;
        const char *p1[] = { f, NULL }, *p2[] = { sa, NULL };
        GError *error = NULL;
        gint64 deadline;
        int fs, fd;
        Daemon *d;

        for (char **p = (char *[]) { lower2, upper2, work2, NULL }; *p; p++)
                g_assert_cmpint(g_mkdir_with_parents(*p, 0755), ==, 0);
        fs = fsopen("overlay", FSOPEN_CLOEXEC);
        g_assert_cmpint(fs, >=, 0);
        g_assert_cmpint(fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower2, 0), ==, 0);
        if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper2, 0) < 0) {
                g_assert_cmpint(errno, ==, EINVAL);
                g_test_skip("this kernel takes no comma in an overlay's option set through fsconfig");
                goto out;
        }
        d = daemon_start_paused("remount-before-unmount", &fifo);
        subscribe_jobs();
        mount_path = mount_object(o->merged);
        job1 = restore(p1, g_variant_new_parsed("{'method': <'remount'>}"), &error);
        g_assert_no_error(error);
        job2 = restore(p2, g_variant_new_parsed("{'method': <'remount'>}"), &error);
        g_assert_no_error(error);
        /* job 1 held before its unmount; the other overlay put in place */
        deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
        fd = pause_fifo_open(fifo, NULL, job1, deadline);
        g_assert_cmpint(umount2(o->merged, MNT_DETACH), ==, 0);
        fs_context_mount(fs, work2, o->merged);
        /* (the daemon has read the table again once the object says so) */
        while ((s = get_string(mount_path, MOUNT_IFACE, "Options")) && !strstr(s, "up,per")) {
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                g_free(s);
                tick();
        }
        g_free(s);
        g_assert_cmpint(write(fd, "xx", 2), ==, 2);
        g_assert_cmpstr(wait_job(job1), ==, "failed");
        g_assert_cmpstr(wait_job(job2), ==, "failed");
        s = get_string(job2, JOB_IFACE, "ErrorName");
        g_assert_cmpstr(s, ==, BUS_NAME ".Error.Unsupported");
        g_free(s);
        s = up(o, "sub/a");
        g_assert_true(is_whiteout(s));          /* nothing edited */
        g_free(s);
        close(fd);
        g_assert_cmpint(umount2(o->merged, MNT_DETACH), ==, 0);
        daemon_stop(d);
        g_free(mount_path), g_free(job1), g_free(job2);
out:
        close(fs);
        if (fifo)
                unlink(fifo);
        g_free(fifo), g_free(lower2), g_free(upper2), g_free(work2), g_free(f), g_free(sa);
        overlay_free(o);        /* (skipped: still mounted; else its umount2() fails, harmless) */
}

static gboolean skip_polkit_in_uml(void) {
        if (!g_getenv("OVL_IN_UML"))
                return FALSE;
        /* polkitd starts in UML but answers no CheckAuthorization there (pkcheck
         * times out too); the polkit decisions are tested on the machine's
         * kernel. */
        g_test_skip("polkitd does not answer inside UML");
        return TRUE;
}

static void test_polkit_decisions(void) {
        if (skip_polkit_in_uml())
                return;
        Overlay *o = overlay_new(NULL);
        Daemon *d = daemon_start("--force-polkit");
        char *f = mp(o, "file"), *args, *err = NULL, *uf = up(o, "file");
        int st;

        args = g_strdup_printf("\"['%s']\" \"{}\"", f);
        /* uid 65534: a rule says no */
        st = call_as("nobody", &err, "Restore", args);
        g_assert_cmpint(st, !=, 0);
        g_assert_nonnull(strstr(err, "org.freedesktop.DBus.Error.AccessDenied"));
        g_free(err);
        /* "daemon": the policy's auth_admin_keep, no agent: a challenge */
        st = call_as("daemon", &err, "Restore", args);
        g_assert_cmpint(st, !=, 0);
        g_assert_nonnull(strstr(err, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"));
        g_free(err);
        g_assert_true(is_whiteout(uf));
        /* group ovltest: a rule says yes (GetState: inspect) */
        g_free(args);
        args = g_strdup_printf("\"['%s']\"", f);
        st = call_as("ovltest", &err, "GetState", args);
        g_assert_cmpint(st, ==, 0);
        g_free(err);
        /* (root with polkit forced: tests/test-security, section 6, checks
         * in the daemon's log that polkit is asked and its yes obeyed) */

        g_free(args), g_free(f), g_free(uf);
        overlay_free(o);
        daemon_stop(d);
}

/* A lower directory the caller may not search, whose copy up (chmod'ed
 * in the merged view) it may: GetState of a whiteout below it does not
 * tell the caller "no lower directory" (root is told there is one), but
 * that it may not be told (the layers are looked up as the caller, so
 * that a rename in the overlay cannot lead root's lookup into a directory
 * it may not search). */
static void test_get_state_lower_unsearchable(void) {
        if (skip_polkit_in_uml())
                return;
        Overlay *o = overlay_new(NULL);
        char *priv = g_strdup_printf("%s/priv", o->lower), *sub = g_strdup_printf("%s/priv/sub", o->lower);
        char *lx = g_strdup_printf("%s/priv/sub/x", o->lower), *mpriv = mp(o, "priv"), *x = mp(o, "priv/sub/x");
        char *args, *out = NULL, *err = NULL;
        const char *state, **flags;
        GError *error = NULL;
        GVariantIter *it;
        GVariant *r;
        Daemon *d;

        g_assert_cmpint(umount(o->merged), ==, 0);
        g_assert_cmpint(mkdir(priv, 0700), ==, 0);
        g_assert_cmpint(mkdir(sub, 0755), ==, 0);
        write_file(lx, "x\n");
        overlay_mount(o, NULL);
        g_assert_cmpint(chmod(mpriv, 0755), ==, 0);
        g_assert_cmpint(unlink(x), ==, 0);
        d = daemon_start(NULL);
        args = g_strdup_printf("\"['%s']\"", x);
        g_assert_cmpint(call_as_out("ovltest", &out, &err, "GetState", args), !=, 0);
        g_assert_null(strstr(out, "no-lower-dir"));
        g_assert_nonnull(strstr(err, "org.freedesktop.DBus.Error.AccessDenied"));
        g_assert_nonnull(strstr(err, "a lower layer's directory on its way is closed to you"));
        g_free(out), g_free(err);
        /* root is told */
        r = call(MANAGER_PATH, MANAGER_IFACE, "GetState", g_variant_new("(^as)", (const char *[]) { x, NULL }),
                 "(a(ssasu))", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(a(ssasu))", &it);
        g_assert_true(g_variant_iter_next(it, "(&s&s^a&su)", NULL, &state, &flags, NULL));
        g_assert_cmpstr(state, ==, "whiteout");
        g_assert_null(flags[0]);
        g_free(flags);
        g_variant_iter_free(it);
        g_variant_unref(r);
        out = err = NULL;

        g_free(args), g_free(out), g_free(err);
        g_free(priv), g_free(sub), g_free(lx), g_free(mpriv), g_free(x);
        overlay_free(o);
        daemon_stop(d);
}

static void test_restore_as_allowed_user(Fixture *fx, gconstpointer unused) {
        if (skip_polkit_in_uml())
                return;
        char *f = mp(fx->o, "file"), *args, *err = NULL;
        int st;

        args = g_strdup_printf("\"['%s']\" \"{}\"", f);
        st = call_as("ovltest", &err, "Restore", args);
        g_assert_cmpint(st, ==, 0);
        /* The job runs; wait for it (the only one) to finish. */
        guint t = g_timeout_add_seconds(60, on_timeout, (gpointer) "the ovltest user's job");
        while (g_hash_table_size(finished) == 0)
                g_main_context_iteration(NULL, TRUE);
        g_source_remove(t);
        assert_content(f, "hello\n");
        g_free(err), g_free(args), g_free(f);
}


static void test_modes_opaque_and_discard(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        char *sub = mp(o, "sub"), *f = mp(o, "file"), *sa = mp(o, "sub/a"), *c, *job;
        const char *p_sub[] = { sub, NULL }, *p_f[] = { f, NULL };

        /* rmdir + mkdir: an opaque upper directory hides lower sub/ */
        g_assert_cmpint(rmdir(sub), ==, 0);
        g_assert_cmpint(mkdir(sub, 0755), ==, 0);
        g_assert_false(g_file_test(sa, G_FILE_TEST_EXISTS));
        job = restore_done(p_sub, "{'mode': <'opaque'>, 'method': <'remount'>}", "done");
        g_free(job);
        assert_content(sa, "a\n");

        /* an upper copy of a lower file: discard brings the lower one back */
        job = restore_done(p_f, NULL, "done");
        g_free(job);
        write_file(f, "changed\n");
        job = restore(p_f, g_variant_new_parsed("{'mode': <'discard'>, 'dry-run': <true>, 'method': <'remount'>}"),
                      &error);
        g_assert_no_error(error);
        g_assert_cmpstr(wait_job(job), ==, "done");
        g_free(job);
        c = read_file(f);
        g_assert_cmpstr(c, ==, "changed\n");       /* a dry run changes nothing */
        g_free(c);
        job = restore_done(p_f, "{'mode': <'discard'>, 'method': <'remount'>}", "done");
        g_free(job);
        assert_content(f, "hello\n");

        /* recursive goes with modes whiteout and discard only */
        g_assert_null(restore(p_sub, g_variant_new_parsed("{'mode': <'opaque'>, 'recursive': <true>, "
                                                          "'method': <'remount'>}"), &error));
        assert_error(error, BUS_NAME ".Error.Unsupported");
        g_assert_nonnull(strstr(error->message, "'whiteout' and 'discard' only"));
        g_clear_error(&error);

        g_free(sub), g_free(f), g_free(sa);
}

/* On the patched kernel: a discard of a file in a busy overlay is done
 * online by the kernel (method auto takes the ioctl); a file open at the
 * time keeps the discarded copy. */
static void test_discard_online(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        char *f = mp(o, "file"), *uf = up(o, "file"), *sub = mp(o, "sub"), *sa = mp(o, "sub/new");
        char *job, *s, buf[16] = "";
        const char *p_f[] = { f, NULL }, *p_sub[] = { sub, NULL }, *path, *outcome, *msg;
        GVariantIter *it;
        int held;

        job = restore(p_f, NULL, &error);                       /* the whiteout goes */
        g_assert_no_error(error);
        g_assert_cmpstr(wait_job(job), ==, "done");
        g_free(job);
        write_file(f, "changed\n");
        write_file(sa, "new\n");                               /* sub/ copied up */
        held = open(f, O_RDONLY);                               /* the overlay is busy */
        g_assert_cmpint(held, >=, 0);

        job = restore_done(p_f, "{'mode': <'discard'>}", "done");
        s = get_string(job, JOB_IFACE, "Method");
        g_assert_cmpstr(s, ==, "ioctl");
        g_free(s), g_free(job);
        assert_content(f, "hello\n");
        g_assert_false(g_file_test(uf, G_FILE_TEST_EXISTS));
        g_assert_cmpint(pread(held, buf, sizeof(buf) - 1, 0), ==, 8);
        g_assert_cmpstr(buf, ==, "changed\n");
        close(held);

        /* a directory: failed, with what the remount method says */
        job = restore_done(p_sub, "{'mode': <'discard'>, 'method': <'ioctl'>}", "failed");
        it = get_results(job);
        g_assert_true(g_variant_iter_next(it, "(&s&s&s)", &path, &outcome, &msg));
        g_assert_cmpstr(outcome, ==, "failed");
        g_assert_cmpstr(msg, ==, "discarding a directory is not supported");
        g_variant_iter_free(it);
        g_free(job);

        g_free(f), g_free(uf), g_free(sub), g_free(sa);
}

/* The one result of @job: its outcome and message. */
static void assert_one_result(const char *job, const char *outcome, const char *msg_part) {
        const char *path, *oc, *msg;
        GVariantIter *it;

        it = get_results(job);
        g_assert_true(g_variant_iter_next(it, "(&s&s&s)", &path, &oc, &msg));
        g_assert_cmpstr(oc, ==, outcome);
        g_assert_nonnull(strstr(msg, msg_part));
        g_assert_false(g_variant_iter_next(it, "(&s&s&s)", &path, &oc, &msg));
        g_variant_iter_free(it);
}

/* On the patched kernel: an opaque directory of a busy overlay merges
 * with the lower one again online (method auto takes the ioctl), and is
 * refused, with the reason, while it is in use itself. */
static void test_opaque_online(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        char *sub = mp(o, "sub"), *sa = mp(o, "sub/a"), *sb = mp(o, "sub/b"),
             *mine = mp(o, "sub/mine");
        const char *p_sub[] = { sub, NULL }, *id;
        GVariant *r, *cancel;
        GVariantIter *it;
        char *job, *s;
        int held, in_use;

        /* rmdir (sub/ shows whiteouts only) + mkdir: an opaque upper
         * directory hides lower sub/ */
        g_assert_cmpint(rmdir(sub), ==, 0);
        g_assert_cmpint(mkdir(sub, 0755), ==, 0);
        write_file(mine, "mine\n");
        g_assert_false(g_file_test(sa, G_FILE_TEST_EXISTS));
        held = open(o->merged, O_RDONLY | O_DIRECTORY);        /* the overlay is busy */
        g_assert_cmpint(held, >=, 0);

        in_use = open(sub, O_RDONLY | O_DIRECTORY);            /* and so is sub/ */
        g_assert_cmpint(in_use, >=, 0);
        job = restore_done(p_sub, "{'mode': <'opaque'>, 'method': <'ioctl'>}", "failed");
        assert_one_result(job, "failed", "is in use");
        g_free(job);
        /* method auto: deferred to the next boot, as for a busy overlay */
        job = restore_done(p_sub, "{'mode': <'opaque'>}", "done");
        assert_one_result(job, "deferred", "the directory is in use: pending ");
        g_free(job);
        r = call(MANAGER_PATH, MANAGER_IFACE, "ListPending", NULL, "(a(ssssas))", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(a(ssssas))", &it);
        g_assert_true(g_variant_iter_next(it, "(&s&s&s&s@as)", &id, NULL, NULL, NULL, NULL));
        cancel = call(MANAGER_PATH, MANAGER_IFACE, "CancelPending", g_variant_new("(s)", id), NULL, &error);
        g_assert_no_error(error);
        g_variant_unref(cancel);
        g_variant_iter_free(it);
        g_variant_unref(r);
        close(in_use);

        job = restore_done(p_sub, "{'mode': <'opaque'>}", "done");
        s = get_string(job, JOB_IFACE, "Method");
        g_assert_cmpstr(s, ==, "ioctl");
        g_free(s), g_free(job);
        assert_content(sa, "a\n");
        assert_content(sb, "b\n");
        assert_content(mine, "mine\n");

        /* not opaque any more: skipped, as the remount method says */
        job = restore_done(p_sub, "{'mode': <'opaque'>, 'method': <'ioctl'>}", "done");
        assert_one_result(job, "skipped", "not an opaque directory");
        g_free(job);
        close(held);

        g_free(sub), g_free(sa), g_free(sb), g_free(mine);
}

/* A recursive discard of a directory reverts the upper copies below it
 * (content, mode), deepest first, and keeps what has no lower version
 * (files and directories the user added); the directory itself is no
 * result.  Online on the patched kernel, by a remount elsewhere. */
static void test_recursive_discard(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        char *sub = mp(o, "sub"), *sa = mp(o, "sub/a"), *sb = mp(o, "sub/b"), *added = mp(o, "sub/added"),
             *nd = mp(o, "sub/new"), *ndx = mp(o, "sub/new/x"), *job, *s;
        const char *p_sub[] = { sub, NULL }, *p_ab[] = { sa, sb, NULL }, *p_mp[] = { o->merged, NULL },
                   *path, *outcome, *msg;
        GVariantIter *it;
        struct stat st;
        mode_t mode;
        unsigned n = 0;

        job = restore(p_ab, NULL, &error);                      /* the whiteouts go */
        g_assert_no_error(error);
        g_assert_cmpstr(wait_job(job), ==, "done");
        g_free(job);
        g_assert_cmpint(stat(sb, &st), ==, 0);
        mode = st.st_mode & 07777;
        write_file(sa, "changed\n");
        g_assert_cmpint(chmod(sb, mode == 0600 ? 0640 : 0600), ==, 0);
        write_file(added, "mine\n");
        g_assert_cmpint(mkdir(nd, 0755), ==, 0);
        write_file(ndx, "x\n");

        job = restore_done(p_sub, "{'mode': <'discard'>, 'recursive': <true>}", "done");
        s = get_string(job, JOB_IFACE, "Method");
        g_assert_cmpstr(s, ==, g_str_equal(kernel_interface, "ioctl") ? "ioctl" : "remount");
        g_free(s);
        it = get_results(job);
        while (g_variant_iter_next(it, "(&s&s&s)", &path, &outcome, &msg)) {
                g_assert_true(g_str_equal(path, sa) || g_str_equal(path, sb));
                g_assert_cmpstr(outcome, ==, "restored");
                n++;
        }
        g_assert_cmpuint(n, ==, 2);
        g_variant_iter_free(it);
        g_free(job);

        assert_content(sa, "a\n");
        g_assert_cmpint(stat(sb, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, mode);
        assert_content(added, "mine\n");
        assert_content(ndx, "x\n");

        /* nothing left to revert below it: said so, and nothing done */
        job = restore_done(p_sub, "{'mode': <'discard'>, 'recursive': <true>}", "done");
        assert_one_result(job, "skipped", "no upper copy of a lower entry below it");
        g_free(job);

        /* the mount point stands for the whole overlay (Calculinux's /etc) */
        write_file(sa, "changed again\n");
        job = restore_done(p_mp, "{'mode': <'discard'>, 'recursive': <true>}", "done");
        assert_one_result(job, "restored", "");
        g_free(job);
        assert_content(sa, "a\n");
        /* ... but only for a recursive job */
        g_assert_null(restore(p_mp, g_variant_new_parsed("{'mode': <'discard'>}"), &error));
        assert_error(error, BUS_NAME ".Error.InvalidPath");
        g_clear_error(&error);

        g_free(sub), g_free(sa), g_free(sb), g_free(added), g_free(nd), g_free(ndx);
}

/* Directories nested 300 deep: Scan answers LimitExceeded (its walk
 * recursed a level at a time with 8 KiB of stack and a descriptor each,
 * whatever a user nested: it stopped silently where descriptors ran out,
 * or overflowed its stack), and the daemon goes on serving; a
 * subdirectory with fewer levels below it is scanned. */
static void test_scan_deep(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        GString *mid = g_string_new(o->merged);
        char *mount_path, *v;
        GVariant *r;
        int fd = open(o->merged, O_RDONLY | O_DIRECTORY);

        g_assert_cmpint(fd, >=, 0);
        for (int i = 0; i < 300; i++) {
                int next;

                g_assert_cmpint(mkdirat(fd, "d", 0755), ==, 0);
                next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
                g_assert_cmpint(next, >=, 0);
                close(fd);
                fd = next;
                if (i < 100)
                        g_string_append(mid, "/d");
        }
        close(fd);
        mount_path = mount_object(o->merged);

        r = call(mount_path, MOUNT_IFACE, "Scan", g_variant_new_parsed("(%s, {'compare': <true>})", o->merged),
                 "(a(ssasu))", &error);
        g_assert_null(r);
        assert_error(error, BUS_NAME ".Error.LimitExceeded");
        g_assert_nonnull(strstr(error->message, "nested more than 256 deep"));
        g_clear_error(&error);
        v = get_string(MANAGER_PATH, MANAGER_IFACE, "Version");     /* still serving */
        g_free(v);
        r = call(mount_path, MOUNT_IFACE, "Scan", g_variant_new_parsed("(%s, {'compare': <true>})", mid->str),
                 "(a(ssasu))", &error);
        g_assert_no_error(error);
        g_variant_unref(r);

        g_string_free(mid, TRUE);
        g_free(mount_path);
}

static gboolean on_elapsed(gpointer data);

static void test_idle_exit(void) {
        if (skip_in_uml("the daemon's own timer, the same on any kernel: run on the host"))
                return;
        Daemon *d = daemon_start("--idle-timeout=2");
        GError *error = NULL;

        /* Each call re-arms the timer: calls every half second for five
         * seconds keep it (the time passing is what is tested). */
        for (int i = 0; i < 10; i++) {
                gboolean elapsed = FALSE;
                char *v;

                g_timeout_add(500, on_elapsed, &elapsed);
                wait_for(&elapsed, "half a second");
                v = get_string(MANAGER_PATH, MANAGER_IFACE, "Version");
                g_free(v);
        }

        /* Nothing to do: it exits by itself, cleanly. */
        g_assert_true(g_subprocess_wait(d->proc, NULL, &error));
        g_assert_no_error(error);
        wait_name_released();
        g_assert_true(g_subprocess_get_if_exited(d->proc));
        g_assert_cmpint(g_subprocess_get_exit_status(d->proc), ==, 0);
        g_object_unref(d->proc);
        g_free(d);
}

/* A finished job's results stay until they are read, however slow the
 * client (the demo's reconcile step lost them on a loaded machine): past
 * --job-linger while unread, and gone --job-linger after GetResults. */
static const char *removed_job;
static gboolean removed_job_flag;
static void on_job_object_removed(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                           const char *signal, GVariant *params, gpointer data) {
        const char *obj;

        g_variant_get_child(params, 0, "&o", &obj);
        if (removed_job && g_str_equal(obj, removed_job))
                removed_job_flag = TRUE;
}
static gboolean on_elapsed(gpointer data) {
        *(gboolean *) data = TRUE;
        return G_SOURCE_REMOVE;
}

static void test_results_kept_until_read(void) {
        Overlay *o = overlay_new(NULL);
        Daemon *d = daemon_start("--job-linger=1");
        char *f = mp(o, "file"), *job, *s;
        const char *paths[] = { f, NULL }, *path, *outcome, *msg;
        gboolean elapsed = FALSE;
        GVariantIter *it;
        guint sub;

        subscribe_jobs();
        job = restore_done(paths, NULL, "done");
        /* A client three times slower than --job-linger: the time passing
         * is what is tested here, not a way to wait for something. */
        g_timeout_add_seconds(3, on_elapsed, &elapsed);
        wait_for(&elapsed, "three seconds");
        s = get_string(job, JOB_IFACE, "State");
        g_assert_cmpstr(s, ==, "done");
        g_free(s);

        removed_job = job;
        removed_job_flag = FALSE;
        sub = g_dbus_connection_signal_subscribe(bus, NULL, "org.freedesktop.DBus.ObjectManager",
                                                 "InterfacesRemoved", MANAGER_PATH, NULL, 0, on_job_object_removed,
                                                 NULL, NULL);
        sync_matches();
        it = get_results(job);
        g_assert_true(g_variant_iter_next(it, "(&s&s&s)", &path, &outcome, &msg));
        g_assert_cmpstr(path, ==, f);
        g_assert_cmpstr(outcome, ==, "restored");
        g_variant_iter_free(it);
        /* Read: it goes after --job-linger. */
        wait_for(&removed_job_flag, "the job whose results were read to go");
        g_dbus_connection_signal_unsubscribe(bus, sub);
        removed_job = NULL;
        g_free(f), g_free(job);
        overlay_free(o);
        daemon_stop(d);
}

/* Finished jobs never lock callers out: the job limit (256) counts queued
 * and running jobs only. */
static void test_finished_jobs_do_not_lock_out(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        char *f = mp(o, "nothing-here"), *job = NULL, *first = NULL;
        const char *paths[] = { f, NULL };
        GError *error = NULL;
        GVariant *r, *list;

        for (int i = 0; i < 260; i++) {
                if (job != first)
                        g_free(job);
                job = restore(paths, g_variant_new_parsed("{'dry-run': <true>}"), &error);
                g_assert_no_error(error);
                wait_job(job);
                if (i == 0)
                        first = job;
        }
        /* The oldest went, the newest is there. */
        r = call(first, "org.freedesktop.DBus.Properties", "Get",
                 g_variant_new("(ss)", JOB_IFACE, "State"), "(v)", &error);
        assert_error(error, "org.freedesktop.DBus.Error.UnknownObject");
        g_clear_error(&error);
        g_assert_null(r);
        g_free(get_string(job, JOB_IFACE, "State"));
        /* ...and at most 256 finished ones are kept, the oldest go first. */
        r = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs", NULL, "(a(ussso))", &error);
        g_assert_no_error(error);
        list = g_variant_get_child_value(r, 0);
        g_assert_cmpuint(g_variant_n_children(list), <=, 256);
        g_variant_unref(list);
        g_variant_unref(r);
        g_free(f), g_free(job), g_free(first);
}

/* @n paths below @merged for the byte bounds' tests, NULL-terminated
 * (g_strfreev() them): nothing-here/ and 19 names of 199 bytes, then
 * /NNNNNNNN, 3,821 bytes below the mount point.  A job keeps each in
 * LONG_PATH_HELD bytes (job_paths_bytes(): the path, its NUL, 6 bytes). */
#define LONG_PATH_HELD 3828u
static char **long_paths(const char *merged, size_t n) {
        GString *name = g_string_new("nothing-here");
        char **paths = g_new0(char *, n + 1);

        while (name->len < 3800)
                g_string_append_printf(name, "/%0199u", (guint) name->len);
        for (size_t i = 0; i < n; i++)
                paths[i] = g_strdup_printf("%s/%s/%08zu", merged, name->str, i);
        g_assert_cmpuint(strlen(paths[0]) - strlen(merged) - 1 + 1 + 6, ==, LONG_PATH_HELD);
        g_string_free(name, TRUE);
        return paths;
}

/* ...nor hold more than 16 MiB of results: past that, the oldest finished
 * jobs drop theirs (the job stays, with its state and counts), those whose
 * results were read first, never the one that has just ended (a 128 MiB
 * device: ten unread jobs of 100,000 paths held 47 MiB for an hour).  Dry
 * runs of 1,700 paths of 3,821 bytes each, as the jobs keep them (relative
 * to the mount point): 6.5 MB a job, two fit, three do not. */
static void assert_results_dropped(const char *job, gboolean dropped, guint n) {
        GError *error = NULL;
        GVariant *r = call(job, JOB_IFACE, "GetResults", NULL, "(a(sss))", &error);
        char *s;

        if (dropped) {
                assert_error(error, BUS_NAME ".Error.LimitExceeded");
                g_assert_nonnull(strstr(error->message, "were dropped to make room"));
                g_clear_error(&error);
                g_assert_null(r);
                s = get_string(job, JOB_IFACE, "State");        /* (the job stays) */
                g_free(s);
        } else {
                GVariant *list;

                g_assert_no_error(error);
                list = g_variant_get_child_value(r, 0);
                g_assert_cmpuint(g_variant_n_children(list), ==, n);
                g_variant_unref(list);
                g_variant_unref(r);
        }
}

static void test_finished_jobs_bounded_in_bytes(Fixture *fx, gconstpointer options) {
        if (skip_bounds_in_uml())
                return;
        enum { N = 1700, JOBS = 4 };
        char **paths = long_paths(fx->o->merged, N), *jobs[JOBS];
        GError *error = NULL;

        g_assert_cmpuint(2 * N * LONG_PATH_HELD, <=, 16u << 20);
        g_assert_cmpuint(3 * N * LONG_PATH_HELD, >, 16u << 20);
        for (guint k = 0; k < JOBS; k++) {
                jobs[k] = restore((const char **) paths, g_variant_new_parsed("{'dry-run': <true>}"), &error);
                g_assert_no_error(error);
                wait_job(jobs[k]);
                if (k == 1)     /* read: it goes first */
                        assert_results_dropped(jobs[1], FALSE, N);
                if (k == 2)     /* the third's end: the second's results go, the older first's stay */
                        assert_results_dropped(jobs[1], TRUE, 0);
        }
        /* the fourth's end: the first's go; the last two's stay */
        assert_results_dropped(jobs[0], TRUE, 0);
        assert_results_dropped(jobs[2], FALSE, N);
        assert_results_dropped(jobs[3], FALSE, N);
        for (guint k = 0; k < JOBS; k++)
                g_free(jobs[k]);
        g_strfreev(paths);
}

/* A job whose results alone pass 16 MiB keeps them while the next job is
 * made and runs (until that one ends): its caller reads them meanwhile.
 * 4,500 paths of 3,821 bytes, 17.2 MB; the next job is held at a pause
 * point before its unmount. */
static void test_large_results_kept_past_next_job(void) {
        if (skip_bounds_in_uml())
                return;
        enum { N = 4500 };
        Overlay *o = overlay_new(NULL);
        char **paths = long_paths(o->merged, N), *fifo, *big, *next, *f = mp(o, "file");
        const char *one[] = { f, NULL };
        GError *error = NULL;
        Daemon *d;
        int fd;

        g_assert_cmpuint(N * LONG_PATH_HELD, >, 16u << 20);
        d = daemon_start_paused("remount-before-unmount", &fifo);
        subscribe_jobs();
        big = restore((const char **) paths, g_variant_new_parsed("{'dry-run': <true>}"), &error);
        g_assert_no_error(error);
        wait_job(big);
        next = restore(one, g_variant_new_parsed("{'method': <'remount'>}"), &error);
        g_assert_no_error(error);
        fd = pause_fifo_open(fifo, NULL, next, g_get_monotonic_time() + 60 * G_USEC_PER_SEC);
        assert_results_dropped(big, FALSE, N);
        g_assert_cmpint(write(fd, "x", 1), ==, 1);
        g_assert_cmpstr(wait_job(next), ==, "done");
        close(fd);
        /* (the next one's end drops them) */
        assert_results_dropped(big, TRUE, 0);

        g_strfreev(paths);
        unlink(fifo);
        g_free(fifo), g_free(big), g_free(next), g_free(f);
        overlay_free(o);
        daemon_stop(d);
}

/* The jobs queued and running hold at most 64 MiB of paths between them
 * (job_paths_bytes(): each path relative to the mount point, its NUL, 6
 * bytes); more is LimitExceeded, root's too.  Jobs of 6.3 MB each, the
 * first held at a pause point before its unmount: ten are taken, the
 * eleventh is refused; then all ten run. */
static void test_active_jobs_bounded_in_bytes(void) {
        if (skip_bounds_in_uml())
                return;
        enum { JOBS = 10, N = 6300000 / LONG_PATH_HELD };
        Overlay *o = overlay_new(NULL);
        char **paths = long_paths(o->merged, N), *fifo, *jobs[JOBS], *refused;
        GError *error = NULL;
        Daemon *d;
        int fd;

        g_assert_cmpuint(JOBS * N * LONG_PATH_HELD, <=, 64u << 20);
        g_assert_cmpuint((JOBS + 1) * N * LONG_PATH_HELD, >, 64u << 20);

        d = daemon_start_paused("remount-before-unmount", &fifo);
        subscribe_jobs();
        for (guint k = 0; k < JOBS; k++) {
                jobs[k] = restore((const char **) paths, g_variant_new_parsed("{'method': <'remount'>}"), &error);
                g_assert_no_error(error);
        }
        refused = restore((const char **) paths, g_variant_new_parsed("{'method': <'remount'>}"), &error);
        g_assert_null(refused);
        assert_error(error, BUS_NAME ".Error.LimitExceeded");
        g_assert_nonnull(strstr(error->message, "would hold more than 64 MiB of paths"));
        g_clear_error(&error);
        /* (the first is held before its unmount meanwhile) */
        fd = pause_fifo_open(fifo, NULL, jobs[0], g_get_monotonic_time() + 60 * G_USEC_PER_SEC);
        g_assert_cmpint(write(fd, "xxxxxxxxxx", JOBS), ==, JOBS);
        for (guint k = 0; k < JOBS; k++) {
                wait_job(jobs[k]);
                g_free(jobs[k]);
        }
        close(fd);

        g_strfreev(paths);
        unlink(fifo);
        g_free(fifo);
        overlay_free(o);
        daemon_stop(d);
}

/* Run with tests/run-with-bus --no-polkit: polkit is absent. */
static void test_polkit_absent(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        char *f = mp(o, "file"), *args, *err = NULL;
        GError *error = NULL;
        GVariant *r;
        int st;

        args = g_strdup_printf("\"['%s']\"", f);
        st = call_as("ovltest", &err, "GetState", args);
        g_assert_cmpint(st, !=, 0);
        g_assert_nonnull(strstr(err, "org.freedesktop.DBus.Error.AccessDenied"));
        g_assert_nonnull(strstr(err, "polkit"));
        g_free(err);
        /* and it keeps serving: root needs no polkit */
        r = call(MANAGER_PATH, MANAGER_IFACE, "GetState",
                 g_variant_new("(^as)", (const char *[]) { f, NULL }), NULL, &error);
        g_assert_no_error(error);
        g_variant_unref(r);
        g_free(args), g_free(f);
}

/* A long job: other calls are answered while it runs, and Cancel stops it
 * at the next path; the overlay is mounted again and every path is either
 * restored or still a whiteout, as its outcome says.  Its edits take none
 * of the lower answers ahead of them until 32,768 whiteouts wait for
 * theirs (OVL_RESTORED_LOWER_AHEAD=late, upper-edit.c): those last edited
 * before the Cancel are reported after it, from the answers given or from
 * lookups of the edits' own, where the thread stopped first. */
static void test_long_job_answers_and_cancels(void) {
        /* (its kernel part, the remount, runs in UML in
         * restore-remount-end-to-end; 60,000 whiteouts made there took half
         * a minute of each UML run) */
        if (skip_in_uml("the daemon's answers during a job and its Cancel, the same on any kernel: run on the host"))
                return;
        enum { N = 60000 };
        Overlay *o = overlay_new(NULL);
        Daemon *d;
        GError *error = NULL;
        GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
        GVariant *r;
        GVariantIter *it;
        const char *path, *outcome, *msg;
        char *job, *state;
        int restored = 0, cancelled = 0;
        struct statfs sfs;

        g_assert_cmpint(umount(o->merged), ==, 0);
        for (int i = 0; i < N; i++) {
                char *f = g_strdup_printf("%s/n%05d", o->lower, i);
                int fd = open(f, O_CREAT | O_WRONLY, 0644);
                g_assert_cmpint(fd, >=, 0);
                close(fd);
                g_free(f);
                f = g_strdup_printf("%s/n%05d", o->upper, i);
                g_assert_cmpint(mknod(f, S_IFCHR, makedev(0, 0)), ==, 0);
                g_free(f);
                g_ptr_array_add(paths, g_strdup_printf("%s/n%05d", o->merged, i));
        }
        g_ptr_array_add(paths, NULL);
        overlay_mount(o, NULL);

        g_setenv("OVL_RESTORED_LOWER_AHEAD", "late", TRUE);
        d = daemon_start(NULL);
        g_unsetenv("OVL_RESTORED_LOWER_AHEAD");
        subscribe_jobs();
        job = restore((const char **) paths->pdata, g_variant_new_parsed("{'method': <'remount'>}"), &error);
        g_assert_no_error(error);

        /* Answered while the job works through its paths... */
        r = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs", NULL, "(a(ussso))", &error);
        g_assert_no_error(error);
        g_variant_unref(r);
        state = get_string(job, JOB_IFACE, "State");
        g_assert_cmpstr(state, ==, "running");
        g_free(state);
        /* ...and cancelled. */
        r = call(job, JOB_IFACE, "Cancel", NULL, NULL, &error);
        g_assert_no_error(error);
        g_variant_unref(r);
        g_assert_cmpstr(wait_job(job), ==, "cancelled");

        g_assert_cmpint(statfs(o->merged, &sfs), ==, 0);
        g_assert_cmphex(sfs.f_type, ==, 0x794c7630);   /* mounted again */
        it = get_results(job);
        while (g_variant_iter_next(it, "(&s&s&s)", &path, &outcome, &msg)) {
                char *u = g_strdup_printf("%s/%s", o->upper, path + strlen(o->merged) + 1);
                if (g_str_equal(outcome, "restored")) {
                        restored++;
                        g_assert_false(g_file_test(u, G_FILE_TEST_EXISTS));
                } else {
                        g_assert_cmpstr(outcome, ==, "cancelled");
                        cancelled++;
                        g_assert_true(is_whiteout(u));
                }
                g_free(u);
        }
        g_variant_iter_free(it);
        g_assert_cmpint(restored + cancelled, ==, N);
        g_assert_cmpint(cancelled, >, 0);

        g_free(job);
        g_ptr_array_unref(paths);
        overlay_free(o);
        daemon_stop(d);
}

static void test_scan(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        GError *error = NULL;
        char *mount_path, *mine = mp(o, "mine"), *f = mp(o, "file");
        GVariant *r;
        GVariantIter *it, *flags;
        const char *path, *state;
        guint32 mode;
        GString *seen = g_string_new(NULL);

        write_file(mine, "only in upper\n");     /* not shadowing anything: not listed */
        mount_path = mount_object(f);

        it = scan_of(mount_path, o->merged, FALSE);
        while (g_variant_iter_next(it, "(&s&sasu)", &path, &state, &flags, &mode)) {
                g_string_append_printf(seen, "%s %s;", path + strlen(o->merged), state);
                g_variant_iter_free(flags);
        }
        g_variant_iter_free(it);
        /* readdir order is the file system's: check membership */
        g_assert_nonnull(strstr(seen->str, "/file whiteout;"));
        g_assert_nonnull(strstr(seen->str, "/link whiteout;"));
        g_assert_nonnull(strstr(seen->str, "/sub/a whiteout;"));
        g_assert_nonnull(strstr(seen->str, "/sub/b whiteout;"));
        g_assert_null(strstr(seen->str, "/mine"));

        /* "compare": also what is only in the upper layer, as added
         * (ovlctl diff; tests/test-nothing-lost checks it in depth) */
        g_string_truncate(seen, 0);
        it = scan_of(mount_path, o->merged, TRUE);
        while (g_variant_iter_next(it, "(&s&sasu)", &path, &state, &flags, &mode)) {
                const char *flag;

                g_string_append_printf(seen, "%s %s", path + strlen(o->merged), state);
                while (g_variant_iter_next(flags, "&s", &flag))
                        g_string_append_printf(seen, " %s", flag);
                g_string_append(seen, ";");
                g_variant_iter_free(flags);
        }
        g_variant_iter_free(it);
        g_assert_nonnull(strstr(seen->str, "/mine upper added;"));
        g_assert_nonnull(strstr(seen->str, "/file whiteout;"));

        /* unknown options, options of another type and paths elsewhere
         * are refused */
        r = call(mount_path, MOUNT_IFACE, "Scan", g_variant_new_parsed("(%s, {'deep': <true>})", o->merged),
                 NULL, &error);
        g_assert_null(r);
        assert_error(error, "org.freedesktop.DBus.Error.InvalidArgs");
        g_assert_nonnull(strstr(error->message, "Unknown Scan option 'deep'"));
        g_clear_error(&error);
        r = call(mount_path, MOUNT_IFACE, "Scan", g_variant_new_parsed("(%s, {'compare': <'yes'>})", o->merged),
                 NULL, &error);
        g_assert_null(r);
        assert_error(error, "org.freedesktop.DBus.Error.InvalidArgs");
        g_assert_nonnull(strstr(error->message, "takes a boolean"));
        g_clear_error(&error);
        /* "/" is not on this overlay: NotOverlay where / is no overlay,
         * InvalidPath where it is another one (a container's root) */
        r = call(mount_path, MOUNT_IFACE, "Scan", g_variant_new_parsed("(%s, @a{sv} {})", "/"), NULL, &error);
        g_assert_null(r);
        assert_error_either(error, BUS_NAME ".Error.NotOverlay", BUS_NAME ".Error.InvalidPath");
        g_clear_error(&error);

        g_string_free(seen, TRUE);
        g_free(mount_path), g_free(mine), g_free(f);
}

static void test_mount_restore_and_limits(void) {
        Overlay *a = overlay_new(NULL), *b = overlay_new(NULL);
        Daemon *d = daemon_start(NULL);
        GError *error = NULL;
        char *fa = mp(a, "file"), *fb = mp(b, "file"), *mount_path, *job;
        GVariant *r;
        GPtrArray *many;

        mount_path = mount_object(fa);

        /* a path of another overlay, on this Mount: InvalidPath */
        r = call(mount_path, MOUNT_IFACE, "Restore",
                 g_variant_new_parsed("([%s], @a{sv} {})", fb), NULL, &error);
        g_assert_null(r);
        assert_error(error, BUS_NAME ".Error.InvalidPath");
        g_clear_error(&error);

        subscribe_jobs();
        r = call(mount_path, MOUNT_IFACE, "Restore", g_variant_new_parsed("([%s], @a{sv} {})", fa),
                 "(o)", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(o)", &job);
        g_variant_unref(r);
        g_assert_cmpstr(wait_job(job), ==, "done");
        assert_content(fa, "hello\n");
        g_free(job);

        /* the mount point, with an entry before it, not recursive (nor
         * discard): InvalidPath, naming it, nothing queued */
        {
                const char *mps[] = { fa, a->merged, NULL };

                for (const char *const *o = (const char *[]) { "@a{sv} {}", "{'mode': <'discard'>}", NULL }; *o; o++) {
                        g_assert_null(restore(mps, g_variant_new_parsed(*o), &error));
                        assert_error(error, BUS_NAME ".Error.InvalidPath");
                        g_assert_nonnull(strstr(error->message, "mount point, not an entry"));
                        g_assert_nonnull(strstr(error->message, a->merged));
                        g_clear_error(&error);
                }
        }

        /* more paths than one call may carry: LimitExceeded, nothing queued */
        many = g_ptr_array_new_with_free_func(g_free);
        for (int i = 0; i <= 100000; i++)
                g_ptr_array_add(many, g_strdup_printf("%s/f%06d", a->merged, i));
        g_ptr_array_add(many, NULL);
        g_assert_null(restore((const char **) many->pdata, NULL, &error));
        assert_error(error, BUS_NAME ".Error.LimitExceeded");
        g_clear_error(&error);
        g_ptr_array_unref(many);
        r = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs", NULL, "(a(ussso))", &error);
        g_assert_no_error(error);
        g_assert_cmpint(n_children0(r), ==, 1);
        g_variant_unref(r);

        g_free(fa), g_free(fb), g_free(mount_path);
        overlay_free(a), overlay_free(b);
        daemon_stop(d);
}

/* A memfd holding @n bytes of @data, its offset left at @offset. */
static int memfd_with(const char *data, size_t n, off_t offset) {
        int fd = memfd_create("paths", MFD_CLOEXEC);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(write(fd, data, n), ==, (ssize_t) n);
        g_assert_cmpint(lseek(fd, offset, SEEK_SET), ==, offset);
        return fd;
}

/* Restore on @object (the Manager or a Mount) of @paths and those of @fd
 * (the "paths-fd" option); the reply, or NULL with @error set. */
static GVariant *restore_fd(const char *object, const char *const *paths, int fd, GError **error) {
        GUnixFDList *fds = g_unix_fd_list_new();
        int h = g_unix_fd_list_append(fds, fd, NULL);
        gboolean manager = g_str_equal(object, MANAGER_PATH);
        GVariant *r;

        g_assert_cmpint(h, >=, 0);
        r = g_dbus_connection_call_with_unix_fd_list_sync(
                bus, BUS_NAME, object, manager ? MANAGER_IFACE : MOUNT_IFACE, "Restore",
                g_variant_new_parsed("(%^as, {'paths-fd': <%h>})", paths, h),
                G_VARIANT_TYPE(manager ? "(ao)" : "(o)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, fds, NULL, NULL, error);
        g_object_unref(fds);
        return r;
}

/* A Restore on @object with @paths and a memfd of @n bytes of @data is
 * refused with @error (after BUS_NAME ".", unless it starts with "org.")
 * saying @says. */
static void assert_fd_refused(const char *object, const char *const *paths, const char *data, size_t n,
                              const char *error, const char *says) {
        char *name = g_str_has_prefix(error, "org.") ? g_strdup(error) : g_strconcat(BUS_NAME ".", error, NULL);
        GError *e = NULL;
        int fd = memfd_with(data, n, 0);

        g_assert_null(restore_fd(object, paths, fd, &e));
        assert_error(e, name);
        if (!strstr(e->message, says))
                g_error("expected \"%s\" in: %s", says, e->message);
        g_clear_error(&e);
        close(fd);
        g_free(name);
}

/* The paths-fd option: a long list of paths in a memfd, not in the
 * message.  Its paths join the message's, each ends with a NUL (the last
 * one's may be missing), and they are read from the file's start; what
 * is not such a file, or not such a list, is refused with nothing
 * queued. */
static void test_restore_paths_fd(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o, *other = overlay_new(NULL);
        char *f = mp(o, "file"), *sa = mp(o, "sub/a"), *sb = mp(o, "sub/b"), *mount_path = mount_object(f);
        char *of = mp(other, "file"), *list, *job;
        const char *none[] = { NULL }, *sub_b[] = { sb, NULL };
        GError *error = NULL;
        GVariantIter *it;
        const char *path, *outcome, *msg;
        int fd, pipe_fds[2], n = 0;
        GVariant *r;

        /* refused: a pipe, an empty path, a path too long, bytes that are
         * not UTF-8, a relative path, a path of another overlay on a
         * Mount, no path at all */
        static const struct {
                const char *data;
                size_t n;
                const char *error, *says;
        } bad[] = {
                { "/tmp/\xff", 6, "Error.InvalidPath", "Path 1 of paths-fd is not UTF-8" },
                { "tmp/x", 5, "Error.InvalidPath", "Path 1 of paths-fd: Invalid path 'tmp/x'" },
                { "", 0, "org.freedesktop.DBus.Error.InvalidArgs", "No paths given" },
        };
        g_assert_cmpint(pipe2(pipe_fds, O_CLOEXEC), ==, 0);
        g_assert_null(restore_fd(MANAGER_PATH, none, pipe_fds[0], &error));
        assert_error(error, "org.freedesktop.DBus.Error.InvalidArgs");
        g_assert_nonnull(strstr(error->message, "takes a memfd"));
        g_clear_error(&error);
        close(pipe_fds[0]), close(pipe_fds[1]);
        fd = memfd_with(f, strlen(f), 0);
        {
                char *self = g_strdup_printf("/proc/self/fd/%d", fd);
                int wfd = open(self, O_WRONLY | O_CLOEXEC);

                g_assert_cmpint(wfd, >=, 0);
                g_assert_null(restore_fd(MANAGER_PATH, none, wfd, &error));
                assert_error(error, "org.freedesktop.DBus.Error.InvalidArgs");
                g_assert_nonnull(strstr(error->message, "open for reading"));
                g_clear_error(&error);
                close(wfd), close(fd);
                g_free(self);
        }
        /* (with a path in the message too, but for the empty file: a path
         * of the file is numbered among those of the file) */
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
                assert_fd_refused(MANAGER_PATH, bad[i].n ? sub_b : none, bad[i].data, bad[i].n, bad[i].error,
                                  bad[i].says);
        list = g_strdup_printf("%s%c%c%s", f, 0, 0, sa);
        assert_fd_refused(MANAGER_PATH, none, list, strlen(f) + 2 + strlen(sa), "Error.InvalidPath",
                          "Path 2 of paths-fd is empty");
        g_free(list);
        list = g_strnfill(PATH_MAX + 10, 'a');
        list[0] = '/';
        assert_fd_refused(MANAGER_PATH, none, list, PATH_MAX + 10, "Error.InvalidPath",
                          "Path 1 of paths-fd is too long");
        g_free(list);
        /* more than 32 MiB: LimitExceeded, however few its paths (here
         * 8,700 of 3.9 KiB, each on the overlay) */
        {
                GString *big = g_string_new(NULL), *one = g_string_new(f);

                while (one->len < 3800)         /* (names of 200 bytes: NAME_MAX) */
                        g_string_append_printf(one, "/%0200d", 0);
                list = g_string_free(one, FALSE);
                while (big->len <= 33 * 1024 * 1024)
                        g_string_append_len(big, list, (gssize) strlen(list) + 1);
                assert_fd_refused(MANAGER_PATH, none, big->str, big->len, "Error.LimitExceeded",
                                  "more than 32 MiB");
                g_string_free(big, TRUE);
                g_free(list);
        }
        list = g_strdup_printf("%s%c%s", f, 0, of);
        assert_fd_refused(mount_path, none, list, strlen(f) + 1 + strlen(of), "Error.InvalidPath",
                          "is not on the overlay at");
        g_free(list);
        r = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs", NULL, "(a(ussso))", &error);
        g_assert_no_error(error);
        g_assert_cmpint(n_children0(r), ==, 0);
        g_variant_unref(r);

        /* Two paths in the file, the last without its NUL, the caller's
         * offset at its end; one more in the message: one job of three. */
        list = g_strdup_printf("%s%c%s", f, 0, sa);
        fd = memfd_with(list, strlen(list) + 1 + strlen(sa), strlen(f) + 1 + strlen(sa));
        g_free(list);
        r = restore_fd(mount_path, sub_b, fd, &error);
        g_assert_no_error(error);
        g_assert_cmpint(lseek(fd, 0, SEEK_CUR), ==, (off_t) (strlen(f) + 1 + strlen(sa)));
        close(fd);
        g_variant_get(r, "(o)", &job);
        g_variant_unref(r);
        g_assert_cmpstr(wait_job(job), ==, "done");
        assert_content(f, "hello\n");
        assert_content(sa, "a\n");
        assert_content(sb, "b\n");
        it = get_results(job);
        while (g_variant_iter_next(it, "(&s&s&s)", &path, &outcome, &msg)) {
                g_assert_cmpstr(path, ==, n == 0 ? sb : n == 1 ? f : sa);
                g_assert_cmpstr(outcome, ==, "restored");
                n++;
        }
        g_assert_cmpint(n, ==, 3);
        g_variant_iter_free(it);

        g_free(f), g_free(sa), g_free(sb), g_free(of), g_free(mount_path), g_free(job);
        overlay_free(other);
}

/* ScanByFileDescriptor of @path through @mount_path ("compare" if
 * @compare): the file it answers with (ours to close), or -1 with
 * @error set. */
static int scan_by_fd(const char *mount_path, const char *path, gboolean compare, GError **error) {
        GUnixFDList *fds = NULL;
        GVariant *r;
        int h, fd;

        r = g_dbus_connection_call_with_unix_fd_list_sync(
                bus, BUS_NAME, mount_path, MOUNT_IFACE, "ScanByFileDescriptor",
                compare ? g_variant_new_parsed("(%s, {'compare': <true>})", path)
                        : g_variant_new_parsed("(%s, @a{sv} {})", path),
                G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, &fds, NULL, error);
        if (!r)
                return -1;
        g_variant_get(r, "(h)", &h);
        fd = g_unix_fd_list_get(fds, h, NULL);
        g_assert_cmpint(fd, >=, 0);
        g_variant_unref(r);
        g_object_unref(fds);
        return fd;
}

/* A Scan's entries as "path|state|flag,flag|mode" (mode in octal): from
 * its reply, or from the file it wrote, read here by README's words
 * alone (four fields to an entry, each ended by a NUL). */
static GPtrArray *scan_entries_of_reply(GVariant *r) {
        GPtrArray *l = g_ptr_array_new_with_free_func(g_free);
        GVariantIter *it, *flags;
        const char *path, *state, *flag;
        guint32 mode;

        g_variant_get(r, "(a(ssasu))", &it);
        while (g_variant_iter_next(it, "(&s&sasu)", &path, &state, &flags, &mode)) {
                GString *s = g_string_new(NULL);

                g_string_printf(s, "%s|%s|", path, state);
                for (int i = 0; g_variant_iter_next(flags, "&s", &flag); i++)
                        g_string_append_printf(s, "%s%s", i ? "," : "", flag);
                g_string_append_printf(s, "|%o", mode);
                g_ptr_array_add(l, g_string_free(s, FALSE));
                g_variant_iter_free(flags);
        }
        g_variant_iter_free(it);
        return l;
}

static GPtrArray *scan_entries_of_file(int fd) {
        GPtrArray *l = g_ptr_array_new_with_free_func(g_free);
        struct stat st;
        char *data, *p, *end;

        g_assert_cmpint(fstat(fd, &st), ==, 0);
        data = g_malloc(st.st_size + 1);
        g_assert_cmpint(pread(fd, data, st.st_size, 0), ==, st.st_size);
        end = data + st.st_size;
        g_assert_true(st.st_size == 0 || end[-1] == 0);
        for (p = data; p < end;) {
                const char *f[4];

                for (int i = 0; i < 4; i++) {
                        g_assert_true(p < end);
                        f[i] = p;
                        p += strlen(p) + 1;
                }
                g_assert_true(strspn(f[3], "01234567") == strlen(f[3]) && *f[3]);
                g_ptr_array_add(l, g_strdup_printf("%s|%s|%s|%o", f[0], f[1], f[2],
                                                   (unsigned) strtoul(f[3], NULL, 8)));
        }
        g_free(data);
        return l;
}

/* ScanByFileDescriptor: a Scan's entries in a sealed memfd of the
 * daemon's, the same as Scan's reply holds, in the same order (names
 * with a newline, a tab, a comma, a byte that is not UTF-8 among them,
 * with and without "compare"); its options are Scan's.  (A write to the
 * file that fails, which only a lack of memory brings about, is not
 * made here.) */
static void test_scan_by_fd(Fixture *fx, gconstpointer options) {
        Overlay *o = fx->o;
        char *f = mp(o, "file"), *mount_path = mount_object(f);
        char *odd = mp(o, "odd\nline,comma\ttab"), *bad = mp(o, "bad\xff");
        GError *error = NULL;
        GVariant *r;

        write_file(odd, "upper only\n");
        write_file(bad, "upper only\n");
        for (int compare = 0; compare <= 1; compare++) {
                GPtrArray *want, *got;
                int fd, seals;

                r = call(mount_path, MOUNT_IFACE, "Scan",
                         compare ? g_variant_new_parsed("(%s, {'compare': <true>})", o->merged)
                                 : g_variant_new_parsed("(%s, @a{sv} {})", o->merged),
                         "(a(ssasu))", &error);
                g_assert_no_error(error);
                want = scan_entries_of_reply(r);
                g_variant_unref(r);
                g_assert_cmpuint(want->len, ==, compare ? 7u : 5u);
                fd = scan_by_fd(mount_path, o->merged, compare, &error);
                g_assert_no_error(error);
                seals = fcntl(fd, F_GET_SEALS);
                g_assert_cmpint(seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL), ==,
                                F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
                got = scan_entries_of_file(fd);
                g_assert_cmpuint(got->len, ==, want->len);
                for (guint i = 0; i < want->len; i++)
                        g_assert_cmpstr(got->pdata[i], ==, want->pdata[i]);
                g_ptr_array_unref(got);
                g_ptr_array_unref(want);
                close(fd);
        }
        /* (Scan's options, and no other) */
        r = g_dbus_connection_call_sync(bus, BUS_NAME, mount_path, MOUNT_IFACE, "ScanByFileDescriptor",
                                        g_variant_new_parsed("(%s, {'deep': <true>})", o->merged), NULL,
                                        G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, &error);
        g_assert_null(r);
        assert_error(error, "org.freedesktop.DBus.Error.InvalidArgs");
        g_assert_nonnull(strstr(error->message, "Unknown Scan option 'deep'"));
        g_clear_error(&error);
        g_free(odd), g_free(bad), g_free(f), g_free(mount_path);
}

/* One method call on a peer connection, sent the way a pipelining client
 * may: the SASL handshake, BEGIN and the call in a single write, so that
 * the daemon reads the call together with the handshake.  Returns the
 * reply's body; a reply that never comes fails the test (after the
 * receive timeout) rather than hanging it. */
static GDBusMessage *call_pipelined_message(const char *sock, GDBusMessage *msg) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = 30 };
        GError *error = NULL;
        GDBusMessage *reply;
        GByteArray *in = g_byte_array_new();
        GString *out = g_string_new_len("\0", 1);
        g_autofree char *uid = g_strdup_printf("%u", (unsigned) getuid());
        guchar *blob, buf[4096];
        gsize blob_len;
        gssize need = 0;
        gboolean got_ok = FALSE;
        int fd;

        g_assert_cmpuint(strlen(sock), <, sizeof sa.sun_path);
        strcpy(sa.sun_path, sock);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(connect(fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
        g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), ==, 0);

        g_string_append(out, "AUTH EXTERNAL ");
        for (const char *c = uid; *c; c++)
                g_string_append_printf(out, "%02x", (unsigned char) *c);
        g_string_append(out, "\r\nBEGIN\r\n");
        g_dbus_message_set_serial(msg, 1);
        blob = g_dbus_message_to_blob(msg, &blob_len, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
        g_assert_no_error(error);
        g_string_append_len(out, (const char *) blob, blob_len);
        g_assert_cmpint(send(fd, out->str, out->len, MSG_NOSIGNAL), ==, (gssize) out->len);

        /* "OK <guid>\r\n", then the reply */
        for (;;) {
                gssize n;

                if (!got_ok && in->len > 0) {
                        const char *eol = g_strstr_len((const char *) in->data, in->len, "\r\n");

                        if (eol) {
                                g_assert_true(g_str_has_prefix((const char *) in->data, "OK "));
                                g_byte_array_remove_range(in, 0, (const guchar *) eol + 2 - in->data);
                                got_ok = TRUE;
                        }
                }
                if (got_ok && in->len >= 16) {
                        need = g_dbus_message_bytes_needed(in->data, in->len, &error);
                        g_assert_no_error(error);
                        if (in->len >= (gsize) need)
                                break;
                }
                n = recv(fd, buf, sizeof buf, 0);
                g_assert_cmpint(n, >, 0);       /* < 0: no reply in time; 0: closed */
                g_byte_array_append(in, buf, n);
        }
        reply = g_dbus_message_new_from_blob(in->data, need, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(g_dbus_message_get_reply_serial(reply), ==, 1);

        close(fd);
        g_free(blob);
        g_string_free(out, TRUE);
        g_byte_array_unref(in);
        return reply;
}

/* The same for a call of @member of the Manager, without arguments: its
 * reply's body. */
static GVariant *call_pipelined(const char *sock, const char *member) {
        GDBusMessage *msg = g_dbus_message_new_method_call(NULL, MANAGER_PATH, MANAGER_IFACE, member);
        GDBusMessage *reply = call_pipelined_message(sock, msg);
        GVariant *body;

        g_assert_cmpint(g_dbus_message_get_message_type(reply), ==, G_DBUS_MESSAGE_TYPE_METHOD_RETURN);
        body = g_dbus_message_get_body(reply);
        g_assert_nonnull(body);
        g_variant_ref(body);
        g_object_unref(reply), g_object_unref(msg);
        return body;
}

typedef struct Output {
        gboolean done;
        char *err;
} Output;

static void on_communicated(GObject *source, GAsyncResult *res, gpointer data) {
        Output *o = data;
        GError *error = NULL;

        g_assert_true(g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), res, NULL, &o->err, &error));
        g_assert_no_error(error);
        o->done = TRUE;
}

/* What @p writes to its stderr pipe, once it closes it (60 s guard). */
static char *stderr_to_eof(GSubprocess *p) {
        Output o = { 0 };

        g_subprocess_communicate_utf8_async(p, NULL, NULL, on_communicated, &o);
        wait_for(&o.done, "the process to close its stderr");
        return o.err;
}

/* One daemon at a time: a second one started beside the first (by hand,
 * say) exits at once with status 3, on the state directory's lock or, on
 * another state directory, the bus name held by the first; so does
 * --apply-pending, applying nothing; the first serves on.  (Before: the
 * second daemon ran on, without the name, and had read the first's
 * remount records.) */
static void test_one_daemon_at_a_time(void) {
        Daemon *d = daemon_start(NULL);
        g_autofree char *other_dir = g_strdup_printf("%s/other-state", test_dir);
        g_autofree char *other = g_strdup_printf("--state-dir=%s", other_dir);
        const char *const cases[][2] = {
                { NULL, "Another ovl-restored is running with the state directory" },
                { other, "another process owns it" },
                { "--apply-pending", "not applying the deferred restores beside it" },
        };
        GError *error = NULL;

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                GSubprocess *p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, daemon_bin,
                                                  cases[i][0], NULL);
                g_autofree char *err = NULL;

                g_assert_no_error(error);
                err = stderr_to_eof(p);
                g_assert_cmpint(subprocess_exit_status(p, "the second daemon's exit"), ==, 3);
                if (!strstr(err, cases[i][1]))
                        g_error("expected \"%s\" from the second daemon, got: %s", cases[i][1], err);
                g_object_unref(p);
                g_assert_true(name_owned_by(d->proc));
        }
        g_free(get_string(MANAGER_PATH, MANAGER_IFACE, "Version"));
        daemon_stop(d);
        g_assert_cmpint(rmdir(other_dir), ==, 0);
}

/* The root-only private socket, passed by systemd-socket-activate as
 * systemd would pass ovl-restored.socket: root peers get the same objects
 * without a bus (the daemon has none here: its bus address leads
 * nowhere); anyone else is refused.  A peer that cannot take descriptors
 * is told so by ScanByFileDescriptor. */
static void test_private_socket(void) {
        Overlay *o = overlay_new(NULL);         /* (a Mount object to call) */
        char *sock = g_strdup_printf("%s/private.sock", test_dir);
        char *address = g_strdup_printf("unix:path=%s", sock);
        char *no_bus = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=unix:path=%s/no-bus", test_dir);
        GError *error = NULL;
        GSubprocess *proc;
        GDataInputStream *in;
        GDBusConnection *peer;
        GVariant *r;
        char *line, *cmd, *err = NULL;
        int status;

        proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, "systemd-socket-activate",
                                "-l", sock, "--fdname=private", "-E", "STATE_DIRECTORY", "-E", no_bus,
                                daemon_bin, NULL);
        g_assert_no_error(error);
        /* It says so once it listens; the daemon starts on the first connection. */
        in = g_data_input_stream_new(g_subprocess_get_stderr_pipe(proc));
        line = g_data_input_stream_read_line(in, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(strstr(line, "Listening on"));
        g_free(line);

        /* The first client pipelines its call with the handshake: the
         * daemon, started by this connection, reads both at once. */
        r = call_pipelined(sock, "ListMounts");
        g_assert_true(g_variant_is_of_type(r, G_VARIANT_TYPE("(a(so))")));
        /* A peer that did not ask for descriptors (no NEGOTIATE_UNIX_FD)
         * gets NotSupported from ScanByFileDescriptor before anything
         * runs, saying what to call instead. */
        {
                const char *mount_point, *object;
                GVariantIter *it;
                gboolean asked = FALSE;

                g_variant_get(r, "(a(so))", &it);
                while (!asked && g_variant_iter_next(it, "(&s&o)", &mount_point, &object)) {
                        GDBusMessage *msg = g_dbus_message_new_method_call(NULL, object, MOUNT_IFACE,
                                                                           "ScanByFileDescriptor");
                        GDBusMessage *reply;

                        g_dbus_message_set_body(msg, g_variant_new_parsed("(%s, @a{sv} {})", mount_point));
                        reply = call_pipelined_message(sock, msg);
                        g_assert_cmpint(g_dbus_message_get_message_type(reply), ==, G_DBUS_MESSAGE_TYPE_ERROR);
                        g_assert_cmpstr(g_dbus_message_get_error_name(reply), ==,
                                        "org.freedesktop.DBus.Error.NotSupported");
                        {
                                const char *says;

                                g_variant_get(g_dbus_message_get_body(reply), "(&s)", &says);
                                if (!strstr(says, "cannot carry file descriptors: call Scan"))
                                        g_error("ScanByFileDescriptor without descriptors said: %s", says);
                        }
                        g_object_unref(reply), g_object_unref(msg);
                        asked = TRUE;
                }
                g_variant_iter_free(it);
                g_assert_true(asked);
        }
        g_variant_unref(r);

        peer = g_dbus_connection_new_for_address_sync(address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                                      NULL, NULL, &error);
        g_assert_no_error(error);
        r = g_dbus_connection_call_sync(peer, NULL, MANAGER_PATH, MANAGER_IFACE, "ListMounts", NULL,
                                        G_VARIANT_TYPE("(a(so))"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, &error);
        g_assert_no_error(error);
        g_variant_unref(r);
        r = g_dbus_connection_call_sync(peer, NULL, MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get",
                                        g_variant_new("(ss)", MANAGER_IFACE, "Version"), G_VARIANT_TYPE("(v)"),
                                        G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, &error);
        g_assert_no_error(error);
        g_variant_unref(r);

        /* Not root: refused, even where the file mode would let it connect. */
        g_assert_cmpint(chmod(sock, 0666), ==, 0);
        cmd = g_strdup_printf("setpriv --reuid=65534 --regid=65534 --clear-groups gdbus call --address %s "
                              "--object-path " MANAGER_PATH " --method " MANAGER_IFACE ".ListMounts", address);
        g_spawn_command_line_sync(cmd, NULL, &err, &status, &error);
        g_assert_no_error(error);
        g_assert_false(g_spawn_check_wait_status(status, NULL));
        g_free(err), g_free(cmd);
        /* ...by the daemon's uid check (logged before it closes the connection). */
        for (;;) {
                line = g_data_input_stream_read_line(in, NULL, NULL, &error);
                g_assert_no_error(error);
                g_assert_nonnull(line);         /* EOF: the daemon never said so */
                gboolean refused = strstr(line, "Refused a connection on the private socket from uid 65534") != NULL;
                g_free(line);
                if (refused)
                        break;
        }

        g_object_unref(peer);
        g_subprocess_send_signal(proc, SIGTERM);
        g_assert_true(g_subprocess_wait(proc, NULL, &error));
        g_assert_no_error(error);
        g_assert_true(g_subprocess_get_if_exited(proc));
        g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 0);
        g_object_unref(in);
        g_object_unref(proc);
        g_free(sock), g_free(address), g_free(no_bus);
        overlay_remove(o);
}

int main(int argc, char *argv[]) {
        GError *error = NULL;

        g_test_init(&argc, &argv, NULL);
        test_dir = g_getenv("OVL_TEST_DIR");
        daemon_bin = g_getenv("OVL_RESTORED");
        xml_file = g_getenv("OVL_INTERFACE_XML");
        if (g_getenv("OVL_IN_UML"))
                kernel_interface = "ioctl";     /* the patched kernel */
        calculinux_layout = g_strcmp0(g_getenv("OVL_TEST_LAYOUT"), "calculinux") == 0;
        if (!test_dir || !daemon_bin || !xml_file || geteuid() != 0) {
                g_printerr("run through tests/run-with-bus, as root, with OVL_RESTORED and "
                           "OVL_INTERFACE_XML set\n");
                return 77;
        }
        bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
        g_assert_no_error(error);

        if (g_getenv("OVL_NO_POLKIT")) {
                add_overlay_test("/daemon-no-polkit/denied-at-once", NULL, test_polkit_absent);
                return g_test_run();
        }
        add_daemon_first_test("/daemon/introspection-matches-xml", test_introspection_matches_xml);
        add_overlay_test("/daemon/manager-properties-and-mounts", NULL, test_manager_properties_and_mounts);
        g_test_add_func("/daemon/mount-objects-follow-mounts", test_mount_objects_follow_mounts);
        add_overlay_test("/daemon/get-state", NULL, test_get_state);
        g_test_add_func("/daemon/get-state-bigger-than-the-bus", test_get_state_bigger_than_the_bus);
        g_test_add_func("/daemon/large-get-state-stalls-nobody", test_large_get_state_stalls_nobody);
        add_daemon_first_test("/daemon/unknown-paths-cost-no-rescan", test_unknown_paths_cost_no_rescan);
        add_daemon_first_test("/daemon/sender-creds-cached", test_sender_creds_cached);
        add_overlay_test("/daemon/restore-remount-end-to-end", "index=off,xino=off,redirect_dir=off,metacopy=off", test_restore_remount_end_to_end);
        if (g_str_equal(kernel_interface, "ioctl")) {
                add_overlay_test("/daemon/restore-ioctl-end-to-end", "index=off,xino=off,redirect_dir=off,metacopy=off", test_restore_ioctl_end_to_end);
                add_overlay_test("/daemon/restore-ioctl-error-explained", "index=on", test_restore_ioctl_error_explained);
                add_overlay_test("/daemon/restore-ioctl-through-a-link", NULL, test_restore_ioctl_through_a_link);
                g_test_add_func("/daemon/restore-ioctl-renamed-to-a-link", test_restore_ioctl_renamed_to_a_link);
                g_test_add_func("/daemon/restore-ioctl-directory-replaced", test_restore_ioctl_directory_replaced);
                g_test_add_func("/daemon/restore-ioctl-overlay-covered", test_restore_ioctl_overlay_covered);
                add_overlay_test("/daemon/failures-keep-their-messages", NULL, test_failures_keep_their_messages);
                add_overlay_test("/daemon/discard-online", NULL, test_discard_online);
                add_overlay_test("/daemon/opaque-online", NULL, test_opaque_online);
        }
        add_overlay_test("/daemon/recursive-discard", NULL, test_recursive_discard);
        add_overlay_test("/daemon/restore-busy", NULL, test_restore_busy);
        add_overlay_test("/daemon/restore-hostile", NULL, test_restore_hostile);
        g_test_add_func("/daemon/jobs-on-two-mounts", test_jobs_on_two_mounts);
        g_test_add_func("/daemon/remounts-queued-on-one-mount", test_remounts_queued_on_one_mount);
        g_test_add_func("/daemon/overlays-side-by-side", test_overlays_side_by_side);
        g_test_add_func("/daemon/commas-in-layer-paths", test_commas_in_layer_paths);
        g_test_add_func("/daemon/backslash-ending-a-layer-path", test_backslash_ending_a_layer_path);
        g_test_add_func("/daemon/comma-set-through-fsconfig", test_comma_set_through_fsconfig);
        g_test_add_func("/daemon/queued-job-on-an-unreadable-overlay", test_queued_job_on_an_unreadable_overlay);
        g_test_add_func("/daemon/many-in-one-directory", test_many_in_one_directory);
        g_test_add_func("/daemon/many-in-one-directory-late", test_many_in_one_directory_late);
        g_test_add_func("/daemon/edits-wait-once", test_edits_wait_once);
        g_test_add_func("/daemon/scan-in-batches", test_scan_in_batches);
        g_test_add_func("/daemon/scan-long-names", test_scan_long_names);
        g_test_add_func("/daemon/scan-shared-whiteouts", test_scan_shared_whiteouts);
        g_test_add_func("/daemon/scan-many-subdirs", test_scan_many_subdirs);
        g_test_add_func("/daemon/root-scans-limited", test_root_scans_limited);
        g_test_add_func("/daemon/polkit-decisions", test_polkit_decisions);
        add_overlay_test("/daemon/restore-as-allowed-user", NULL, test_restore_as_allowed_user);
        g_test_add_func("/daemon/get-state-lower-unsearchable", test_get_state_lower_unsearchable);
        add_overlay_test("/daemon/modes-opaque-and-discard", NULL, test_modes_opaque_and_discard);
        g_test_add_func("/daemon/idle-exit", test_idle_exit);
        g_test_add_func("/daemon/results-kept-until-read", test_results_kept_until_read);
        add_overlay_test("/daemon/finished-jobs-do-not-lock-out", NULL, test_finished_jobs_do_not_lock_out);
        add_overlay_test("/daemon/finished-jobs-bounded-in-bytes", NULL, test_finished_jobs_bounded_in_bytes);
        g_test_add_func("/daemon/active-jobs-bounded-in-bytes", test_active_jobs_bounded_in_bytes);
        g_test_add_func("/daemon/large-results-kept-past-next-job", test_large_results_kept_past_next_job);
        add_overlay_test("/daemon/scan", NULL, test_scan);
        /* (not in UML: each entry's lookup walks its path from the layers'
         * roots, so 300 levels cost minutes of UML's slow system calls; the
         * limit is the daemon's, not the kernel's) */
        if (!g_getenv("OVL_IN_UML"))
                add_overlay_test("/daemon/scan-deep", NULL, test_scan_deep);
        g_test_add_func("/daemon/mount-restore-and-limits", test_mount_restore_and_limits);
        add_overlay_test("/daemon/restore-paths-fd", NULL, test_restore_paths_fd);
        add_overlay_test("/daemon/scan-by-fd", NULL, test_scan_by_fd);
        g_test_add_func("/daemon/private-socket", test_private_socket);
        g_test_add_func("/daemon/one-daemon-at-a-time", test_one_daemon_at_a_time);
        g_test_add_func("/daemon/long-job-answers-and-cancels", test_long_job_answers_and_cancels);
        return g_test_run();
}
