/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daemon-bench: ovl-restored against doing the same work directly, on
 * the machine's kernel, tmpfs layers.  Prints figures and ratios, one
 * line each; asserts nothing.  Run it through tests/bench/run-daemon-bench,
 * which gives it a private bus without polkit (root callers), or on the
 * device (tests/system/guest/step-bench) on its system bus.  What it
 * measures, in one run (issue 17):
 *
 *   start            fork+exec of the daemon to its bus name owned
 *   1 path           Restore of one whiteout through the bus, to its
 *                    JobRemoved, vs umount + unlink + mount done here
 *                    (a remount also reads the first line of every
 *                    process's mount table: the header says how many
 *                    processes it sees; run-daemon-bench runs it in the
 *                    machine's PID namespace)
 *   ovlctl/busctl    `ovlctl restore --method=remount PATH` (waits for
 *                    the job) vs `busctl call ... Restore` (does not), as
 *                    a person at a shell sees them
 *   10,000 paths     one job vs the same loop done here, and (remount)
 *                    vs that loop with a stat of each name in the lower
 *                    layer: the floor a result sets, which tells
 *                    "restored" from "hid nothing" (the ioctl does it in
 *                    the kernel); the medians of five rounds, their
 *                    ranges, and the median of each round's own ratio
 *                    (the job and the loop run one after the other in a
 *                    round); the same job with its paths in a memfd
 *                    (the option paths-fd); and the same paths deferred, then applied as at
 *                    the next boot (`ovl-restored --apply-pending`, its
 *                    start included, the overlay unmounted) vs the loop's
 *                    stat + unlink of each whiteout with it unmounted
 *   100,000 paths    the same (remount: its lower directory is listed
 *                    once, no stat per name), while another process times
 *                    GetState; and the part of it from the call to its
 *                    reply
 *   Scan             Scan of 100,000 whiteouts vs `find UPPER -type c`;
 *                    vs a walk that lists and stats each entry (what a
 *                    Scan did until it knew whiteouts by their shared
 *                    inode); and vs three floors: both layers' directories
 *                    read, one after the other (what a Scan must read:
 *                    the upper entries and the lower ones they may hide),
 *                    the bus carrying a copy of that Scan's reply, and
 *                    sd-bus building such a reply; then those floors in
 *                    a row, as a Scan of the benchmark's one directory
 *                    must take them (the larger of the two directories,
 *                    which it reads at once where it has two CPUs; a
 *                    reply entry needs both read; the reply is sent once
 *                    built), beside 1.5x find; then the same Scan with
 *                    its entries in a memfd (ScanByFileDescriptor), the
 *                    client's reading of them included, vs find
 *   GetState         p50/p99 idle, during the 100,000-path job, and with
 *                    64 clients calling at once (and, for the floor the
 *                    bus and the scheduler set, Peer.Ping of the daemon
 *                    the same way)
 *   memory           the daemon's RSS idle, before the 100,000-path
 *                    job, its peak (VmHWM, reset before it) and after it
 *                    (the job is kept until its results are read), and the
 *                    size of its Restore message; then the same job with
 *                    its paths in a memfd (the option paths-fd), from the
 *                    same state (the first job's results read, the job
 *                    gone), its time and its peak
 *
 * BENCH_METHOD=ioctl: the daemon's jobs use the kernel's ioctl, and the
 * direct loop is OVL_IOC_RESTORE_LOWER on the merged directory per path
 * (default remount: umount, stat + unlink of each whiteout, mount).
 * BENCH_SMALL / BENCH_LARGE: the 10,000 and 100,000 (a device's tmpfs
 * holds fewer one-byte files).  To profile one part alone, N times, and
 * nothing after it: BENCH_ONE_PATH=N, BENCH_SMALL_ONLY=N (the 10,000),
 * BENCH_SCAN_ONLY=N (the Scan and its floors).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "ovl-ioctl.h"
#include "kernel-threads.h"
#include "scan-file.h"

#define BUS_NAME "org.calculinux.OverlayRestore1"
#define ROOT "/org/calculinux/OverlayRestore1"

typedef struct Overlay {
        char lower[2048], upper[2048], work[2048], merged[2048], opts[8000];
} Overlay;

static char base[1024], state_arg[1100];
static Overlay big, other;
static sd_bus *bus;
static char done_job[256];
static unsigned n_removed;      /* JobRemoved signals seen */
static bool name_owned;
static const char *method = "remount";
static int n_small = 10000, n_large = 100000;
/* Rounds of the 10,000-path job and its direct loops (medians). */
#define SMALL_ROUNDS 5

static char name_letter = 'f';  /* the Restore's names: f000000... ('m': names nothing has) */

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static pid_t daemon_pid;

/* Ends the daemon too: it holds the overlays' mounts busy, and a pipe
 * that this program's output goes to (tee) would never close. */
static pid_t main_pid;

static void die_msg(const char *what, const char *msg) {
        fprintf(stderr, "daemon-bench: %s: %s\n", what, msg);
        if (getpid() != main_pid)
                _exit(1);       /* (a timing child: the main process fails next) */
        if (daemon_pid > 0) {
                kill(daemon_pid, SIGTERM);
                waitpid(daemon_pid, NULL, 0);
        }
        exit(1);
}

static void die(const char *what, int r) {
        die_msg(what, strerror(r < 0 ? -r : errno));
}

/* The processes /proc shows: a remount looks at the mount table of each
 * but the kernel threads (mount-util.c, kernel-threads.c), so its cost
 * grows with them. */
static int processes_seen(void) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        int n = 0;

        while (d && (de = readdir(d)))
                n += isdigit((unsigned char) de->d_name[0]) != 0;
        if (d)
                closedir(d);
        return n;
}

static void overlay_make(Overlay *o, const char *name, int n_files) {
        char d[1500], p[4096];

        snprintf(d, sizeof d, "%s/%s", base, name);
        mkdir(d, 0755);
        snprintf(o->lower, sizeof o->lower, "%s/lower", d);
        snprintf(o->upper, sizeof o->upper, "%s/upper", d);
        snprintf(o->work, sizeof o->work, "%s/work", d);
        snprintf(o->merged, sizeof o->merged, "%s/merged", d);
        snprintf(o->opts, sizeof o->opts, "lowerdir=%s,upperdir=%s,workdir=%s", o->lower, o->upper, o->work);
        mkdir(o->lower, 0755), mkdir(o->upper, 0755), mkdir(o->work, 0755), mkdir(o->merged, 0755);
        for (int i = 0; i < n_files; i++) {
                snprintf(p, sizeof p, "%s/f%06d", o->lower, i);
                /* (one byte: a zero-size lower file costs a getxattr more
                 * per path, the check for an xattr whiteout that
                 * overlayfs's lookup makes too; real files are rarely empty) */
                int fd = open(p, O_CREAT | O_WRONLY, 0644);
                if (fd < 0 || write(fd, "x", 1) != 1)
                        die("create", -errno);
                close(fd);
        }
        if (mount("overlay", o->merged, "overlay", 0, o->opts) < 0)
                die("mount", -errno);
}

