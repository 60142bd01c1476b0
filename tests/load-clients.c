/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * load-clients ROUND CLIENTS CALLS OUTDIR MERGED...
 *
 * CLIENTS processes, each with its own connection to the system bus, each
 * making CALLS calls to ovl-restored: GetState of 1 to 8 paths (timed),
 * ListMounts, property reads, GetManagedObjects, and Restore of the
 * whiteouts that belong to it (MERGED/r<ROUND>c<client>_<n>, made by
 * tests/test-load), spread over the overlays.  A client follows its jobs
 * by their Completed signals (subscribed before the first call) and exits
 * 0 only if every call was answered without an error (LimitExceeded, the
 * daemon's flood limit, is counted and the restore retried) and every job
 * it started completed with "done".  Each client writes its GetState
 * latencies to OUTDIR/lat.<client>; the parent prints the counts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define BUS_NAME "org.calculinux.OverlayRestore1"
#define ROOT "/org/calculinux/OverlayRestore1"
#define MAX_JOBS 64
#define PER_CLIENT 2            /* whiteouts of each client on each overlay */
#define _cleanup_(f) __attribute__((cleanup(f)))

static int round_no, n_mounts;
static char **mounts;

typedef struct Client {
        int id;
        char *jobs[MAX_JOBS];
        int n_jobs, n_done;
        unsigned long calls, limited, errors, failed_jobs;
} Client;

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int on_completed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Client *c = userdata;
        const char *path = sd_bus_message_get_path(m), *result;
        uint64_t restored, skipped, failed;

        if (sd_bus_message_read(m, "sttt", &result, &restored, &skipped, &failed) < 0)
                return 0;
        for (int i = 0; i < c->n_jobs; i++)
                if (c->jobs[i] && strcmp(c->jobs[i], path) == 0) {
                        if (strcmp(result, "done") != 0 || failed > 0) {
                                fprintf(stderr, "client %d: job %s: %s, %llu failed\n", c->id, path, result,
                                        (unsigned long long) failed);
                                c->failed_jobs++;
                        }
                        free(c->jobs[i]);
                        c->jobs[i] = NULL;
                        c->n_done++;
                }
        return 0;
}

/* 1: accepted (or failed for good), 0: the flood limit, retry */
static int restore(sd_bus *bus, Client *c, int *next) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        const char *job;
        int mnt = *next % n_mounts, k = *next / n_mounts, r;
        char path[4200];

        if (k >= PER_CLIENT || c->n_jobs >= MAX_JOBS)
                return 1;
        snprintf(path, sizeof path, "%s/r%dc%d_%d", mounts[mnt], round_no, c->id, k);
        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, ROOT, BUS_NAME ".Manager", "Restore");
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 1, path);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        sd_bus_message_unref(m);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, BUS_NAME ".Error.LimitExceeded")) {
                        c->limited++;           /* the flood limit: retried later */
                        return 0;
                }
                fprintf(stderr, "client %d: Restore %s: %s\n", c->id, path, error.message ?: strerror(-r));
                c->errors++;
                (*next)++;
                return 1;
        }
        r = sd_bus_message_enter_container(reply, 'a', "o");
        while (r >= 0 && sd_bus_message_read(reply, "o", &job) > 0)
                c->jobs[c->n_jobs++] = strdup(job);
        sd_bus_message_unref(reply);
        (*next)++;
        return 1;
}

