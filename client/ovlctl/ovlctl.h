/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "json-writer.h"
#include "macro.h"
#include "scan-file.h"

#define BUS_NAME "org.calculinux.OverlayRestore1"
#define MANAGER_PATH "/org/calculinux/OverlayRestore1"
#define MANAGER_IFACE BUS_NAME ".Manager"
#define MOUNT_IFACE BUS_NAME ".Mount"
#define JOB_IFACE BUS_NAME ".Job"
#define JOB_PREFIX MANAGER_PATH "/job"   /* + "/" + the id, bus-path escaped */
#define ERROR_PREFIX BUS_NAME ".Error."
#define PRIVATE_SOCKET "/run/ovl-restored/private"
/* A call polkit may be asked about (a person may be typing a password),
 * or a Scan (it answers when its walk ends): beyond sd-bus's default. */
#define CALL_TIMEOUT_USEC (10ULL * 60 * 1000000)

/* Exit statuses (ovlctl(1), EXIT STATUS).  0 only when everything asked
 * was done. */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,        /* failed, or a job failed or was cancelled */
        EXIT_USAGE = 2,         /* bad command line, or arguments the daemon refused */
        EXIT_UNSUPPORTED = 3,   /* the method or mode cannot work here */
        EXIT_DENIED = 4,        /* not authorized (polkit, or --private as non-root) */
        EXIT_PARTIAL = 5,       /* some paths restored, others failed */
        EXIT_BUSY = 6,          /* the overlay was in use (remount method) */
        EXIT_NO_DAEMON = 7,     /* ovl-restored not reachable */
};

typedef enum JsonMode { JSON_OFF, JSON_SHORT, JSON_PRETTY } JsonMode;

extern JsonMode arg_json;
extern bool arg_ask_password;
extern bool arg_private;
extern bool arg_recursive;
extern bool arg_dry_run;
extern bool arg_block;
extern bool arg_quiet;
extern const char *arg_mode;
extern const char *arg_method;
extern const char *arg_types;
extern const char *arg_paths_from;
extern bool arg_null;

/* The connection: the system bus, or with --private the daemon's
 * root-only socket.  On failure an actionable message has been printed
 * and the exit status is returned (positive). */
int ovlctl_connect(sd_bus **ret);
/* The destination for calls: the bus name, or NULL on a peer connection. */
const char *ovlctl_destination(void);

/* Calls a method of the daemon.  On a D-Bus error prints what to do about
 * it (naming @action, the polkit action the call needs, if any) and
 * returns the exit status (positive); 0 on success. */
int ovlctl_call(sd_bus *bus, const char *path, const char *iface, const char *member,
                const char *action, sd_bus_message **reply, const char *types, ...);
/* The same with a message made by the caller; with @ret_error, a D-Bus
 * error is moved there instead, unreported, and r < 0 returned. */
int ovlctl_call_message(sd_bus *bus, sd_bus_message *m, const char *action, sd_bus_message **reply,
                        sd_bus_error *ret_error);
/* The exit status and message for a D-Bus error. */
int ovlctl_report_error(const sd_bus_error *e, const char *action);
/* For failures that are not D-Bus errors: prints and returns EXIT_FAILED. */
int ovlctl_fail(int r, const char *what);

/* Starts pkttyagent for this process when asking for a password makes
 * sense (a TTY, --no-ask-password not given, not root); stopped at exit. */
void ovlctl_agent_open(void);

void ovlctl_json_init(JsonWriter *w);

/* "40755"-style mode, or "-" for 0. */
const char *mode_to_string(uint32_t mode, char buf[static 16]);
/* A job's id from "7" or its object path. */
int parse_job_id(const char *s, uint32_t *ret);
/* The object path of job @id; malloc'ed. */
int job_object_path(uint32_t id, char **ret);

/* Calls ScanByFileDescriptor (as root; Scan otherwise, or where the
 * daemon has none), with the option "compare" if @compare, for the path
 * @arg (made absolute), or for each overlay's mount point if @arg is
 * NULL, and hands each entry found to @entry, which returns 0 or a
 * negative errno.  The exit status (positive) on failure, after saying
 * what failed. */
int ovlctl_scan_each(sd_bus *bus, const char *arg, bool compare, ScanFileEntry entry, void *userdata);

/* Reads an a(ssasu) reply (GetState, Scan), handing each entry to
 * @entry, which returns 0 or a negative errno. */
int ovlctl_read_entries(sd_bus_message *reply, ScanFileEntry entry, void *userdata);

/* Verbs: argv[0] is the verb; return an exit status. */
int verb_status(sd_bus *bus, int argc, char *argv[]);
int verb_mounts(sd_bus *bus, int argc, char *argv[]);
int verb_state(sd_bus *bus, int argc, char *argv[]);
int verb_scan(sd_bus *bus, int argc, char *argv[]);
int verb_diff(sd_bus *bus, int argc, char *argv[]);
int verb_revert(sd_bus *bus, int argc, char *argv[]);
int verb_jobs(sd_bus *bus, int argc, char *argv[]);
int verb_restore(sd_bus *bus, int argc, char *argv[]);
int verb_wait(sd_bus *bus, int argc, char *argv[]);
int verb_cancel(sd_bus *bus, int argc, char *argv[]);
int verb_monitor(sd_bus *bus, int argc, char *argv[]);
int verb_pending(sd_bus *bus, int argc, char *argv[]);
int verb_cancel_pending(sd_bus *bus, int argc, char *argv[]);

/* @p made absolute (against the working directory) with empty and "."
 * components dropped, in the bus form; malloc'ed.  -EBADMSG: it holds a
 * control byte, which the daemon refuses in any path it is given. */
int path_make_absolute(const char *p, char **ret);
/* Says why path @p (path @n of @from, if given) is refused (@r, from
 * path_make_absolute()), escaped for the terminal; returns EXIT_USAGE. */
int path_refused(const char *p, const char *from, size_t n, int r);
/* The same for a NULL-terminated list: a new strv, or on a bad path an
 * exit status (positive) after saying which. */
int paths_make_absolute(char **argv, char ***ret);
