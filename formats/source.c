/* See source.h.  The piece list is sorted by `start` and covers the source
 * without gaps, so a read is a binary search and a short loop. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checked.h"
#include "cleanup.h"
#include "fullio.h"
#include "gz.h"
#include "source.h"

static struct source *
source_new (const char *name, size_t n_pieces, struct v2_error *e)
{
  struct source *s = calloc (1, sizeof *s);

  if (s == NULL)
    goto enomem;
  s->name = strdup (name);
  s->pieces = calloc (n_pieces ? n_pieces : 1, sizeof *s->pieces);
  if (s->name == NULL || s->pieces == NULL)
    goto enomem;
  s->n_pieces = n_pieces;
  return s;

 enomem:
  source_free (s);
  v2_err (e, ENOMEM, "%s: out of memory", name);
  return NULL;
}

struct source *
source_from_fd (const char *name, int fd, struct v2_error *e)
{
  struct stat st;
  struct source *s;

  if (fstat (fd, &st) == -1) {
    v2_err (e, errno, "%s: stat: %s", name, strerror (errno));
    close (fd);
    return NULL;
  }
  /* Devices, FIFOs and directories are refused: a descriptor may not make
   * us read a block device or hang on a pipe. */
  if (!S_ISREG (st.st_mode)) {
    v2_err (e, EINVAL, "%s: not a regular file", name);
    close (fd);
    return NULL;
  }
  s = source_new (name, 1, e);
  if (s)
    s->fds = malloc (sizeof (int));
  if (s == NULL || s->fds == NULL) {
    close (fd);
    source_free (s);
    return NULL;
  }
  s->fds[0] = fd;
  s->n_fds = 1;
  s->size = (uint64_t) st.st_size;
  s->pieces[0] = (struct source_piece) { .len = s->size, .fd = fd };
  return s;
}

struct source *
source_from_mem (const char *name, const void *buf, size_t len,
                 struct v2_error *e)
{
  struct source *s = source_new (name, 1, e);

  if (s == NULL)
    return NULL;
  s->size = len;
  s->pieces[0] = (struct source_piece) { .len = len, .fd = -1, .mem = buf };
  return s;
}

struct source *
source_from_gz (const char *name, struct gz *gz, struct v2_error *e)
{
  struct source *s = source_new (name, 1, e);

  if (s == NULL)
    return NULL;
  gz_size (gz, &s->size);
  s->pieces[0] = (struct source_piece) { .len = s->size, .fd = -1, .gz = gz };
  return s;
}

int
source_settle (struct source *s, struct v2_error *e)
{
  struct source_piece *p = &s->pieces[0];

  if (s->n_pieces != 1 || p->gz == NULL || p->file_off != 0)
    return 0;
  if (gz_finish (p->gz, e) == -1)
    return -1;
  gz_size (p->gz, &s->size);
  p->len = s->size;
  return 0;
}

/* Index of the piece holding OFF (OFF < size). */
static size_t
find_piece (const struct source *s, uint64_t off)
{
  size_t lo = 0, hi = s->n_pieces;

  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->pieces[mid].start <= off)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

struct source *
source_window (const struct source *parent, const char *name,
               uint64_t off, uint64_t len, struct v2_error *e)
{
  uint64_t end;
  size_t first, last, i;
  struct source *s;

  if (ADD_OVERFLOW (off, len, &end) || end > parent->size) {
    v2_err (e, EINVAL, "%s: window at offset %" PRIu64 " of %" PRIu64
            " bytes extends past the end (%" PRIu64 " bytes)",
            parent->name, off, len, parent->size);
    return NULL;
  }
  if (len == 0)
    return source_new (name, 0, e);
  first = find_piece (parent, off);
  last = find_piece (parent, end - 1);
  s = source_new (name, last - first + 1, e);
  if (s == NULL)
    return NULL;
  s->size = len;
  for (i = first; i <= last; i++) {
    struct source_piece p = parent->pieces[i];
    uint64_t lo = MAX (p.start, off), hi = MIN (p.start + p.len, end);
    s->pieces[i - first] = (struct source_piece) {
      .start = lo - off, .len = hi - lo, .fd = p.fd, .mem = p.mem, .gz = p.gz,
      .file_off = p.file_off + (lo - p.start),
    };
  }
  return s;
}

struct source *
source_concat (const char *name, struct source **parts, size_t n,
               struct v2_error *e)
{
  size_t i, j, np = 0, nfd = 0;
  uint64_t at = 0;
  struct source *s = NULL;

