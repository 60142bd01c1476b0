/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "sender-creds.h"

#define CACHE_SIZE 64

typedef struct Entry {
        sd_id128_t bus_id;
        char name[64];          /* a unique name (":1.42"); "" unused */
        uid_t uid;
        pid_t pid;
} Entry;

static Entry cache[CACHE_SIZE];
static unsigned next_slot;

void sender_creds_flush(void) {
        memset(cache, 0, sizeof cache);
        next_slot = 0;
}

static int query(sd_bus_message *m, uid_t *ret_uid, pid_t *ret_pid) {
        sd_bus_creds *c = NULL;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID, &c);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(c, ret_uid);
        if (r >= 0 && sd_bus_creds_get_pid(c, ret_pid) < 0)
                *ret_pid = 0;
        sd_bus_creds_unref(c);
        return r;
}

int sender_creds_get(sd_bus_message *m, uid_t *ret_uid, pid_t *ret_pid) {
        const char *sender = sd_bus_message_get_sender(m);
        sd_id128_t id;
        uid_t uid;
        pid_t pid;
        Entry *e;
        int r;

        /* (a peer connection has no names, and its creds cost nothing) */
        if (sd_bus_is_bus_client(sd_bus_message_get_bus(m)) <= 0 || !sender || sender[0] != ':' ||
            strlen(sender) >= sizeof cache[0].name || sd_bus_get_bus_id(sd_bus_message_get_bus(m), &id) < 0)
                return query(m, ret_uid, ret_pid);
        for (unsigned i = 0; i < CACHE_SIZE; i++)
                if (cache[i].name[0] && streq(cache[i].name, sender) && sd_id128_equal(cache[i].bus_id, id)) {
                        *ret_uid = cache[i].uid;
                        *ret_pid = cache[i].pid;
                        return 0;
                }
        r = query(m, &uid, &pid);
        if (r < 0)
                return r;
        e = &cache[next_slot++ % CACHE_SIZE];
        *e = (Entry) { .bus_id = id, .uid = uid, .pid = pid };
        strcpy(e->name, sender);
        *ret_uid = uid;
        *ret_pid = pid;
        return 0;
}
