/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ovl-restored: the privileged D-Bus daemon of ovl-restore. */
#include <errno.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "boot-id.h"
#include "lingering.h"
#include "mount-util.h"
#include "log.h"
#include "manager.h"
#include "mount.h"
#include "bus-connect.h"
#include "peer.h"
#include "pending-store.h"
#include "remount-journal.h"
#include "state-dir.h"
#include "strv.h"
#include "test-hooks.h"

static uint64_t arg_idle_usec = 0;
static bool arg_force_polkit = false;
static uint64_t arg_linger_usec = 60 * 1000000ULL;
static uint64_t arg_unread_usec = 3600 * 1000000ULL;
/* Another daemon runs (the state directory's lock or the bus name):
 * the unit's RestartPreventExitStatus=. */
#define EXIT_ALREADY_RUNNING 3

static const char *arg_state_dir = NULL;       /* --state-dir, $STATE_DIRECTORY, or the default */
static bool arg_apply_pending = false;

static void help(void) {
        printf("Usage: ovl-restored [OPTIONS...]\n"
               "\n"
               "Serves org.calculinux.OverlayRestore1 on the system bus: restores entries\n"
               "of overlay mounts hidden by whiteouts, for callers polkit authorizes.\n"
               "\n"
               "  -h --help                Show this help\n"
               "     --version             Show the version\n"
               "     --idle-timeout=SECS   Exit after SECS idle (no jobs); 0: never (default)\n"
               "     --job-linger=SECS     Keep finished jobs readable this long after their\n"
               "                           results were read (default 60)\n"
               "     --job-linger-unread=SECS\n"
               "                           ... and this long while nobody read them (default 3600)\n"
               "     --force-polkit        Ask polkit for root callers too (for tests)\n"
               "     --state-dir=DIR       Where deferred restores and remount records are\n"
               "                           kept (default $STATE_DIRECTORY, as systemd sets\n"
               "                           it, else " DEFAULT_STATE_DIR ")\n"
               "     --apply-pending       Apply the deferred restores to the upper layers\n"
               "                           of overlays not mounted yet (at boot), and exit\n"
               "     --debug               Log debug messages\n"
               "\n"
               "The bus is $DBUS_SYSTEM_BUS_ADDRESS, or the system bus. See ovl-restored(8).\n");
}

static int parse_seconds(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || v > UINT64_MAX / 1000000ULL)
                return -EINVAL;
        *ret = v * 1000000ULL;
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_IDLE, ARG_LINGER, ARG_UNREAD, ARG_FORCE_POLKIT, ARG_DEBUG, ARG_STATE_DIR,
               ARG_APPLY_PENDING };
        static const struct option options[] = {
                { "help",         no_argument,       NULL, 'h'              },
                { "version",      no_argument,       NULL, ARG_VERSION      },
                { "idle-timeout", required_argument, NULL, ARG_IDLE         },
                { "job-linger",   required_argument, NULL, ARG_LINGER       },
                { "job-linger-unread", required_argument, NULL, ARG_UNREAD  },
                { "force-polkit", no_argument,       NULL, ARG_FORCE_POLKIT },
                { "debug",        no_argument,       NULL, ARG_DEBUG        },
                { "state-dir",    required_argument, NULL, ARG_STATE_DIR    },
                { "apply-pending", no_argument,      NULL, ARG_APPLY_PENDING },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("ovl-restored %s\n", PROJECT_VERSION);
                        return 0;
                case ARG_IDLE:
                case ARG_LINGER:
                case ARG_UNREAD:
                        if (parse_seconds(optarg, c == ARG_IDLE ? &arg_idle_usec :
                                                  c == ARG_LINGER ? &arg_linger_usec : &arg_unread_usec) < 0) {
                                fprintf(stderr, "ovl-restored: invalid number of seconds '%s'.\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_FORCE_POLKIT:
                        arg_force_polkit = true;
                        break;
                case ARG_DEBUG:
                        log_set_max_level(LOG_LEVEL_DEBUG);
                        break;
                case ARG_STATE_DIR:
                        if (optarg[0] != '/') {
                                fprintf(stderr, "ovl-restored: --state-dir needs an absolute path.\n");
                                return -EINVAL;
                        }
                        arg_state_dir = optarg;
                        break;
                case ARG_APPLY_PENDING:
                        arg_apply_pending = true;
                        break;
                default:
                        fprintf(stderr, "Try 'ovl-restored --help'.\n");
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "ovl-restored takes no arguments. Try 'ovl-restored --help'.\n");
                return -EINVAL;
        }
        return 1;
}

