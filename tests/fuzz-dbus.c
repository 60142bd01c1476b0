/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-dbus SOCKET MERGED ITERATIONS [SEED]
 *
 * A D-Bus fuzzer against a running ovl-restored, through its private
 * socket (peer to peer, so that no dbus-daemon filters what it sends: the
 * daemon's own sd-bus reads every byte).  Every method of the three
 * interfaces and of the standard ones, on the daemon's objects and on
 * others, with:
 *   - well-formed arguments of the right signature (paths below MERGED,
 *     hostile ones, option dictionaries with known and unknown keys);
 *   - well-formed arguments of random signatures;
 *   - huge arrays and strings, deep (but legal) variant nesting;
 *   - malformed bodies: invalid UTF-8, invalid object paths and
 *     signatures, variants nested deeper than D-Bus allows, a body that
 *     does not match its signature.
 * Every well-formed call must get a reply or an error; a malformed one may
 * instead be dropped or end the connection, and then a new connection
 * must be served at once.  A Ping after each call tells which happened
 * (a malformed call not answered by the time the Ping is counts as
 * dropped).
 * Exits 0 when the daemon answered as it should throughout; prints the
 * counts.  Deterministic for a SEED.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUS_NAME "org.calculinux.OverlayRestore1"
#define ROOT "/org/calculinux/OverlayRestore1"

static uint64_t rng_state;
static const char *merged;

static uint32_t rnd(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return (uint32_t) (rng_state >> 16);
}

static uint32_t below(uint32_t n) {
        return n ? rnd() % n : 0;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        fputs("fuzz-dbus: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        exit(1);
}

/* ---- a growing byte buffer, aligned as D-Bus marshals ---- */

typedef struct Buf {
        uint8_t *p;
        size_t n, alloc;
} Buf;

static void put(Buf *b, const void *data, size_t n) {
        if (n == 0)
                return;
        if (b->n + n > b->alloc) {
                b->alloc = (b->n + n) * 2 + 64;
                b->p = realloc(b->p, b->alloc);
                if (!b->p)
                        die("out of memory");
        }
        memcpy(b->p + b->n, data, n);
        b->n += n;
}

static void align(Buf *b, size_t a) {
        static const uint8_t zero[8];

        put(b, zero, (a - b->n % a) % a);
}

static void put_u32(Buf *b, uint32_t v) {
        align(b, 4);
        put(b, &v, 4);
}

static void put_str(Buf *b, const char *s, size_t n) {
        put_u32(b, (uint32_t) n);
        put(b, s, n);
        put(b, "", 1);
}

static void put_sig(Buf *b, const char *s) {
        uint8_t n = (uint8_t) strlen(s);

        put(b, &n, 1);
        put(b, s, n);
        put(b, "", 1);
}

/* ---- values ---- */

typedef enum Kind {
        KIND_RIGHT,             /* the method's signature, sensible values */
        KIND_RANDOM_SIG,        /* a random signature */
        KIND_HUGE,              /* big arrays and strings */
        KIND_DEEP,              /* deep but legal variants */
        KIND_MALFORMED,         /* not valid D-Bus */
        _KIND_MAX,
} Kind;

static const char *const kind_names[] = { "right", "random-signature", "huge", "deep", "malformed" };

typedef struct Gen {
        Kind kind;
        bool malformed_done;    /* one defect per message is enough */
} Gen;

static void random_string(Gen *g, char *buf, size_t size, size_t *len) {
        static const char *const pool[] = {
                "recursive", "dry-run", "mode", "method", "whiteout", "opaque", "discard", "auto",
                "ioctl", "remount", "deferred", "", "/", "relative/path", "/..", "/a/../b", "/a//b",
                "/proc/self/root", "/etc/shadow", "1", "job-1", "../../etc", "\n", "\xe2\x80\xae",
        };
        uint32_t c = below(10);

        if (c < 4 || (g->kind == KIND_RIGHT && c < 9)) {
                /* below the overlay: existing entries, whiteouts, nonsense */
                static const char *const names[] = {
                        "hello.txt", "gone", "dir", "dir/inner", "new", "link", "", "x/../hello.txt",
                        "dir/", "deep/a/b/c", "\x01ctl", "nl\nname",
                };
                *len = (size_t) snprintf(buf, size, "%s/%s", merged, names[below(12)]);
        } else if (c < 8) {
                *len = (size_t) snprintf(buf, size, "%s", pool[below(sizeof pool / sizeof pool[0])]);
        } else {
                *len = below((uint32_t) size - 1);
                for (size_t i = 0; i < *len; i++)
                        buf[i] = (char) (0x20 + below(0x5f));
                buf[*len] = '\0';
        }
        if (*len >= size)
                *len = size - 1;
        if (g->kind == KIND_MALFORMED && !g->malformed_done && below(4) == 0) {
                buf[0] = (char) 0xc3;           /* a lone lead byte: invalid UTF-8 */
                buf[1] = '(';
                if (*len < 2)
                        *len = 2;
                g->malformed_done = true;
        }
}

static const char *gen_value(Buf *b, const char *sig, Gen *g, unsigned depth);

/* A random complete type, depth-limited, into buf. */
static void random_type(char *buf, size_t *n, size_t max, unsigned depth) {
        static const char basic[] = "ybnqiuxtdsog";
        uint32_t c = below(depth > 3 ? 12 : 16);

        if (*n + 8 >= max)
                c = 0;
        if (c < 12) {
                buf[(*n)++] = basic[below(sizeof basic - 1)];
        } else if (c == 12) {
                buf[(*n)++] = 'v';
        } else if (c == 13) {
                buf[(*n)++] = 'a';
                random_type(buf, n, max, depth + 1);
        } else if (c == 14) {
                buf[(*n)++] = 'a';
                buf[(*n)++] = '{';
                buf[(*n)++] = basic[below(sizeof basic - 1)];
                random_type(buf, n, max, depth + 1);
                buf[(*n)++] = '}';
        } else {
                buf[(*n)++] = '(';
                for (uint32_t i = 0, k = 1 + below(3); i < k; i++)
                        random_type(buf, n, max, depth + 1);
                buf[(*n)++] = ')';
        }
        buf[*n] = '\0';
}

static const char *type_end(const char *sig) {
        int level = 0;

        while (*sig == 'a')
                sig++;
        do {
                if (*sig == '(' || *sig == '{')
                        level++;
                else if (*sig == ')' || *sig == '}')
                        level--;
                else if (*sig == 'a') {
                        sig++;
                        continue;       /* level > 0 here: inside a container */
                }
                sig++;
        } while (level > 0);
        return sig;
}

static void gen_variant(Buf *b, Gen *g, unsigned depth) {
        char sig[64];
        size_t n = 0;

        if (g->kind == KIND_DEEP && depth < 60) {
                put_sig(b, "v");
                gen_variant(b, g, depth + 1);
                return;
        }
        if (g->kind == KIND_MALFORMED && !g->malformed_done && depth < 70 && below(3) == 0) {
                /* keep nesting, beyond D-Bus's limit of 64 */
                put_sig(b, "v");
                gen_variant(b, g, depth + 1);
                if (depth == 0)
                        g->malformed_done = true;
                return;
        }
        if (below(2)) {
                static const char *const common[] = { "b", "s", "as", "u", "i", "a{sv}", "v" };
                snprintf(sig, sizeof sig, "%s", common[below(7)]);
                if (depth > 8 && sig[0] == 'v')
                        sig[0] = 'b';
        } else
                random_type(sig, &n, 40, depth > 8 ? 4 : 1);
        put_sig(b, sig);
        gen_value(b, sig, g, depth + 1);
}

/* Appends one value of the complete type at @sig; returns the end of it. */
static const char *gen_value(Buf *b, const char *sig, Gen *g, unsigned depth) {
        char s[512];
        size_t len;
        uint64_t v64 = ((uint64_t) rnd() << 32) | rnd();

        switch (*sig) {
        case 'y':
                put(b, &v64, 1);
                return sig + 1;
        case 'b':
                put_u32(b, below(8) ? (uint32_t) below(2) : rnd());     /* sometimes not 0 or 1 */
                return sig + 1;
        case 'n':
        case 'q':
                align(b, 2);
                put(b, &v64, 2);
                return sig + 1;
        case 'i':
        case 'u':
        case 'h':
                put_u32(b, below(4) ? below(40) : rnd());
                return sig + 1;
        case 'x':
        case 't':
        case 'd':
                align(b, 8);
                put(b, &v64, 8);
                return sig + 1;
        case 's':
                if (g->kind == KIND_HUGE && below(4) == 0) {
                        size_t n = 1 + below(1 << 18);
                        char *big = malloc(n);

                        memset(big, 'a' + (char) below(26), n);
                        put_str(b, big, n);
                        free(big);
                        return sig + 1;
                }
                random_string(g, s, sizeof s, &len);
                put_str(b, s, len);
                return sig + 1;
        case 'o':
                if (g->kind == KIND_MALFORMED && !g->malformed_done && below(2) == 0) {
                        put_str(b, "not//a/path/", 12);
                        g->malformed_done = true;
                } else {
                        static const char *const objs[] = {
                                ROOT, ROOT "/mount", ROOT "/job/1", ROOT "/job/4294967295", "/", "/x",
                        };
                        const char *o = objs[below(6)];

                        put_str(b, o, strlen(o));
                }
                return sig + 1;
        case 'g':
                if (g->kind == KIND_MALFORMED && !g->malformed_done && below(2) == 0) {
                        put_sig(b, "a{vs");     /* not a signature */
                        g->malformed_done = true;
                } else
                        put_sig(b, below(2) ? "a{sv}" : "");
                return sig + 1;
        case 'v':
                gen_variant(b, g, depth);
                return sig + 1;
        case 'a': {
                const char *elem = sig + 1, *end = type_end(elem);

                if (g->kind == KIND_RIGHT && strncmp(sig, "a{sv}", 5) == 0) {
                        /* options as a client would send them, mostly */
                        static const char *const modes[] = { "whiteout", "opaque", "discard", "bogus" };
                        static const char *const meths[] = { "auto", "remount", "deferred", "ioctl" };
                        size_t len_at, start;

                        put_u32(b, 0);
                        len_at = b->n - 4;
                        align(b, 8);
                        start = b->n;
                        for (uint32_t i = 0, k = below(4); i < k; i++) {
                                uint32_t which = below(4);
                                const char *v;

                                align(b, 8);
                                if (which < 2) {
                                        v = which == 0 ? "recursive" : "dry-run";
                                        put_str(b, v, strlen(v));
                                        put_sig(b, "b");
                                        put_u32(b, below(2));
                                } else {
                                        v = which == 2 ? "mode" : "method";
                                        put_str(b, v, strlen(v));
                                        put_sig(b, "s");
                                        v = which == 2 ? modes[below(4)] : meths[below(4)];
                                        put_str(b, v, strlen(v));
                                }
                        }
                        *(uint32_t *) (b->p + len_at) = (uint32_t) (b->n - start);
                        return sig + 5;
                }
                uint32_t count = g->kind == KIND_RIGHT ? 1 + below(3) : below(6), *lenp;
                size_t len_at, start;
                bool dict = *elem == '{';

                if (g->kind == KIND_HUGE && below(3) == 0)
                        count = 1000 + below(20000);
                put_u32(b, 0);
                len_at = b->n - 4;
                /* the array's data starts at its element alignment */
                align(b, (dict || *elem == '(' || *elem == 'x' || *elem == 't' || *elem == 'd') ? 8 :
                         (*elem == 'n' || *elem == 'q') ? 2 : (*elem == 'y' || *elem == 'g' || *elem == 'v') ? 1 : 4);
                start = b->n;
                for (uint32_t i = 0; i < count && b->n < (4u << 20); i++) {
                        if (dict) {
                                align(b, 8);
                                gen_value(b, gen_value(b, elem + 1, g, depth + 1), g, depth + 1);
                        } else
                                gen_value(b, elem, g, depth + 1);
                }
                lenp = (uint32_t *) (b->p + len_at);
                *lenp = (uint32_t) (b->n - start);
                return end;
        }
        case '(':
                align(b, 8);
                sig++;
                while (*sig != ')')
                        sig = gen_value(b, sig, g, depth + 1);
                return sig + 1;
        default:
                die("bad signature at '%s'", sig);
        }
}

/* ---- messages ---- */

static void header_field_str(Buf *h, uint8_t code, const char *type, const char *value) {
        align(h, 8);
        put(h, &code, 1);
        put_sig(h, type);
        if (type[0] == 'g')
                put_sig(h, value);
        else
                put_str(h, value, strlen(value));
}

static void build_call(Buf *out, uint32_t serial, const char *path, const char *iface,
                       const char *member, const char *sig, const Buf *body) {
        Buf h = {};
        uint8_t fixed[4] = { 'l', 1 /* METHOD_CALL */, 0, 1 };
        uint32_t body_len = (uint32_t) body->n;

        put(&h, fixed, 4);
        put(&h, &body_len, 4);
        put(&h, &serial, 4);
        put_u32(&h, 0);                         /* fields' length, set below */
        header_field_str(&h, 1, "o", path);
        if (iface)
                header_field_str(&h, 2, "s", iface);
        header_field_str(&h, 3, "s", member);
        if (sig && *sig)
                header_field_str(&h, 8, "g", sig);
        *(uint32_t *) (h.p + 12) = (uint32_t) (h.n - 16);
        align(&h, 8);
        put(out, h.p, h.n);
        put(out, body->p, body->n);
        free(h.p);
}

/* ---- the connection ---- */

typedef struct Conn {
        int fd;
        uint8_t *in;
        size_t n_in, alloc_in;
} Conn;

static int conn_open(Conn *c, const char *sock) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = 60 };   /* a bound, not a measurement */
        char auth[96], line[256];
        size_t n = 0;
        int fd;

        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        {
                char uid[16], *o = auth;

                snprintf(uid, sizeof uid, "%u", (unsigned) getuid());
                o += sprintf(o, "%cAUTH EXTERNAL ", 0);
                for (const char *p = uid; *p; p++)
                        o += sprintf(o, "%02x", (unsigned char) *p);
                /* (descriptors too: ScanByFileDescriptor answers with one,
                 * which recv() without room for it closes) */
                o += sprintf(o, "\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n");
                if (send(fd, auth, (size_t) (o - auth), MSG_NOSIGNAL) != o - auth) {
                        close(fd);
                        return -EIO;
                }
        }
        /* "OK <guid>\r\n", then "AGREE_UNIX_FD\r\n", read byte by byte
         * so nothing after them is lost */
        for (int i = 0; i < 2; i++) {
                const char *want = i == 0 ? "OK " : "AGREE_UNIX_FD\r";

                for (n = 0; n < sizeof line - 1; n++) {
                        if (recv(fd, line + n, 1, 0) != 1) {
                                close(fd);
                                return -EIO;
                        }
                        if (n > 0 && line[n - 1] == '\r' && line[n] == '\n')
                                break;
                }
                if (strncmp(line, want, strlen(want)) != 0) {
                        close(fd);
                        return -EACCES;
                }
        }
        *c = (Conn) { .fd = fd };
        return 0;
}