static void whiteout_all(int n) {
        char p[4096];
        for (int i = 0; i < n; i++) {
                snprintf(p, sizeof p, "%s/f%06d", big.merged, i);
                if (unlink(p) < 0)
                        die("unlink in merged", -errno);
        }
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        const char *job, *result;
        uint32_t id;
        if (sd_bus_message_read(m, "uos", &id, &job, &result) >= 0)
                snprintf(done_job, sizeof done_job, "%s", job);
        n_removed++;
        return 0;
}

static int on_name_owner(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        const char *name, *old, *new;
        if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 && strcmp(name, BUS_NAME) == 0 && *new)
                name_owned = true;
        return 0;
}

static void process_until(bool (*cond)(const char *), const char *arg) {
        while (!cond(arg)) {
                int r = sd_bus_process(bus, NULL);
                if (r < 0)
                        die("process", r);
                if (r > 0)
                        continue;
                /* (a daemon that died is not waited for: once a second,
                 * it is checked on) */
                if (daemon_pid > 0 && waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
                        daemon_pid = 0;
                        die_msg("ovl-restored", "exited");
                }
                sd_bus_wait(bus, 1000000);
        }
}

static bool job_done(const char *job) {
        return strcmp(done_job, job) == 0;
}

static bool owned(const char *unused) {
        return name_owned;
}

/* The method of the Restores sent: the benchmark's, or "deferred" for
 * the restore applied at boot. */
static const char *call_method;

/* Restore of @n paths: in the message, or with @in_fd in a memfd (the
 * option paths-fd), each ended by a NUL. */
static sd_bus_message *restore_call(int n, bool in_fd) {
        sd_bus_message *call = NULL;
        FILE *f = NULL;
        char p[4096];
        int r, fd = -1;

        r = sd_bus_message_new_method_call(bus, &call, BUS_NAME, ROOT, BUS_NAME ".Manager", "Restore");
        if (r < 0)
                die("new call", r);
        if (in_fd) {
                fd = memfd_create("bench-paths", MFD_CLOEXEC);
                if (fd < 0 || !(f = fdopen(dup(fd), "w")))
                        die("memfd", -errno);
        }
        r = sd_bus_message_open_container(call, 'a', "s");
        for (int i = 0; r >= 0 && i < n; i++) {
                snprintf(p, sizeof p, "%s/%c%06d", big.merged, name_letter, i);
                if (f)
                        r = fwrite(p, strlen(p) + 1, 1, f) == 1 ? 0 : -EIO;
                else
                        r = sd_bus_message_append(call, "s", p);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r >= 0 && f)
                r = fclose(f) == 0 ? 0 : -errno;
        if (r >= 0)
                r = in_fd ? sd_bus_message_append(call, "a{sv}", 2, "method", "s", call_method, "paths-fd", "h", fd)
                          : sd_bus_message_append(call, "a{sv}", 1, "method", "s", call_method);
        if (r < 0)
                die("build call", r);
        if (fd >= 0)
                close(fd);      /* (the message holds a copy) */
        return call;
}

/* The body of a Restore of @n paths: each an aligned length, the bytes
 * and a NUL (what the daemon receives, and must hold while it reads). */
static size_t restore_body_size(int n) {
        size_t size = 0;
        char p[4096];

        for (int i = 0; i < n; i++) {
                size = (size + 3) & ~(size_t) 3;
                size += 4 + (size_t) snprintf(p, sizeof p, "%s/%c%06d", big.merged, name_letter, i) + 1;
        }
        return size;
}

/* The last Restore's call to its reply: the bus carrying its paths, and
 * the daemon reading, resolving and queueing them (seconds). */
static double last_reply;
static char last_job[256];

static double restore_via(int n, bool in_fd) {
        sd_bus_message *call = restore_call(n, in_fd), *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *job;
        double t;
        int r;

        done_job[0] = '\0';
        t = now();
        r = sd_bus_call(bus, call, 0, &error, &reply);
        if (r < 0) {
                die_msg("Restore", error.message);
        }
        last_reply = now() - t;
        r = sd_bus_message_read(reply, "ao", 1, &job);
        if (r < 0)
                die("read reply", r);
        process_until(job_done, job);
        t = now() - t;
        snprintf(last_job, sizeof last_job, "%s", job);
        sd_bus_message_unref(call);
        sd_bus_message_unref(reply);
        return t;
}

static double restore_via_daemon(int n) {
        return restore_via(n, false);
}

/* The last job's results read, and the job gone (with --job-linger=0):
 * what it kept is freed. */
static bool job_gone;

static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        const char *path;

        if (sd_bus_message_read(m, "o", &path) >= 0 && strcmp(path, last_job) == 0)
                job_gone = true;
        return 0;
}

static bool gone(const char *unused) {
        return job_gone;
}

static void forget_last_job(void) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        sd_bus_slot *slot = NULL;
        int r;

        job_gone = false;
        r = sd_bus_match_signal(bus, &slot, BUS_NAME, ROOT, "org.freedesktop.DBus.ObjectManager",
                                "InterfacesRemoved", on_interfaces_removed, NULL);
        if (r < 0)
                die("match", r);
        if (sd_bus_call_method(bus, BUS_NAME, last_job, BUS_NAME ".Job", "GetResults", &e, &reply, "") < 0)
                die_msg("GetResults", e.message);
        sd_bus_message_unref(reply);
        process_until(gone, NULL);
        sd_bus_slot_unref(slot);
}

static void reset_peak(pid_t pid) {
        char cr[64];
        int fd;

        /* ("5" resets VmHWM) */
        snprintf(cr, sizeof cr, "/proc/%d/clear_refs", (int) pid);
        fd = open(cr, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "5", 1) != 1)
                die("clear_refs", -errno);
        close(fd);
}

/* With the overlay unmounted: a stat of each of @n whiteouts in the
 * upper layer and its unlink (@classify: and a stat of its name in the
 * lower layer). */
