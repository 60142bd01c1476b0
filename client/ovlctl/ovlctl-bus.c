/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The connection to ovl-restored, and what its errors mean to a person. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ovlctl.h"
#include "path-util.h"

static const char *private_socket(void) {
        /* For tests, which cannot use /run: the socket path. */
        const char *e = getenv("OVL_RESTORED_PRIVATE_SOCKET");
        return e && *e ? e : PRIVATE_SOCKET;
}

const char *ovlctl_destination(void) {
        return arg_private ? NULL : BUS_NAME;
}

int ovlctl_fail(int r, const char *what) {
        fprintf(stderr, "%s: %s\n", what, strerror(r < 0 ? -r : r));
        return EXIT_FAILED;
}

int ovlctl_connect(sd_bus **ret) {
        _cleanup_free_ char *address = NULL;
        sd_bus *bus = NULL;
        int r;

        if (!arg_private) {
                r = sd_bus_open_system(&bus);
                if (r < 0) {
                        fprintf(stderr, "Cannot connect to the system bus: %s.\n"
                                "Is dbus running? As root, --private talks to ovl-restored "
                                "directly on %s.\n", strerror(-r), private_socket());
                        return EXIT_NO_DAEMON;
                }
                (void) sd_bus_set_allow_interactive_authorization(bus, arg_ask_password);
                *ret = bus;
                return 0;
        }

        if (geteuid() != 0) {
                fprintf(stderr, "--private is for root only: ovl-restored's private socket "
                        "refuses other users. Leave out --private to go through the system bus "
                        "and polkit.\n");
                return EXIT_DENIED;
        }
        if (asprintf(&address, "unix:path=%s", private_socket()) < 0)
                return ovlctl_fail(-ENOMEM, "Cannot connect");
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                fprintf(stderr, "Cannot reach ovl-restored on %s: %s.\n%s", private_socket(),
                        strerror(-r),
                        r == -ENOENT || r == -ECONNREFUSED
                        ? "Start ovl-restored.socket (systemctl start ovl-restored.socket), or "
                          "leave out --private to use the system bus.\n" : "");
                sd_bus_unref(bus);
                return EXIT_NO_DAEMON;
        }
        *ret = bus;
        return 0;
}

static bool error_is(const sd_bus_error *e, const char *short_name) {
        size_t n = strlen(ERROR_PREFIX);
        return e->name && strncmp(e->name, ERROR_PREFIX, n) == 0 && streq(e->name + n, short_name);
}

int ovlctl_report_error(const sd_bus_error *e, const char *action) {
        /* (the daemon's messages quote the caller's paths) */
        _cleanup_free_ char *safe = text_escape_terminal(e->message ?: e->name ?: "");
        const char *msg = safe ?: "(out of memory)";

        if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
            sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                fprintf(stderr, "ovl-restored is not running and cannot be activated on this bus "
                        "(%s).\nIs ovl-restore installed, with its D-Bus activation file and "
                        "ovl-restored.service?\n", msg);
                return EXIT_NO_DAEMON;
        }
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) ||
            sd_bus_error_has_name(e, SD_BUS_ERROR_DISCONNECTED)) {
                fprintf(stderr, "ovl-restored did not answer: %s\n", msg);
                return EXIT_NO_DAEMON;
        }
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED)) {
                if (!arg_ask_password)
                        fprintf(stderr, "Permission denied: authentication is required (polkit action "
                                "%s), and --no-ask-password was given.\n", action ?: "?");
                else
                        fprintf(stderr, "Permission denied: authentication is required (polkit action "
                                "%s), but no polkit agent answered. On a terminal ovlctl starts "
                                "one itself; or ask an administrator for a polkit rule.\n",
                                action ?: "?");
                return EXIT_DENIED;
        }
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED)) {
                fprintf(stderr, "Permission denied: %s\n", msg);
                if (action)
                        fprintf(stderr, "This needs the polkit action %s.\n", action);
                return EXIT_DENIED;
        }
        /* (the daemon's NoSuchJob says why itself: a job that has
         * finished already, no such pending restore) */
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_OBJECT)) {
                fprintf(stderr, "%s\nNo such job: finished jobs stay for a minute, then go. "
                        "See ovlctl jobs.\n", msg);
                return EXIT_FAILED;
        }
        if (error_is(e, "NoSuchJob")) {
                fprintf(stderr, "%s\n", msg);
                return EXIT_FAILED;
        }
        fprintf(stderr, "%s\n", msg);
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_INVALID_ARGS) || error_is(e, "InvalidPath"))
                return EXIT_USAGE;
        if (error_is(e, "Unsupported"))
                return EXIT_UNSUPPORTED;
        if (error_is(e, "Busy"))
                return EXIT_BUSY;
        return EXIT_FAILED;
}

