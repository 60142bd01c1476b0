/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Connecting to the system bus, now or once it appears.  Started from
 * ovl-restored.socket early in boot, the daemon serves root peers on its
 * private socket before dbus runs; it connects without blocking (the name
 * is requested asynchronously, so a bus socket that systemd holds while
 * dbus.service starts does not stall it) and, where there is no bus
 * socket yet, watches its directory with inotify and connects when it
 * appears.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "bus-connect.h"
#include "log.h"

#define DEFAULT_SYSTEM_BUS_SOCKET "/run/dbus/system_bus_socket"
#define RETRY_USEC (1000 * 1000ULL)

/* RequestName's answer.  Without SD_BUS_NAME_QUEUE the bus does not
 * queue us: 1 (primary owner) or 4 (already owner) mean the name is ours,
 * 3 (exists) that another process has it, which is an error reply to no
 * one; a daemon without its name would serve nothing on the bus. */
static int on_name_acquired(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        uint32_t ret;
        int r;

        if (e) {
                log_error("Cannot own %s: %s", BUS_NAME, e->message ?: e->name);
                return sd_event_exit(m->event, -sd_bus_error_get_errno(e) ?: -EIO);
        }
        r = sd_bus_message_read(reply, "u", &ret);
        if (r < 0) {
                log_error("Cannot own %s: bad reply to RequestName: %s", BUS_NAME, strerror(-r));
                return sd_event_exit(m->event, r);
        }
        if (ret != 1 && ret != 4) {
                log_error("Cannot own %s: %s (RequestName answered %u): exiting.", BUS_NAME,
                          ret == 3 ? "another process owns it" : "not the owner", ret);
                return sd_event_exit(m->event, -EALREADY);      /* (exit status 3) */
        }
        log_info("Serving %s on the system bus.", BUS_NAME);
        return 0;
}

/* The bus went away (dbus stopped or restarted): as systemd's own daemons
 * do, finish what runs and exit; activation starts a new one on the new
 * bus, and a remount job is never cut off half done. */
static int on_bus_disconnected(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        log_notice("The system bus went away: finishing the jobs there are, then exiting.");
        m->exiting = true;
        manager_check_idle(m);
        return 0;
}

static int try_connect(Manager *m) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = manager_attach_bus(m, bus);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", NULL,
                                        "org.freedesktop.DBus.Local", "Disconnected", on_bus_disconnected, m);
        if (r >= 0)
                r = sd_bus_request_name_async(bus, NULL, BUS_NAME, 0, on_name_acquired, m);
        if (r >= 0)
                r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        sd_bus_unref(bus);      /* the manager holds it now */
        if (r < 0) {
                m->bus = sd_bus_flush_close_unref(m->bus);
                return r;
        }
        m->watch_source = sd_event_source_disable_unref(m->watch_source);
        m->retry_source = sd_event_source_disable_unref(m->retry_source);
        return 0;
}

/* The path of the bus socket, if the address names one. */
static char *bus_socket_path(void) {
        const char *a = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        size_t n;

        if (!a)
                return strdup(DEFAULT_SYSTEM_BUS_SOCKET);
        if (strncmp(a, "unix:path=", 10) != 0)
                return NULL;
        a += 10;
        n = strcspn(a, ",;");
        return n > 0 && a[0] == '/' ? strndup(a, n) : NULL;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (try_connect(m) >= 0)
                return 0;
        /* Still none: again later (the inotify watch may have missed the
         * moment between bind() and listen(), or there is none). */
        (void) sd_event_source_set_time_relative(s, RETRY_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int arm_retry(Manager *m) {
        if (m->retry_source)
                return sd_event_source_set_enabled(m->retry_source, SD_EVENT_ONESHOT);
        return sd_event_add_time_relative(m->event, &m->retry_source, CLOCK_MONOTONIC, RETRY_USEC, 0,
                                          on_retry, m);
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        char buf[sizeof(struct inotify_event) + NAME_MAX + 1]
                __attribute__((aligned(__alignof__(struct inotify_event))));

        while (read(fd, buf, sizeof buf) > 0)
                ;
        if (try_connect(m) >= 0)
                return 0;
        return arm_retry(m);
}

int manager_connect_bus(Manager *m, bool may_wait) {
        _cleanup_free_ char *path = NULL;
        char *slash;
        int r, fd;

        r = try_connect(m);
        if (r >= 0 || !may_wait)
                return r;
        log_notice("No system bus yet (%s): serving the private socket, and connecting once the "
                   "bus is there.", strerror(-r));

        path = bus_socket_path();
        slash = path ? strrchr(path, '/') : NULL;
        if (!slash)
                return arm_retry(m);
        *slash = '\0';
        fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
                return arm_retry(m);
        if (inotify_add_watch(fd, path[0] ? path : "/", IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0) {
                close(fd);
                return arm_retry(m);
        }
        r = sd_event_add_io(m->event, &m->watch_source, fd, EPOLLIN, on_inotify, m);
        if (r < 0) {
                close(fd);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(m->watch_source, true);
        return 0;
}