static void unlink_whiteouts(int n, bool classify) {
        int dfd = open(big.upper, O_PATH | O_DIRECTORY), lfd = classify ? open(big.lower, O_PATH | O_DIRECTORY) : -1;
        struct stat st;
        char p[64];

        if (dfd < 0 || (classify && lfd < 0))
                die("open layer", -errno);
        for (int i = 0; i < n; i++) {
                snprintf(p, sizeof p, "f%06d", i);
                if (classify && fstatat(lfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        die("stat lower", -errno);
                if (fstatat(dfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISCHR(st.st_mode) ||
                    unlinkat(dfd, p, 0) < 0)
                        die("unlink whiteout", -errno);
        }
        close(dfd);
        if (lfd >= 0)
                close(lfd);
}

/* `ovl-restored --apply-pending @dir_arg`, its lines per path not shown:
 * exits 0, or the benchmark dies. */
static void boot_step(const char *daemon_bin, const char *dir_arg) {
        pid_t child = fork();
        int status;

        if (child < 0)
                die("fork", -errno);
        if (child == 0) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                if (null < 0 || dup2(null, 1) < 0)
                        _exit(127);
                execl(daemon_bin, daemon_bin, "--apply-pending", dir_arg, (char *) NULL);
                _exit(127);
        }
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                die_msg("ovl-restored --apply-pending", "failed");
}

/* This boot recorded in state directory @state as one whose boot step
 * ran (pending/applied-at-boot: the boot's id, daemon/pending-store.h). */
static void boot_step_recorded(const char *state) {
        char p[4200], boot[64] = "";
        FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

        if (!f || !fgets(boot, sizeof boot, f))
                die("boot_id", -errno);
        fclose(f);
        snprintf(p, sizeof p, "%s/pending", state);
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
                die("mkdir pending", -errno);
        snprintf(p, sizeof p, "%s/pending/applied-at-boot", state);
        f = fopen(p, "we");
        if (!f || fputs(boot, f) < 0 || fclose(f) != 0)
                die("applied-at-boot", -errno);
}

/* The deferred restore of @n whiteouts applied as at the next boot:
 * `ovl-restored --apply-pending`, the overlay unmounted (seconds, its
 * start included).  The running daemon keeps its state directory from
 * that (as it is not running at boot): the record is moved to another. */
static double apply_pending(const char *daemon_bin, int n) {
        char arg[1100], from[1100], to[1400];
        struct dirent *de;
        double t;
        int moved = 0, to_fd;
        DIR *d;

        call_method = "deferred";
        (void) restore_via(n, false);
        call_method = method;
        if (umount(big.merged) < 0)
                die("umount", -errno);
        snprintf(from, sizeof from, "%s/state/pending", base);
        snprintf(to, sizeof to, "%s/boot", base);
        (void) mkdir(to, 0700);
        snprintf(to, sizeof to, "%s/boot/pending", base);
        (void) mkdir(to, 0700);
        d = opendir(from);
        to_fd = open(to, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (!d || to_fd < 0)
                die("open pending", -errno);
        while ((de = readdir(d)))
                if (strstr(de->d_name, ".pending") && de->d_name[0] != '.') {
                        if (renameat(dirfd(d), de->d_name, to_fd, de->d_name) < 0)
                                die("rename pending", -errno);
                        moved++;
                }
        closedir(d);
        close(to_fd);
        if (moved != 1)
                die_msg("the deferred restore", "not recorded once");
        snprintf(arg, sizeof arg, "--state-dir=%s/boot", base);
        t = now();
        boot_step(daemon_bin, arg);
        t = now() - t;
        if (mount("overlay", big.merged, "overlay", 0, big.opts) < 0)
                die("mount", -errno);
        return t;
}

/* The same work done directly.  @classify: also stat each name in the
 * lower layer, as a result must (remount; "restored" or "hid nothing"),
 * which the ioctl does in the kernel. */
static double restore_directly(int n, bool classify) {
        char p[4096];
        double t = now();

        if (strcmp(method, "ioctl") == 0) {
                int fd = ovl_open_mount(big.merged);

                if (fd < 0)
                        die("open merged", fd);
                for (int i = 0; i < n; i++) {
                        /* (the ioctl takes absolute paths) */
                        snprintf(p, sizeof p, "%s/f%06d", big.merged, i);
                        int r = ovl_restore_lower(fd, p, 0);
                        if (r < 0)
                                die("OVL_IOC_RESTORE_LOWER", r);
                }
                close(fd);
                return now() - t;
        }
        if (umount(big.merged) < 0)
                die("umount", -errno);
        unlink_whiteouts(n, classify);
        if (mount("overlay", big.merged, "overlay", 0, big.opts) < 0)
                die("mount", -errno);
        return now() - t;
}

/* "100,000" */
static const char *thousands(int n, char *buf, size_t size) {
        if (n >= 1000)
                snprintf(buf, size, "%d,%03d", n / 1000, n % 1000);
        else
                snprintf(buf, size, "%d", n);
        return buf;
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

/* The daemon's resident memory by mapping (/proc/PID/smaps), summed by
 * name ("[anon]" for mappings of none): up to @max, KiB each. */
typedef struct MapRss {
        char name[96];
        long kb;
} MapRss;

static size_t smaps_by_name(pid_t pid, MapRss *out, size_t max) {
        char p[64], line[512], name[96] = "";
        size_t n = 0;

        snprintf(p, sizeof p, "/proc/%d/smaps", (int) pid);
        FILE *f = fopen(p, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof line, f)) {
                unsigned long a, b;
                char perms[8], path[400] = "";
                long kb;

                if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %399[^\n]", &a, &b, perms, path) >= 3) {
                        const char *slash = strrchr(path, '/');
                        snprintf(name, sizeof name, "%s", path[0] == 0 ? "[anon]" : slash ? slash + 1 : path);
                        continue;
                }
                if (sscanf(line, "Rss: %ld kB", &kb) != 1 || kb == 0)
                        continue;
                size_t i;
                for (i = 0; i < n && strcmp(out[i].name, name) != 0; i++)
                        ;
                if (i == n) {
                        if (n == max)
                                continue;
                        snprintf(out[n].name, sizeof out[n].name, "%s", name);
                        out[n++].kb = 0;
                }
                out[i].kb += kb;
        }
        fclose(f);
        return n;
}

/* Prints the mappings that grew by 32 KiB or more from @before to now. */
static void print_smaps_growth(pid_t pid, const MapRss *before, size_t n_before) {
        MapRss now_[128];
        size_t n = smaps_by_name(pid, now_, 128);
        char buf[2048] = "";
        size_t len = 0;

        for (size_t i = 0; i < n; i++) {
                long was = 0;
                for (size_t k = 0; k < n_before; k++)
                        if (strcmp(before[k].name, now_[i].name) == 0)
                                was = before[k].kb;
                if (now_[i].kb - was >= 32 && len < sizeof buf - 128)
                        len += (size_t) snprintf(buf + len, sizeof buf - len, "%s%s +%ld", len ? ", " : "",
                                                 now_[i].name, now_[i].kb - was);
        }
        printf("  what it kept or brought in (KiB, by mapping): %s\n", len ? buf : "nothing");
}

/* The daemon's resident memory now, from a walk of its page tables
 * (/proc/PID/smaps_rollup), KiB: "Rss:", "Anonymous:", or "files" (the
 * rest: pages of its files, shared libraries above all).  Not VmRSS:
 * kernels before 6.2 count each thread's page faults apart and add them
 * to VmRSS only every 64 faults (SPLIT_RSS_COUNTING), so on the device's
 * 6.1 an idle daemon's VmRSS left out 1.3 MiB its smaps showed.  VmHWM,
 * the peak, comes from those same counters: exact here, on the device
 * a few hundred KiB low at most while a job faults its pages in. */
static long rss_kb(pid_t pid, const char *field) {
        char p[64], line[256];
        long rss = -1, anon = -1, v;

        snprintf(p, sizeof p, "/proc/%d/smaps_rollup", (int) pid);
        FILE *f = fopen(p, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof line, f)) {
                if (sscanf(line, "Rss: %ld kB", &v) == 1)
                        rss = v;
                else if (sscanf(line, "Anonymous: %ld kB", &v) == 1)
                        anon = v;
        }
        fclose(f);
        if (strcmp(field, "Rss:") == 0)
                return rss;
        if (strcmp(field, "Anonymous:") == 0)
                return anon;
        return rss < 0 || anon < 0 ? -1 : rss - anon;
}

/* Runs @argv, waits for it: seconds. */
static double run(char *const argv[]) {
        double t = now();
        int status;
        pid_t pid = fork();

        if (pid == 0) {
                if (getenv("BENCH_DEBUG") == NULL) {
                        int null = open("/dev/null", O_WRONLY);
                        dup2(null, 1);
                }
                execvp(argv[0], argv);
                _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                die_msg(argv[0], "failed");
        }
        return now() - t;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

/* Instead of GetState, org.freedesktop.DBus.Peer.Ping of the daemon
 * (answered inside sd-bus, no handler of ours): the floor the bus and
 * the scheduler set. */
static bool ping_instead;

/* GetState of one path of the other overlay on a connection of its own,
 * @n times or until @stop_fd is readable: the latencies, sorted. */
static size_t get_state_latencies(int n, int stop_fd, double *out) {
        sd_bus *b = NULL;
        char p[4096];
        size_t k = 0;

        if (sd_bus_open_system(&b) < 0)
                die("bus", -EIO);
        snprintf(p, sizeof p, "%s/f000000", other.merged);
        for (int i = 0; i < n; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                double t = now();
                int r;

                if (ping_instead)
                        r = sd_bus_call_method(b, BUS_NAME, ROOT, "org.freedesktop.DBus.Peer", "Ping", &e, &reply,
                                               NULL);
                else
                        r = sd_bus_call_method(b, BUS_NAME, ROOT, BUS_NAME ".Manager", "GetState", &e, &reply,
                                               "as", 1, p);
                if (r < 0) {
                        die_msg("GetState", e.message);
                }
                out[k++] = now() - t;
                sd_bus_message_unref(reply);
                if (stop_fd >= 0) {
                        char c;
                        if (read(stop_fd, &c, 1) == 0)
                                break;
                }
        }
        sd_bus_flush_close_unref(b);
        qsort(out, k, sizeof(double), cmp_double);
        return k;
}

static void print_percentiles(const char *what, const double *l, size_t n) {
        printf("%-34s p50 %7.3f ms   p99 %7.3f ms   (%zu calls)\n", what, l[n / 2] * 1e3,
               l[n * 99 / 100] * 1e3, n);
}

/* @n_clients processes at once, each @calls GetStates: all latencies. */
static size_t get_state_clients(int n_clients, int calls, double *out) {
        pid_t pids[256];
        int fds[2];
        size_t k = 0;

        if (pipe(fds) < 0 || n_clients > 256)
                die("pipe", -errno);
        for (int c = 0; c < n_clients; c++)
                if ((pids[c] = fork()) == 0) {
                        double *l = calloc((size_t) calls, sizeof(double));
                        size_t m = get_state_latencies(calls, -1, l);
                        if (write(fds[1], l, m * sizeof(double)) < 0)
                                _exit(1);
                        _exit(0);
                }
        close(fds[1]);
        for (ssize_t r; (r = read(fds[0], out + k, (size_t) (n_clients * calls) * sizeof(double) - k * sizeof(double))) > 0;)
                k += (size_t) r / sizeof(double);
        close(fds[0]);
        for (int c = 0; c < n_clients; c++)
                waitpid(pids[c], NULL, 0);
        qsort(out, k, sizeof(double), cmp_double);
        return k;
}

/* A walk that lists each upper directory and stats each entry (a
 * whiteout is a character device 0/0, which readdir alone cannot tell
 * from another one; a Scan now stats one of the names of an inode that
 * whiteouts share).  The whiteouts found. */
static long whiteouts_found;
static int count_whiteout(const char *path, const struct stat *st, int type, struct FTW *f) {
        whiteouts_found += S_ISCHR(st->st_mode) && st->st_rdev == 0;
        return 0;
}

/* What a Scan must read: the entries of directory @path and of those below
 * it, with no stat.  How many are character devices. */
static long read_tree(const char *path) {
        DIR *d = opendir(path);
        struct dirent *de;
        long n = 0;

        if (!d)
                die("opendir", -errno);
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                        char sub[4096];

                        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
                        n += read_tree(sub);
                } else
                        n += de->d_type == DT_CHR;
        closedir(d);
        return n;
}

/* The floor of a Scan: a process of ours on the bus sends us a copy of
 * the Scan reply it got from the daemon, so the bus carries a message of
 * that size and shape with no work behind it (as a signal to us alone:
 * the bus policy lets no method call through to it).  The seconds from
 * asking it, by a pipe, to the message read here. */
static int on_echo(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        *(bool *) userdata = true;
        return 1;
}

static double scan_floor(const char *obj, const char *merged) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_slot *slot = NULL;
        int ready[2], go[2], status;
        const char *me;
        bool got = false;
        char c = 0;
        double t;
        pid_t child;

        if (pipe(ready) < 0 || pipe(go) < 0 || sd_bus_get_unique_name(bus, &me) < 0)
                die("pipe", -errno);
        if (sd_bus_match_signal(bus, &slot, NULL, "/echo", "org.calculinux.Bench", "Echo", on_echo, &got) < 0)
                die("match", -EIO);
        child = fork();
        if (child < 0)
                die("fork", -errno);
        if (child == 0) {
                sd_bus_message *scan = NULL, *copy = NULL;
                sd_bus *b = NULL;

                close(ready[0]);
                close(go[1]);
                if (sd_bus_open_system(&b) < 0 ||
                    sd_bus_call_method(b, BUS_NAME, obj, BUS_NAME ".Mount", "Scan", &e, &scan, "sa{sv}", merged,
                                       0) < 0 ||
                    sd_bus_message_new_signal(b, &copy, "/echo", "org.calculinux.Bench", "Echo") < 0 ||
                    sd_bus_message_set_destination(copy, me) < 0 || sd_bus_message_copy(copy, scan, true) < 0 ||
                    write(ready[1], "r", 1) != 1)
                        _exit(1);
                if (read(go[0], &c, 1) != 1 || sd_bus_send(b, copy, NULL) < 0 || sd_bus_flush(b) < 0)
                        _exit(1);
                (void) read(go[0], &c, 1);      /* (until we close it) */
                _exit(0);
        }
        close(ready[1]);
        close(go[0]);
        if (read(ready[0], &c, 1) != 1)
                die_msg("the Scan floor's process", "did not start");
        t = now();
        if (write(go[1], "g", 1) != 1)
                die("pipe", -errno);
        while (!got) {
                int r = sd_bus_process(bus, NULL);

                if (r < 0)
                        die("the Scan floor", r);
                if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
                        die("the Scan floor", -EIO);
        }
        t = now() - t;
        close(go[1]);
        close(ready[0]);
        waitpid(child, &status, 0);
        sd_bus_slot_unref(slot);
        return t;
}