static void conn_close(Conn *c) {
        close(c->fd);
        free(c->in);
        *c = (Conn) { .fd = -1 };
}

/* Reads the next message; its type and reply serial.  -EPIPE: closed. */
static int conn_read(Conn *c, uint8_t *type, uint32_t *reply_serial) {
        for (;;) {
                if (c->n_in >= 16) {
                        uint32_t body_len, fields_len, total;
                        size_t pos = 16, end;

                        memcpy(&body_len, c->in + 4, 4);
                        memcpy(&fields_len, c->in + 12, 4);
                        total = 16 + ((fields_len + 7) & ~7u) + body_len;
                        if (c->in[0] != 'l')
                                die("daemon sent a big-endian message");
                        if (c->n_in >= total) {
                                *type = c->in[1];
                                *reply_serial = 0;
                                end = 16 + fields_len;
                                while (pos < end) {
                                        uint8_t code = c->in[pos], slen = c->in[pos + 1];
                                        char t = (char) c->in[pos + 2];

                                        pos += 2 + slen + 1;
                                        if (t == 'u' || t == 'h') {
                                                pos = (pos + 3) & ~(size_t) 3;
                                                if (code == 5)
                                                        memcpy(reply_serial, c->in + pos, 4);
                                                pos += 4;
                                        } else if (t == 'g') {
                                                pos += 1 + c->in[pos] + 1;
                                        } else {        /* s, o */
                                                uint32_t l;

                                                pos = (pos + 3) & ~(size_t) 3;
                                                memcpy(&l, c->in + pos, 4);
                                                pos += 4 + l + 1;
                                        }
                                        pos = (pos + 7) & ~(size_t) 7;
                                }
                                memmove(c->in, c->in + total, c->n_in - total);
                                c->n_in -= total;
                                return 0;
                        }
                }
                if (c->alloc_in - c->n_in < 65536) {
                        c->alloc_in = c->alloc_in * 2 + 65536;
                        c->in = realloc(c->in, c->alloc_in);
                        if (!c->in)
                                die("out of memory");
                }
                ssize_t k = recv(c->fd, c->in + c->n_in, c->alloc_in - c->n_in, 0);
                if (k == 0 || (k < 0 && (errno == ECONNRESET || errno == EPIPE)))
                        return -EPIPE;
                if (k < 0)
                        die("no answer from the daemon within the bound: %s", strerror(errno));
                c->n_in += (size_t) k;
        }
}

