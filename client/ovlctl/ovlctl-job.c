/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* restore, wait, cancel: starting jobs, following them to their end,
 * and what they did. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bus-map.h"
#include "ovlctl.h"
#include "progress.h"
#include "strv.h"
#include "table.h"
#include "path-util.h"

#define ACTION_RESTORE "org.calculinux.overlayrestore1.restore"
#define ACTION_DISCARD "org.calculinux.overlayrestore1.discard"
#define ACTION_MANAGE "org.calculinux.overlayrestore1.manage-jobs"

/* How long a job may run before it gets a progress display. */
#define PROGRESS_AFTER_USEC (500 * 1000ULL)
#define PLAIN_PROGRESS_EVERY_USEC (2 * 1000 * 1000ULL)

typedef struct Watched {
        char *object_path;
        JobInfo info;           /* its strings are owned (malloc'ed) */
        bool finished;
} Watched;

typedef struct Watch {
        Watched *jobs;
        size_t n_jobs;
        size_t n_finished;
        sd_bus_slot *slots[3];
        bool daemon_gone;
        bool progress_shown;
        uint64_t last_plain_usec;
} Watch;

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static bool state_is_final(const char *s) {
        return s && (streq(s, "done") || streq(s, "failed") || streq(s, "cancelled"));
}

static Watched *watch_find(Watch *w, const char *path) {
        for (size_t i = 0; i < w->n_jobs; i++)
                if (streq_ptr(w->jobs[i].object_path, path))
                        return &w->jobs[i];
        return NULL;
}

#define JOB_STRINGS(f) f(operation) f(mount_point) f(state) f(method) f(error) f(error_name)

/* @n is @j->info with some strings pointing into a message: copy those,
 * free what they replace, and store @n. */
static void watched_update(Watch *w, Watched *j, JobInfo n) {
#define OWN(field)                                                      \
        if (n.field != j->info.field) {                                 \
                n.field = n.field ? strdup(n.field) : NULL;             \
                free((char *) j->info.field);                           \
        }
        JOB_STRINGS(OWN)
#undef OWN
        j->info = n;
        if (!j->finished && state_is_final(j->info.state)) {
                j->finished = true;
                w->n_finished++;
        }
}

/* PropertiesChanged of a watched job: new counts, maybe its end. */
static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Watch *w = userdata;
        Watched *j = watch_find(w, sd_bus_message_get_path(m));
        const char *iface;
        JobInfo copy;

        /* Once a job is known to have ended, a PropertiesChanged can only be
         * an older one, queued before the GetAll reply that said so. */
        if (!j || j->finished || sd_bus_message_read(m, "s", &iface) < 0 || !streq(iface, JOB_IFACE))
                return 0;
        copy = j->info;
        if (bus_map_properties(m, job_property_map, &copy) < 0)
                return 0;
        watched_update(w, j, copy);
        return 0;
}

/* Completed: the end, with the final counts. */
static int on_completed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Watch *w = userdata;
        Watched *j = watch_find(w, sd_bus_message_get_path(m));
        JobInfo n;

        if (!j)
                return 0;
        n = j->info;
        if (sd_bus_message_read(m, "sttt", &n.state, &n.restored, &n.skipped, &n.failed) < 0)
                return 0;
        watched_update(w, j, n);
        return 0;
}

/* The daemon lost its bus name (it exited or crashed): its jobs are gone. */
static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Watch *w = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 &&
            streq(name, BUS_NAME) && !*new_owner)
                w->daemon_gone = true;
        return 0;
}

/* Subscribes before anything is started, so no end is ever missed. */
static int watch_subscribe(sd_bus *bus, Watch *w) {
        const char *sender = ovlctl_destination();
        int r;

        r = sd_bus_match_signal(bus, &w->slots[0], sender, NULL, JOB_IFACE, "Completed",
                                on_completed, w);
        if (r >= 0)
                r = sd_bus_match_signal(bus, &w->slots[1], sender, NULL,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        on_properties_changed, w);
        /* On a peer connection the end of the daemon is the end of the
         * connection, which sd_bus_process() reports. */
        if (r >= 0 && sender)
                r = sd_bus_match_signal(bus, &w->slots[2], "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged",
                                        on_name_owner_changed, w);
        return r < 0 ? ovlctl_fail(r, "Cannot subscribe to the daemon's signals") : 0;
}

