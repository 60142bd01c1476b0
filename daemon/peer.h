/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

/* The root-only private socket (ovl-restored.socket, FileDescriptorName=
 * private): direct D-Bus connections without a bus, for use before the
 * system bus is up.  Peers that are not root are refused (SO_PEERCRED).
 * Signals go to the system bus and to every peer alike. */
typedef struct Peer Peer;

/* Takes the sockets passed by the service manager; 0 if there are none. */
int peer_listen_fds(Manager *m);
void peer_free_all(Manager *m);
