/* See gz.h.  zlib does the inflating (libdeflate cannot stop and resume
 * mid-stream); what is ours is where it starts and what it remembers.
 *
 * A cursor is a live z_stream with its output offset.  Started at a
 * checkpoint of kind GZ_POINT_BLOCK it inflates raw deflate (no header),
 * primed with the checkpoint's bits and window, and skips the member's
 * 8-byte trailer itself when the member ends; started at a member's
 * header it lets zlib parse the header and check the trailer.  After a
 * member, either another begins (1f 8b) or the rest of the file must be
 * zeros (padding, which gzip(1) also accepts); anything else is an error. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "checked.h"
#include "cleanup.h"
#include "gz.h"
#include "gz-index.h"
#include "iszero.h"

#define IN_CHUNK (64 * 1024)
/* Idle cursors kept for reads that continue where others stopped: a
 * sequential copy with a few requests in flight needs a few. */
#define IDLE_MAX 4
/* The identity covers this much of each end of the compressed bytes. */
#define FINGERPRINT_BYTES (64 * 1024)

struct cursor {
  z_stream z;
  bool live;                     /* z is initialized */
  bool raw;                      /* the member's trailer is ours to skip */
  bool ended;                    /* no more output */
  uint64_t out;                  /* output offset of the next byte */
  uint64_t in;                   /* compressed offset of the next load */
  unsigned char buf[IN_CHUNK];
  unsigned char skip[GZ_WINDOW]; /* output nobody asked for */
};

struct gz {
  char *name;
  struct source *in;
  char *identity;                /* NULL: never saved (bytes in memory) */
  char *index_dir;
  size_t max_points;
  uint64_t bound;
  pthread_mutex_t lock;          /* guards the fields below */
  struct gz_index ix;
  bool complete;
  bool loaded, saved;
  char *broken;                  /* the first bad data met, for every read */
  struct cursor *idle[IDLE_MAX];
  size_t n_idle;
  uint64_t next_point;           /* atomic: the output offset due a point */
  int stop;                      /* atomic: the background pass stops */
  pthread_t thread;
  bool thread_started;
};

bool
gz_sniff (const struct source *s)
{
  unsigned char m[3];
  struct v2_error e;

  return s->size >= 18 && source_pread (s, m, 3, 0, "gzip magic", &e) == 0 &&
    m[0] == 0x1f && m[1] == 0x8b && m[2] == 8;
}

/* What the compressed bytes are: for each file piece, the file's device,
 * inode, size and modification time, the window of it, and a CRC of the
 * first and last FINGERPRINT_BYTES; a piece of another gzip stream is
 * that stream's identity.  NULL with no error when some piece is memory. */
