/* See qcow2.h.  The format is docs/interop/qcow2.txt in qemu's tree;
 * every field written here is named there. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checked.h"
#include "qcow2.h"

#define C QCOW2_CLUSTER_SIZE
#define QCOW2_MAGIC 0x514649fbU
#define QCOW2_COPIED (UINT64_C (1) << 63)   /* refcount is exactly 1 */
#define REFCOUNT_ORDER 4                    /* 16-bit refcounts */
#define RB_ENTRIES (C / 2)                  /* clusters per refcount block */
#define RT_ENTRIES (C / 8)                  /* refcount blocks per table cluster */
#define WORDS (QCOW2_L2_ENTRIES / 64)

/* ---- The allocation map. */

static const struct qcow2_span *
span_at (const struct qcow2 *q, uint64_t g)
{
  uint64_t r = g / QCOW2_L2_ENTRIES;

  return r < q->l1_size && q->span_of[r] ? &q->spans[q->span_of[r] - 1] : NULL;
}

static bool
allocated (const struct qcow2 *q, uint64_t g)
{
  const struct qcow2_span *s = span_at (q, g);
  uint64_t b = g % QCOW2_L2_ENTRIES;

  return s && (s->bits[b / 64] >> (b % 64) & 1);
}

/* The data cluster of allocated guest cluster G: its rank. */
static uint64_t
rank (const struct qcow2_span *s, uint64_t g)
{
  uint64_t b = g % QCOW2_L2_ENTRIES;
  uint64_t below_b = s->bits[b / 64] & ((UINT64_C (1) << (b % 64)) - 1);

  return s->rank + s->below[b / 64] + (uint64_t) __builtin_popcountll (below_b);
}

/* The guest cluster of data cluster K < n_data: rank's inverse. */
static uint64_t
select_cluster (const struct qcow2 *q, uint64_t k)
{
  size_t lo = 0, hi = q->n_spans;
  const struct qcow2_span *s;
  unsigned w, wlo = 0, whi = WORDS;
  uint64_t j, word;

  /* The last span, then the last word, whose count below is <= K. */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (q->spans[mid].rank <= k) lo = mid; else hi = mid;
  }
  s = &q->spans[lo];
  j = k - s->rank;
  while (whi - wlo > 1) {
    w = wlo + (whi - wlo) / 2;
    if (s->below[w] <= j) wlo = w; else whi = w;
  }
  w = wlo;
  word = s->bits[w];
  for (j -= s->below[w]; j > 0; j--)
    word &= word - 1;
  return s->region * QCOW2_L2_ENTRIES + w * 64 + (unsigned) __builtin_ctzll (word);
}

/* Set the bits of guest clusters FIRST .. LAST.  Runs arrive in guest
 * order, so a new span always goes at the end. */
static int
mark (struct qcow2 *q, uint64_t first, uint64_t last, struct v2_error *e)
{
  uint64_t g;

  for (g = first; g <= last; g++) {
    uint64_t r = g / QCOW2_L2_ENTRIES, b = g % QCOW2_L2_ENTRIES;
    struct qcow2_span *s;

    if (q->span_of[r] == 0) {
      if (q->n_spans == q->spans_cap) {
        size_t cap = q->spans_cap ? 2 * q->spans_cap : 16;
        s = realloc (q->spans, cap * sizeof *s);
        if (s == NULL)
          return v2_err (e, ENOMEM, "out of memory");
        q->spans = s;
        q->spans_cap = cap;
      }
      s = q->spans;
      memset (&s[q->n_spans], 0, sizeof *s);
      s[q->n_spans].region = r;
      q->span_of[r] = (uint32_t) ++q->n_spans;
    }
    s = &q->spans[q->span_of[r] - 1];
    if (b % 64 == 0 && last - g >= 63) {
      s->bits[b / 64] = UINT64_MAX;          /* a whole word at once */
      g += 63;
    }
    else
      s->bits[b / 64] |= UINT64_C (1) << (b % 64);
  }
  return 0;
}

/* Walk the disk's data runs and mark every cluster a run touches. */
static int
map_disk (struct qcow2 *q, const char *name, uint64_t *data_bytes,
          struct v2_error *e)
{
  const struct qcow2_disk *d = &q->disk;
  uint64_t off = 0;

  *data_bytes = 0;
  while (off < d->size) {
    int64_t data = d->seek (d->opaque, off, true), hole;

    if (data == -1) {
      if (errno == ENXIO)
        break;
      return v2_err (e, errno, "%s: SEEK_DATA at offset %" PRIu64 ": %s",
                     name, off, strerror (errno));
    }
    hole = (uint64_t) data < d->size ? d->seek (d->opaque, (uint64_t) data, false) : -1;
    if ((uint64_t) data < off || hole <= data || (uint64_t) hole > d->size)
      return v2_err (e, EIO, "%s: the allocation map is inconsistent at "
                     "offset %" PRIu64 " (data at %" PRId64 ", hole at %"
                     PRId64 ")", name, off, data, hole);
    if (mark (q, (uint64_t) data / C, ((uint64_t) hole - 1) / C, e) == -1)
      return -1;
    *data_bytes += (uint64_t) (hole - data);
    off = (uint64_t) hole;
  }
  return 0;
}

