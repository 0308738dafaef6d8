/* fault-inject.so: an LD_PRELOAD shim that makes v2vfs's system calls
 * fail on purpose, for tests/test-fault-*.sh.
 *
 * v2vfs reads its sources with pread (formats/source.c, through
 * common/fullio.c) and writes its overlay with pwrite, fallocate,
 * ftruncate, fsync and fdatasync (formats/overlay.c).  This shim wraps
 * those calls, their 64-bit aliases, and read and write, and looks each
 * one up in a table of rules before it runs: a rule can make the call
 * fail with an errno, come back short, meet the end of the file early,
 * or wait.  (It does not wrap the vector calls, copy_file_range or mmap,
 * which v2vfs does not use; a test that checks the fault log, as ours do,
 * fails if v2vfs starts to use them and a fault no longer fires.)
 *
 * The rules are in the file $V2VFS_FAULT_RULES, read again whenever it
 * changes (inode, size or mtime: checked before every call, which costs
 * a stat), so a test turns faults on and off while the daemon serves:
 * write a new file and rename it over the old one.  One rule a line,
 * '#' starts a comment:
 *
 *   OP  MATCH  START  END  ACTION  [TIMES]
 *
 *   OP      read (pread, read), write (pwrite, write), sync (fsync,
 *           fdatasync), fallocate or ftruncate
 *   MATCH   a substring of the file's path, as /proc/self/fd/N names it
 *   START END  the byte range [START, END) of the file, with an optional
 *           suffix k, M or G; END "-" is the end of any file.  A call
 *           matches when the bytes it reads, writes or allocates overlap
 *           the range; sync and ftruncate match whatever the range.
 *   ACTION  an errno name (EIO, ENOSPC, EDQUOT, EINTR, EOPNOTSUPP...):
 *           the call fails with it;
 *           short:N (read, write): the call moves at most N bytes;
 *           eof (read): the call returns 0, as at the end of the file;
 *           stall:MS: the call waits until the rules file changes, or
 *           MS milliseconds passed, then runs.
 *   TIMES   the rule fires this many times after each load (default:
 *           every time).
 * The first rule that matches wins.  A bad line aborts the process with
 * a message: a typo must not pass for a fault that never fires.
 *
 * Each fault injected appends a line "OP ACTION PATH OFFSET LENGTH" to
 * the file $V2VFS_FAULT_LOG, if it is set, so a test can tell that its
 * fault really was hit (and the kernel did not answer from its cache).
 *
 * Load order under ASan: the ASan runtime must come first in the initial
 * library list, so the tests preload libasan and then this shim (ASan's
 * interceptors call the next definition, which is this one).  The shim
 * itself is built without sanitizers.  It allocates nothing in the
 * wrapped calls' path but the rules and their parse, under one mutex
 * that no wait holds: a stalled call must not stall the others. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum op { OP_READ, OP_WRITE, OP_SYNC, OP_FALLOCATE, OP_FTRUNCATE, N_OPS };
enum act { ACT_NONE, ACT_ERRNO, ACT_SHORT, ACT_EOF, ACT_STALL };

static const char *const op_names[N_OPS] = {
  "read", "write", "sync", "fallocate", "ftruncate",
};

static const struct { const char *name; int num; } errnos[] = {
  { "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EDQUOT", EDQUOT },
  { "EINTR", EINTR }, { "EAGAIN", EAGAIN }, { "EOPNOTSUPP", EOPNOTSUPP },
  { "ENOMEM", ENOMEM }, { "EFBIG", EFBIG }, { "EROFS", EROFS },
};

#define MAX_RULES 64
#define MAX_MATCH 256
#define MAX_ACTION 32
#define STALL_STEP_MS 10

struct rule {
  enum op op;
  char match[MAX_MATCH];
  uint64_t start, end;
  enum act act;
  long arg;                      /* errno, bytes or milliseconds */
  long times;                    /* -1: no limit */
  long hits;
  char action[MAX_ACTION];       /* as written, for the log */
};

/* What a call is to do; copied out of the table, so that no lock is
 * held while it is done. */