/* ---- the methods ---- */

typedef struct Method {
        const char *iface, *member, *sig;
} Method;

static const Method methods[] = {
        { BUS_NAME ".Manager", "ListMounts", "" },
        { BUS_NAME ".Manager", "GetMountForPath", "s" },
        { BUS_NAME ".Manager", "GetState", "as" },
        { BUS_NAME ".Manager", "Restore", "asa{sv}" },
        { BUS_NAME ".Manager", "ListJobs", "" },
        { BUS_NAME ".Manager", "ListPending", "" },
        { BUS_NAME ".Manager", "CancelPending", "s" },
        { BUS_NAME ".Mount", "Restore", "asa{sv}" },
        { BUS_NAME ".Mount", "Scan", "sa{sv}" },
        { BUS_NAME ".Mount", "ScanByFileDescriptor", "sa{sv}" },
        { BUS_NAME ".Job", "Cancel", "" },
        { BUS_NAME ".Job", "GetResults", "" },
        { "org.freedesktop.DBus.Properties", "Get", "ss" },
        { "org.freedesktop.DBus.Properties", "GetAll", "s" },
        { "org.freedesktop.DBus.Properties", "Set", "ssv" },
        { "org.freedesktop.DBus.Introspectable", "Introspect", "" },
        { "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", "" },
        { "org.freedesktop.DBus.Peer", "GetMachineId", "" },
        { NULL, "Restore", "asa{sv}" },         /* no interface: sd-bus looks the member up */
        { BUS_NAME ".Manager", "NoSuchMethod", "s" },
        { "org.example.Nothing", "Restore", "asa{sv}" },
};
#define N_METHODS (sizeof methods / sizeof methods[0])

