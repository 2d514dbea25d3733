/* Fault-injection shim, loaded with LD_PRELOAD into the `annodb` program by
 * tests/fault: makes the N-th file-system write-side call fail, as a full or
 * failing disk would.
 *
 * Counted calls, on regular files only (so the pipes of stdout and stderr
 * always work): write, pwrite, pwrite64, writev, pwritev, fsync, fdatasync,
 * ftruncate, posix_fallocate, fallocate, and mmap of a file (how LMDB maps
 * and grows its data and lock files); msync is always counted.
 *
 * Environment:
 *   ANNODB_FAULT_AT=N       fail the N-th counted call (1-based; 0 or unset:
 *                           never, only count)
 *   ANNODB_FAULT_ERRNO=E    ENOSPC (default), EIO or EDQUOT
 *   ANNODB_FAULT_STICKY=1   every counted call from the N-th on fails (a disk
 *                           that stays full); default: only the N-th
 *   ANNODB_FAULT_REPORT=F   at exit, write "<calls> <injected> <first call failed>"
 *                           to file F
 *
 * A failing write writes nothing; mmap fails with ENOMEM whatever the errno
 * (what mmap reports when it cannot map). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static atomic_long g_calls;
static atomic_long g_injected;
static long g_at;
static int g_errno = ENOSPC;
static int g_sticky;
static const char *g_first_failed = "";

__attribute__((constructor)) static void fault_init(void) {
  const char *at = getenv("ANNODB_FAULT_AT");
  const char *e = getenv("ANNODB_FAULT_ERRNO");
  const char *sticky = getenv("ANNODB_FAULT_STICKY");
  g_at = at ? atol(at) : 0;
  if (e && strcmp(e, "EIO") == 0) g_errno = EIO;
  if (e && strcmp(e, "EDQUOT") == 0) g_errno = EDQUOT;
  g_sticky = sticky && strcmp(sticky, "1") == 0;
}

__attribute__((destructor)) static void fault_report(void) {
  const char *path = getenv("ANNODB_FAULT_REPORT");
  if (!path) return;
  FILE *f = fopen(path, "w");
  if (!f) return;
  fprintf(f, "%ld %ld %s\n", (long)atomic_load(&g_calls), (long)atomic_load(&g_injected),
          g_first_failed[0] ? g_first_failed : "-");
  fclose(f);
}

static int is_regular(int fd) {
  struct stat st;
  return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Counts one call; true when it must fail. */
static int inject(const char *name) {
  long n = atomic_fetch_add(&g_calls, 1) + 1;
  if (g_at <= 0 || n < g_at || (n > g_at && !g_sticky)) return 0;
  if (atomic_fetch_add(&g_injected, 1) == 0) g_first_failed = name;
  return 1;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void *buf, size_t n) {
  if (is_regular(fd) && inject("write")) return errno = g_errno, -1;
  return REAL(write)(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  if (is_regular(fd) && inject("pwrite")) return errno = g_errno, -1;
  return REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
  if (is_regular(fd) && inject("pwrite64")) return errno = g_errno, -1;
  return REAL(pwrite64)(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  if (is_regular(fd) && inject("writev")) return errno = g_errno, -1;
  return REAL(writev)(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
  if (is_regular(fd) && inject("pwritev")) return errno = g_errno, -1;
  return REAL(pwritev)(fd, iov, cnt, off);
}

int fsync(int fd) {
  if (is_regular(fd) && inject("fsync")) return errno = g_errno, -1;
  return REAL(fsync)(fd);
}

int fdatasync(int fd) {
  if (is_regular(fd) && inject("fdatasync")) return errno = g_errno, -1;
  return REAL(fdatasync)(fd);
}

int msync(void *addr, size_t len, int flags) {
  if (inject("msync")) return errno = g_errno, -1;
  return REAL(msync)(addr, len, flags);
}

int ftruncate(int fd, off_t len) {
  if (is_regular(fd) && inject("ftruncate")) return errno = g_errno, -1;
  return REAL(ftruncate)(fd, len);
}

int posix_fallocate(int fd, off_t off, off_t len) {
  if (is_regular(fd) && inject("posix_fallocate")) return g_errno; /* returns the error, errno untouched */
  return REAL(posix_fallocate)(fd, off, len);
}

int fallocate(int fd, int mode, off_t off, off_t len) {
  if (is_regular(fd) && inject("fallocate")) return errno = g_errno, -1;
  return REAL(fallocate)(fd, mode, off, len);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (is_regular(fd) && inject("mmap")) return errno = ENOMEM, MAP_FAILED;
  return REAL(mmap)(addr, len, prot, flags, fd, off);
}