int ovlctl_call_message(sd_bus *bus, sd_bus_message *m, const char *action, sd_bus_message **reply,
                        sd_bus_error *ret_error) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        /* A call that polkit may be asked about (@action) may wait for a
         * person typing a password, and a Scan answers when its walk ends:
         * neither is bounded by sd-bus's default (25 s, or
         * $SYSTEMD_BUS_TIMEOUT), with or without --no-ask-password.  The
         * others (properties, the mount table) keep it: a daemon that
         * does not answer them is stuck. */
        r = sd_bus_call(bus, m, action ? CALL_TIMEOUT_USEC : 0, &error, reply);
        if (r < 0) {
                if (!sd_bus_error_is_set(&error))
                        sd_bus_error_set_errno(&error, r);
                if (ret_error) {
                        sd_bus_error_move(ret_error, &error);
                        return r;
                }
                r = ovlctl_report_error(&error, action);
                sd_bus_error_free(&error);
                return r;
        }
        return 0;
}

int ovlctl_call(sd_bus *bus, const char *path, const char *iface, const char *member,
                const char *action, sd_bus_message **reply, const char *types, ...) {
        sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, ovlctl_destination(), path, iface, member);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0) {
                sd_bus_message_unref(m);
                return ovlctl_fail(r, "Cannot build the call");
        }
        r = ovlctl_call_message(bus, m, action, reply, NULL);
        sd_bus_message_unref(m);
        return r;
}

/* -- the polkit agent --------------------------------------------------- */

static pid_t agent_pid;

static void agent_close(void) {
        if (agent_pid <= 0)
                return;
        (void) kill(agent_pid, SIGTERM);
        (void) waitpid(agent_pid, NULL, 0);
        agent_pid = 0;
}

/* Like systemctl: pkttyagent closes --notify-fd once it listens, so the
 * call that needs it waits for that.  Unlike systemctl it registers for
 * this process (--process) and not as a --fallback: polkit uses a fallback
 * agent only for subjects in a login session, and a recovery shell or a
 * container has none.  The process scope wins over a session's graphical
 * agent, which is right for a command typed on a terminal. */
void ovlctl_agent_open(void) {
        int pipefd[2];
        char fdbuf[16], pidbuf[16];
        struct pollfd p;
        pid_t pid, parent;

        if (!arg_ask_password || arg_private || geteuid() == 0 || !isatty(STDIN_FILENO) ||
            agent_pid > 0)
                return;
        if (access("/usr/bin/pkttyagent", X_OK) < 0)
                return;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return;
        parent = getpid();
        snprintf(pidbuf, sizeof pidbuf, "%d", (int) parent);
        pid = fork();
        if (pid < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return;
        }
        if (pid == 0) {
                /* The write end stays open across exec; the read end does not. */
                int fd = fcntl(pipefd[1], F_DUPFD, 3);

                /* (it goes with ovlctl, however ovlctl ends: killed, it
                 * would stay on the terminal, asking) */
                if (fd < 0 || prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(127);
                snprintf(fdbuf, sizeof fdbuf, "%d", fd);
                execl("/usr/bin/pkttyagent", "pkttyagent", "--notify-fd", fdbuf,
                      "--process", pidbuf, (char *) NULL);
                _exit(127);
        }
        close(pipefd[1]);
        agent_pid = pid;
        atexit(agent_close);
        /* Wait until it listens (EOF) or gives up. */
        p = (struct pollfd) { .fd = pipefd[0], .events = POLLIN };
        while (poll(&p, 1, -1) < 0 && errno == EINTR)
                ;
        close(pipefd[0]);
}