/* SIGHUP (a terminal closed, "systemctl reload" by habit) must not kill
 * it in the middle of a remount: there is nothing to reload. */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        log_info("SIGHUP: nothing to reload; going on.");
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        log_info("Signal %s: finishing running jobs, then exiting.", strsignal((int) si->ssi_signo));
        manager_shutdown(m);
        return 0;
}

/* glibc's malloc keeps what a large job freed unless told otherwise: its
 * mmap threshold grows to the largest block freed (so the next job's
 * blocks come from the heap and stay there), and each worker thread gets
 * an arena of its own (what the event loop frees of a job's results
 * cannot serve the next worker).  A fixed threshold sends a job's blocks
 * (path-list.c: 64 KiB) and large bus messages back to the system when
 * they are freed; one arena serves every thread.  (musl's malloc returns
 * large blocks by itself and has no arenas.) */
static void malloc_tune(void) {
#ifdef __GLIBC__
        (void) mallopt(M_MMAP_THRESHOLD, 64 * 1024);
        (void) mallopt(M_ARENA_MAX, 1);
#endif
}

/* Our descriptors: a remount's look at every mount table holds one per
 * mount namespace (up to 256), the kernel threads' cache up to an eighth
 * of the limit, and several looks may run at once.  Nothing here uses
 * select() (sd-event polls with epoll) and nothing is exec'ed: the soft
 * limit systemd leaves at 1,024 for select()'s sake is raised to the hard
 * one, as systemd does for itself. */
static void rlimit_nofile_bump(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
                return;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                log_debug("Cannot raise the soft limit of descriptors: %m");
}

/* What a write cut short left in the state directory (state-dir.h). */
static void sweep_unfinished(void) {
        const char *where = NULL;
        int r = state_dir_sweep(arg_state_dir, &where);

        if (r < 0)
                log_warning("Cannot remove the unfinished records in %s/%s: %s", arg_state_dir, where,
                            strerror(-r));
        else if (r > 0)
                log_info("Removed %d unfinished record(s) from %s, left by a write cut short (a kill or "
                         "a power cut).", r, arg_state_dir);
}

/* The daemon, once the arguments are read: a negative errno if it
 * failed (said in the log). */
static int run(void) {
        /* (m goes before the event loop it uses, and the lock last) */
        _cleanup_close_ int lock_fd = -EBADF;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        sigset_t ss;
        int r, listening;

        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        signal(SIGPIPE, SIG_IGN);
        rlimit_nofile_bump();

        /* (a loop of its own, not the thread's default one: sd-event
         * checks a default loop's thread with a gettid() each iteration) */
        r = sd_event_new(&event);
        if (r < 0)
                return r;
        r = manager_new(&m, event);
        if (r < 0)
                return r;
        m->idle_usec = arg_idle_usec;
        m->force_polkit = arg_force_polkit;
        m->job_linger_usec = arg_linger_usec;
        m->job_unread_usec = arg_unread_usec;
        m->state_dir = arg_state_dir;

        r = sd_event_add_signal(event, NULL, SIGTERM, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGHUP, on_sighup, m);
        if (r < 0)
                return r;

        /* One daemon per state directory: a second one (started by hand
         * beside the service) would take the remount record of a job the
         * first is running for one a killed job left, and mount the
         * overlay again under it. */
        lock_fd = state_dir_lock(arg_state_dir, true);
        if (lock_fd == -EBUSY) {
                log_error("Another ovl-restored is running with the state directory %s: exiting.",
                          arg_state_dir);
                return -EALREADY;
        }
        if (lock_fd < 0)
                log_warning("Cannot lock the state directory %s (%s): not reading the remount records "
                            "there; remount and deferred jobs will fail.", arg_state_dir, strerror(-lock_fd));

        if (lock_fd >= 0)
                sweep_unfinished();

        /* Overlays a killed remount job left unmounted: mount them again
         * before anything looks at the mount table. */
        {
                _cleanup_strv_free_ char **busy = strv_new0();

                r = !busy ? -ENOMEM : lock_fd >= 0 ? remount_journal_recover(arg_state_dir, &busy) : 0;
                if (r < 0)
                        log_warning("Cannot read the remount records in %s: %s", arg_state_dir, strerror(-r));
                /* (index=on: tried again until the upper layer is free) */
                lingering_recover_later(m, busy);
        }

        /* The table watched before it is read: a change after the read is
         * one the watch has seen. */
        r = manager_start_mount_monitor(m);
        if (r < 0) {
                log_error("Cannot watch the mount table: %s", strerror(-r));
                return r;
        }
        r = manager_scan_mounts(m);
        if (r < 0) {
                log_error("Cannot read the mount table: %s", strerror(-r));
                return r;
        }
        pause_point("startup-mounts-read");
        {
                OvlMount *on = manager_state_dir_overlay(m);

                if (on)
                        log_error("The state directory %s lies on the overlay at %s: deferred "
                                  "restores, and remounts of that overlay, are refused. Point "
                                  "--state-dir at a directory off the overlays (Calculinux: "
                                  "/data/ovl-restored).",
                                  m->state_dir, on->mount_point);
        }

        listening = peer_listen_fds(m);
        if (listening < 0) {
                log_error("Cannot serve the private socket: %s", strerror(-listening));
                return listening;
        }

        /* Started on the private socket (early boot): the bus may come later. */
        r = manager_connect_bus(m, listening > 0);
        if (r < 0) {
                log_error("Cannot connect to the system bus: %s", strerror(-r));
                return r;
        }

        log_info("ovl-restored %s running: kernel interface %s.", PROJECT_VERSION,
                 m->kernel_ioctl ? "ioctl" : "none");
        manager_check_idle(m);
        return sd_event_loop(event);
}