static void
make_header (struct qcow2 *q)
{
  unsigned char *h = q->header;

  memset (h, 0, sizeof q->header);
  put_be32 (h, 0, QCOW2_MAGIC);
  put_be32 (h, 4, 3);                         /* version */
  put_be32 (h, 20, QCOW2_CLUSTER_BITS);
  put_be64 (h, 24, q->size);
  put_be32 (h, 36, (uint32_t) q->l1_size);
  put_be64 (h, 40, q->l1_off);
  put_be64 (h, 48, q->rt_off);
  put_be32 (h, 56, (uint32_t) q->rt_clusters);
  put_be32 (h, 96, REFCOUNT_ORDER);
  put_be32 (h, 100, sizeof q->header);        /* header_length */
  /* No backing file, encryption, snapshots or feature bits; the zeros
   * after the header end its (empty) list of extensions. */
}

struct qcow2 *
qcow2_build (const struct qcow2_disk *disk, const char *name,
             struct v2_error *e)
{
  struct qcow2 *q = calloc (1, sizeof *q);
  uint64_t data_bytes, n;
  size_t i;
  unsigned w;

  if (q == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  q->disk = *disk;
  /* qemu reads the size in whole sectors: round up, the tail reads as
   * zeros. */
  if (disk->size > UINT64_MAX - 511 || (disk->size + 511) / 512 > (UINT64_C (1) << 41)) {
    v2_err (e, EFBIG, "%s: %" PRIu64 " bytes is too large for a qcow2 view",
            name, disk->size);
    goto err;
  }
  q->size = (disk->size + 511) / 512 * 512;
  q->l1_size = DIV_ROUND_UP (q->size, QCOW2_L2_SPAN);
  q->span_of = calloc (MAX (q->l1_size, 1), sizeof *q->span_of);
  if (q->span_of == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    goto err;
  }
  if (map_disk (q, name, &data_bytes, e) == -1)
    goto err;

  for (i = 0, n = 0; i < q->n_spans; i++) {
    struct qcow2_span *s = &q->spans[i];
    uint64_t in = 0;
    s->rank = n;
    for (w = 0; w < WORDS; w++) {
      s->below[w] = (uint16_t) in;
      in += (uint64_t) __builtin_popcountll (s->bits[w]);
    }
    n += in;
  }
  q->n_data = n;

  /* The refcount blocks count every cluster, themselves included: grow
   * them (and the table that lists them) until they cover the file. */
  q->l1_clusters = DIV_ROUND_UP (q->l1_size * 8, C);
  q->rb_clusters = q->rt_clusters = 1;
  for (;;) {
    uint64_t rb, rt;
    q->n_clusters = 1 + q->l1_clusters + q->rt_clusters + q->rb_clusters +
      q->n_spans + q->n_data;
    rb = DIV_ROUND_UP (q->n_clusters, RB_ENTRIES);
    rt = DIV_ROUND_UP (rb, RT_ENTRIES);
    if (rb == q->rb_clusters && rt == q->rt_clusters)
      break;
    q->rb_clusters = rb;
    q->rt_clusters = rt;
  }
  q->l1_off = C;
  q->rt_off = q->l1_off + q->l1_clusters * C;
  q->rb_off = q->rt_off + q->rt_clusters * C;
  q->l2_off = q->rb_off + q->rb_clusters * C;
  q->data_off = q->l2_off + q->n_spans * C;
  q->file_size = q->n_clusters * C;
  q->allocated = q->data_off + data_bytes;
  make_header (q);
  return q;

 err:
  qcow2_free (q);
  return NULL;
}

void
qcow2_free (struct qcow2 *q)
{
  if (q) {
    free (q->spans);
    free (q->span_of);
    free (q);
  }
}

/* ---- Metadata, generated one entry at a time. */

enum area { HEADER, L1, RT, RB, L2 };

/* Entry I of AREA, counted from the area's start. */
static uint64_t
entry (const struct qcow2 *q, enum area a, uint64_t i)
{
  switch (a) {
  case L1:
    return i < q->l1_size && q->span_of[i] ?
      QCOW2_COPIED | (q->l2_off + (q->span_of[i] - 1) * C) : 0;
  case RT:
    return i < q->rb_clusters ? q->rb_off + i * C : 0;
  case RB:
    return i < q->n_clusters;                 /* every cluster once */
  case L2: {
    const struct qcow2_span *s = &q->spans[i / QCOW2_L2_ENTRIES];
    uint64_t g = s->region * QCOW2_L2_ENTRIES + i % QCOW2_L2_ENTRIES;
    return allocated (q, g) ? QCOW2_COPIED | (q->data_off + rank (s, g) * C) : 0;
  }
  default:
    return 0;
  }
}

/* Bytes [OFF, OFF + LEN) of the metadata (OFF + LEN <= data_off). */
static void
read_meta (const struct qcow2 *q, unsigned char *buf, size_t len,
           uint64_t off)
{
  while (len > 0) {
    enum area a;
    uint64_t start, rel;
    unsigned width = 8;
    unsigned char t[8];
    size_t n;

    if (off < q->l1_off) {
      n = MIN (len, q->l1_off - off);
      memset (buf, 0, n);
      if (off < sizeof q->header)
        memcpy (buf, q->header + off, MIN (n, sizeof q->header - off));
      buf += n; off += n; len -= n;
      continue;
    }
    if (off < q->rt_off)      { a = L1; start = q->l1_off; }
    else if (off < q->rb_off) { a = RT; start = q->rt_off; }
    else if (off < q->l2_off) { a = RB; start = q->rb_off; width = 2; }
    else                      { a = L2; start = q->l2_off; }
    rel = off - start;
    if (width == 8)
      put_be64 (t, 0, entry (q, a, rel / 8));
    else
      put_be16 (t, 0, (uint16_t) entry (q, a, rel / 2));
    n = MIN (width - rel % width, len);
    memcpy (buf, t + rel % width, n);
    buf += n; off += n; len -= n;
  }
}

/* ---- Reads and seeks. */

int
qcow2_pread (const struct qcow2 *q, void *buf, size_t len, uint64_t off,
             struct v2_error *e)
{
  unsigned char *p = buf;