static int count_entry(const char *path, const char *state, char **flags, uint32_t mode, void *userdata) {
        ++*(long *) userdata;
        return 0;
}

/* The entries in the file @fd of a ScanByFileDescriptor, read as ovlctl
 * reads them (scan_file_read_fd()): how many, or -1. */
static long scan_output_count(int fd) {
        long n = 0;

        return scan_file_read_fd(fd, count_entry, &n) < 0 ? -1 : n;
}

/* Another floor of a Scan: sd-bus building a reply of the same entries
 * (@reply's), with the calls daemon/bus-util.c's bus_append_scan_entry()
 * makes, in a message of our own.  Of one directory (the benchmark's),
 * the daemon cannot build any of it before it knows the entries' lower
 * layers (the directory read in both), nor on two threads.  The seconds
 * it took. */
static double scan_build_floor(sd_bus_message *reply) {
        const char **path = NULL, **state = NULL;
        uint32_t *mode = NULL;
        size_t n = 0, cap = 0;
        sd_bus_message *m = NULL;
        double t;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(ssasu)");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "ssasu")) > 0) {
                if (n == cap) {
                        cap = cap ? 2 * cap : 1024;
                        path = realloc(path, cap * sizeof(*path));
                        state = realloc(state, cap * sizeof(*state));
                        mode = realloc(mode, cap * sizeof(*mode));
                        if (!path || !state || !mode)
                                die("realloc", -ENOMEM);
                }
                r = sd_bus_message_read(reply, "ss", &path[n], &state[n]);
                /* (a whiteout that hides a file has no flags, and the build
                 * below appends none: a floor of other entries would be
                 * too low) */
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "s");
                if (r >= 0) {
                        int end = sd_bus_message_at_end(reply, false);

                        if (end < 0)
                                die("the Scan's reply", end);
                        if (end == 0)
                                die_msg("the Scan's reply", "an entry with flags, which the build floor leaves out");
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_read_basic(reply, 'u', &mode[n++]);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                die("the Scan's reply", r);
        t = now();
        r = sd_bus_message_new_signal(bus, &m, "/floor", "org.calculinux.Bench", "Floor");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(ssasu)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                size_t path_len = strlen(path[i]), state_len = strlen(state[i]);
                char *p;

                r = sd_bus_message_open_container(m, 'r', "ssasu");
                if (r >= 0 && (r = sd_bus_message_append_string_space(m, path_len, &p)) >= 0)
                        memcpy(p, path[i], path_len);
                if (r >= 0 && (r = sd_bus_message_append_string_space(m, state_len, &p)) >= 0)
                        memcpy(p, state[i], state_len);
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "s");
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_append_basic(m, 'u', &mode[i]);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        t = now() - t;
        if (r < 0)
                die("the built reply", r);
        sd_bus_message_unref(m);
        free(path), free(state), free(mode);
        return t;
}