static int watch_add(Watch *w, const char *object_path) {
        Watched *p = realloc(w->jobs, (w->n_jobs + 1) * sizeof(Watched));

        if (!p)
                return -ENOMEM;
        w->jobs = p;
        p[w->n_jobs] = (Watched) { .object_path = strdup(object_path) };
        if (!p[w->n_jobs].object_path)
                return -ENOMEM;
        w->n_jobs++;
        return 0;
}

static void watch_done(Watch *w) {
        for (size_t i = 0; i < w->n_jobs; i++) {
                free(w->jobs[i].object_path);
#define FREE(field) free((char *) w->jobs[i].info.field);
                JOB_STRINGS(FREE)
#undef FREE
        }
        free(w->jobs);
        for (size_t i = 0; i < ELEMENTSOF(w->slots); i++)
                sd_bus_slot_unref(w->slots[i]);
        *w = (Watch) {};
}

/* Reads each job's properties once (after subscribing): a job that ended
 * before we looked is finished already. */
static int watch_read_all(sd_bus *bus, Watch *w) {
        for (size_t i = 0; i < w->n_jobs; i++) {
                Watched *j = &w->jobs[i];
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                int r;
                JobInfo n = j->info;

                r = ovlctl_call(bus, j->object_path, "org.freedesktop.DBus.Properties", "GetAll",
                                NULL, &reply, "s", JOB_IFACE);
                if (r > 0)
                        return r;
                r = bus_map_properties(reply, job_property_map, &n);
                if (r < 0)
                        return ovlctl_fail(r, "Cannot read a job's properties");
                watched_update(w, j, n);
        }
        return 0;
}

static void show_progress(Watch *w, uint64_t started) {
        uint64_t total = 0, processed = 0, now = now_usec();
        bool tty = isatty(STDERR_FILENO);
        double f;

        if (arg_json && !tty)
                return;
        if (now - started < PROGRESS_AFTER_USEC)
                return;
        for (size_t i = 0; i < w->n_jobs; i++) {
                total += w->jobs[i].info.total;
                processed += w->jobs[i].info.processed;
        }
        f = progress_fraction(processed, total);
        if (tty) {
                char bar[PROGRESS_BAR_WIDTH + 1];

                progress_bar(f, bar);
                fprintf(stderr, "\r[%s] %3.0f%% %" PRIu64 "/%" PRIu64 " paths, %zu/%zu jobs done",
                        bar, f * 100, processed, total, w->n_finished, w->n_jobs);
                w->progress_shown = true;
        } else if (now - w->last_plain_usec >= PLAIN_PROGRESS_EVERY_USEC) {
                fprintf(stderr, "Progress: %.0f%%, %" PRIu64 "/%" PRIu64 " paths, %zu/%zu jobs done\n",
                        f * 100, processed, total, w->n_finished, w->n_jobs);
                w->last_plain_usec = now;
        }
}

static volatile sig_atomic_t interrupted;
static const int interrupt_sigs[2] = { SIGINT, SIGTERM };
static struct sigaction interrupt_old[2];       /* of interrupt_sigs[] */
static bool interrupt_caught[2];

static void on_interrupt(int sig) {
        interrupted = sig;
}

/* SIGINT and SIGTERM, unless ignored, are noted while ovlctl waits for
 * its jobs, and (restore, revert) from the call that makes them on
 * (call_interruptible()). */
static void catch_interrupts(void) {
        /* (no SA_RESTART: the wait for the bus ends with EINTR) */
        struct sigaction sa = { .sa_handler = on_interrupt };

        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < 2; i++)
                interrupt_caught[i] = sigaction(interrupt_sigs[i], NULL, &interrupt_old[i]) == 0 &&
                                      interrupt_old[i].sa_handler != SIG_IGN &&
                                      sigaction(interrupt_sigs[i], &sa, NULL) == 0;
}

/* What catch_interrupts() changed, as it was; a signal noted meanwhile
 * (none but the jobs' end to say) ends ovlctl by it. */
static void release_interrupts(void) {
        for (size_t i = 0; i < 2; i++)
                if (interrupt_caught[i])
                        (void) sigaction(interrupt_sigs[i], &interrupt_old[i], NULL);
        if (interrupted)
                (void) raise(interrupted);
}

/* Interrupted while waiting: the jobs go on in the daemon; says which,
 * and how to follow or stop them, then ends by the signal. */
