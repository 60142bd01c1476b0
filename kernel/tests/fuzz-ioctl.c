// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-ioctl DIR ITERATIONS [SEED]
 *
 * Fuzzes the overlayfs restore ioctls of the patched kernel (run inside
 * UML by kernel/tests/in-uml, which fails on any kernel report).  Builds
 * an overlay under DIR (files, directories, whiteouts, an opaque
 * directory, a symlink) and issues random ioctls on it: the three
 * commands and neighbours of them (wrong sizes and directions, unknown
 * numbers), argument pointers that are valid, NULL, unmapped or
 * misaligned, paths of random bytes (.., //, embedded NUL, control
 * bytes, relative, longer than PATH_MAX, running into an inaccessible page)
 * and path_len, flags (OVL_RESTORE_DISCARD and OVL_RESTORE_OPAQUE among
 * them) and pad of random
 * values, on the overlay's root, on
 * files and directories inside it, and on files of other file systems.
 * Whiteouts are made again as restores remove them, and directories are
 * removed and files deleted while this program holds them open.
 * OVL_FUZZ_TRACE in the environment prints every change made.
 *
 * Checks what userspace can: every call returns 0 or fails with an errno
 * the documentation allows, a restored entry is the lower one (a file
 * reads as the lower file; so does a discarded one; a directory whose
 * opaque mark is cleared is a directory below too), and the lower layer
 * never changes.  Prints the
 * counts per result.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/overlayfs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static uint64_t rng = 0x696f63746c7a7aULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static char dir[256], lower[300], upper[300], work[300], merged[300];
static int trace;	/* OVL_FUZZ_TRACE set: every change on stderr */