static int run_client(int id, int calls, const char *outdir) {
        Client c = { .id = id };
        sd_bus *bus = NULL;
        FILE *lat;
        char name[4200];
        int next = 0, r;
        unsigned seed = (unsigned) (id * 7919 + round_no);

        snprintf(name, sizeof name, "%s/lat.%d", outdir, id);
        lat = fopen(name, "we");
        if (!lat || sd_bus_open_system(&bus) < 0)
                return 2;
        r = sd_bus_match_signal(bus, NULL, BUS_NAME, NULL, BUS_NAME ".Job", "Completed", on_completed, &c);
        if (r < 0)
                return 2;

        for (int i = 0; i < calls || (next < PER_CLIENT * n_mounts && i < calls * 20); i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                int op = rand_r(&seed) % 10;
                double t0;

                c.calls++;
                if (op < 5 || i >= calls) {
                        /* after CALLS, only the restores still to make */
                        if (i >= calls) {
                                int done = c.n_done;

                                if (restore(bus, &c, &next) == 0 && c.n_done < c.n_jobs)
                                        /* limited: wait for one of ours to finish */
                                        while (c.n_done == done && (sd_bus_process(bus, NULL) > 0 ||
                                                                    sd_bus_wait(bus, UINT64_MAX) >= 0))
                                                ;
                                while (sd_bus_process(bus, NULL) > 0)
                                        ;
                                continue;
                        }
                        sd_bus_message *m = NULL;
                        int n = 1 + rand_r(&seed) % 8;

                        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, ROOT, BUS_NAME ".Manager",
                                                           "GetState");
                        if (r >= 0)
                                r = sd_bus_message_open_container(m, 'a', "s");
                        for (int k = 0; r >= 0 && k < n; k++) {
                                snprintf(name, sizeof name, "%s/r%dc%d_%d", mounts[rand_r(&seed) % n_mounts],
                                         round_no, rand_r(&seed) % 64, rand_r(&seed) % PER_CLIENT);
                                r = sd_bus_message_append(m, "s", name);
                        }
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                        t0 = now();
                        if (r >= 0)
                                r = sd_bus_call(bus, m, 0, &error, &reply);
                        if (r >= 0)
                                fprintf(lat, "%.9f\n", now() - t0);
                        sd_bus_message_unref(m);
                } else if (op < 7) {
                        r = sd_bus_call_method(bus, BUS_NAME, ROOT, BUS_NAME ".Manager", "ListMounts", &error,
                                               &reply, NULL);
                } else if (op < 8) {
                        r = sd_bus_call_method(bus, BUS_NAME, ROOT, "org.freedesktop.DBus.Properties", "GetAll",
                                               &error, &reply, "s", BUS_NAME ".Manager");
                } else if (op < 9) {
                        r = sd_bus_call_method(bus, BUS_NAME, ROOT, "org.freedesktop.DBus.ObjectManager",
                                               "GetManagedObjects", &error, &reply, NULL);
                } else {
                        restore(bus, &c, &next);
                        r = 0;
                }
                sd_bus_message_unref(reply);
                if (r < 0) {
                        fprintf(stderr, "client %d: call %d: %s\n", id, i, error.message ?: strerror(-r));
                        c.errors++;
                }
                while (sd_bus_process(bus, NULL) > 0)
                        ;
        }
        /* Every job of ours to its Completed signal. */
        while (c.n_done < c.n_jobs) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return 2;
                if (r == 0 && sd_bus_wait(bus, 120 * 1000000ULL) <= 0) {
                        fprintf(stderr, "client %d: %d jobs never completed\n", id, c.n_jobs - c.n_done);
                        return 1;
                }
        }
        fclose(lat);
        sd_bus_flush_close_unref(bus);
        if (next < PER_CLIENT * n_mounts)
                fprintf(stderr, "client %d: only %d of %d restores accepted\n", id, next, PER_CLIENT * n_mounts);
        printf("client %d: %lu calls, %d jobs, %lu limited, %lu errors, %lu failed jobs\n", id, c.calls,
               c.n_jobs, c.limited, c.errors, c.failed_jobs);
        return c.errors || c.failed_jobs || next < PER_CLIENT * n_mounts ? 1 : 0;
}

int main(int argc, char *argv[]) {
        int clients, calls, bad = 0;

        if (argc < 6) {
                fprintf(stderr, "usage: load-clients ROUND CLIENTS CALLS OUTDIR MERGED...\n");
                return 2;
        }
        round_no = atoi(argv[1]);
        clients = atoi(argv[2]);
        calls = atoi(argv[3]);
        mounts = argv + 5;
        n_mounts = argc - 5;
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (int i = 0; i < clients; i++) {
                pid_t pid = fork();

                if (pid < 0)
                        return 2;
                if (pid == 0)
                        _exit(run_client(i, calls, argv[4]));
        }
        for (int i = 0; i < clients; i++) {
                int status;

                if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        bad++;
        }
        if (bad)
                fprintf(stderr, "load-clients: %d of %d clients failed\n", bad, clients);
        return bad ? 1 : 0;
}