static _noreturn_ void interrupted_exit(const Watch *w) {
        int sig = interrupted;

        if (w->progress_shown)
                fprintf(stderr, "\r\033[K");
        for (size_t i = 0; i < w->n_jobs; i++) {
                const JobInfo *j = &w->jobs[i].info;

                _cleanup_free_ char *where = NULL;

                if (w->jobs[i].finished)
                        continue;
                where = text_escape_terminal(j->mount_point ?: "?");
                fprintf(stderr, "Job %u on %s goes on in ovl-restored: 'ovlctl wait %u' follows it, "
                        "'ovlctl cancel %u' stops it.\n", j->id, where ?: "?", j->id, j->id);
        }
        (void) signal(sig, SIG_DFL);
        (void) raise(sig);
        _exit(128 + sig);
}

typedef struct Answer {
        sd_bus_message *reply;
        bool done;
} Answer;

static int on_answer(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Answer *a = userdata;

        a->reply = sd_bus_message_ref(m);
        a->done = true;
        return 0;
}

/* Waits for the bus as sd_bus_wait() does, with @mask (SIGINT and
 * SIGTERM unblocked) in place only while it waits: an interrupt that came
 * since they were blocked ends it at once (-EINTR). */
static int bus_wait_unblocked(sd_bus *bus, const sigset_t *mask) {
        struct pollfd p = { .fd = sd_bus_get_fd(bus) };
        struct timespec ts, *t = NULL;
        uint64_t until = UINT64_MAX;
        int r;

        if (p.fd == -EPERM) {
                /* (input and output on two fds, which no bus of ovlctl's
                 * has (unixexec: is a socketpair): sd-bus's own wait, the
                 * signals unblocked around it, an interrupt just before it
                 * late) */
                sigset_t cur;

                (void) sigprocmask(SIG_SETMASK, mask, &cur);
                r = sd_bus_wait(bus, UINT64_MAX);
                (void) sigprocmask(SIG_SETMASK, &cur, NULL);
                return r < 0 ? r : 0;
        }
        if (p.fd < 0)
                return p.fd;
        r = sd_bus_get_events(bus);
        if (r < 0)
                return r;
        p.events = (short) r;
        r = sd_bus_get_timeout(bus, &until);
        if (r < 0)
                return r;
        if (until != UINT64_MAX) {
                uint64_t n = now_usec(), left = until > n ? until - n : 0;

                ts = (struct timespec) { .tv_sec = (time_t) (left / 1000000), .tv_nsec = (long) (left % 1000000) * 1000 };
                t = &ts;
        }
        return ppoll(&p, 1, t, mask) < 0 ? -errno : 0;
}

/* Call @m, as ovlctl_call_message() with an error to return, but ended by
 * an interrupt (catch_interrupts()) as well as by the answer: -EINTR then,
 * the answer unread whatever it would have been.  (sd_bus_call() either
 * ends with EINTR or, in later systemd, waits on through the signal, up to
 * the call's CALL_TIMEOUT_USEC.)  SIGINT and SIGTERM are blocked but while it
 * waits: one that comes between the look at @interrupted and the wait
 * ends the wait. */
static int call_interruptible(sd_bus *bus, sd_bus_message *m, sd_bus_message **ret_reply,
                              sd_bus_error *ret_error) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        sigset_t block, old;
        Answer a = {};
        int r;

        sigemptyset(&block);
        for (size_t i = 0; i < ELEMENTSOF(interrupt_sigs); i++)
                sigaddset(&block, interrupt_sigs[i]);
        if (sigprocmask(SIG_BLOCK, &block, &old) < 0)
                return sd_bus_error_set_errno(ret_error, -errno);
        r = sd_bus_call_async(bus, &slot, m, on_answer, &a, CALL_TIMEOUT_USEC);
        while (r >= 0 && !a.done && !interrupted) {
                r = sd_bus_process(bus, NULL);
                if (r > 0 || a.done)
                        continue;
                if (r >= 0)
                        r = bus_wait_unblocked(bus, &old);
                if (r == -EINTR)
                        r = 0;
        }
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
        if (r >= 0 && !a.done)
                return -EINTR;          /* (interrupted: the answer, if any, is dropped with @slot) */
        if (r < 0) {
                sd_bus_message_unref(a.reply);
                return sd_bus_error_set_errno(ret_error, r);
        }
        if (sd_bus_message_is_method_error(a.reply, NULL)) {
                (void) sd_bus_error_copy(ret_error, sd_bus_message_get_error(a.reply));
                sd_bus_message_unref(a.reply);
                r = sd_bus_error_get_errno(ret_error);
                return r > 0 ? -r : -EIO;
        }
        *ret_reply = a.reply;
        return 0;
}

