/* See qcow2-check.h.  Field offsets and entry layouts are those of
 * qemu's docs/interop/qcow2.txt ("Header", "Host cluster management",
 * "Cluster mapping"); the names in messages are the spec's. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checked.h"
#include "cleanup.h"
#include "iszero.h"
#include "vector.h"
#include "qcow2-check.h"

#define MAGIC 0x514649fbU               /* "QFI\xfb" */
#define CLUSTER_BITS 16
#define CL (UINT64_C (1) << CLUSTER_BITS)
#define L2_ENTRIES (CL / 8)
#define RB_ENTRIES (CL / 2)             /* 16-bit refcounts */
/* L1 and L2 entries: bits 9-55 are the offset, bit 63 is COPIED
 * (refcount exactly 1).  Bits 0-8 and 56-62 are reserved in an L1
 * entry; in a standard L2 entry bit 0 is "reads as zeros" and bit 62
 * "compressed", neither of which a view of plain data may use. */
#define OFFSET_MASK UINT64_C (0x00fffffffffffe00)
#define COPIED (UINT64_C (1) << 63)
#define ENTRY_RESERVED UINT64_C (0x7f000000000001ff)
/* Refcount table entries: bits 0-8 reserved. */
#define RT_RESERVED UINT64_C (0x1ff)

/* What each cluster of the file holds, as the tables say. */
#define UNUSED UINT64_MAX               /* nothing refers to it */
#define META (UINT64_MAX - 1)           /* header, L1, refcounts, L2 */
/* ... else the guest cluster whose data it holds. */

DEFINE_VECTOR (run_vec, struct synth_run)

/* ---- Synthetic disks. */

uint8_t
synth_byte (uint64_t x)
{
  return (uint8_t) (x ^ (x >> 8) ^ (x >> 19) ^ (x >> 33) ^ 0x5a);
}

