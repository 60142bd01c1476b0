/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-id128.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "peer.h"

struct Peer {
        Manager *manager;
        sd_bus *bus;
        sd_event_source *handshake_source;
        LIST_FIELDS(Peer, peers);
};

/* A peer not (or no longer) in m->peers. */
static void peer_unlisted_free(Peer *p) {
        sd_event_source_disable_unref(p->handshake_source);
        sd_bus_flush_close_unref(p->bus);
        free(p);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Peer *, peer_unlisted_free);

static void peer_free(Peer *p) {
        LIST_REMOVE(peers, p->manager->peers, p);
        peer_unlisted_free(p);
}

static void peer_gone(Peer *p) {
        Manager *m = p->manager;

        peer_free(p);
        manager_check_idle(m);
}

sd_bus *manager_next_bus(Manager *m, void **state) {
        Peer *p;

        if (!*state) {
                *state = m->peers ? (void *) m->peers : (void *) m;
                if (m->bus)
                        return m->bus;
        }
        if (*state == m)
                return NULL;
        p = *state;
        *state = p->peers_next ? (void *) p->peers_next : (void *) m;
        return p->bus;
}

void peer_free_all(Manager *m) {
        while (m->peers)
                peer_free(m->peers);
        m->listen_source = sd_event_source_disable_unref(m->listen_source);
}

static int on_disconnected(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        peer_gone(userdata);
        return 0;
}

/* While sd-bus authenticates a peer it reads ahead: a call the client sent
 * in the same write as the handshake's BEGIN lands in sd-bus's buffer,
 * where no poll sees it, and would wait there for the client's next write
 * (which may never come).  So after every loop iteration the bus is
 * processed until it has nothing left, until the handshake is over. */
static int on_handshake_post(sd_event_source *s, void *userdata) {
        Peer *p = userdata;
        _cleanup_(sd_bus_unrefp) sd_bus *bus = sd_bus_ref(p->bus);
        int r;

        do
                r = sd_bus_process(bus, NULL);
        while (r > 0);
        /* Closed: the Disconnected handler freed p. */
        if (sd_bus_is_open(bus) <= 0)
                return 0;
        if (sd_bus_is_ready(bus) > 0)
                p->handshake_source = sd_event_source_disable_unref(p->handshake_source);
        return 0;
}

static int on_connect(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        _cleanup_close_ int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        _cleanup_(peer_unlisted_freep) Peer *p = NULL;
        struct ucred cred;
        socklen_t len = sizeof cred;
        sd_id128_t id;
        Peer *listed;
        int r;

        if (c < 0)
                return 0;
        if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
                log_warning("Refused a connection on the private socket from uid " UID_FMT
                            ": it is for root only.", len == sizeof cred ? cred.uid : (uid_t) -1);
                return 0;
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                return 0;
        p->manager = m;
        r = sd_bus_new(&p->bus);
        if (r >= 0)
                r = sd_bus_set_fd(p->bus, c, c);
        if (r >= 0)
                TAKE_FD(c);     /* (the bus's now) */
        if (r >= 0)
                r = sd_id128_randomize(&id);
        if (r >= 0)
                r = sd_bus_set_server(p->bus, 1, id);
        if (r >= 0)
                r = manager_add_objects(m, p->bus);
        if (r >= 0)
                r = sd_bus_match_signal(p->bus, NULL, "org.freedesktop.DBus.Local", NULL,
                                        "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, p);
        if (r >= 0)
                r = sd_bus_start(p->bus);
        if (r >= 0)
                r = sd_bus_attach_event(p->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_event_add_post(m->event, &p->handshake_source, on_handshake_post, p);
        if (r < 0) {
                log_warning("Cannot serve a peer on the private socket: %s", strerror(-r));
                return 0;
        }
        listed = TAKE_PTR(p);
        LIST_PREPEND(peers, m->peers, listed);
        manager_check_idle(m);
        log_debug("Root peer connected on the private socket (pid " UID_FMT ").", (uid_t) cred.pid);
        return 0;
}

int peer_listen_fds(Manager *m) {
        char **names = NULL;
        int n, r = 0, found = 0;

        n = sd_listen_fds_with_names(1, &names);
        if (n <= 0)
                return n;
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;

                if (found || !names || !streq(names[i], "private") ||
                    sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
                        log_warning("Ignoring passed file descriptor %d (%s): expected one listening "
                                    "unix socket named 'private'.", fd, names ? names[i] : "?");
                        close(fd);
                        continue;
                }
                r = sd_event_add_io(m->event, &m->listen_source, fd, EPOLLIN, on_connect, m);
                if (r < 0)
                        break;
                found = 1;
        }
        for (int i = 0; names && i < n; i++)
                free(names[i]);
        free(names);
        if (r < 0)
                return r;
        if (found)
                log_info("Serving root peers on the private socket.");
        return found;
}