static int watch_loop(sd_bus *bus, Watch *w) {
        uint64_t started = now_usec();
        int r;

        while (w->n_finished < w->n_jobs) {
                if (interrupted)
                        interrupted_exit(w);
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        if (w->progress_shown)
                                fputc('\n', stderr);
                        fprintf(stderr, "Lost the connection to ovl-restored while waiting: %s\n",
                                strerror(-r));
                        return EXIT_NO_DAEMON;
                }
                if (w->daemon_gone) {
                        if (w->progress_shown)
                                fputc('\n', stderr);
                        fprintf(stderr, "ovl-restored exited before the jobs ended; their outcome is "
                                "unknown. Check the paths with 'ovlctl state'.\n");
                        return EXIT_NO_DAEMON;
                }
                if (r > 0)
                        continue;
                show_progress(w, started);
                r = sd_bus_wait(bus, PROGRESS_AFTER_USEC / 2);
                if (r < 0 && r != -EINTR) {
                        fprintf(stderr, "Cannot wait for the jobs: %s\n", strerror(-r));
                        return EXIT_FAILED;
                }
        }
        if (w->progress_shown)
                fprintf(stderr, "\r\033[K");
        return 0;
}

static int watch_run(sd_bus *bus, Watch *w) {
        int r;

        catch_interrupts();
        r = watch_loop(bus, w);
        release_interrupts();
        return r;
}

/* -- outcomes ------------------------------------------------------------- */

/* Prints a job's per-path results; *ret_deferred counts the paths
 * recorded for the next boot (none in a dry run).  Results the daemon
 * dropped to make room for newer ones (a job of a call whose jobs hold
 * more than it keeps) are told on stderr, *ret_dropped set, and none are
 * shown: its counts still are. */
static int show_results(sd_bus *bus, Watched *j, Table *t, JsonWriter *json, size_t *ret_deferred,
                        bool *ret_dropped) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path, *outcome, *message;
        size_t deferred = 0;
        int r;

        *ret_deferred = 0;
        *ret_dropped = false;
        r = sd_bus_message_new_method_call(bus, &call, ovlctl_destination(), j->object_path, JOB_IFACE,
                                           "GetResults");
        if (r < 0)
                return ovlctl_fail(r, "Cannot build the call");
        r = ovlctl_call_message(bus, call, ACTION_MANAGE, &reply, &error);
        if (r < 0 && sd_bus_error_has_name(&error, ERROR_PREFIX "LimitExceeded") &&
            (strstr(error.message ?: "", "were dropped to make room") ||
             strstr(error.message ?: "", "more than the system bus carries"))) {
                _cleanup_free_ char *said = text_escape_terminal(error.message);

                fprintf(stderr, "Job %u: %s\n", j->info.id, said ?: "(out of memory)");
                *ret_dropped = true;
                return 0;
        }
        if (r < 0)
                return ovlctl_report_error(&error, ACTION_MANAGE);
        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sss)", &path, &outcome, &message)) > 0) {
                if (streq(outcome, "deferred"))
                        deferred++;
                if (json) {
                        json_begin_object(json);
                        json_field_string(json, "path", path);
                        json_field_string(json, "outcome", outcome);
                        json_field_string(json, "message", *message ? message : NULL);
                        json_end_object(json);
                } else {
                        r = table_add(t, outcome);
                        if (r >= 0)
                                r = table_add(t, path);
                        if (r >= 0)
                                r = table_add(t, *message ? message : "");
                }
        }
        if (r < 0)
                return ovlctl_fail(r, "Cannot read a job's results");
        *ret_deferred = deferred;
        return 0;
}

/* The exit status for what the jobs did: 0 when all are done; a busy or
 * unsupported overlay by its own status; "partly" when some of the paths
 * were done (restored, or skipped as not hidden) and others not. */
