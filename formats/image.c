/* See image.h: reading a disk.  The extent list is sorted and gapless,
 * so every lookup is a binary search; the read path is one short loop over
 * extents and, inside a grain-mapped extent, over runs of grains of one
 * state (the shape of nbdkit's regions).  Unallocated runs of a delta
 * read from its parent. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "checked.h"
#include "cleanup.h"
#include "image.h"
#include "strbuf.h"

static size_t
find_extent (const struct image *img, uint64_t off)
{
  size_t lo = 0, hi = img->n_extents;

  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (img->extents[mid].start <= off)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

/* Copy grain G of extent X (index XI) from byte IN, N bytes, through the
 * cache.  A miss inflates into a fresh buffer outside the lock and swaps
 * it into the slot, so a slot is locked only for a pointer swap or a
 * copy out. */
static int
cached_grain (struct image *img, size_t xi, const struct grain_map *gm,
              uint64_t g, void *buf, uint64_t in, size_t n, struct v2_error *e)
{
  uint64_t key = ((uint64_t) xi << 44) | g;
  struct grain_slot *slot = &img->slots[(key * UINT64_C (0x9e3779b97f4a7c15)) %
                                        img->n_slots];
  unsigned char *fresh;

  pthread_mutex_lock (&slot->lock);
  if (slot->key == key) {
    memcpy (buf, slot->data + in, n);
    pthread_mutex_unlock (&slot->lock);
    return 0;
  }
  pthread_mutex_unlock (&slot->lock);

  fresh = malloc (img->max_grain);
  if (fresh == NULL)
    return v2_err (e, ENOMEM, "%s: out of memory", img->name);
  if (gm->ops->inflate (gm, g, fresh, e) == -1) {
    free (fresh);
    return -1;
  }
  memcpy (buf, fresh + in, n);
  pthread_mutex_lock (&slot->lock);
  unsigned char *old = slot->data;
  slot->data = fresh;
  slot->key = key;
  pthread_mutex_unlock (&slot->lock);
  free (old);
  return 0;
}

/* Bytes [OFF, OFF+LEN) of the disk beneath IMG: its parent's, or zeros
 * (also past the end of a smaller parent). */
static int
read_beneath (struct image *img, unsigned char *buf, size_t len, uint64_t off,
              struct v2_error *e)
{
  struct image *p = img->parent;
  size_t n = 0;

  if (p && off < p->size) {
    n = (size_t) MIN ((uint64_t) len, p->size - off);
    if (image_pread (p, buf, n, off, e) == -1)
      return -1;
  }
  memset (buf + n, 0, len - n);
  return 0;
}

/* The run of grains from G that share G's state, up to LIMIT grains; for
 * DATA, only grains that follow each other in the file, so that a run is
 * one pread. */
static uint64_t
grain_run (const struct grain_map *gm, uint64_t g, uint64_t limit,
           enum grain_state st, uint64_t off, uint64_t run)
{
  uint64_t n = MIN (run, limit), next_off, next_run;

  while (n < limit) {
    enum grain_state s = gm->ops->map (gm, g + n, &next_off, &next_run);
    if (s != st || st == GRAIN_COMPRESSED ||
        (st == GRAIN_DATA && next_off != off + n * gm->grain_bytes))
      break;
    n += st == GRAIN_DATA ? 1 : MIN (next_run, limit - n);
  }
  return n;
}