static void line(const char *what, double daemon, double direct, const char *a, const char *b) {
        printf("%-24s %s %9.2f ms   %s %9.2f ms   ratio %5.2fx   difference %+8.2f ms\n", what, a,
               daemon * 1e3, b, direct * 1e3, daemon / direct, (daemon - direct) * 1e3);
}

/* line() of the medians of @n rounds (@daemon, @direct: seconds, round i
 * of each run one after the other; left as they are), their ranges on a
 * line of their own, and the median of each round's own ratio: a machine
 * slower for a while slows both of a round, and that ratio less. */
static void median_line(const char *what, const double *daemon, const double *direct, int n, const char *a,
                        const char *b) {
        double *x = calloc((size_t) n * 3, sizeof(double)), *y = x + n, *q = x + 2 * n;
        char w[128];

        if (!x)
                die("calloc", -ENOMEM);
        for (int i = 0; i < n; i++) {
                x[i] = daemon[i];
                y[i] = direct[i];
                q[i] = daemon[i] / direct[i];
        }
        qsort(x, (size_t) n, sizeof(double), cmp_double);
        qsort(y, (size_t) n, sizeof(double), cmp_double);
        qsort(q, (size_t) n, sizeof(double), cmp_double);
        if (n > 1)
                snprintf(w, sizeof w, "%s (median of %d)", what, n);
        else
                snprintf(w, sizeof w, "%s", what);
        line(w, x[n / 2], y[n / 2], a, b);
        if (n > 1) {
                printf("  (the rounds: %s %.2f to %.2f ms, %s %.2f to %.2f ms)\n", a, x[0] * 1e3,
                       x[n - 1] * 1e3, b, y[0] * 1e3, y[n - 1] * 1e3);
                printf("  (each round's own ratio: median %.2fx, from %.2fx to %.2fx)\n", q[n / 2], q[0],
                       q[n - 1]);
        }
        free(x);
}

static char *mount_object(const char *merged) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *mp, *obj;
        char *s;

        if (sd_bus_call_method(bus, BUS_NAME, ROOT, BUS_NAME ".Manager", "GetMountForPath", &e, &reply, "s",
                               merged) < 0 || sd_bus_message_read(reply, "so", &mp, &obj) < 0)
                die("GetMountForPath", -EIO);
        s = strdup(obj);
        sd_bus_message_unref(reply);
        return s;
}