static int jobs_exit_status(const Watch *w) {
        bool some_done = false, some_not = false;
        int special = 0;

        for (size_t i = 0; i < w->n_jobs; i++) {
                const JobInfo *j = &w->jobs[i].info;
                const char *en = j->error_name ?: "";

                if (streq_ptr(j->state, "done")) {
                        some_done = true;
                        continue;
                }
                some_not = true;
                if (streq_ptr(j->state, "cancelled"))
                        continue;       /* its paths count as skipped, but were not done */
                /* (a busy or unsupported job changed nothing, whatever it
                 * counted as skipped before it found out: a recursive
                 * one's names with nothing below them) */
                if (streq(en, ERROR_PREFIX "Busy"))
                        special = EXIT_BUSY;
                else if (streq(en, ERROR_PREFIX "Unsupported")) {
                        if (!special)
                                special = EXIT_UNSUPPORTED;
                } else if (j->restored + j->skipped > 0)
                        some_done = true;
        }
        if (!some_not)
                return EXIT_OK;
        /* (Busy and Unsupported say nothing was changed: only if no other
         * job of the call did anything) */
        if (special && !some_done)
                return special;
        return some_done ? EXIT_PARTIAL : EXIT_FAILED;
}

/* Each job's results and summary; one whose results cannot be read (not
 * the caller's, say) is reported and the others still are.  The first
 * failure's exit status, else the jobs'. */
static int report_jobs(sd_bus *bus, Watch *w) {
        JsonWriter json;
        Table t = {};
        int r = 0, first = 0;

        if (arg_json) {
                ovlctl_json_init(&json);
                json_begin_array(&json);
        }
        for (size_t i = 0; i < w->n_jobs; i++) {
                Watched *j = &w->jobs[i];
                const JobInfo *info = &j->info;
                bool has_error = info->error && *info->error;
                size_t deferred = 0;
                bool dropped = false;

                if (arg_json) {
                        json_begin_object(&json);
                        json_field_uint(&json, "id", info->id);
                        json_field_string(&json, "job", j->object_path);
                        json_field_string(&json, "mount_point", info->mount_point);
                        json_field_string(&json, "method", info->method && *info->method ? info->method : NULL);
                        json_field_string(&json, "result", info->state);
                        json_field_uint(&json, "restored", info->restored);
                        json_field_uint(&json, "skipped", info->skipped);
                        json_field_uint(&json, "failed", info->failed);
                        json_field_string(&json, "error", has_error ? info->error : NULL);
                        json_field_string(&json, "error_name",
                                          info->error_name && *info->error_name ? info->error_name : NULL);
                        json_key(&json, "results");
                        json_begin_array(&json);
                        r = show_results(bus, j, NULL, &json, &deferred, &dropped);
                        json_end_array(&json);
                        /* (an addition: the daemon dropped them, the counts stay) */
                        json_field_bool(&json, "results_dropped", dropped);
                        json_end_object(&json);
                        if (r < 0)
                                r = ovlctl_fail(r, "Cannot show the results");
                        if (first == 0)
                                first = r;
                        continue;
                }
                r = table_new(&t, 3, "OUTCOME", "PATH", "MESSAGE");
                if (r >= 0)
                        r = show_results(bus, j, &t, NULL, &deferred, &dropped);
                if (r == 0 && table_rows(&t) > 0)
                        table_print(&t);
                table_done(&t);
                if (r < 0)
                        r = ovlctl_fail(r, "Cannot show the results");
                if (first == 0)
                        first = r;
                _cleanup_free_ char *where = text_escape_terminal(info->mount_point ?: "?"),
                                    *error = has_error ? text_escape_terminal(info->error) : NULL;
                printf("Job %u on %s (method %s): %s; %" PRIu64 " restored, %" PRIu64 " skipped, %"
                       PRIu64 " failed.\n", info->id, where ?: "?",
                       info->method && *info->method ? info->method : "-", info->state ?: "?",
                       info->restored, info->skipped, info->failed);
                if (has_error)
                        fprintf(stderr, "Job %u: %s\n", info->id, error ?: "(out of memory)");
                else if (deferred > 0)
                        printf("The restore is recorded and done at the next boot, before the overlay is "
                               "mounted (ovlctl pending lists it, ovlctl cancel-pending drops it).\n");
                else if (dropped && streq_ptr(info->method, "deferred") && !streq_ptr(info->state, "cancelled"))
                        /* (its outcomes gone, whether it was a dry run or recorded anything cannot be told) */
                        printf("If this job recorded a restore for the next boot, ovlctl pending lists it.\n");
        }
        if (arg_json) {
                json_end_array(&json);
                json_finish(&json);
        }
        return first > 0 ? first : jobs_exit_status(w);
}