static int
make_identity (const struct source *in, char **out, struct v2_error *e)
{
  CLEANUP_FREE char *id = NULL;
  CLEANUP_FREE unsigned char *buf = malloc (FINGERPRINT_BYTES);
  uint64_t n;
  uLong head, tail;
  size_t i;

  *out = NULL;
  if (buf == NULL || (id = strdup ("")) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  for (i = 0; i < in->n_pieces; i++) {
    const struct source_piece *p = &in->pieces[i];
    struct stat st;
    char *more = NULL;
    int r;

    if (p->gz && p->gz->identity)
      r = asprintf (&more, "%s[%s]@%" PRIu64 "+%" PRIu64 ";", id,
                    p->gz->identity, p->file_off, p->len);
    else if (p->fd >= 0 && fstat (p->fd, &st) == 0)
      r = asprintf (&more, "%sfile %ju:%ju:%jd:%jd.%09ld@%" PRIu64 "+%" PRIu64
                    ";", id, (uintmax_t) st.st_dev, (uintmax_t) st.st_ino,
                    (intmax_t) st.st_size, (intmax_t) st.st_mtim.tv_sec,
                    st.st_mtim.tv_nsec, p->file_off, p->len);
    else
      return 0;
    if (r == -1)
      return v2_err (e, ENOMEM, "out of memory");
    free (id);
    id = more;
  }
  n = MIN (in->size, (uint64_t) FINGERPRINT_BYTES);
  if (source_pread (in, buf, n, 0, "gzip data", e) == -1)
    return -1;
  head = crc32 (0, buf, (uInt) n);
  if (source_pread (in, buf, n, in->size - n, "gzip data", e) == -1)
    return -1;
  tail = crc32 (0, buf, (uInt) n);
  if (asprintf (out, "%ssize %" PRIu64 " crc %08lx %08lx", id, in->size,
                head, tail) == -1) {
    *out = NULL;
    return v2_err (e, ENOMEM, "out of memory");
  }
  return 0;
}

struct gz *
gz_open (struct source *in, const char *name, const struct gz_config *cfg,
         struct v2_error *e)
{
  struct gz *gz = calloc (1, sizeof *gz);
  uint64_t memory = cfg && cfg->memory ? cfg->memory : GZ_MEMORY_DEFAULT;

  if (gz == NULL || (gz->name = strdup (name)) == NULL) {
    free (gz);
    source_free (in);
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  gz->in = in;
  pthread_mutex_init (&gz->lock, NULL);
  gz->max_points = (size_t) MAX (memory / GZ_WINDOW, UINT64_C (4));
  if (MUL_OVERFLOW (in->size, (uint64_t) GZ_MAX_RATIO, &gz->bound))
    gz->bound = UINT64_MAX / 2;
  if (make_identity (in, &gz->identity, e) == -1)
    goto err;
  if (cfg && cfg->index_dir && gz->identity) {
    int r;
    if ((gz->index_dir = strdup (cfg->index_dir)) == NULL) {
      v2_err (e, ENOMEM, "out of memory");
      goto err;
    }
    r = gz_index_load (gz->index_dir, gz->identity, in->size, gz->max_points,
                       &gz->ix, e);
    if (r == -1)
      goto err;
    gz->complete = gz->loaded = r == 1;
  }
  if (!gz->complete) {
    gz->ix.spacing = cfg && cfg->spacing ? cfg->spacing : GZ_SPACING_DEFAULT;
    gz->ix.cap = 16;
    gz->ix.points = calloc (gz->ix.cap, sizeof *gz->ix.points);
    if (gz->ix.points == NULL) {
      v2_err (e, ENOMEM, "out of memory");
      goto err;
    }
    gz->ix.points[0] = (struct gz_point) { .kind = GZ_POINT_MEMBER };
    gz->ix.n = 1;
  }
  gz->next_point = gz->complete ? UINT64_MAX : gz->ix.spacing;
  return gz;

 err:
  gz_free (gz);
  return NULL;
}

static void
cursor_free (struct cursor *c)
{
  if (c && c->live)
    inflateEnd (&c->z);
  free (c);
}

void
gz_free (struct gz *gz)
{
  if (gz == NULL)
    return;
  if (gz->thread_started) {
    __atomic_store_n (&gz->stop, 1, __ATOMIC_RELAXED);
    pthread_join (gz->thread, NULL);
  }
  while (gz->n_idle > 0)
    cursor_free (gz->idle[--gz->n_idle]);
  gz_index_clear (&gz->ix);
  pthread_mutex_destroy (&gz->lock);
  source_free (gz->in);
  free (gz->identity);
  free (gz->broken);
  free (gz->index_dir);
  free (gz->name);
  free (gz);
}

bool
gz_size (const struct gz *gz, uint64_t *size)
{
  struct gz *g = (struct gz *) gz;
  bool complete;

  pthread_mutex_lock (&g->lock);
  complete = g->complete;
  *size = complete ? g->ix.size : g->bound;
  pthread_mutex_unlock (&g->lock);
  return complete;
}

void
gz_stats (struct gz *gz, struct gz_stats *st)
{
  pthread_mutex_lock (&gz->lock);
  *st = (struct gz_stats) {
    .points = gz->ix.n, .spacing = gz->ix.spacing, .complete = gz->complete,
    .loaded = gz->loaded, .saved = gz->saved,
  };
  pthread_mutex_unlock (&gz->lock);
}

const char *
gz_name (const struct gz *gz)
{
  return gz->name;
}

/* Bad data breaks the stream for good: gzip's CRC-32 covers a whole
 * member and is checked only at its end, so a member found corrupt may
 * already have served wrong bytes, and must serve no more. */
static int
bad_data (struct gz *gz, const struct cursor *c, const char *why,
          struct v2_error *e)
{
  v2_err (e, EIO, "%s: gzip data at compressed offset %" PRIu64
          " (output offset %" PRIu64 "): %s", gz->name,
          c->in - c->z.avail_in, c->out, why);
  pthread_mutex_lock (&gz->lock);
  if (gz->broken == NULL)
    gz->broken = strdup (e->msg);
  pthread_mutex_unlock (&gz->lock);
  return -1;
}

/* -1 with the stream's first bad data in E, if there was any. */
static int
check_broken (struct gz *gz, struct v2_error *e)
{
  int r = 0;

  pthread_mutex_lock (&gz->lock);
  if (gz->broken)
    r = v2_err (e, EIO, "%s", gz->broken);
  pthread_mutex_unlock (&gz->lock);
  return r;
}

/* Load the next input chunk into an empty buffer.  1 at the end. */
static int
cursor_fill (struct gz *gz, struct cursor *c, struct v2_error *e)
{
  size_t n = (size_t) MIN ((uint64_t) IN_CHUNK, gz->in->size - c->in);

  if (n == 0)
    return 1;
  if (source_pread (gz->in, c->buf, n, c->in, "gzip data", e) == -1)
    return -1;
  c->z.next_in = c->buf;
  c->z.avail_in = (uInt) n;
  c->in += n;
  return 0;
}

static int
cursor_start (struct gz *gz, struct cursor *c, const struct gz_point *p,
              const unsigned char *window, struct v2_error *e)
{
  int r;

  if (c->live)
    inflateEnd (&c->z);
  memset (&c->z, 0, sizeof c->z);
  c->live = c->ended = false;
  c->out = p->out;
  c->in = p->in;
  c->raw = p->kind == GZ_POINT_BLOCK;
  r = inflateInit2 (&c->z, c->raw ? -15 : 31);
  if (r != Z_OK)
    return v2_err (e, ENOMEM, "%s: out of memory", gz->name);
  c->live = true;
  if (c->raw && p->bits) {
    unsigned char b;
    if (source_pread (gz->in, &b, 1, p->in - 1, "gzip data", e) == -1)
      return -1;
    inflatePrime (&c->z, p->bits, b >> (8 - p->bits));
  }
  if (c->raw && p->wlen && inflateSetDictionary (&c->z, window, p->wlen) != Z_OK)
    return bad_data (gz, c, "the index's window does not fit", e);
  return 0;
}

/* With the index locked: drop every other checkpoint and double the
 * spacing, keeping the first. */
static void
thin (struct gz *gz)
{
  struct gz_index *ix = &gz->ix;
  size_t i, k = 1;

  for (i = 1; i < ix->n; i++) {
    if (i % 2 == 0)
      ix->points[k++] = ix->points[i];
    else
      free (ix->points[i].window);
  }
  ix->n = k;
  ix->spacing *= 2;
}

/* C stands where a checkpoint of KIND may go: add one if it is due.  An
 * out-of-memory here only leaves the index sparser. */
static void
maybe_point (struct gz *gz, struct cursor *c, enum gz_point_kind kind)
{
  struct gz_index *ix = &gz->ix;
  struct gz_point p = {
    .out = c->out, .in = c->in - c->z.avail_in, .kind = kind,
    .bits = kind == GZ_POINT_BLOCK ? (uint8_t) (c->z.data_type & 7) : 0,
  };

  if (c->out < __atomic_load_n (&gz->next_point, __ATOMIC_RELAXED))
    return;
  pthread_mutex_lock (&gz->lock);
  if (gz->complete || c->out < ix->points[ix->n - 1].out + ix->spacing)
    goto out;
  if (ix->n == gz->max_points) {
    thin (gz);
    if (c->out < ix->points[ix->n - 1].out + ix->spacing)
      goto out;
  }
  if (ix->n == ix->cap) {
    size_t cap = MIN (ix->cap * 2, gz->max_points);
    struct gz_point *np = realloc (ix->points, cap * sizeof *np);
    if (np == NULL)
      goto out;
    ix->points = np;
    ix->cap = cap;
  }
  if (kind == GZ_POINT_BLOCK) {
    uInt len = GZ_WINDOW;
    if ((p.window = malloc (GZ_WINDOW)) == NULL)
      goto out;
    if (inflateGetDictionary (&c->z, p.window, &len) != Z_OK) {
      free (p.window);
      goto out;
    }
    p.wlen = len;
  }
  ix->points[ix->n++] = p;
  __atomic_store_n (&gz->next_point, p.out + ix->spacing, __ATOMIC_RELAXED);
 out:
  pthread_mutex_unlock (&gz->lock);
}

/* The output ends at SIZE: the index is complete.  It is saved, once, by
 * whoever completed it; nothing changes the index after this. */
static void
complete_at (struct gz *gz, uint64_t size)
{
  struct v2_error e;
  bool save = false;

  pthread_mutex_lock (&gz->lock);
  if (!gz->complete) {
    gz->complete = true;
    gz->ix.size = size;
    __atomic_store_n (&gz->next_point, UINT64_MAX, __ATOMIC_RELAXED);
    save = gz->index_dir != NULL;
  }
  pthread_mutex_unlock (&gz->lock);
  if (save && gz_index_save (gz->index_dir, gz->identity, &gz->ix, &e) == 0) {
    pthread_mutex_lock (&gz->lock);
    gz->saved = true;
    pthread_mutex_unlock (&gz->lock);
  }
}

/* Consume N bytes of input (a trailer). */
static int
cursor_consume (struct gz *gz, struct cursor *c, size_t n, struct v2_error *e)
{
  while (n > 0) {
    size_t k;
    if (c->z.avail_in == 0) {
      int f = cursor_fill (gz, c, e);
      if (f == -1)
        return -1;
      if (f == 1)
        return bad_data (gz, c, "the file ends inside a member's trailer", e);
    }
    k = MIN (n, (size_t) c->z.avail_in);
    c->z.next_in += k;
    c->z.avail_in -= (uInt) k;
    n -= k;
  }
  return 0;
}

/* A member ended.  Go on to the next, or end the stream. */
static int
member_end (struct gz *gz, struct cursor *c, struct v2_error *e)
{
  uint64_t at, rest;
  unsigned char m[2];

  if (c->raw && cursor_consume (gz, c, 8, e) == -1)
    return -1;
  at = c->in - c->z.avail_in;
  rest = gz->in->size - at;
  if (rest >= 2) {
    if (source_pread (gz->in, m, 2, at, "gzip data", e) == -1)
      return -1;
    if (m[0] == 0x1f && m[1] == 0x8b) {
      if (inflateReset2 (&c->z, 31) != Z_OK)
        return bad_data (gz, c, "cannot restart inflating", e);
      c->raw = false;
      maybe_point (gz, c, GZ_POINT_MEMBER);
      return 0;
    }
  }
  while (rest > 0) {               /* padding: zeros to the end */
    size_t n = (size_t) MIN (rest, (uint64_t) sizeof c->skip);
    if (source_pread (gz->in, c->skip, n, at, "gzip data", e) == -1)
      return -1;
    if (!is_zero (c->skip, n))
      return bad_data (gz, c, "what follows the member is neither another "
                       "member nor zeros", e);
    at += n;
    rest -= n;
  }
  c->ended = true;
  complete_at (gz, c->out);
  return 0;
}

/* Inflate up to LEN bytes into DST.  Returns the count, 0 only at the end
 * of the stream, or -1. */
static ssize_t
cursor_inflate (struct gz *gz, struct cursor *c, unsigned char *dst,
                size_t len, struct v2_error *e)
{
  size_t done = 0;

  while (done < len && !c->ended) {
    uInt room = (uInt) MIN (len - done, (size_t) (1u << 30));
    int r;

    if (c->z.avail_in == 0) {
      int f = cursor_fill (gz, c, e);
      if (f == -1)
        return -1;
      if (f == 1)
        return bad_data (gz, c, "the file ends inside a member (truncated?)", e);
    }
    c->z.next_out = dst + done;
    c->z.avail_out = room;
    r = inflate (&c->z, Z_BLOCK);
    done += room - c->z.avail_out;
    c->out += room - c->z.avail_out;
    if (r == Z_STREAM_END) {
      if (member_end (gz, c, e) == -1)
        return -1;
      continue;
    }
    if (r == Z_MEM_ERROR)
      return v2_err (e, ENOMEM, "%s: out of memory", gz->name);
    if (r != Z_OK && r != Z_BUF_ERROR)
      return bad_data (gz, c, c->z.msg ? c->z.msg : "bad data", e);
    /* After an end-of-block code, not the last block's: a checkpoint may
     * go here (zlib's documentation of Z_BLOCK and data_type). */
    if ((c->z.data_type & 128) && !(c->z.data_type & 64))
      maybe_point (gz, c, GZ_POINT_BLOCK);
  }
  return (ssize_t) done;
}

/* A cursor that can reach OFF: an idle one between the nearest checkpoint
 * and OFF, or a new one at that checkpoint. */
static struct cursor *
claim (struct gz *gz, uint64_t off, struct v2_error *e)
{
  unsigned char window[GZ_WINDOW];
  struct cursor *c = NULL;
  struct gz_point p;
  size_t lo = 0, hi, k, best = IDLE_MAX;

  pthread_mutex_lock (&gz->lock);
  hi = gz->ix.n;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (gz->ix.points[mid].out <= off)
      lo = mid;
    else
      hi = mid;
  }
  p = gz->ix.points[lo];
  for (k = 0; k < gz->n_idle; k++) {
    uint64_t at = gz->idle[k]->out;
    if (at <= off && at >= p.out && !gz->idle[k]->ended &&
        (best == IDLE_MAX || at > gz->idle[best]->out))
      best = k;
  }
  if (best != IDLE_MAX) {
    c = gz->idle[best];
    gz->idle[best] = gz->idle[--gz->n_idle];
    pthread_mutex_unlock (&gz->lock);
    return c;
  }
  if (gz->n_idle > 0)             /* reuse the oldest one's memory */
    c = gz->idle[0], memmove (gz->idle, gz->idle + 1,
                              --gz->n_idle * sizeof *gz->idle);
  if (p.wlen)
    memcpy (window, p.window, p.wlen);
  pthread_mutex_unlock (&gz->lock);

  if (c == NULL && (c = calloc (1, sizeof *c)) == NULL) {
    v2_err (e, ENOMEM, "%s: out of memory", gz->name);
    return NULL;
  }
  if (cursor_start (gz, c, &p, window, e) == -1) {
    cursor_free (c);
    return NULL;
  }
  return c;
}

static void
release (struct gz *gz, struct cursor *c)
{
  struct cursor *old = NULL;

  pthread_mutex_lock (&gz->lock);
  if (gz->n_idle == IDLE_MAX) {
    old = gz->idle[0];
    memmove (gz->idle, gz->idle + 1, --gz->n_idle * sizeof *gz->idle);
  }
  gz->idle[gz->n_idle++] = c;
  pthread_mutex_unlock (&gz->lock);
  cursor_free (old);
}

int
gz_pread (struct gz *gz, void *buf, size_t len, uint64_t off,
          const char *what, struct v2_error *e)
{
  struct cursor *c;
  unsigned char *p = buf;
  uint64_t size;
  ssize_t r;

  if (len == 0)
    return 0;
  if (check_broken (gz, e) == -1)
    return -1;
  if (gz_size (gz, &size) && (off > size || len > size - off))
    goto past_end;
  if ((c = claim (gz, off, e)) == NULL)
    return v2_err_prefix (e, "%s at offset %" PRIu64, what, off);
  while (c->out < off) {
    r = cursor_inflate (gz, c, c->skip,
                        (size_t) MIN (off - c->out, (uint64_t) sizeof c->skip), e);
    if (r <= 0)
      goto fail;
  }
  while (len > 0) {
    r = cursor_inflate (gz, c, p, len, e);
    if (r <= 0)
      goto fail;
    p += r;
    len -= (size_t) r;
  }
  release (gz, c);
  return 0;

 fail:
  cursor_free (c);
  if (r == -1)
    return v2_err_prefix (e, "%s at offset %" PRIu64, what, off);
  gz_size (gz, &size);
 past_end:
  return v2_err (e, EIO, "%s: %s at offset %" PRIu64 ": %zu bytes extend past "
                 "the end of the decompressed data (%" PRIu64 " bytes)",
                 gz->name, what, off, len, size);
}

/* Inflate from the last checkpoint to the end, unless STOP is set. */
static int
run_to_end (struct gz *gz, const int *stop, struct v2_error *e)
{
  struct cursor *c;
  ssize_t r = 1;

  if (check_broken (gz, e) == -1)
    return -1;
  if (gz_size (gz, &(uint64_t) { 0 }))
    return 0;
  if ((c = claim (gz, UINT64_MAX, e)) == NULL)
    return -1;
  while (r > 0 && !(stop && __atomic_load_n (stop, __ATOMIC_RELAXED)))
    r = cursor_inflate (gz, c, c->skip, sizeof c->skip, e);
  if (r == -1) {
    cursor_free (c);
    return -1;
  }
  release (gz, c);
  return 0;
}

int
gz_finish (struct gz *gz, struct v2_error *e)
{
  return run_to_end (gz, NULL, e);
}

static void *
background (void *arg)
{
  struct gz *gz = arg;
  struct v2_error e;

  /* An error here is met again, and reported, by the read that needs
   * those bytes. */
  run_to_end (gz, &gz->stop, &e);
  return NULL;
}

int
gz_start (struct gz *gz)
{
  sigset_t all, old;
  int r;

  if (gz->thread_started)
    return 0;
  /* Completed while opening, before the directory existed (the overlay
   * DIR is made after the sources are opened): save it now. */
  if (gz_size (gz, &(uint64_t) { 0 })) {
    if (gz->index_dir && !gz->loaded && !gz->saved)
      gz->saved = gz_index_save (gz->index_dir, gz->identity, &gz->ix,
                                 &(struct v2_error) { 0 }) == 0;
    return 0;
  }
  /* The thread takes no signals: a program's handlers (FUSE's end the
   * session) must run in its own threads, whose waits they interrupt. */
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  r = pthread_create (&gz->thread, NULL, background, gz);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (r != 0)
    return -1;
  gz->thread_started = true;
  return 0;
}