static int
read_grains (struct image *img, size_t xi, unsigned char *buf, size_t len,
             uint64_t xoff, struct v2_error *e)
{
  const struct image_extent *x = &img->extents[xi];
  const struct grain_map *gm = x->gm;
  const uint64_t gb = gm->grain_bytes;

  while (len > 0) {
    uint64_t g = xoff / gb, in = xoff % gb, off = 0, run;
    enum grain_state st = gm->ops->map (gm, g, &off, &run);
    uint64_t last = (xoff + len - 1) / gb;
    size_t n;

    run = grain_run (gm, g, last - g + 1, st, off, run);
    n = (size_t) MIN ((uint64_t) len, run * gb - in);
    switch (st) {
    case GRAIN_UNALLOCATED:
      if (read_beneath (img, buf, n, x->start + xoff, e) == -1)
        return -1;
      break;
    case GRAIN_ZERO:
      memset (buf, 0, n);
      break;
    case GRAIN_DATA:
      if (source_pread (x->src, buf, n, off + in, "grain", e) == -1)
        return -1;
      break;
    case GRAIN_COMPRESSED:
      if (in == 0 && n == gb) {
        if (gm->ops->inflate (gm, g, buf, e) == -1)
          return -1;
      }
      else if (cached_grain (img, xi, gm, g, buf, in, n, e) == -1)
        return -1;
      break;
    }
    buf += n;
    xoff += n;
    len -= n;
  }
  return 0;
}

int
image_pread (struct image *img, void *buf, size_t len, uint64_t off,
             struct v2_error *e)
{
  unsigned char *p = buf;
  size_t xi;

  if (len == 0)
    return 0;
  for (xi = find_extent (img, off); len > 0; xi++) {
    const struct image_extent *x = &img->extents[xi];
    uint64_t xoff = off - x->start;
    size_t n = (size_t) MIN ((uint64_t) len, x->len - xoff);

    switch (x->kind) {
    case IMAGE_ZERO:
      memset (p, 0, n);
      break;
    case IMAGE_FLAT:
      if (source_pread (x->src, p, n, x->src_off + xoff, "extent data", e) == -1)
        return -1;
      break;
    case IMAGE_GRAINS:
      if (read_grains (img, xi, p, n, xoff, e) == -1)
        return -1;
      break;
    }
    p += n;
    off += n;
    len -= n;
  }
  return 0;
}

/* The first offset in [START, END) of the disk beneath IMG whose
 * allocation is DATA; END if none. */
static uint64_t
seek_beneath (const struct image *img, uint64_t start, uint64_t end, bool data)
{
  const struct image *p = img->parent;
  int64_t r;

  if (p == NULL || start >= p->size)         /* zeros: a hole */
    return data ? end : start;
  r = image_seek (p, start, data);
  return r == -1 ? end : MIN ((uint64_t) r, end);
}

/* In a grain-mapped extent, the first byte at or after XOFF whose
 * allocation is DATA; X->len if none.  Zeroed grains are holes;
 * unallocated ones are what the disk beneath has there. */
static uint64_t
grains_seek (const struct image *img, const struct image_extent *x,
             uint64_t xoff, bool data)
{
  const struct grain_map *gm = x->gm;
  uint64_t gb = gm->grain_bytes, g = xoff / gb;
  uint64_t n_grains = DIV_ROUND_UP (x->len, gb);

  while (g < n_grains) {
    uint64_t off, run, from = MAX (xoff, g * gb), to;
    enum grain_state st = gm->ops->map (gm, g, &off, &run);

    run = grain_run (gm, g, n_grains - g, st, off, run);
    to = MIN ((g + run) * gb, x->len);
    if (st == GRAIN_UNALLOCATED) {
      uint64_t at = seek_beneath (img, x->start + from, x->start + to, data);
      if (at < x->start + to)
        return at - x->start;
    }
    else if ((st != GRAIN_ZERO) == data)
      return from;
    g += run;
  }
  return x->len;
}

int64_t
image_seek (const struct image *img, uint64_t off, bool data)
{
  size_t xi;

  for (xi = find_extent (img, off); xi < img->n_extents; xi++) {
    const struct image_extent *x = &img->extents[xi];
    uint64_t from = MAX (off, x->start) - x->start, at;

    switch (x->kind) {
    case IMAGE_ZERO:  at = data ? x->len : from; break;
    case IMAGE_FLAT:
      at = MIN (source_seek (x->src, x->src_off + from, data) - x->src_off,
                x->len);
      break;
    default:          at = grains_seek (img, x, from, data); break;
    }
    if (at < x->len)
      return (int64_t) (x->start + at);
  }
  if (data) {
    errno = ENXIO;
    return -1;
  }
  return (int64_t) img->size;
}

