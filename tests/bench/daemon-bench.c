/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daemon-bench: ovl-restored against doing the same work directly, on
 * the machine's kernel (method remount).  Prints times and ratios and the
 * daemon's memory; asserts nothing.  Run through tests/bench/run-daemon-bench.
 *
 *   1 path:       Restore of one whiteout through the bus vs umount +
 *                 unlink + mount done here
 *   10,000 paths: one job vs the same loop done here
 *   RSS:          the daemon's VmRSS idle, and VmHWM after a 100,000-path job
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define BUS_NAME "org.calculinux.OverlayRestore1"

static char base[4096], lower[4200], upper[4200], work[4200], merged[4200], opts[17000];
static sd_bus *bus;
static char done_job[256];

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void die(const char *what, int r) {
        fprintf(stderr, "daemon-bench: %s: %s\n", what, strerror(r < 0 ? -r : errno));
        exit(1);
}

static void make_files(int n) {
        char p[8192];
        for (int i = 0; i < n; i++) {
                snprintf(p, sizeof p, "%s/f%06d", lower, i);
                int fd = open(p, O_CREAT | O_WRONLY, 0644);
                if (fd < 0)
                        die("create", -errno);
                close(fd);
        }
}

static void whiteout_all(int n) {
        char p[8192];
        for (int i = 0; i < n; i++) {
                snprintf(p, sizeof p, "%s/f%06d", merged, i);
                if (unlink(p) < 0)
                        die("unlink in merged", -errno);
        }
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        const char *job, *result;
        uint32_t id;
        if (sd_bus_message_read(m, "uos", &id, &job, &result) >= 0)
                snprintf(done_job, sizeof done_job, "%s", job);
        return 0;
}

static double restore_via_daemon(int n) {
        sd_bus_message *call = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *job;
        char p[8192];
        double t;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, BUS_NAME, "/org/calculinux/OverlayRestore1",
                                           BUS_NAME ".Manager", "Restore");
        if (r < 0)
                die("new call", r);
        r = sd_bus_message_open_container(call, 'a', "s");
        for (int i = 0; r >= 0 && i < n; i++) {
                snprintf(p, sizeof p, "%s/f%06d", merged, i);
                r = sd_bus_message_append(call, "s", p);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r >= 0)
                r = sd_bus_message_append(call, "a{sv}", 1, "method", "s", "remount");
        if (r < 0)
                die("build call", r);
        done_job[0] = '\0';
        t = now();
        r = sd_bus_call(bus, call, 0, &error, &reply);
        if (r < 0) {
                fprintf(stderr, "Restore: %s\n", error.message);
                exit(1);
        }
        r = sd_bus_message_read(reply, "ao", 1, &job);
        if (r < 0)
                die("read reply", r);
        while (strcmp(done_job, job) != 0) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        die("process", r);
                if (r == 0)
                        sd_bus_wait(bus, UINT64_MAX);
        }
        t = now() - t;
        sd_bus_message_unref(call);
        sd_bus_message_unref(reply);
        return t;
}

static double restore_directly(int n) {
        char p[8192];
        double t = now();
        struct stat st;

        if (umount(merged) < 0)
                die("umount", -errno);
        int dfd = open(upper, O_PATH | O_DIRECTORY);
        for (int i = 0; i < n; i++) {
                snprintf(p, sizeof p, "f%06d", i);
                if (fstatat(dfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISCHR(st.st_mode) ||
                    unlinkat(dfd, p, 0) < 0)
                        die("unlink whiteout", -errno);
        }
        close(dfd);
        if (mount("overlay", merged, "overlay", 0, opts) < 0)
                die("mount", -errno);
        return now() - t;
}

static long status_kb(pid_t pid, const char *field) {
        char p[64], line[256];
        long v = -1;
        snprintf(p, sizeof p, "/proc/%d/status", (int) pid);
        FILE *f = fopen(p, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof line, f))
                if (strncmp(line, field, strlen(field)) == 0)
                        v = atol(line + strlen(field) + 1);
        fclose(f);
        return v;
}

int main(int argc, char *argv[]) {
        const char *daemon_bin = argc > 1 ? argv[1] : NULL, *dir = getenv("OVL_TEST_DIR");
        int reps = 20, r;
        double a = 0, b = 0;
        pid_t pid;

        if (!daemon_bin || !dir) {
                fprintf(stderr, "usage: run through tests/bench/run-daemon-bench\n");
                return 2;
        }
        snprintf(base, sizeof base, "%s/bench", dir);
        snprintf(lower, sizeof lower, "%s/lower", base);
        snprintf(upper, sizeof upper, "%s/upper", base);
        snprintf(work, sizeof work, "%s/work", base);
        snprintf(merged, sizeof merged, "%s/merged", base);
        snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
        mkdir(base, 0755), mkdir(lower, 0755), mkdir(upper, 0755), mkdir(work, 0755), mkdir(merged, 0755);
        make_files(100000);
        if (mount("overlay", merged, "overlay", 0, opts) < 0)
                die("mount", -errno);

        pid = fork();
        if (pid == 0) {
                execl(daemon_bin, daemon_bin, "--job-linger=0", (char *) NULL);
                _exit(127);
        }
        r = sd_bus_open_system(&bus);
        if (r < 0)
                die("bus", r);
        r = sd_bus_match_signal(bus, NULL, NULL, "/org/calculinux/OverlayRestore1", BUS_NAME ".Manager",
                                "JobRemoved", on_job_removed, NULL);
        if (r < 0)
                die("match", r);
        /* Wait for the daemon's name: a blocking call with auto-start off
         * is answered once it is there (ServiceUnknown until then). */
        for (;;) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                r = sd_bus_call_method(bus, BUS_NAME, "/org/calculinux/OverlayRestore1",
                                       "org.freedesktop.DBus.Peer", "Ping", &e, NULL, "");
                sd_bus_error_free(&e);
                if (r >= 0)
                        break;
                sd_bus_wait(bus, 10000);
        }
        long idle_rss = status_kb(pid, "VmRSS:");

        for (int i = 0; i < reps; i++) {
                whiteout_all(1);
                a += restore_via_daemon(1);
                whiteout_all(1);
                b += restore_directly(1);
        }
        printf("daemon-bench: machine kernel %s method remount, tmpfs layers\n", "(no restore ioctls)");
        printf("%-24s daemon %9.2f ms   direct %9.2f ms   daemon/direct %5.2fx\n", "1 path (mean of 20)",
               a / reps * 1e3, b / reps * 1e3, a / b);

        whiteout_all(10000);
        a = restore_via_daemon(10000);
        whiteout_all(10000);
        b = restore_directly(10000);
        printf("%-24s daemon %9.2f ms   direct %9.2f ms   daemon/direct %5.2fx\n", "10,000 paths, 1 job",
               a * 1e3, b * 1e3, a / b);

        whiteout_all(100000);
        a = restore_via_daemon(100000);
        printf("%-24s daemon %9.2f ms   (%.0f paths/s)\n", "100,000 paths, 1 job", a * 1e3, 100000 / a);
        printf("daemon RSS: idle %ld KiB, peak (VmHWM) after the 100,000-path job %ld KiB\n", idle_rss,
               status_kb(pid, "VmHWM:"));

        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        umount(merged);
        sd_bus_unref(bus);
        return 0;
}
