/* See overlay.h: the store, the overlay DIR itself.  Opening it takes its
 * lock and checks (or, the first time, writes) its identity file, which
 * ties the store to the sources it was made for; discarding empties it.
 * The overlay of each disk, in the store, is overlay.c's. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "checked.h"
#include "cleanup.h"
#include "fixreport.h"
#include "fullio.h"
#include "overlay.h"
#include "overlay-store.h"

#define IDENTITY_FILE "overlay.v2vfs"
#define IDENTITY_MAGIC "v2vfs overlay 1"
/* The fingerprint reads this much at each end of each source file. */
#define FINGERPRINT_BYTES (64 * 1024)
#define LOCK_TRIES 50                  /* 5 s for a store's lock */

/* "NAME (SIZE bytes, fingerprint F)" for one source file: F is a CRC of
 * its first and last 64 KiB, which differ between any two exports in
 * practice (the OVF descriptor, the VMDK header and footer). */
static int
describe_source (const char *path, char **line, struct v2_error *e)
{
  CLEANUP_CLOSE int fd = open (path, O_RDONLY | O_CLOEXEC);
  CLEANUP_FREE unsigned char *buf = malloc (FINGERPRINT_BYTES);
  CLEANUP_FREE char *copy = strdup (path);
  struct stat st;
  uLong head, tail;
  ssize_t r;

  if (buf == NULL || copy == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  if (fd == -1 || fstat (fd, &st) == -1)
    return v2_err (e, errno, "%s: %s", path, strerror (errno));
  r = pread_full (fd, buf, FINGERPRINT_BYTES, 0);
  if (r == -1)
    return v2_err (e, errno, "%s: read at offset 0: %s", path, strerror (errno));
  head = crc32 (0, buf, (uInt) r);
  tail = head;
  if (st.st_size > FINGERPRINT_BYTES) {
    uint64_t off = (uint64_t) st.st_size - FINGERPRINT_BYTES;
    r = pread_full (fd, buf, FINGERPRINT_BYTES, off);
    if (r == -1)
      return v2_err (e, errno, "%s: read at offset %" PRIu64 ": %s", path, off,
                     strerror (errno));
    tail = crc32 (0, buf, (uInt) r);
  }
  if (asprintf (line, "%s (%jd bytes, fingerprint %08lx%08lx)",
                basename (copy), (intmax_t) st.st_size, head, tail) == -1)
    return v2_err (e, ENOMEM, "out of memory");
  return 0;
}

/* The identity of SOURCES: one line per source file. */
static char *
identity_of (char *const *sources, size_t n, struct v2_error *e)
{
  char *text = NULL;
  size_t i;

  for (i = 0; i < n; i++) {
    CLEANUP_FREE char *line = NULL;
    char *t;
    if (describe_source (sources[i], &line, e) == -1 ||
        asprintf (&t, "%ssource %s\n", text ? text : "", line) == -1) {
      if (line)
        v2_err (e, ENOMEM, "out of memory");
      free (text);
      return NULL;
    }
    free (text);
    text = t;
  }
  return text;
}

/* "a.ova (N bytes, fingerprint F)" from an identity: its source lines,
 * joined with ", ". */
static char *
identity_summary (const char *ident)
{
  char *out = NULL;
  const char *p, *nl;

  for (p = ident; *p; p = nl + (*nl != '\0')) {
    char *t;
    nl = strchrnul (p, '\n');
    if (strncmp (p, "source ", 7) != 0)
      continue;
    if (asprintf (&t, "%s%s%.*s", out ? out : "", out ? ", " : "",
                  (int) (nl - p - 7), p + 7) == -1) {
      free (out);
      return NULL;
    }
    free (out);
    out = t;
  }
  return out ? out : strdup ("no source");
}

/* See overlay-store.h. */
int
publish_file (struct overlay_store *st, const char *name, const void *buf,
              size_t len, uint64_t size, int *fd, struct v2_error *e)
{
  CLEANUP_FREE char *tmp = NULL;
  int f;

  if (asprintf (&tmp, "%s.tmp", name) == -1)
    return v2_err (e, ENOMEM, "out of memory");
  f = openat (st->dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC |
              O_NOFOLLOW, 0600);
  if (f == -1)
    return v2_err (e, errno, "%s/%s: %s", st->dir, tmp, strerror (errno));
  if (pwrite_full (f, buf, len, 0) == -1 ||
      ftruncate (f, (off_t) size) == -1 || fsync (f) == -1 ||
      renameat (st->dirfd, tmp, st->dirfd, name) == -1 ||
      fsync (st->dirfd) == -1) {
    int err = errno;
    close (f);
    unlinkat (st->dirfd, tmp, 0);
    return v2_err (e, err, "%s/%s: cannot create: %s", st->dir, name,
                   strerror (err));
  }
  if (fd)
    *fd = f;
  else
    close (f);
  return 0;
}

/* Open DIR (creating it if missing) and take its lock. */
static struct overlay_store *
store_lock (const char *dir, bool create, struct v2_error *e)
{
  struct overlay_store *st = calloc (1, sizeof *st);
  int tries;

  if (st == NULL || (st->dir = strdup (dir)) == NULL) {
    free (st);
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  st->dirfd = -1;
  if (create && mkdir (dir, 0700) == -1 && errno != EEXIST) {
    v2_err (e, errno, "%s: cannot create the overlay directory: %s", dir,
            strerror (errno));
    goto fail;
  }
  st->dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (st->dirfd == -1) {
    v2_err (e, errno, "%s: %s", dir, strerror (errno));
    goto fail;
  }
  /* flock on the directory: held by the daemon (fuse_daemonize's fork
   * keeps the open file, and with it the lock) until it exits.  After
   * fusermount3 -u the old daemon may still be flushing: wait for it a
   * little before calling the store busy. */
  for (tries = 0; flock (st->dirfd, LOCK_EX | LOCK_NB) == -1; tries++) {
    if (errno != EWOULDBLOCK || tries == LOCK_TRIES) {
      v2_err (e, errno, "%s: the overlay is in use by another v2vfs (%s)",
              dir, errno == EWOULDBLOCK ? "it holds the lock" : strerror (errno));
      goto fail;
    }
    usleep (100 * 1000);
  }
  return st;

 fail:
  overlay_store_close (st);
  return NULL;
}

struct overlay_store *
overlay_store_open (const char *dir, char *const *sources, size_t n,
                    struct v2_error *e)
{
  struct overlay_store *st;
  CLEANUP_FREE char *ident = NULL, *want = NULL;
  char buf[65536];
  int fd;
  ssize_t r;

  if ((st = store_lock (dir, true, e)) == NULL)
    return NULL;
  if ((ident = identity_of (sources, n, e)) == NULL)
    goto fail;
  if (asprintf (&want, IDENTITY_MAGIC "\n%s", ident) == -1) {
    v2_err (e, ENOMEM, "out of memory");
    goto fail;
  }

  fd = openat (st->dirfd, IDENTITY_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd == -1 && errno == ENOENT) {
    /* A new store: record whose it is before any disk file exists. */
    if (publish_file (st, IDENTITY_FILE, want, strlen (want), strlen (want),
                      NULL, e) == -1)
      goto fail;
    return st;
  }
  if (fd == -1) {
    v2_err (e, errno, "%s/%s: %s", dir, IDENTITY_FILE, strerror (errno));
    goto fail;
  }
  r = pread_full (fd, buf, sizeof buf - 1, 0);
  close (fd);
  if (r == -1) {
    v2_err (e, errno, "%s/%s: read at offset 0: %s", dir, IDENTITY_FILE,
            strerror (errno));
    goto fail;
  }
  buf[r] = '\0';
  if (strncmp (buf, IDENTITY_MAGIC "\n", strlen (IDENTITY_MAGIC) + 1) != 0) {
    v2_err (e, EINVAL, "%s/%s: not a v2vfs overlay identity (the first line "
            "is not \"" IDENTITY_MAGIC "\")", dir, IDENTITY_FILE);
    goto fail;
  }
  if (strcmp (buf, want) != 0) {
    CLEANUP_FREE char *was = identity_summary (buf);
    CLEANUP_FREE char *is = identity_summary (want);
    v2_err (e, EINVAL, "%s: this overlay belongs to %s, not to %s; "
            "mount it with its own source, or empty it with "
            "--discard-overlay --yes", dir, was ? was : "?", is ? is : "?");
    goto fail;
  }
  return st;

 fail:
  overlay_store_close (st);
  return NULL;
}

void
overlay_store_close (struct overlay_store *st)
{
  if (st == NULL)
    return;
  if (st->dirfd >= 0)
    close (st->dirfd);
  free (st->dir);
  free (st);
}

/* Whether NAME in DIRFD is a map this code wrote. */
static bool
is_our_map (int dirfd, const char *name)
{
  CLEANUP_CLOSE int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  char magic[8];

  return fd >= 0 && pread_full (fd, magic, sizeof magic, 0) == sizeof magic &&
    memcmp (magic, MAP_MAGIC, sizeof magic) == 0;
}

static uint64_t
file_bytes (int dirfd, const char *name)
{
  struct stat st;

  return fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ?
    (uint64_t) st.st_blocks * 512 : 0;
}

int
overlay_store_discard (const char *dir, unsigned *n_disks, uint64_t *bytes,
                       struct v2_error *e)
{
  struct overlay_store *st = store_lock (dir, false, e);
  DIR *d;
  struct dirent *de;
  int ret = -1;

  *n_disks = 0;
  *bytes = 0;
  if (st == NULL)
    return -1;
  if (faccessat (st->dirfd, IDENTITY_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == -1) {
    v2_err (e, ENOENT, "%s: not a v2vfs overlay (it has no %s)", dir,
            IDENTITY_FILE);
    goto out;
  }
  d = fdopendir (dup (st->dirfd));
  if (d == NULL) {
    v2_err (e, errno, "%s: %s", dir, strerror (errno));
    goto out;
  }
  while ((de = readdir (d)) != NULL) {
    size_t len = strlen (de->d_name);
    char data[NAME_MAX + 2];
    /* A guest-fix report speaks of the writes: it goes with them. */
    if (fixreport_is_name (de->d_name)) {
      *bytes += file_bytes (st->dirfd, de->d_name);
      if (unlinkat (st->dirfd, de->d_name, 0) == -1) {
        v2_err (e, errno, "%s/%s: cannot remove: %s", dir, de->d_name,
                strerror (errno));
        closedir (d);
        goto out;
      }
      continue;
    }
    if (len <= 4 || len > NAME_MAX || strcmp (de->d_name + len - 4, ".map") != 0 ||
        !is_our_map (st->dirfd, de->d_name))
      continue;
    snprintf (data, sizeof data, "%.*s.data", (int) len - 4, de->d_name);
    *bytes += file_bytes (st->dirfd, data) + file_bytes (st->dirfd, de->d_name);
    /* The map first: a data file without its map is never trusted. */
    if (unlinkat (st->dirfd, de->d_name, 0) == -1 ||
        (unlinkat (st->dirfd, data, 0) == -1 && errno != ENOENT)) {
      v2_err (e, errno, "%s/%s: cannot remove: %s", dir, de->d_name,
              strerror (errno));
      closedir (d);
      goto out;
    }
    ++*n_disks;
  }
  closedir (d);
  if (unlinkat (st->dirfd, IDENTITY_FILE, 0) == -1 || fsync (st->dirfd) == -1) {
    v2_err (e, errno, "%s/%s: cannot remove: %s", dir, IDENTITY_FILE,
            strerror (errno));
    goto out;
  }
  ret = 0;
 out:
  overlay_store_close (st);
  return ret;
}