/* The first run that ends after OFF (d->n when none does). */
static size_t
run_after (const struct synth_disk *d, uint64_t off)
{
  size_t lo = 0, hi = d->n;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (d->runs[mid].end <= off)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int64_t
synth_seek (void *opaque, uint64_t off, bool data)
{
  const struct synth_disk *d = opaque;
  size_t i = run_after (d, off);

  if (i == d->n) {
    if (data) {
      errno = ENXIO;
      return -1;
    }
    return (int64_t) d->size;
  }
  if (data)
    return (int64_t) MAX (off, d->runs[i].start);
  return (int64_t) (off < d->runs[i].start ? off : d->runs[i].end);
}

void
synth_bytes (const struct synth_disk *d, unsigned char *p, size_t len,
             uint64_t off)
{
  size_t i;
  uint64_t x;

  memset (p, 0, len);
  for (i = run_after (d, off); i < d->n && d->runs[i].start < off + len; i++) {
    uint64_t a = MAX (off, d->runs[i].start), b = MIN (off + len, d->runs[i].end);
    for (x = a; x < b; x++)
      p[x - off] = synth_byte (x);
  }
}

static int
synth_pread (void *opaque, void *buf, size_t len, uint64_t off,
             struct v2_error *e)
{
  struct synth_disk *d = opaque;

  if (off > d->size || len > d->size - off)
    return v2_err (e, EIO, "synth: read of %zu bytes at offset %" PRIu64
                   " is past the end of the disk (%" PRIu64 " bytes)",
                   len, off, d->size);
  d->preads++;
  synth_bytes (d, buf, len, off);
  return 0;
}

struct qcow2 *
synth_view (struct synth_disk *d, struct v2_error *e)
{
  return qcow2_build (&(struct qcow2_disk) {
      .opaque = d, .size = d->size, .seek = synth_seek, .pread = synth_pread },
    "synth", e);
}

/* ---- The checker. */

struct checker {
  const struct qcow2 *q;
  const struct synth_disk *d;
  const char *label;
  struct v2_error *e;
  uint64_t n_clusters;
  uint64_t *what;               /* per cluster: UNUSED, META or a guest cluster */
  uint64_t first_data, n_data;  /* the data clusters: [first_data, n_clusters) */
  unsigned char *rt;            /* the refcount table */
  uint64_t rt_entries;
  unsigned char *buf;           /* one cluster */
};

static int fail (struct checker *c, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

static int
fail (struct checker *c, const char *fmt, ...)
{
  char msg[900];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  return v2_err (c->e, EINVAL, "%s: %s", c->label, msg);
}

/* Read LEN bytes of the file at OFF, which the tables gave: a read past
 * the end is the view's fault, not a reason to break qcow2_pread's
 * contract. */
static int
get (struct checker *c, void *buf, uint64_t len, uint64_t off, const char *what)
{
  if (off > c->q->file_size || len > c->q->file_size - off)
    return fail (c, "%s at offset %" PRIu64 " (%" PRIu64 " bytes) is past "
                 "the end of the file (%" PRIu64 " bytes)", what, off, len,
                 c->q->file_size);
  if (qcow2_pread (c->q, buf, (size_t) len, off, c->e) == -1)
    return v2_err_prefix (c->e, "%s: reading the %s at offset %" PRIu64,
                          c->label, what, off);
  return 0;
}

/* A table refers to the cluster at OFF as WHAT: it must be a whole
 * cluster inside the file that nothing else refers to. */
static int
ref (struct checker *c, uint64_t off, const char *what, uint64_t holds)
{
  uint64_t x = off / CL;

  if (off % CL)
    return fail (c, "%s at offset %" PRIu64 " is not cluster-aligned", what, off);
  if (x >= c->n_clusters)
    return fail (c, "%s at offset %" PRIu64 " is past the end of the file "
                 "(%" PRIu64 " bytes)", what, off, c->q->file_size);
  if (c->what[x] != UNUSED)
    return fail (c, "%s at offset %" PRIu64 " overlaps another cluster's use",
                 what, off);
  c->what[x] = holds;
  return 0;
}

/* The header's fields, each with the one value a view may have. */
static int
check_header (struct checker *c, uint64_t *l1_size, uint64_t *l1_off,
              uint64_t *rt_off, uint64_t *rt_clusters)
{
  uint64_t size = DIV_ROUND_UP (c->d->size, 512) * 512;
  const struct { unsigned off, width; const char *name; uint64_t want; } f[] = {
    { 0, 4, "magic", MAGIC }, { 4, 4, "version", 3 },
    { 8, 8, "backing_file_offset", 0 }, { 16, 4, "backing_file_size", 0 },
    { 20, 4, "cluster_bits", CLUSTER_BITS }, { 24, 8, "size", size },
    { 32, 4, "crypt_method", 0 },
    { 36, 4, "l1_size", DIV_ROUND_UP (size, CL * L2_ENTRIES) },
    { 60, 4, "nb_snapshots", 0 }, { 64, 8, "snapshots_offset", 0 },
    { 72, 8, "incompatible_features", 0 }, { 80, 8, "compatible_features", 0 },
    { 88, 8, "autoclear_features", 0 }, { 96, 4, "refcount_order", 4 },
    { 100, 4, "header_length", 104 },
    /* The extensions start at header_length: an end marker, type 0. */
    { 104, 8, "header extension type and length", 0 },
  };
  unsigned char h[112];
  size_t i;

  if (c->q->file_size % CL || c->q->file_size == 0)
    return fail (c, "file size %" PRIu64 " is not a whole number of clusters",
                 c->q->file_size);
  if (get (c, h, sizeof h, 0, "header") == -1)
    return -1;
  for (i = 0; i < sizeof f / sizeof *f; i++) {
    uint64_t v = f[i].width == 4 ? be32_at (h, f[i].off) : be64_at (h, f[i].off);
    if (v != f[i].want)
      return fail (c, "header: %s is %" PRIu64 ", want %" PRIu64, f[i].name,
                   v, f[i].want);
  }
  *l1_size = be32_at (h, 36);
  *l1_off = be64_at (h, 40);
  *rt_off = be64_at (h, 48);
  *rt_clusters = be32_at (h, 56);
  if (*rt_clusters == 0)
    return fail (c, "header: refcount_table_clusters is 0");
  return ref (c, 0, "header", META);
}

/* The L2 table at L2 of L1 index I: record each data cluster. */
static int
check_l2 (struct checker *c, uint64_t i, uint64_t l2)
{
  uint64_t j, mapped = 0;

  if (get (c, c->buf, CL, l2, "L2 table") == -1)
    return -1;
  for (j = 0; j < L2_ENTRIES; j++) {
    uint64_t ent = be64_at (c->buf, j * 8), g = i * L2_ENTRIES + j;
    if (ent == 0)
      continue;
    if ((ent & ENTRY_RESERVED) || !(ent & COPIED))
      return fail (c, "L2 entry for guest cluster %" PRIu64 " is %#" PRIx64,
                   g, ent);
    if (g >= DIV_ROUND_UP (c->d->size, CL))
      return fail (c, "L2 entry for guest cluster %" PRIu64 " is past the "
                   "disk's end", g);
    if (ref (c, ent & OFFSET_MASK, "data cluster", g) == -1)
      return -1;
    mapped++;
  }
  /* Thin: a table exists only where data does. */
  if (mapped == 0)
    return fail (c, "the L2 table of L1 entry %" PRIu64 " maps nothing", i);
  return 0;
}

/* Walk the L1, refcount and L2 tables and note what each cluster holds. */
static int
check_tables (struct checker *c)
{
  uint64_t l1_size = 0, l1_off = 0, rt_off = 0, rt_clusters = 0, i;
  CLEANUP_FREE unsigned char *l1 = NULL;

  if (check_header (c, &l1_size, &l1_off, &rt_off, &rt_clusters) == -1)
    return -1;
  for (i = 0; i < DIV_ROUND_UP (l1_size * 8, CL); i++)
    if (ref (c, l1_off + i * CL, "L1 table", META) == -1)
      return -1;
  for (i = 0; i < rt_clusters; i++)
    if (ref (c, rt_off + i * CL, "refcount table", META) == -1)
      return -1;
  l1 = malloc (MAX (l1_size * 8, 1));
  c->rt = malloc (rt_clusters * CL);
  c->rt_entries = rt_clusters * CL / 8;
  if (l1 == NULL || c->rt == NULL)
    return v2_err (c->e, ENOMEM, "out of memory");
  if (get (c, l1, l1_size * 8, l1_off, "L1 table") == -1 ||
      get (c, c->rt, rt_clusters * CL, rt_off, "refcount table") == -1)
    return -1;
  for (i = 0; i < c->rt_entries; i++) {
    uint64_t ent = be64_at (c->rt, i * 8);
    if (ent & RT_RESERVED)
      return fail (c, "refcount table entry %" PRIu64 " is %#" PRIx64, i, ent);
    if (ent && ref (c, ent, "refcount block", META) == -1)
      return -1;
  }
  for (i = 0; i < l1_size; i++) {
    uint64_t ent = be64_at (l1, i * 8);
    if (ent == 0)
      continue;
    if ((ent & ENTRY_RESERVED) || !(ent & COPIED))
      return fail (c, "L1 entry %" PRIu64 " is %#" PRIx64, i, ent);
    if (ref (c, ent & OFFSET_MASK, "L2 table", META) == -1 ||
        check_l2 (c, i, ent & OFFSET_MASK) == -1)
      return -1;
  }
  return 0;
}

/* Each cluster's refcount is the number of references to it: exactly
 * one, as every cluster is in use and none is shared; and no cluster
 * past the file's end is counted. */
static int
check_refcounts (struct checker *c)
{
  uint64_t x, block = UINT64_MAX, end;

  end = DIV_ROUND_UP (c->n_clusters, RB_ENTRIES) * RB_ENTRIES;
  for (x = 0; x < end; x++) {
    uint64_t rb;
    uint16_t count;
    if (x / RB_ENTRIES != block) {
      block = x / RB_ENTRIES;
      rb = block < c->rt_entries ? be64_at (c->rt, block * 8) : 0;
      if (rb == 0)
        return fail (c, "no refcount block covers cluster %" PRIu64, x);
      if (get (c, c->buf, CL, rb, "refcount block") == -1)
        return -1;
    }
    count = be16_at (c->buf, (x % RB_ENTRIES) * 2);
    if (x >= c->n_clusters) {
      if (count != 0)
        return fail (c, "cluster %" PRIu64 ", past the end of the file, has "
                     "refcount %u", x, count);
      continue;
    }
    if (c->what[x] == UNUSED)
      return fail (c, "cluster %" PRIu64 " is referenced by nothing", x);
    if (count != 1)
      return fail (c, "cluster %" PRIu64 " is referenced once, its refcount "
                   "is %u", x, count);
  }
  return 0;
}

/* The expected bytes of cluster X: metadata as the view reads it, a data
 * cluster as the disk holds its guest cluster (zeros past the end). */
static int
expected_cluster (struct checker *c, uint64_t x, unsigned char *buf)
{
  uint64_t g = c->what[x];

  if (g == META)
    return get (c, buf, CL, x * CL, "metadata cluster");
  memset (buf, 0, CL);
  synth_bytes (c->d, buf, (size_t) MIN (CL, c->d->size - g * CL), g * CL);
  return 0;
}

/* Data clusters come after the metadata, in guest order, to the end of
 * the file; their guest clusters are exactly those the disk's runs
 * touch; each holds its guest cluster's bytes. */
static int
check_data (struct checker *c, bool all_content)
{
  CLEANUP_FREE unsigned char *want = malloc (CL);
  uint64_t x, k = 0, prev = UINT64_MAX, g;
  size_t i;

  if (want == NULL)
    return v2_err (c->e, ENOMEM, "out of memory");
  for (x = 0; x < c->n_clusters && c->what[x] == META; x++)
    ;
  c->first_data = x;
  for (; x < c->n_clusters; x++)
    if (c->what[x] == META || (x > c->first_data && c->what[x] <= c->what[x - 1]))
      return fail (c, "cluster %" PRIu64 " breaks the order metadata, then "
                   "data in guest order", x);
  c->n_data = c->n_clusters - c->first_data;
  for (i = 0; i < c->d->n; i++)
    for (g = c->d->runs[i].start / CL; g <= (c->d->runs[i].end - 1) / CL; g++) {
      if (g == prev)
        continue;
      prev = g;
      if (k == c->n_data || c->what[c->first_data + k] != g)
        return fail (c, "guest cluster %" PRIu64 " has data but no data "
                     "cluster", g);
      k++;
    }
  if (k != c->n_data)
    return fail (c, "guest cluster %" PRIu64 " has a data cluster but no "
                 "data", c->what[c->first_data + k]);
  for (x = c->first_data; x < c->n_clusters; x++) {
    g = c->what[x];
    if (!all_content && g % L2_ENTRIES && x != c->first_data &&
        x != c->n_clusters - 1)
      continue;
    if (expected_cluster (c, x, want) == -1 ||
        get (c, c->buf, CL, x * CL, "data cluster") == -1)
      return -1;
    if (memcmp (c->buf, want, CL) != 0)
      return fail (c, "the data cluster of guest cluster %" PRIu64 " differs "
                   "from the disk", g);
  }
  return 0;
}

/* Where the file holds data: all of each metadata cluster, and the disk's
 * runs moved into their data clusters; adjacent pieces merged. */
static int
expected_runs (struct checker *c, struct run_vec *v)
{
  uint64_t x;

  for (x = 0; x < c->n_clusters; x++) {
    uint64_t g = c->what[x], lo = 0, hi = CL;
    size_t i = g == META ? 0 : run_after (c->d, g * CL);
    do {
      struct synth_run r;
      if (g != META) {
        if (i == c->d->n || c->d->runs[i].start >= (g + 1) * CL)
          break;
        lo = MAX (c->d->runs[i].start, g * CL) - g * CL;
        hi = MIN (c->d->runs[i].end, (g + 1) * CL) - g * CL;
        i++;
      }
      r = (struct synth_run) { x * CL + lo, x * CL + hi };
      if (v->len && v->ptr[v->len - 1].end == r.start)
        v->ptr[v->len - 1].end = r.end;
      else if (run_vec_append (v, r) == -1)
        return v2_err (c->e, ENOMEM, "out of memory");
    } while (g != META);
  }
  return 0;
}

/* [FROM, TO) of the file reads as zeros. */
static int
check_zeros (struct checker *c, uint64_t from, uint64_t to)
{
  while (from < to) {
    uint64_t n = MIN (to - from, CL);
    if (get (c, c->buf, n, from, "hole") == -1)
      return -1;
    if (!is_zero (c->buf, (size_t) n))
      return fail (c, "the hole at offset %" PRIu64 " does not read as "
                   "zeros", from);
    from += n;
  }
  return 0;
}

/* SEEK_DATA and SEEK_HOLE from the start of each run, and from just
 * inside each run and each hole, find the expected runs. */
static int
check_seek (struct checker *c)
{
  struct run_vec want = { 0 };
  uint64_t off = 0, size = c->q->file_size;
  size_t i;
  int r = -1;

  if (expected_runs (c, &want) == -1)
    goto out;
  for (i = 0; off < size; i++) {
    uint64_t next = i + 1 < want.len ? want.ptr[i + 1].start : size;
    int64_t data = qcow2_seek (c->q, off, true), hole;
    if (data == -1) {
      if (errno != ENXIO || i != want.len) {
        fail (c, "SEEK_DATA from %" PRIu64 ": %s (%zu data runs found, want "
              "%zu)", off, strerror (errno), i, want.len);
        goto out;
      }
      break;
    }
    if ((uint64_t) data < off || (uint64_t) data >= size) {
      fail (c, "SEEK_DATA from %" PRIu64 " gives %" PRId64, off, data);
      goto out;
    }
    hole = qcow2_seek (c->q, (uint64_t) data, false);
    if (i == want.len || (uint64_t) data != want.ptr[i].start ||
        (uint64_t) hole != want.ptr[i].end ||
        (want.ptr[i].end - want.ptr[i].start > 1 &&
         qcow2_seek (c->q, want.ptr[i].start + 1, false) != hole)) {
      fail (c, "data run %zu is %" PRId64 "..%" PRId64 ", want %" PRIu64
            "..%" PRIu64, i, data, hole, i < want.len ? want.ptr[i].start : 0,
            i < want.len ? want.ptr[i].end : 0);
      goto out;
    }
    if ((uint64_t) hole + 1 < next &&
        qcow2_seek (c->q, (uint64_t) hole + 1, true) !=
        (next == size ? -1 : (int64_t) next)) {
      fail (c, "SEEK_DATA from inside the hole at %" PRId64 " misses the "
            "data at %" PRIu64, hole, next);
      goto out;
    }
    if (check_zeros (c, (uint64_t) hole, next) == -1)
      goto out;
    off = next;
  }
  if (i != want.len) {
    fail (c, "%zu data runs, want %zu", i, want.len);
    goto out;
  }
  r = 0;
 out:
  free (want.ptr);
  return r;
}

/* The file read STRIDE bytes at a time equals its clusters read alone. */
static int
check_reads (struct checker *c, size_t stride)
{
  CLEANUP_FREE unsigned char *big = malloc (stride);
  uint64_t off, size = c->q->file_size, have = UINT64_MAX;

  if (big == NULL)
    return v2_err (c->e, ENOMEM, "out of memory");
  for (off = 0; off < size; off += stride) {
    uint64_t n = MIN ((uint64_t) stride, size - off), at;
    if (get (c, big, n, off, "file") == -1)
      return -1;
    for (at = off; at < off + n; ) {
      uint64_t in = at % CL, len = MIN (CL - in, off + n - at);
      if (at / CL != have) {
        have = at / CL;
        if (expected_cluster (c, have, c->buf) == -1)
          return -1;
      }
      if (memcmp (big + (at - off), c->buf + in, len) != 0)
        return fail (c, "a read of %" PRIu64 " bytes at offset %" PRIu64
                     " differs from its clusters at offset %" PRIu64, n,
                     off, at);
      at += len;
    }
  }
  return 0;
}

int64_t
qcheck (const struct qcow2 *q, const struct synth_disk *d,
        const struct qcheck_opts *o, const char *label, struct v2_error *e)
{
  struct checker c = { .q = q, .d = d, .label = label, .e = e,
                       .n_clusters = q->file_size / CL };
  uint64_t x;
  int64_t r = -1;

  c.what = malloc (MAX (c.n_clusters, 1) * sizeof *c.what);
  c.buf = malloc (CL);
  if (c.what == NULL || c.buf == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    goto out;
  }
  for (x = 0; x < c.n_clusters; x++)
    c.what[x] = UNUSED;
  if (check_tables (&c) == -1 || check_refcounts (&c) == -1 ||
      check_data (&c, o->all_content) == -1 || check_seek (&c) == -1 ||
      (o->stride && check_reads (&c, o->stride) == -1))
    goto out;
  r = (int64_t) c.n_data;
 out:
  free (c.what);
  free (c.rt);
  free (c.buf);
  return r;
}