static const char *object_paths[16];
static unsigned n_object_paths;

int main(int argc, char *argv[]) {
        unsigned long iterations;
        unsigned long sent[_KIND_MAX] = {}, answered = 0, errors = 0, dropped = 0, closed = 0;
        struct timespec t0, t1;
        uint32_t serial = 0;
        Conn c;
        int r;

        if (argc < 4)
                die("usage: fuzz-dbus SOCKET MERGED ITERATIONS [SEED]");
        merged = argv[2];
        iterations = strtoul(argv[3], NULL, 10);
        rng_state = argc > 4 ? strtoull(argv[4], NULL, 0) : 0x6f766c2d72657374ULL;
        if (!rng_state)
                rng_state = 1;

        object_paths[n_object_paths++] = ROOT;
        object_paths[n_object_paths++] = ROOT "/job/1";
        object_paths[n_object_paths++] = ROOT "/job/2";
        object_paths[n_object_paths++] = "/";
        object_paths[n_object_paths++] = ROOT "/mount";
        object_paths[n_object_paths++] = "/org/freedesktop/DBus";
        for (int i = 5; i < argc && n_object_paths < 16; i++)
                object_paths[n_object_paths++] = argv[i];       /* the overlay's Mount objects */

        r = conn_open(&c, argv[1]);
        if (r < 0)
                die("cannot connect to %s: %s", argv[1], strerror(-r));
        clock_gettime(CLOCK_MONOTONIC, &t0);

        for (unsigned long it = 0; it < iterations; it++) {
                const Method *m = &methods[below(N_METHODS)];
                Gen g = { .kind = (Kind) below(_KIND_MAX) };
                char sig[256] = "";
                Buf body = {}, out = {}, empty = {};
                uint32_t call_serial, ping_serial, rs;
                const char *path;
                bool got_call = false, got_ping = false;
                uint8_t type;

                if (g.kind == KIND_RIGHT || g.kind == KIND_HUGE || g.kind == KIND_DEEP ||
                    g.kind == KIND_MALFORMED)
                        snprintf(sig, sizeof sig, "%s", m->sig);
                if (g.kind == KIND_RANDOM_SIG || (g.kind != KIND_RIGHT && !sig[0])) {
                        size_t n = 0;

                        for (uint32_t i = 0, k = below(4); i < k; i++)
                                random_type(sig, &n, 200, 0);
                }
                for (const char *s = sig; *s;)
                        s = gen_value(&body, s, &g, 0);
                if (g.kind == KIND_MALFORMED && !g.malformed_done) {
                        /* the body does not match the signature */
                        snprintf(sig, sizeof sig, "%s", "a{sv}x");
                        g.malformed_done = true;
                }

                call_serial = ++serial;
                path = object_paths[below(n_object_paths)];
                if (g.kind == KIND_RIGHT && below(5) != 0 && m->iface) {
                        /* mostly the object that has the interface */
                        if (strstr(m->iface, ".Mount") && argc > 5)
                                path = argv[5];
                        else if (strstr(m->iface, ".Job"))
                                path = below(2) ? ROOT "/job/1" : ROOT "/job/2";
                        else
                                path = ROOT;
                }
                build_call(&out, call_serial, path, m->iface, m->member, sig, &body);
                ping_serial = ++serial;
                build_call(&out, ping_serial, "/", "org.freedesktop.DBus.Peer", "Ping", "", &empty);
                sent[g.kind]++;

                if (send(c.fd, out.p, out.n, MSG_NOSIGNAL) != (ssize_t) out.n) {
                        r = -EPIPE;
                } else {
                        do {
                                r = conn_read(&c, &type, &rs);
                                if (r < 0)
                                        break;
                                if ((type == 2 || type == 3) && rs == call_serial) {
                                        got_call = true;
                                        if (type == 3)
                                                errors++;
                                }
                                if ((type == 2 || type == 3) && rs == ping_serial)
                                        got_ping = true;
                                /* A well-formed call's reply may come after the Ping's
                                 * (Scan and polkit-checked calls answer later). */
                        } while (!got_ping || (!got_call && g.kind != KIND_MALFORMED));
                }
                free(body.p);
                free(out.p);

                if (got_call)
                        answered++;
                if (r < 0) {
                        /* Closed on us: only a malformed message may do that. */
                        if (g.kind != KIND_MALFORMED)
                                die("iteration %lu (%s %s.%s, %s): the daemon closed the connection",
                                    it, kind_names[g.kind], m->iface ?: "", m->member, sig);
                        closed++;
                        conn_close(&c);
                        r = conn_open(&c, argv[1]);
                        if (r < 0)
                                die("iteration %lu: no new connection after a close: %s (daemon gone?)",
                                    it, strerror(-r));
                        continue;
                }
                if (!got_call) {
                        if (g.kind != KIND_MALFORMED)
                                die("iteration %lu (%s %s.%s, signature '%s'): no reply to a well-formed call",
                                    it, kind_names[g.kind], m->iface ?: "", m->member, sig);
                        dropped++;
                }
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        conn_close(&c);

        {
                double secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;

                printf("fuzz-dbus: %lu calls (", iterations);
                for (int k = 0; k < _KIND_MAX; k++)
                        printf("%s%s %lu", k ? ", " : "", kind_names[k], sent[k]);
                printf("); %lu answered (%lu with an error), %lu malformed dropped, %lu connections "
                       "closed on malformed input; %.0f calls/s\n",
                       answered, errors, dropped, closed, secs > 0 ? (double) iterations / secs : 0.0);
        }
        return 0;
}
