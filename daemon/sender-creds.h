/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

/* The effective uid and the pid of @m's sender.  On a bus, from a small
 * cache keyed by the bus's id and the sender's unique name: a unique name
 * is never given to another connection on the same bus, and the driver
 * reports the credentials the connection had when it connected, so a
 * caller's later calls cost no blocking round trip to the driver.  On a
 * peer connection (the private socket), from the socket itself.
 * *ret_pid is 0 if the bus does not tell it.  Event loop thread only. */
int sender_creds_get(sd_bus_message *m, uid_t *ret_uid, pid_t *ret_pid);

/* Forgets every entry (the bus connection was replaced). */
void sender_creds_flush(void);