  for (i = 0; i < n; i++) {
    np += parts[i]->n_pieces;
    nfd += parts[i]->n_fds;
  }
  s = source_new (name, np, e);
  if (s == NULL)
    goto out;
  s->fds = calloc (nfd ? nfd : 1, sizeof (int));
  if (s->fds == NULL) {
    v2_err (e, ENOMEM, "%s: out of memory", name);
    source_free (s);
    s = NULL;
    goto out;
  }
  np = 0;
  for (i = 0; i < n; i++) {
    for (j = 0; j < parts[i]->n_pieces; j++) {
      s->pieces[np] = parts[i]->pieces[j];
      s->pieces[np++].start = at;
      at += parts[i]->pieces[j].len;
    }
    for (j = 0; j < parts[i]->n_fds; j++)
      s->fds[s->n_fds++] = parts[i]->fds[j];
    parts[i]->n_fds = 0;
  }
  s->size = at;
 out:
  for (i = 0; i < n; i++) {
    source_free (parts[i]);
    parts[i] = NULL;
  }
  return s;
}

void
source_free (struct source *s)
{
  size_t i;

  if (s == NULL)
    return;
  for (i = 0; i < s->n_fds; i++)
    close (s->fds[i]);
  free (s->fds);
  free (s->pieces);
  free (s->name);
  free (s);
}

int
source_pread (const struct source *s, void *buf, size_t len, uint64_t off,
              const char *what, struct v2_error *e)
{
  uint64_t end;
  size_t i;
  char *p = buf;

  if (ADD_OVERFLOW (off, (uint64_t) len, &end) || end > s->size)
    return v2_err (e, EIO, "%s: %s at offset %" PRIu64 ": %zu bytes "
                   "extend past the end of the file (%" PRIu64 " bytes)",
                   s->name, what, off, len, s->size);
  if (len == 0)
    return 0;
  for (i = find_piece (s, off); len > 0; i++) {
    const struct source_piece *pc = &s->pieces[i];
    uint64_t in = off - pc->start;
    size_t n = (size_t) MIN ((uint64_t) len, pc->len - in);

    if (pc->gz) {
      if (gz_pread (pc->gz, p, n, pc->file_off + in, what, e) == -1)
        return -1;
    }
    else if (pc->fd == -1)
      memcpy (p, pc->mem + pc->file_off + in, n);
    else {
      ssize_t r = pread_full (pc->fd, p, n, pc->file_off + in);
      if (r == -1)
        return v2_err (e, errno, "%s: %s at offset %" PRIu64 ": read: %s",
                       s->name, what, off, strerror (errno));
      if ((size_t) r < n)
        return v2_err (e, EIO, "%s: %s at offset %" PRIu64 ": file ends "
                       "early (it shrank after it was opened?)",
                       s->name, what, off + (uint64_t) r);
    }
    p += n;
    off += n;
    len -= n;
  }
  return 0;
}

uint64_t
source_seek (const struct source *s, uint64_t off, bool data)
{
  size_t i;

  for (i = find_piece (s, off); i < s->n_pieces; i++) {
    const struct source_piece *pc = &s->pieces[i];
    uint64_t in = MAX (off, pc->start) - pc->start;
    off_t r;

    if (pc->fd == -1) {                   /* memory and gzip output: all data */
      if (data)
        return pc->start + in;
      continue;
    }
    /* This moves the shared file offset, which no reader uses (pread). */
    r = lseek (pc->fd, (off_t) (pc->file_off + in), data ? SEEK_DATA : SEEK_HOLE);
    if (r == -1) {
      if (errno == ENXIO)                 /* no data up to the file's end */
        continue;
      if (data)                           /* cannot tell: say data */
        return pc->start + in;
      continue;
    }
    /* An answer past this piece means none inside it. */
    if ((uint64_t) r < pc->file_off + pc->len)
      return pc->start + ((uint64_t) r - pc->file_off);
  }
  return s->size;
}

uint64_t
source_allocated (const struct source *s, uint64_t off, uint64_t len)
{
  uint64_t end = off + len, total = 0;
  /* A file with more runs than this is counted as all data from there:
   * st_blocks is informative, mount time must stay small. */
  unsigned budget = 100000;

  while (off < end) {
    uint64_t d = source_seek (s, off, true), h;
    if (d >= end)
      break;
    if (budget-- == 0)
      return total + (end - d);
    h = MIN (source_seek (s, d, false), end);
    total += h - d;
    off = h;
  }
  return total;
}

char *
source_slurp (const struct source *s, uint64_t max, const char *what,
              struct v2_error *e)
{
  CLEANUP_FREE char *buf = NULL;

  if (s->size > max) {
    v2_err (e, EFBIG, "%s: %s is %" PRIu64 " bytes, over the %" PRIu64
            "-byte limit", s->name, what, s->size, max);
    return NULL;
  }
  buf = malloc (s->size + 1);
  if (buf == NULL) {
    v2_err (e, ENOMEM, "%s: out of memory", s->name);
    return NULL;
  }
  if (source_pread (s, buf, s->size, 0, what, e) == -1)
    return NULL;
  buf[s->size] = '\0';
  return TAKE (buf);
}