/* -- verbs ---------------------------------------------------------------- */

/* --paths-from's FILE made into what the daemon reads (its Restore
 * option "paths-fd"): a memfd of the paths, absolute and in the bus form,
 * each ended by a NUL.  FILE holds names as bytes, as the arguments are.
 * Empty entries are passed over.  0 and the memfd in @ret_fd, or an exit
 * status after saying what failed. */
static int paths_from_memfd(int *ret_fd) {
        _cleanup_fclose_ FILE *opened = NULL, *out = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *line = NULL;
        bool std_in = streq(arg_paths_from, "-");
        const char *name = std_in ? "standard input" : arg_paths_from;
        const char delim = arg_null ? '\0' : '\n';
        FILE *in = stdin;
        size_t size = 0, n = 0;
        ssize_t k;
        int w;

        if (!std_in) {
                in = opened = fopen(arg_paths_from, "re");
                if (!in) {
                        fprintf(stderr, "Cannot open %s: %s\n", name, strerror(errno));
                        return EXIT_USAGE;
                }
        }
        fd = memfd_create("ovlctl-paths", MFD_CLOEXEC);
        w = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (w < 0)
                return ovlctl_fail(-errno, "Cannot make a memfd for the paths");
        out = fdopen(w, "we");
        if (!out) {
                close(w);
                return ovlctl_fail(-errno, "Cannot make a memfd for the paths");
        }
        while ((errno = 0, k = getdelim(&line, &size, delim, in)) > 0) {
                _cleanup_free_ char *p = NULL;
                int r;

                n++;
                if (line[k - 1] == delim)
                        line[--k] = '\0';
                if (k == 0)
                        continue;
                if (memchr(line, 0, (size_t) k)) {
                        fprintf(stderr, "%s, path %zu: a NUL inside a line (use --null for a list "
                                "that find -print0 wrote).\n", name, n);
                        return EXIT_USAGE;
                }
                r = path_make_absolute(line, &p);
                if (r < 0)
                        return path_refused(line, name, n, r);
                if (fputs(p, out) < 0 || fputc(0, out) < 0)
                        return ovlctl_fail(-errno, "Cannot write the paths to a memfd");
        }
        /* (getdelim() may fail for want of memory without setting the
         * stream's error flag: anything but the end is a failure) */
        if (!feof(in)) {
                fprintf(stderr, "Cannot read %s: %s\n", name, strerror(errno ?: EIO));
                return EXIT_FAILED;
        }
        if (fflush(out) != 0)
                return ovlctl_fail(-errno, "Cannot write the paths to a memfd");
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int append_options(sd_bus_message *m, int paths_fd) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && arg_recursive)
                r = sd_bus_message_append(m, "{sv}", "recursive", "b", 1);
        if (r >= 0 && arg_dry_run)
                r = sd_bus_message_append(m, "{sv}", "dry-run", "b", 1);
        if (r >= 0 && arg_mode)
                r = sd_bus_message_append(m, "{sv}", "mode", "s", arg_mode);
        if (r >= 0 && arg_method)
                r = sd_bus_message_append(m, "{sv}", "method", "s", arg_method);
        if (r >= 0 && paths_fd >= 0)
                r = sd_bus_message_append(m, "{sv}", "paths-fd", "h", paths_fd);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int print_queued(Watch *w) {
        JsonWriter json;

        if (arg_json) {
                ovlctl_json_init(&json);
                json_begin_array(&json);
        }
        for (size_t i = 0; i < w->n_jobs; i++) {
                const JobInfo *j = &w->jobs[i].info;

                if (arg_json) {
                        json_begin_object(&json);
                        json_field_uint(&json, "id", j->id);
                        json_field_string(&json, "job", w->jobs[i].object_path);
                        json_field_string(&json, "mount_point", j->mount_point);
                        json_field_string(&json, "state", j->state);
                        json_end_object(&json);
                } else {
                        _cleanup_free_ char *where = text_escape_terminal(j->mount_point ?: "?");

                        printf("Job %u on %s: %s. Follow it with: ovlctl wait %u\n",
                               j->id, where ?: "?", j->state ?: "?", j->id);
                }
        }
        if (arg_json) {
                json_end_array(&json);
                json_finish(&json);
        }
        return EXIT_OK;
}