static int
add_change (struct image_change **v, size_t *n, struct image_change c,
            struct v2_error *e)
{
  struct image_change *last = *n ? &(*v)[*n - 1] : NULL, *nv;

  if (last && last->depth == c.depth && last->zero == c.zero &&
      last->start + last->len == c.start) {
    last->len += c.len;
    return 0;
  }
  if ((nv = grow_one (*v, *n, sizeof *nv)) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  *v = nv;
  (*v)[(*n)++] = c;
  return 0;
}

/* The changes of IMG (DEPTH layers below the top) in [START, END), down
 * to BASE (exclusive). */
static int
changes (const struct image *img, const struct image *base, unsigned depth,
         uint64_t start, uint64_t end, struct image_change **v, size_t *n,
         struct v2_error *e)
{
  size_t xi;

  if (img == base || img->parent == NULL || start >= MIN (end, img->size))
    return 0;
  end = MIN (end, img->size);
  for (xi = find_extent (img, start); xi < img->n_extents; xi++) {
    const struct image_extent *x = &img->extents[xi];
    uint64_t from = MAX (start, x->start), to = MIN (end, x->start + x->len);
    const struct grain_map *gm = x->gm;
    uint64_t g, gb;

    if (from >= to)
      break;
    if (x->kind != IMAGE_GRAINS) {
      if (add_change (v, n, (struct image_change) { from, to - from, depth,
              x->kind == IMAGE_ZERO }, e) == -1)
        return -1;
      continue;
    }
    gb = gm->grain_bytes;
    for (g = (from - x->start) / gb; x->start + g * gb < to; ) {
      uint64_t off, run, a, b;
      enum grain_state st = gm->ops->map (gm, g, &off, &run);

      run = grain_run (gm, g, DIV_ROUND_UP (to - x->start, gb) - g, st, off, run);
      a = MAX (from, x->start + g * gb);
      b = MIN (to, x->start + (g + run) * gb);
      if (st == GRAIN_UNALLOCATED) {
        if (changes (img->parent, base, depth + 1, a, b, v, n, e) == -1)
          return -1;
      }
      else if (add_change (v, n, (struct image_change) { a, b - a, depth,
                 st == GRAIN_ZERO }, e) == -1)
        return -1;
      g += run;
    }
  }
  return 0;
}

int
image_changes (const struct image *img, const struct image *base,
               struct image_change **out, size_t *n, struct v2_error *e)
{
  *out = NULL;
  *n = 0;
  if (changes (img, base, 0, 0, img->size, out, n, e) == -1) {
    free (*out);
    *out = NULL;
    *n = 0;
    return -1;
  }
  return 0;
}

char *
image_changes_json (const struct image *img, struct v2_error *e)
{
  CLEANUP_FREE struct image_change *c = NULL;
  struct strbuf b = { 0 };
  size_t n, i;

  if (image_changes (img, NULL, &c, &n, e) == -1)
    return NULL;
  strbuf_str (&b, "[");
  for (i = 0; i < n; i++) {
    char line[200];
    snprintf (line, sizeof line, "%s{ \"start\": %" PRIu64 ", \"length\": %"
              PRIu64 ", \"depth\": %u, \"present\": true, \"zero\": %s, "
              "\"data\": %s}", i ? ",\n" : "", c[i].start, c[i].len,
              c[i].depth, c[i].zero ? "true" : "false",
              c[i].zero ? "false" : "true");
    strbuf_str (&b, line);
  }
  strbuf_str (&b, "]\n");
  if (b.failed) {
    free (b.s);
    v2_err (e, ENOMEM, "%s: out of memory", img->name);
    return NULL;
  }
  return b.s;
}