static void die(const char *what)
{
	fprintf(stderr, "fuzz-ioctl: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put(const char *base, const char *rel, const char *content)
{
	char p[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	f = fopen(p, "we");
	if (!f)
		die(p);
	fputs(content, f);
	fclose(f);
}

static const char *const names[] = {
	"a", "b", "c", "dir", "dir/x", "dir/y", "opq", "opq/z", "link", "deep/1/2/3",
	"new", "nothing", ".", "..", "", "dir/", "/a", "a/..", "dir/../b", "a//b",
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

/* Hide lower entries again (whiteouts) and make some upper ones. */
static void churn(void)
{
	char p[600];

	for (int i = 0; i < 4; i++) {
		const char *n = names[below(10)];

		snprintf(p, sizeof(p), "%s/%s", merged, n);
		switch (below(4)) {
		case 0:
			if (unlink(p) == 0 && trace)
				fprintf(stderr, "unlink %s\n", n);
			break;
		case 1:
			if (rmdir(p) == 0 && trace)
				fprintf(stderr, "rmdir %s\n", n);
			break;
		case 2:
			{
				int cfd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

				if (cfd >= 0 && trace)
					fprintf(stderr, "create %s\n", n);
				close(cfd);
			}
			break;
		default:
			if (mkdir(p, 0755) == 0 && trace)
				fprintf(stderr, "mkdir %s\n", n);
		}
	}
}

static void setup(void)
{
	char opts[1500];

	snprintf(lower, sizeof(lower), "%s/lower", dir);
	snprintf(upper, sizeof(upper), "%s/upper", dir);
	snprintf(work, sizeof(work), "%s/work", dir);
	snprintf(merged, sizeof(merged), "%s/merged", dir);
	mkdir(dir, 0755);
	if (mkdir(lower, 0755) || mkdir(upper, 0755) || mkdir(work, 0755) || mkdir(merged, 0755))
		die("mkdir");
	put(lower, "a", "a\n");
	put(lower, "b", "b\n");
	put(lower, "c", "c\n");
	snprintf(opts, sizeof(opts), "%s/dir", lower);
	mkdir(opts, 0755);
	put(lower, "dir/x", "x\n");
	put(lower, "dir/y", "y\n");
	snprintf(opts, sizeof(opts), "%s/opq", lower);
	mkdir(opts, 0755);
	put(lower, "opq/z", "z\n");
	snprintf(opts, sizeof(opts), "%s/deep", lower);
	mkdir(opts, 0755);
	snprintf(opts, sizeof(opts), "%s/deep/1", lower);
	mkdir(opts, 0755);
	snprintf(opts, sizeof(opts), "%s/deep/1/2", lower);
	mkdir(opts, 0755);
	put(lower, "deep/1/2/3", "3\n");
	snprintf(opts, sizeof(opts), "%s/link", lower);
	if (symlink("a", opts))
		die("symlink");
	snprintf(opts, sizeof(opts),
		 "lowerdir=%s,upperdir=%s,workdir=%s,index=off,xino=off,redirect_dir=off,metacopy=off",
		 lower, upper, work);
	if (mount("overlay", merged, "overlay", 0, opts))
		die("mount");
}

/* A digest of the lower layer: names, types, sizes. */
static unsigned long lower_digest(void)
{
	char cmd[600];
	unsigned long d = 0;
	FILE *f;
	int c;

	snprintf(cmd, sizeof(cmd), "cd %s && find . -printf '%%p %%y %%s\\n' | sort", lower);
	f = popen(cmd, "r");
	if (!f)
		die("popen");
	while ((c = fgetc(f)) != EOF)
		d = d * 131 + (unsigned long)c;
	pclose(f);
	return d;
}

/* A path: a name of the tree, random bytes, or something long. */
static size_t make_path(char *buf, size_t size)
{
	size_t n;

	switch (below(6)) {
	case 0:
	case 1:
	case 2:
		n = (size_t)snprintf(buf, size, "%s/%s", merged, names[below(N_NAMES)]);
		break;
	case 3:
		n = below(64);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)rnd();
		buf[n] = '\0';
		break;
	case 4:
		n = (size_t)snprintf(buf, size, "%s%s/%s", below(4) ? merged : "",
				     names[below(N_NAMES)], names[below(N_NAMES)]);
		break;
	default:
		n = 4000 + below(200);
		if (n >= size)
			n = size - 1;
		memset(buf, 'a', n);
		memcpy(buf, merged, strlen(merged));
		for (size_t i = strlen(merged); i < n; i++)
			buf[i] = below(20) ? 'a' + (char)below(26) : '/';
		buf[n] = '\0';
	}
	return n;
}

static int read_small(const char *p, char *buf, size_t size)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

/* After a restore of @path: the merged view shows the lower entry, of the
 * same type, and a regular file with the lower content. */
static int check_revealed(const char *path)
{
	char low[600], a[64], b[64];
	struct stat ls, ms;

	/* ".." may lead elsewhere in the merged tree than in the lower one */
	if (strstr(path, "/.."))
		return 0;
	snprintf(low, sizeof(low), "%s%s", lower, path + strlen(merged));
	if (lstat(low, &ls) || lstat(path, &ms) ||
	    (ls.st_mode & S_IFMT) != (ms.st_mode & S_IFMT)) {
		fprintf(stderr, "fuzz-ioctl: restored %s, but it is not the lower entry: %s\n",
			path, strerror(errno));
		return -1;
	}
	if (S_ISREG(ls.st_mode) &&
	    (read_small(low, a, sizeof(a)) || read_small(path, b, sizeof(b)) || strcmp(a, b))) {
		fprintf(stderr, "fuzz-ioctl: restored %s, but it does not read as the lower file\n",
			path);
		return -1;
	}
	return 0;
}

/* The errors Documentation/filesystems/overlayfs.rst gives, and those of
 * resolving a path. */
static int allowed(int e)
{
	switch (e) {
	case EINVAL: case ENOENT: case ENOTDIR: case ELOOP: case ENAMETOOLONG:
	case EXDEV: case EROFS: case EOPNOTSUPP: case EACCES: case EPERM:
	case EEXIST: case ENODATA: case ENOTTY: case EFAULT:
	case EISDIR: case EMLINK: case EBUSY:	/* OVL_RESTORE_DISCARD */
	case ESTALE:	/* OVL_RESTORE_DISCARD, racing the upper layer */
		return 1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	unsigned long iterations, ok = 0, by_errno[200] = { 0 }, before;
	long page = sysconf(_SC_PAGESIZE);
	char *pages, *tail;
	int fds[4];

	if (argc < 3) {
		fprintf(stderr, "usage: fuzz-ioctl DIR ITERATIONS [SEED]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	trace = getenv("OVL_FUZZ_TRACE") != NULL;
	iterations = strtoul(argv[2], NULL, 10);
	if (argc > 3)
		rng = strtoull(argv[3], NULL, 0) ?: 1;
	setup();
	before = lower_digest();

	/* Two pages, the second one inaccessible: a path that runs into it. */
	pages = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED || mprotect(pages + page, page, PROT_NONE))
		die("mmap");
	tail = pages + page - 8;
	memcpy(tail, "dir/xxxx", 8);	/* no NUL before the fence */

	fds[0] = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/dir", merged);
		fds[1] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		snprintf(p, sizeof(p), "%s/c", merged);
		fds[2] = open(p, O_RDWR | O_CLOEXEC);	/* a copy up, held */
	}
	fds[3] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);	/* not the overlay */
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || fds[3] < 0)
		die("open");

	for (unsigned long it = 0; it < iterations; it++) {
		static const unsigned long cmds[] = {
			OVL_IOC_RESTORE_LOWER, OVL_IOC_IS_RESTORABLE, OVL_IOC_UPPER_STATE,
			OVL_IOC_IS_RESTORABLE_OLD,
			_IOW('O', 1, __u64), _IOR('O', 1, struct ovl_restore_args),
			_IOWR('O', 3, struct ovl_restore_args), _IO('O', 2), _IOW('O', 4, struct ovl_restore_args),
		};
		struct {
			struct ovl_upper_state_args a;
			char slack[16];
		} arg;
		static char path[4300];
		size_t len = make_path(path, sizeof(path));
		unsigned long cmd = below(10) < 8 ? cmds[below(3)] : cmds[below(sizeof(cmds) / sizeof(cmds[0]))];
		void *argp = &arg;
		int fd = fds[below(10) < 7 ? 0 : below(4)];
		long r;

		if (it % 64 == 0)
			churn();
		memset(&arg, 0, sizeof(arg));
		arg.a.path_ptr = (uintptr_t)path;
		arg.a.path_len = (__u32)len;
		switch (below(12)) {
		case 0:
			arg.a.path_len = rnd();
			break;
		case 1:
			arg.a.path_len = below(2) ? 4096 : 4097;
			break;
		case 2:
			arg.a.path_ptr = below(2) ? 0 : 16;	/* NULL, unmapped */
			break;
		case 3:
			arg.a.path_ptr = (uintptr_t)tail;	/* runs into PROT_NONE */
			arg.a.path_len = 8 + below(16);
			break;
		case 4:
			arg.a.flags = below(2) ? rnd() : 1u << below(32);
			break;
		case 5:
			arg.a.pad = rnd();
			arg.a.state = rnd();
			arg.a.mode = rnd();
			break;
		case 6:
			argp = below(2) ? NULL : (void *)(uintptr_t)16;
			break;
		case 7:
			argp = (char *)&arg + 1 + below(7);	/* misaligned */
			memmove(argp, &arg.a, sizeof(arg.a));
			break;
		case 8:
			arg.a.path_ptr = ((uint64_t)rnd() << 32) | rnd();
			break;
		case 9:
			arg.a.flags = OVL_RESTORE_DISCARD;
			break;
		case 10:
			arg.a.flags = OVL_RESTORE_OPAQUE;
			break;
		default:
			break;
		}
		r = ioctl(fd, cmd, argp);
		if (r == 0) {
			if (trace && cmd == OVL_IOC_RESTORE_LOWER)
				fprintf(stderr, "restore %s\n", path);
			if (cmd == OVL_IOC_RESTORE_LOWER && argp == &arg && check_revealed(path))
				return 1;
			ok++;
		} else if (!allowed(errno)) {
			fprintf(stderr, "fuzz-ioctl: iteration %lu: cmd %#lx returned errno %d (%s), "
				"not one the interface documents\n", it, cmd, errno, strerror(errno));
			return 1;
		} else {
			by_errno[errno < 200 ? errno : 0]++;
		}
	}

	if (lower_digest() != before) {
		fprintf(stderr, "fuzz-ioctl: the lower layer changed\n");
		return 1;
	}
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	if (umount(merged))
		die("umount");
	printf("fuzz-ioctl: %lu ioctls, %lu succeeded;", iterations, ok);
	for (int e = 0; e < 200; e++)
		if (by_errno[e])
			printf(" %s %lu;", strerrorname_np(e) ?: "?", by_errno[e]);
	printf(" lower layer unchanged\n");
	return 0;
}