int main(int argc, char *argv[]) {
        int r;

        malloc_tune();

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (!arg_state_dir) {
                /* systemd's StateDirectory= (the first, if several) */
                const char *e = getenv("STATE_DIRECTORY");
                static char dir[4096];

                if (e && e[0] == '/' && strcspn(e, ":") < sizeof dir) {
                        memcpy(dir, e, strcspn(e, ":"));
                        dir[strcspn(e, ":")] = '\0';
                        arg_state_dir = dir;
                } else
                        arg_state_dir = DEFAULT_STATE_DIR;
        }
        if (arg_apply_pending) {
                _cleanup_close_ int lock_fd = state_dir_lock(arg_state_dir, false);

                /* (at boot no daemon runs; by hand, it may be editing the
                 * same upper layer, by a remount) */
                if (lock_fd == -EBUSY) {
                        log_error("ovl-restored is running with the state directory %s: not applying "
                                  "the deferred restores beside it.", arg_state_dir);
                        return EXIT_ALREADY_RUNNING;
                }
                if (lock_fd >= 0)
                        sweep_unfinished();
                _cleanup_free_ char *where = NULL;
                bool listed;
                char boot[64];
                int k;

                r = pending_apply_all(arg_state_dir, &listed);
                /* The daemon takes deferred restores at this boot only
                 * once this step has run before the overlays were mounted
                 * (pending-store.h): with none mounted at all.  Run later
                 * (by hand, or by a misplaced line), nothing pending or
                 * not, it does not count: the next boot's preinit may lack
                 * it.  (A step run again later changes nothing of what
                 * this boot's recorded.) */
                k = overlay_mounted_any(&where);
                if ((k != 0 || !listed) && pending_store_boot_step_ran(arg_state_dir))
                        ;       /* (recorded already, by this boot's step) */
                else if (k > 0)
                        log_warning("Run too late, after an overlay was mounted (at %s): this boot is not "
                                    "recorded as one whose boot step ran, and deferred restores are refused "
                                    "until the step runs before the overlays are mounted.", where);
                else if (k < 0)
                        log_warning("Cannot read the mount table (%s), so cannot tell whether this step "
                                    "runs before the overlays are mounted: deferred restores are refused "
                                    "until the next boot.", k == -E2BIG ? "too large to read" : strerror(-k));
                else if (!listed)
                        log_warning("The deferred restores could not be listed: this boot is not recorded "
                                    "as one whose boot step ran, and deferred restores are refused until "
                                    "the next boot.");
                else if ((k = boot_id_get(boot)) < 0)
                        log_warning("Cannot read this boot's id (/proc/sys/kernel/random/boot_id: %s): "
                                    "deferred restores are refused until the next boot.", strerror(-k));
                else if ((k = pending_store_mark_boot(arg_state_dir)) < 0)
                        log_warning("Cannot record in %s that the boot step ran (%s): deferred restores "
                                    "are refused until the next boot.", arg_state_dir, strerror(-k));
                return r;
        }

        r = run();
        if (r == -EALREADY)
                return EXIT_ALREADY_RUNNING;    /* (said in the log) */
        if (r < 0)
                log_error("ovl-restored failed: %s", strerror(-r));
        return r < 0 ? 1 : 0;
}