int main(int argc, char *argv[]) {
        const char *daemon_bin = argc > 2 ? argv[1] : NULL, *ovlctl = argc > 2 ? argv[2] : NULL;
        const char *dir = getenv("OVL_TEST_DIR");
        int reps = 20, r, fds[2];
        double a = 0, b = 0, t, *lat = calloc(64 * 100, sizeof(double));
        char p[4096], small_s[16], large_s[16], what[64];
        struct utsname u;
        size_t n;
        pid_t pid, timer;

        /* (line by line: what a killed run printed is kept, and no
         * child's exit prints it again) */
        setvbuf(stdout, NULL, _IOLBF, 0);
        main_pid = getpid();
        if (!daemon_bin || !dir || !lat) {
                fprintf(stderr, "usage: run through tests/bench/run-daemon-bench\n");
                return 2;
        }
        if (getenv("BENCH_METHOD"))
                method = getenv("BENCH_METHOD");
        if (getenv("BENCH_SMALL"))
                n_small = atoi(getenv("BENCH_SMALL"));
        if (getenv("BENCH_LARGE"))
                n_large = atoi(getenv("BENCH_LARGE"));
        if ((strcmp(method, "remount") != 0 && strcmp(method, "ioctl") != 0) || n_small < 1 ||
            n_large < n_small || n_large > 100000) {
                fprintf(stderr, "daemon-bench: BENCH_METHOD is remount or ioctl; "
                        "1 <= BENCH_SMALL <= BENCH_LARGE <= 100000 (the daemon's limit per call)\n");
                return 2;
        }
        thousands(n_small, small_s, sizeof small_s);
        thousands(n_large, large_s, sizeof large_s);
        snprintf(base, sizeof base, "%s/bench", dir);
        mkdir(base, 0755);
        /* (a state directory of its own: the restore applied at boot
         * applies every pending restore there) */
        snprintf(state_arg, sizeof state_arg, "--state-dir=%s/state", base);
        snprintf(p, sizeof p, "%s/state", base);
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
                die("mkdir state", -errno);
        /* (the daemon takes deferred restores at a boot only once the
         * boot step has recorded it, which the step does run before any
         * overlay is mounted: here the machine's own may be (the device's
         * six), so the record is written as the step writes it) */
        if (daemon_bin)
                boot_step_recorded(p);
        call_method = method;
        overlay_make(&big, "big", n_large);
        overlay_make(&other, "other", 10);

        r = sd_bus_open_system(&bus);
        if (r < 0)
                die("bus", r);
        r = sd_bus_match_signal(bus, NULL, NULL, ROOT, BUS_NAME ".Manager", "JobRemoved", on_job_removed, NULL);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner, NULL);
        if (r < 0)
                die("match", r);

        uname(&u);
        {
                KernelThreads k = {};

                (void) kernel_threads_update(&k, "/proc");
                printf("daemon-bench: kernel %s (%s), method %s, tmpfs layers, root callers, %d processes in "
                       "/proc (%zu of them kernel threads)\n",
                       u.release, u.machine, method, processes_seen(), k.n);
                kernel_threads_done(&k);
        }
        t = now();
        pid_t me = getpid();
        pid = daemon_pid = fork();
        if (pid == 0) {
                dup2(2, 1);     /* (its log: never in the figures) */
                /* (ended with us, whatever ends us) */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != me)
                        _exit(127);
                execl(daemon_bin, daemon_bin, "--job-linger=0", state_arg, (char *) NULL);
                _exit(127);
        }
        process_until(owned, NULL);
        printf("%-24s %9.2f ms\n", "start to bus name", (now() - t) * 1e3);
        {
                /* (the name is ours: not a daemon that bus activation started) */
                sd_bus_creds *c = NULL;
                pid_t owner = 0;

                if (sd_bus_get_name_creds(bus, BUS_NAME, SD_BUS_CREDS_PID, &c) < 0 ||
                    sd_bus_creds_get_pid(c, &owner) < 0)
                        die_msg(BUS_NAME, "its owner cannot be told");
                sd_bus_creds_unref(c);
                /* (or its child: the daemon run by perf or heaptrack) */
                if (owner != pid) {
                        char st[64], buf[512];
                        FILE *f;
                        int ppid = 0;

                        snprintf(st, sizeof st, "/proc/%d/stat", (int) owner);
                        f = fopen(st, "re");
                        if (f && fgets(buf, sizeof buf, f) && strrchr(buf, ')'))
                                (void) sscanf(strrchr(buf, ')') + 2, "%*c %d", &ppid);
                        if (f)
                                fclose(f);
                        if (ppid != pid)
                                die_msg(BUS_NAME, "owned by another process than the daemon started here");
                        pid = owner;    /* (its memory is the daemon's) */
                }
        }
        long idle_rss = rss_kb(pid, "Rss:");
        /* (of it, what is the daemon's own: the rest is the pages of its
         * files, shared libraries above all, which other processes map
         * too) */
        long idle_anon = rss_kb(pid, "Anonymous:"), idle_file = rss_kb(pid, "files");
        long idle_counted = status_kb(pid, "VmRSS:");

        n = get_state_latencies(500, -1, lat);
        print_percentiles("GetState, idle", lat, n);

        /* BENCH_MEMORY=N: the peak of the daemon, idle so far, while it
         * takes and runs a job of N paths that name nothing (each is
         * skipped): as much memory per path as a real job, without N
         * files (a device's tmpfs cannot hold 100,000). */
        if (getenv("BENCH_MEMORY")) {
                int m = atoi(getenv("BENCH_MEMORY"));

                if (m < 1 || m > 100000)
                        die_msg("BENCH_MEMORY", "1 to 100000");
                reset_peak(pid);
                name_letter = 'm';
                long before_m = rss_kb(pid, "Rss:");
                MapRss maps[128];
                size_t n_maps = smaps_by_name(pid, maps, 128);
                (void) restore_via_daemon(m);
                printf("daemon memory, idle, then a %s-path job of names that do not exist: before %ld KiB, its peak (VmHWM) "
                       "%ld KiB (its Restore message %zu KiB), after it %ld KiB (anonymous %ld, files %ld)\n",
                       thousands(m, p, sizeof p), before_m, status_kb(pid, "VmHWM:"), restore_body_size(m) / 1024,
                       rss_kb(pid, "Rss:"), rss_kb(pid, "Anonymous:"), rss_kb(pid, "files"));
                print_smaps_growth(pid, maps, n_maps);
                /* (the same from the same state, the paths in a memfd) */
                forget_last_job();
                reset_peak(pid);
                before_m = rss_kb(pid, "Rss:");
                (void) restore_via(m, true);
                printf("  the same, its paths in a memfd (paths-fd): before %ld KiB, its peak (VmHWM) %ld KiB, "
                       "after it %ld KiB (anonymous %ld, files %ld)\n", before_m, status_kb(pid, "VmHWM:"),
                       rss_kb(pid, "Rss:"), rss_kb(pid, "Anonymous:"), rss_kb(pid, "files"));
                forget_last_job();
                name_letter = 'f';
        }

        /* (BENCH_SCAN_ONLY=N: only the Scan and its floors, N times,
         * to profile them) */
        if (getenv("BENCH_SCAN_ONLY"))
                goto scan;

        /* (BENCH_ONE_PATH=N: only this, N times, to profile it) */
        if (getenv("BENCH_ONE_PATH"))
                reps = atoi(getenv("BENCH_ONE_PATH"));
        for (int i = 0; i < reps; i++) {
                whiteout_all(1);
                a += restore_via_daemon(1);
                whiteout_all(1);
                b += restore_directly(1, false);
        }
        snprintf(what, sizeof what, "1 path (mean of %d)", reps);
        line(what, a / reps, b / reps, "daemon", "direct");
        if (getenv("BENCH_ONE_PATH"))
                goto out;

        snprintf(p, sizeof p, "%s/f000000", big.merged);
        a = b = 0;
        for (int i = 0; i < 10; i++) {
                char opt[32];
                snprintf(opt, sizeof opt, "--method=%s", method);
                char *ov[] = { (char *) ovlctl, (char *) "restore", opt, p, NULL };
                char *bc[] = { (char *) "busctl", (char *) "--system", (char *) "call", (char *) BUS_NAME,
                               (char *) ROOT, (char *) BUS_NAME ".Manager", (char *) "Restore", (char *) "asa{sv}",
                               (char *) "1", p, (char *) "1", (char *) "method", (char *) "s",
                               (char *) method, NULL };

                unsigned before = n_removed;

                whiteout_all(1);
                a += run(ov);
                whiteout_all(1);
                b += run(bc);
                /* (both jobs end before the next whiteout) */
                while (n_removed < before + 2) {
                        if (sd_bus_process(bus, NULL) == 0)
                                sd_bus_wait(bus, UINT64_MAX);
                }
        }
        line("1 path, shell (mean of 10)", a / 10, b / 10, "ovlctl", "busctl");

        /* (one job takes some tens of milliseconds, and on a shared
         * machine the same loop's times spread by a third: the medians of
         * SMALL_ROUNDS, one after the other, daemon and direct in turn.
         * BENCH_SMALL_ONLY=N: only this job and its direct loop, N
         * rounds, to profile them) */
        reps = getenv("BENCH_SMALL_ONLY") ? atoi(getenv("BENCH_SMALL_ONLY")) : SMALL_ROUNDS;
        if (reps < 1)
                reps = 1;
        {
                double *da = calloc((size_t) reps, sizeof(double)), *db = calloc((size_t) reps, sizeof(double));
                double *dc = calloc((size_t) reps, sizeof(double)), *dd = calloc((size_t) reps, sizeof(double));
                bool floor = strcmp(method, "remount") == 0 && n_small < n_large && !getenv("BENCH_SMALL_ONLY");

                if (!da || !db || !dc || !dd)
                        die("calloc", -ENOMEM);
                for (int i = 0; i < reps; i++) {
                        /* (the same job, its paths in a memfd: paths-fd) */
                        whiteout_all(n_small);
                        dd[i] = restore_via(n_small, true);
                        forget_last_job();
                        whiteout_all(n_small);
                        da[i] = restore_via_daemon(n_small);
                        /* (the daemon keeps an unread job's results for
                         * an hour: one such job, the last, as with one
                         * round, so that the memory rows below start
                         * from where they did) */
                        if (i + 1 < reps)
                                forget_last_job();
                        whiteout_all(n_small);
                        db[i] = restore_directly(n_small, false);
                        /* (a floor while the job stats each name: its
                         * paths are fewer than the lower directory's
                         * entries, BENCH_SMALL < BENCH_LARGE; with as many,
                         * it lists the directory once instead) */
                        if (floor) {
                                whiteout_all(n_small);
                                dc[i] = restore_directly(n_small, true);
                        }
                }
                snprintf(what, sizeof what, "%s paths, 1 job", small_s);
                median_line(what, da, db, reps, "daemon", "direct");
                if (floor)
                        median_line("  + lower stat (floor)", da, dc, reps, "daemon", "direct");
                median_line("  its paths in a memfd", dd, db, reps, "daemon", "direct");
                free(da), free(db), free(dc), free(dd);
        }
        if (getenv("BENCH_SMALL_ONLY"))
                goto out;
        /* (the same paths deferred, then applied as at the next boot) */
        whiteout_all(n_small);
        a = apply_pending(daemon_bin, n_small);
        whiteout_all(n_small);
        if (umount(big.merged) < 0)
                die("umount", -errno);
        t = now();
        unlink_whiteouts(n_small, false);
        b = now() - t;
        if (mount("overlay", big.merged, "overlay", 0, big.opts) < 0)
                die("mount", -errno);
        line("  deferred, at boot", a, b, "apply ", "direct");