  if (off < q->data_off) {
    size_t n = (size_t) MIN ((uint64_t) len, q->data_off - off);
    read_meta (q, p, n, off);
    p += n; off += n; len -= n;
  }
  while (len > 0) {
    uint64_t k = (off - q->data_off) / C, g = select_cluster (q, k);
    uint64_t within = (off - q->data_off) % C, m = 1, gstart, in, n;

    /* Data clusters of consecutive guest clusters are consecutive: read
     * them in one go, as a read of the raw view would. */
    while (m * C - within < len && k + m < q->n_data && allocated (q, g + m))
      m++;
    n = MIN ((uint64_t) len, m * C - within);
    gstart = g * C + within;
    in = gstart < q->disk.size ? MIN (n, q->disk.size - gstart) : 0;
    if (in > 0 &&
        q->disk.pread (q->disk.opaque, p, (size_t) in, gstart, e) == -1)
      return -1;
    memset (p + in, 0, (size_t) (n - in));    /* past the disk's end */
    p += n; off += n; len -= (size_t) n;
  }
  return 0;
}

/* File offset of guest offset GOFF, in allocated cluster GOFF / C. */
static uint64_t
file_offset (const struct qcow2 *q, uint64_t goff)
{
  return q->data_off + rank (span_at (q, goff / C), goff / C) * C + goff % C;
}

int64_t
qcow2_seek (const struct qcow2 *q, uint64_t off, bool data)
{
  const struct qcow2_disk *d = &q->disk;

  if (off < q->data_off)
    return data ? (int64_t) off : qcow2_seek (q, q->data_off, false);
  /* Every allocated cluster holds some data, and data clusters of
   * consecutive guest clusters are consecutive, so one seek on the disk
   * answers, except where a data run ends exactly at a cluster boundary:
   * the next data cluster may hold a guest cluster further on. */
  for (;;) {
    uint64_t k = (off - q->data_off) / C, goff;
    int64_t at;

    if (k >= q->n_data) {
      if (data) {
        errno = ENXIO;
        return -1;
      }
      return (int64_t) q->file_size;
    }
    goff = select_cluster (q, k) * C + (off - q->data_off) % C;
    if (goff >= d->size)                       /* the last cluster's tail */
      return data ? qcow2_seek (q, q->data_off + (k + 1) * C, true)
                  : (int64_t) off;
    at = d->seek (d->opaque, goff, data);
    if (at < 0)
      return -1;
    if (data) {
      if (!allocated (q, (uint64_t) at / C)) {
        errno = EIO;                           /* the map changed */
        return -1;
      }
      return (int64_t) file_offset (q, (uint64_t) at);
    }
    /* A hole here, inside an allocated cluster, or at the disk's end. */
    if ((uint64_t) at == goff || at % C != 0 || (uint64_t) at >= d->size)
      return (int64_t) (off + ((uint64_t) at - goff));
    off += (uint64_t) at - goff;               /* the next data cluster */
  }
}