struct hit {
  enum act act;
  long arg;
  unsigned long gen;             /* the rules' generation it came from */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rule rules[MAX_RULES];
static size_t n_rules;
static bool any_rule[N_OPS];
static struct stat loaded;       /* the rules file as last read; st_ino 0: none */
static unsigned long generation; /* bumped by every load */
static __thread bool busy;       /* in the shim: wrap nothing */

static void __attribute__ ((noreturn, format (printf, 1, 2)))
die (const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (n > 0)
    syscall (SYS_write, 2, msg, (size_t) n < sizeof msg ? (size_t) n : sizeof msg - 1);
  abort ();
}

static void *
next_fn (const char *name)
{
  void *p = dlsym (RTLD_NEXT, name);

  if (p == NULL)
    die ("fault-inject: no next %s: %s\n", name, dlerror ());
  return p;
}

/* The next definition of NAME (libasan's or libc's), looked up once. */
#define NEXT(name, type) \
  static type next_##name; \
  if (__atomic_load_n (&next_##name, __ATOMIC_ACQUIRE) == NULL) \
    __atomic_store_n (&next_##name, (type) next_fn (#name), __ATOMIC_RELEASE)

static uint64_t
parse_size (const char *s, const char *path, unsigned lineno)
{
  char *end;
  uint64_t v;

  if (strcmp (s, "-") == 0)
    return UINT64_MAX;
  errno = 0;
  v = strtoull (s, &end, 0);
  if (errno || end == s)
    die ("fault-inject: %s line %u: '%s' is not a size\n", path, lineno, s);
  switch (*end) {
  case 'k': v <<= 10; end++; break;
  case 'M': v <<= 20; end++; break;
  case 'G': v <<= 30; end++; break;
  }
  if (*end)
    die ("fault-inject: %s line %u: '%s' is not a size\n", path, lineno, s);
  return v;
}

static void
parse_action (struct rule *r, const char *s, const char *path, unsigned lineno)
{
  const char *colon = strchr (s, ':');
  size_t i;

  snprintf (r->action, sizeof r->action, "%s", s);
  for (i = 0; i < sizeof errnos / sizeof *errnos; i++)
    if (strcmp (s, errnos[i].name) == 0) {
      r->act = ACT_ERRNO;
      r->arg = errnos[i].num;
      return;
    }
  if (strcmp (s, "eof") == 0 && r->op == OP_READ) {
    r->act = ACT_EOF;
    return;
  }
  if (colon && strncmp (s, "short:", 6) == 0 &&
      (r->op == OP_READ || r->op == OP_WRITE))
    r->act = ACT_SHORT;
  else if (colon && strncmp (s, "stall:", 6) == 0)
    r->act = ACT_STALL;
  else
    die ("fault-inject: %s line %u: no action '%s' for %s\n", path, lineno, s,
         op_names[r->op]);
  r->arg = atol (colon + 1);
  if (r->arg <= 0)
    die ("fault-inject: %s line %u: '%s' needs a count over 0\n", path, lineno, s);
}

static void
parse_line (char *line, const char *path, unsigned lineno)
{
  char *w[7], *save = NULL, *hash = strchr (line, '#');
  struct rule *r = &rules[n_rules];
  int n = 0, i;

  if (hash)
    *hash = '\0';
  for (char *t = strtok_r (line, " \t\r\n", &save); t && n < 7;
       t = strtok_r (NULL, " \t\r\n", &save))
    w[n++] = t;
  if (n == 0)
    return;
  if (n < 5 || n > 6)
    die ("fault-inject: %s line %u: want OP MATCH START END ACTION [TIMES]\n",
         path, lineno);
  if (n_rules == MAX_RULES)
    die ("fault-inject: %s line %u: over %d rules\n", path, lineno, MAX_RULES);
  memset (r, 0, sizeof *r);
  for (i = 0; i < N_OPS && strcmp (w[0], op_names[i]) != 0; i++)
    ;
  if (i == N_OPS)
    die ("fault-inject: %s line %u: no operation '%s'\n", path, lineno, w[0]);
  r->op = (enum op) i;
  if (strlen (w[1]) >= MAX_MATCH)
    die ("fault-inject: %s line %u: the match is too long\n", path, lineno);
  strcpy (r->match, w[1]);
  r->start = parse_size (w[2], path, lineno);
  r->end = parse_size (w[3], path, lineno);
  parse_action (r, w[4], path, lineno);
  r->times = n == 6 ? atol (w[5]) : -1;
  if (n == 6 && r->times <= 0)
    die ("fault-inject: %s line %u: TIMES must be over 0\n", path, lineno);
  any_rule[r->op] = true;
  n_rules++;
}

/* Load the rules again if their file changed; LOCK held. */
static void
refresh (void)
{
  const char *path = getenv ("V2VFS_FAULT_RULES");
  struct stat st = { 0 };
  char *line = NULL;
  size_t cap = 0;
  unsigned lineno = 0;
  FILE *f;

  if (path == NULL || stat (path, &st) == -1)
    memset (&st, 0, sizeof st);
  if (st.st_ino == loaded.st_ino && st.st_dev == loaded.st_dev &&
      st.st_size == loaded.st_size &&
      st.st_mtim.tv_sec == loaded.st_mtim.tv_sec &&
      st.st_mtim.tv_nsec == loaded.st_mtim.tv_nsec)
    return;
  loaded = st;
  generation++;
  n_rules = 0;
  memset (any_rule, 0, sizeof any_rule);
  if (st.st_ino == 0 || (f = fopen (path, "re")) == NULL)
    return;
  while (getline (&line, &cap, f) != -1)
    parse_line (line, path, ++lineno);
  free (line);
  fclose (f);
}

static void
note (enum op op, const char *action, const char *path, uint64_t off,
      uint64_t len)
{
  const char *log = getenv ("V2VFS_FAULT_LOG");
  char line[PATH_MAX + 128];
  int fd, n;

  if (log == NULL)
    return;
  n = snprintf (line, sizeof line, "%s %s %s %" PRIu64 " %" PRIu64 "\n",
                op_names[op], action, path, off, len);
  if (n < 0 || (size_t) n >= sizeof line)
    return;
  /* O_APPEND: one write a line keeps lines from threads whole. */
  fd = open (log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    syscall (SYS_write, fd, line, (size_t) n);
    close (fd);
  }
}

/* The file offset of FD, for read and write. */
static uint64_t
position (int fd)
{
  off_t p = lseek (fd, 0, SEEK_CUR);

  return p == -1 ? 0 : (uint64_t) p;
}

/* The rule for OP on FD over [OFF, OFF + LEN) (OFF AT_POSITION: from
 * the file offset), if one fires. */
#define AT_POSITION UINT64_MAX
static struct hit
check (enum op op, int fd, uint64_t off, uint64_t len)
{
  struct hit h = { .act = ACT_NONE };
  char link[64], path[PATH_MAX] = "", action[MAX_ACTION] = "";
  uint64_t end = 0;
  size_t i;
  ssize_t n;

  if (busy)
    return h;
  busy = true;
  pthread_mutex_lock (&lock);
  refresh ();
  if (any_rule[op]) {
    snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink (link, path, sizeof path - 1);
    path[n > 0 ? n : 0] = '\0';
    if (off == AT_POSITION)
      off = position (fd);
    end = len > UINT64_MAX - off ? UINT64_MAX : off + (len ? len : 1);
    for (i = 0; n > 0 && i < n_rules; i++) {
      struct rule *r = &rules[i];
      bool ranged = op != OP_SYNC && op != OP_FTRUNCATE;
      if (r->op != op || strstr (path, r->match) == NULL ||
          (ranged && (off >= r->end || end <= r->start)) ||
          (r->times >= 0 && r->hits >= r->times))
        continue;
      r->hits++;
      h = (struct hit) { .act = r->act, .arg = r->arg, .gen = generation };
      memcpy (action, r->action, sizeof action);
      break;
    }
  }
  pthread_mutex_unlock (&lock);
  if (h.act != ACT_NONE)
    note (op, action, path, off, len);
  busy = false;
  return h;
}

/* Wait until the rules change, or MS milliseconds passed. */
static void
stall (const struct hit *h)
{
  const struct timespec step = { 0, STALL_STEP_MS * 1000000L };
  long waited;
  bool changed = false;

  for (waited = 0; waited < h->arg && !changed; waited += STALL_STEP_MS) {
    nanosleep (&step, NULL);
    pthread_mutex_lock (&lock);
    refresh ();
    changed = generation != h->gen;
    pthread_mutex_unlock (&lock);
  }
}

/* Do H's part before the call.  True: the call is not to run, and
 * returns *RET (errno set); false: run it, for at most *LEN bytes. */
static bool
before (const struct hit *h, size_t *len, ssize_t *ret)
{
  int saved = errno;

  switch (h->act) {
  case ACT_ERRNO:
    errno = (int) h->arg;
    *ret = -1;
    return true;
  case ACT_EOF:
    *ret = 0;
    return true;
  case ACT_SHORT:
    if (*len > (size_t) h->arg)
      *len = (size_t) h->arg;
    break;
  case ACT_STALL:
    stall (h);
    break;
  case ACT_NONE:
    break;
  }
  errno = saved;
  return false;
}

typedef ssize_t (*pread_fn) (int, void *, size_t, off_t);
typedef ssize_t (*pwrite_fn) (int, const void *, size_t, off_t);
typedef ssize_t (*read_fn) (int, void *, size_t);
typedef ssize_t (*write_fn) (int, const void *, size_t);
typedef int (*sync_fn) (int);
typedef int (*fallocate_fn) (int, int, off_t, off_t);
typedef int (*ftruncate_fn) (int, off_t);

static ssize_t
wrap_pread (pread_fn next, int fd, void *buf, size_t len, off_t off)
{
  struct hit h = check (OP_READ, fd, (uint64_t) off, len);
  ssize_t r;

  return before (&h, &len, &r) ? r : next (fd, buf, len, off);
}

static ssize_t
wrap_pwrite (pwrite_fn next, int fd, const void *buf, size_t len, off_t off)
{
  struct hit h = check (OP_WRITE, fd, (uint64_t) off, len);
  ssize_t r;

  return before (&h, &len, &r) ? r : next (fd, buf, len, off);
}

/* Calls with no byte count fail or wait; "short" and "eof" are refused
 * for them when the rules are read. */
static int
wrap_other (enum op op, int fd, uint64_t off, uint64_t len)
{
  struct hit h = check (op, fd, off, len);
  size_t ignored = 0;
  ssize_t r;

  return before (&h, &ignored, &r) ? (int) r : 0;
}

ssize_t
pread (int fd, void *buf, size_t len, off_t off)
{
  NEXT (pread, pread_fn);
  return wrap_pread (next_pread, fd, buf, len, off);
}

ssize_t
pread64 (int fd, void *buf, size_t len, off64_t off)
{
  NEXT (pread64, pread_fn);
  return wrap_pread (next_pread64, fd, buf, len, off);
}

ssize_t
pwrite (int fd, const void *buf, size_t len, off_t off)
{
  NEXT (pwrite, pwrite_fn);
  return wrap_pwrite (next_pwrite, fd, buf, len, off);
}

ssize_t
pwrite64 (int fd, const void *buf, size_t len, off64_t off)
{
  NEXT (pwrite64, pwrite_fn);
  return wrap_pwrite (next_pwrite64, fd, buf, len, off);
}

ssize_t
read (int fd, void *buf, size_t len)
{
  struct hit h = check (OP_READ, fd, AT_POSITION, len);
  ssize_t r;

  NEXT (read, read_fn);
  return before (&h, &len, &r) ? r : next_read (fd, buf, len);
}

ssize_t
write (int fd, const void *buf, size_t len)
{
  struct hit h = check (OP_WRITE, fd, AT_POSITION, len);
  ssize_t r;

  NEXT (write, write_fn);
  return before (&h, &len, &r) ? r : next_write (fd, buf, len);
}

int
fsync (int fd)
{
  NEXT (fsync, sync_fn);
  return wrap_other (OP_SYNC, fd, 0, 0) == -1 ? -1 : next_fsync (fd);
}

int
fdatasync (int fd)
{
  NEXT (fdatasync, sync_fn);
  return wrap_other (OP_SYNC, fd, 0, 0) == -1 ? -1 : next_fdatasync (fd);
}

int
fallocate (int fd, int mode, off_t off, off_t len)
{
  NEXT (fallocate, fallocate_fn);
  return wrap_other (OP_FALLOCATE, fd, (uint64_t) off, (uint64_t) len) == -1 ?
    -1 : next_fallocate (fd, mode, off, len);
}

int
fallocate64 (int fd, int mode, off64_t off, off64_t len)
{
  NEXT (fallocate64, fallocate_fn);
  return wrap_other (OP_FALLOCATE, fd, (uint64_t) off, (uint64_t) len) == -1 ?
    -1 : next_fallocate64 (fd, mode, off, len);
}

int
ftruncate (int fd, off_t len)
{
  NEXT (ftruncate, ftruncate_fn);
  return wrap_other (OP_FTRUNCATE, fd, (uint64_t) len, 0) == -1 ?
    -1 : next_ftruncate (fd, len);
}

int
ftruncate64 (int fd, off64_t len)
{
  NEXT (ftruncate64, ftruncate_fn);
  return wrap_other (OP_FTRUNCATE, fd, (uint64_t) len, 0) == -1 ?
    -1 : next_ftruncate64 (fd, len);
}