int verb_restore(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *action = arg_mode && streq(arg_mode, "discard") ? ACTION_DISCARD : ACTION_RESTORE;
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_close_ int paths_fd = -EBADF;
        const char *object;
        Watch w = {};
        int r;

        r = paths_make_absolute(argv + 1, &paths);
        if (r == 0 && arg_paths_from)
                r = paths_from_memfd(&paths_fd);
        if (r > 0)
                return r;

        if (arg_block) {
                r = watch_subscribe(bus, &w);
                if (r > 0)
                        goto out;
        }
        r = sd_bus_message_new_method_call(bus, &m, ovlctl_destination(), MANAGER_PATH,
                                           MANAGER_IFACE, "Restore");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, paths);
        if (r >= 0)
                r = append_options(m, paths_fd);
        if (r < 0) {
                r = ovlctl_fail(r, "Cannot build the call");
                goto out;
        }
        /* From the call on, an interrupt (Ctrl-C, SIGTERM) is noted: it
         * ends the call at once, its answer unread, and whether the
         * daemon had queued jobs by then (polkit may not have answered,
         * and does not once the caller is gone) only 'ovlctl jobs' can
         * tell; once the jobs are known, they are said to go on, as while
         * waiting.  Then ovlctl ends by it. */
        catch_interrupts();
        r = call_interruptible(bus, m, &reply, &error);
        if (r == -EINTR && interrupted) {
                fprintf(stderr, "Interrupted while ovl-restored took the request: if it had queued jobs by "
                        "then, they go on ('ovlctl jobs' lists them, 'ovlctl cancel ID' stops one).\n");
                r = EXIT_FAILED;
                goto out;
        }
        if (r < 0) {
                r = ovlctl_report_error(&error, action);
                goto out;
        }
        r = sd_bus_message_enter_container(reply, 'a', "o");
        while (r >= 0 && (r = sd_bus_message_read(reply, "o", &object)) > 0)
                r = watch_add(&w, object);
        if (r < 0) {
                r = ovlctl_fail(r, "Cannot read the daemon's answer");
                goto out;
        }
        r = watch_read_all(bus, &w);
        if (interrupted)
                interrupted_exit(&w);
        if (r > 0)
                goto out;
        if (!arg_block) {
                r = print_queued(&w);
                goto out;
        }
        r = watch_loop(bus, &w);
        if (r == 0)
                r = report_jobs(bus, &w);
out:
        release_interrupts();
        watch_done(&w);
        return r;
}

static int job_paths(int argc, char *argv[], Watch *w) {
        for (int i = 1; i < argc; i++) {
                _cleanup_free_ char *path = NULL;
                uint32_t id;

                if (parse_job_id(argv[i], &id) < 0) {
                        fprintf(stderr, "'%s' is not a job id (see ovlctl jobs).\n", argv[i]);
                        return EXIT_USAGE;
                }
                if (job_object_path(id, &path) < 0)
                        return ovlctl_fail(-ENOMEM, "Out of memory");
                /* (a job named twice, "7 07" or by its path too, is one:
                 * only the first entry of a path follows its signals) */
                if (watch_find(w, path))
                        continue;
                if (watch_add(w, path) < 0)
                        return ovlctl_fail(-ENOMEM, "Out of memory");
        }
        return 0;
}

int verb_wait(sd_bus *bus, int argc, char *argv[]) {
        Watch w = {};
        int r;

        r = job_paths(argc, argv, &w);
        if (r == 0)
                r = watch_subscribe(bus, &w);
        if (r == 0)
                r = watch_read_all(bus, &w);
        if (r == 0)
                r = watch_run(bus, &w);
        if (r == 0)
                r = report_jobs(bus, &w);
        watch_done(&w);
        return r;
}

int verb_cancel(sd_bus *bus, int argc, char *argv[]) {
        Watch w = {};
        int r, ret = EXIT_OK;

        r = job_paths(argc, argv, &w);
        for (size_t i = 0; r == 0 && i < w.n_jobs; i++) {
                r = ovlctl_call(bus, w.jobs[i].object_path, JOB_IFACE, "Cancel", ACTION_MANAGE, NULL, NULL);
                if (r > 0 && ret == EXIT_OK)
                        ret = r;
                r = 0;
        }
        watch_done(&w);
        return r ?: ret;
}