scan:
        whiteout_all(n_large);
        reps = getenv("BENCH_SCAN_ONLY") ? atoi(getenv("BENCH_SCAN_ONLY")) : 1;
        if (reps < 1)
                reps = 1;
        {
                char *obj = mount_object(big.merged), cmd[9000];
                double s_find = 0, s_walk = 0, s_read = 0, s_larger = 0, s_build = 0, s_bus = 0, s_fd = 0;

                a = 0;
                snprintf(cmd, sizeof cmd, "find '%s' -type c > /dev/null", big.upper);
                for (int i = 0; i < reps; i++) {
                        sd_bus_error e = SD_BUS_ERROR_NULL;
                        sd_bus_message *reply = NULL;

                        t = now();
                        r = sd_bus_call_method(bus, BUS_NAME, obj, BUS_NAME ".Mount", "Scan", &e, &reply,
                                               "sa{sv}", big.merged, 0);
                        if (r < 0)
                                die_msg("Scan", e.message);
                        a += now() - t;
                        s_build += scan_build_floor(reply);
                        sd_bus_message_unref(reply);
                        t = now();
                        if (system(cmd) != 0)
                                die("find", -EIO);
                        s_find += now() - t;
                        whiteouts_found = 0;
                        t = now();
                        if (nftw(big.upper, count_whiteout, 16, FTW_PHYS) != 0 || whiteouts_found < n_large)
                                die("nftw", -EIO);
                        s_walk += now() - t;
                        {
                                double up, lo;

                                t = now();
                                if (read_tree(big.upper) < n_large)
                                        die("readdir", -EIO);
                                up = now() - t;
                                t = now();
                                if (read_tree(big.lower) != 0)
                                        die("readdir", -EIO);
                                lo = now() - t;
                                s_read += up + lo;
                                s_larger += up > lo ? up : lo;
                        }
                        s_bus += scan_floor(obj, big.merged);
                        t = now();
                        r = sd_bus_call_method(bus, BUS_NAME, obj, BUS_NAME ".Mount", "ScanByFileDescriptor", &e,
                                               &reply, "sa{sv}", big.merged, 0);
                        if (r < 0)
                                die_msg("ScanByFileDescriptor", e.message);
                        {
                                int out_fd;

                                if (sd_bus_message_read(reply, "h", &out_fd) < 0 ||
                                    scan_output_count(out_fd) != n_large)
                                        die_msg("ScanByFileDescriptor", "not every whiteout in its file");
                        }
                        s_fd += now() - t;
                        sd_bus_message_unref(reply);
                }
                a /= reps;
                if (reps > 1)
                        snprintf(what, sizeof what, "Scan of %s (mean of %d)", large_s, reps);
                else
                        snprintf(what, sizeof what, "Scan of %s", large_s);
                line(what, a, s_find / reps, "daemon", "find  ");
                line("  readdir+stat (a walk)", a, s_walk / reps, "daemon", "walk  ");
                line("  readdir, both (floor)", a, s_read / reps, "daemon", "read  ");
                line("  the bus alone (floor)", a, s_bus / reps, "daemon", "echo  ");
                line("  the build (floor)", a, s_build / reps, "daemon", "build ");
                line("  in a memfd (ByFileDesc.)", s_fd / reps, s_find / reps, "daemon", "find  ");
                /* What a Scan of one directory cannot go below: the
                 * directory read in both layers (at once, on more than one
                 * CPU: the larger of the two reads), then its reply built,
                 * then carried; against the goal of 1.5x find.  (In a tree
                 * the reply of one directory is built while the next ones
                 * are read.) */
                {
                        cpu_set_t set;
                        bool at_once = sched_getaffinity(pid, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 1;
                        double reads = at_once ? s_larger : s_read;

                        printf("  the floors in a row: %s %.2f + the build %.2f + the bus %.2f = %.2f ms; "
                               "1.5x find = %.2f ms\n",
                               at_once ? "the larger layer's readdir" : "both layers' readdir", reads / reps * 1e3,
                               s_build / reps * 1e3, s_bus / reps * 1e3, (reads + s_build + s_bus) / reps * 1e3,
                               1.5 * s_find / reps * 1e3);
                }
                free(obj);
        }
        if (getenv("BENCH_SCAN_ONLY"))
                goto out;

        /* (the peak of this job alone) */
        reset_peak(pid);
        long before_job = rss_kb(pid, "Rss:"), before_job_anon = rss_kb(pid, "Anonymous:");
        a = restore_via_daemon(n_large);
        double reply_large = last_reply;
        long peak = status_kb(pid, "VmHWM:"), after = rss_kb(pid, "Rss:");
        whiteout_all(n_large);
        b = restore_directly(n_large, false);
        snprintf(what, sizeof what, "%s paths, 1 job", large_s);
        line(what, a, b, "daemon", "direct");
        printf("  of it, the call to its reply (the paths sent, read, resolved, queued) %8.2f ms\n",
               reply_large * 1e3);
        /* The same job with its paths in a memfd (paths-fd), from the same
         * state: the last job's results read and the job gone. */
        forget_last_job();
        whiteout_all(n_large);
        reset_peak(pid);
        long before_fd = rss_kb(pid, "Rss:"), before_fd_anon = rss_kb(pid, "Anonymous:");
        a = restore_via(n_large, true);
        reply_large = last_reply;
        long peak_fd = status_kb(pid, "VmHWM:"), after_fd = rss_kb(pid, "Rss:");
        line("  its paths in a memfd", a, b, "daemon", "direct");
        printf("  of it, the call to its reply %8.2f ms\n", reply_large * 1e3);
        forget_last_job();

        /* GetState from another process while a 100,000-path job runs
         * (until the pipe closes) */
        whiteout_all(n_large);
        if (pipe(fds) < 0)
                die("pipe", -errno);
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        int out[2];
        if (pipe(out) < 0)
                die("pipe", -errno);
        timer = fork();
        if (timer == 0) {
                close(fds[1]);
                double *l = calloc(1000000, sizeof(double));
                size_t m = get_state_latencies(1000000, fds[0], l);
                double res[3] = { (double) m, m ? l[m / 2] : 0, m ? l[m * 99 / 100] : 0 };
                if (write(out[1], res, sizeof res) < 0)
                        _exit(1);
                _exit(0);
        }
        close(fds[0]);
        t = restore_via_daemon(n_large);
        close(fds[1]);
        double res[3];
        if (read(out[0], res, sizeof res) != sizeof res)
                die("timer", -EIO);
        waitpid(timer, NULL, 0);
        printf("%-34s p50 %7.3f ms   p99 %7.3f ms   (%.0f calls; the job took %.0f ms)\n",
               "GetState, during such a job", res[1] * 1e3, res[2] * 1e3, res[0], t * 1e3);

        /* One GetState of all of them (a worker reads them) */
        {
                sd_bus_message *call = NULL, *reply = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;

                r = sd_bus_message_new_method_call(bus, &call, BUS_NAME, ROOT, BUS_NAME ".Manager", "GetState");
                if (r >= 0)
                        r = sd_bus_message_open_container(call, 'a', "s");
                for (int i = 0; r >= 0 && i < n_large; i++) {
                        snprintf(p, sizeof p, "%s/f%06d", big.merged, i);
                        r = sd_bus_message_append(call, "s", p);
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(call);
                if (r < 0)
                        die("build GetState", r);
                t = now();
                if (sd_bus_call(bus, call, 0, &e, &reply) < 0)
                        die_msg("GetState", e.message);
                snprintf(what, sizeof what, "GetState of %s paths, one call", large_s);
                printf("%-34s %9.2f ms\n", what, (now() - t) * 1e3);
                sd_bus_message_unref(reply);
                sd_bus_message_unref(call);
        }

        n = get_state_clients(64, 50, lat);
        print_percentiles("GetState, 64 clients at once", lat, n);
        ping_instead = true;
        n = get_state_clients(64, 50, lat);
        print_percentiles("Peer.Ping, 64 clients (the floor)", lat, n);
        ping_instead = false;

        printf("daemon memory: RSS idle %ld KiB (anonymous %ld, files %ld; VmRSS %ld); before the %s-path job %ld KiB "
               "(anonymous %ld), its peak (VmHWM) %ld KiB (its Restore message %zu KiB), after it %ld KiB\n",
               idle_rss, idle_anon, idle_file, idle_counted, large_s, before_job, before_job_anon, peak,
               restore_body_size(n_large) / 1024, after);
        printf("  the same job, its paths in a memfd (paths-fd): before it %ld KiB (anonymous %ld), its peak "
               "(VmHWM) %ld KiB, after it %ld KiB\n", before_fd, before_fd_anon, peak_fd, after_fd);


out:
        kill(pid, SIGTERM);
        waitpid(daemon_pid, NULL, 0);   /* (pid may be its child: see above) */
        umount(big.merged);
        umount(other.merged);
        sd_bus_unref(bus);
        return 0;
}
