/* Unit tests for formats/qcow2: views of synthetic disks (a list of data
 * runs whose bytes are a function of their offset), read back with a
 * small qcow2 reader and checker written here from the specification,
 * not from qcow2.c.  qemu-img check and compare are the oracle of the
 * integration tests; this covers what fixtures cannot reach cheaply: 2
 * TiB disks, spans of 512 MiB, several refcount blocks, random maps. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checked.h"
#include "qcow2.h"

#include "unit.h"

#define CL QCOW2_CLUSTER_SIZE
#define KiB (UINT64_C (1) << 10)
#define MiB (UINT64_C (1) << 20)
#define GiB (UINT64_C (1) << 30)
#define TiB (UINT64_C (1) << 40)

/* ---- Synthetic disks ------------------------------------------------- */

struct run { uint64_t start, end; };

struct disk {
  uint64_t size;
  size_t n;
  struct run *runs;             /* sorted, disjoint, not touching */
  unsigned preads;
};

static uint8_t
byte_at (uint64_t x)
{
  return (uint8_t) (x ^ (x >> 8) ^ (x >> 19) ^ (x >> 33) ^ 0x5a);
}

static int64_t
disk_seek (void *opaque, uint64_t off, bool data)
{
  const struct disk *d = opaque;
  size_t i;

  for (i = 0; i < d->n; i++) {
    if (d->runs[i].end <= off)
      continue;
    if (data)
      return (int64_t) MAX (off, d->runs[i].start);
    return (int64_t) (off < d->runs[i].start ? off : d->runs[i].end);
  }
  if (data) {
    errno = ENXIO;
    return -1;
  }
  return (int64_t) d->size;
}

/* The disk's bytes [OFF, OFF + LEN). */
static void
disk_bytes (const struct disk *d, unsigned char *p, size_t len, uint64_t off)
{
  size_t i;
  uint64_t x;

  memset (p, 0, len);
  for (i = 0; i < d->n; i++) {
    uint64_t a = MAX (off, d->runs[i].start), b = MIN (off + len, d->runs[i].end);
    for (x = a; x < b; x++)
      p[x - off] = byte_at (x);
  }
}

static int
disk_pread (void *opaque, void *buf, size_t len, uint64_t off,
            struct v2_error *e)
{
  struct disk *d = opaque;

  if (off + len > d->size)
    return v2_err (e, EIO, "read past the end");
  d->preads++;
  disk_bytes (d, buf, len, off);
  return 0;
}

static struct qcow2 *
view (struct disk *d)
{
  struct v2_error e = { 0 };
  struct qcow2 *q = qcow2_build (&(struct qcow2_disk) {
      .opaque = d, .size = d->size, .seek = disk_seek, .pread = disk_pread },
    "t", &e);

  CHECK (q != NULL, "qcow2_build: %s", e.msg);
  return q;
}

static uint64_t
be64_read (const struct qcow2 *q, uint64_t off)
{
  unsigned char b[8];
  struct v2_error e;

  if (qcow2_pread (q, b, 8, off, &e) == -1)
    return UINT64_MAX;
  return be64toh (*(uint64_t *) (void *) b);
}

/* ---- An independent reader and checker ------------------------------ */

/* Check the header, every table and every refcount of Q's file, like
 * qemu-img check, and that data clusters follow guest order.  Then
 * check the content of every data cluster whose guest cluster is listed
 * by the map (all of them for small disks), and that unallocated guest
 * clusters hold no data.  Returns the number of data clusters. */
static uint64_t
check_image (struct disk *d, const char *label)
{
  struct qcow2 *q = view (d);
  unsigned char h[104];
  struct v2_error e;
  uint64_t size, l1_size, l1_off, rt_off, rt_clusters, n_clusters;
  uint64_t i, j, next_data = 0, n_data = 0, first_data = 0;
  uint16_t *refs;
  unsigned char *clu, *want;

  if (q == NULL)
    return 0;
  n_clusters = q->file_size / CL;
  CHECK (q->file_size % CL == 0, "%s: file size %" PRIu64, label, q->file_size);
  CHECK (qcow2_pread (q, h, sizeof h, 0, &e) == 0, "%s: header", label);
  CHECK (be32toh (*(uint32_t *) (void *) h) == 0x514649fb, "%s: magic", label);
  CHECK (be32toh (*(uint32_t *) (void *) (h + 4)) == 3, "%s: version", label);
  CHECK (be32toh (*(uint32_t *) (void *) (h + 20)) == 16, "%s: cluster_bits", label);
  size = be64toh (*(uint64_t *) (void *) (h + 24));
  CHECK (size == DIV_ROUND_UP (d->size, 512) * 512, "%s: size %" PRIu64, label, size);
  l1_size = be32toh (*(uint32_t *) (void *) (h + 36));
  CHECK (l1_size == DIV_ROUND_UP (size, 512 * MiB), "%s: l1_size %" PRIu64, label, l1_size);
  l1_off = be64toh (*(uint64_t *) (void *) (h + 40));
  rt_off = be64toh (*(uint64_t *) (void *) (h + 48));
  rt_clusters = be32toh (*(uint32_t *) (void *) (h + 56));
  CHECK (be32toh (*(uint32_t *) (void *) (h + 96)) == 4, "%s: refcount_order", label);
  CHECK (be32toh (*(uint32_t *) (void *) (h + 100)) == 104, "%s: header_length", label);
  for (i = 8; i < 104; i++)
    if (i < 20 || (i >= 32 && i < 36) || (i >= 60 && i < 96))
      CHECK (h[i] == 0, "%s: header byte %" PRIu64 " is %u", label, i, h[i]);

  /* Count references, as qemu-img check does, then compare. */
  refs = calloc (n_clusters, sizeof *refs);
  clu = malloc (CL);
  want = malloc (CL);
  if (refs == NULL || clu == NULL || want == NULL)
    abort ();
#define REF(off, what) do {                                             \
    uint64_t o_ = (off);                                                \
    CHECK (o_ % CL == 0 && o_ / CL < n_clusters, "%s: %s at %" PRIu64,  \
           label, what, o_);                                            \
    if (o_ % CL == 0 && o_ / CL < n_clusters) refs[o_ / CL]++;          \
  } while (0)
  REF (0, "header");
  for (i = 0; i < DIV_ROUND_UP (l1_size * 8, CL); i++)
    REF (l1_off + i * CL, "L1");
  for (i = 0; i < rt_clusters; i++)
    REF (rt_off + i * CL, "refcount table");
  for (i = 0; i < rt_clusters * CL / 8; i++) {
    uint64_t rb = be64_read (q, rt_off + i * 8);
    if (rb)
      REF (rb, "refcount block");
  }
  for (i = 0; i < l1_size; i++) {
    uint64_t l1e = be64_read (q, l1_off + i * 8), l2;
    bool any = false;
    if (l1e == 0)
      continue;
    CHECK (l1e >> 63 == 1 && (l1e & 0x7f000000000001ffULL) == 0,
           "%s: L1[%" PRIu64 "] = %#" PRIx64, label, i, l1e);
    l2 = l1e & 0x00fffffffffffe00ULL;
    REF (l2, "L2 table");
    for (j = 0; j < CL / 8; j++) {
      uint64_t l2e = be64_read (q, l2 + j * 8), g = i * (CL / 8) + j;
      if (l2e == 0) {
        CHECK (g * CL >= d->size || disk_seek (d, g * CL, true) == -1 ||
               (uint64_t) disk_seek (d, g * CL, true) >= (g + 1) * CL,
               "%s: guest cluster %" PRIu64 " has data but no cluster", label, g);
        continue;
      }
      any = true;
      CHECK (l2e >> 63 == 1 && (l2e & 0x7f000000000001ffULL) == 0,
             "%s: L2 entry for guest cluster %" PRIu64 " = %#" PRIx64, label, g, l2e);
      l2e &= 0x00fffffffffffe00ULL;
      REF (l2e, "data");
      if (n_data == 0)
        first_data = l2e;
      else
        CHECK (l2e == next_data, "%s: guest cluster %" PRIu64 " at %#" PRIx64
               ", expected %#" PRIx64 " (guest order)", label, g, l2e, next_data);
      next_data = l2e + CL;
      n_data++;
      /* Content: all of it in small images, else the first and last
       * cluster of each table. */
      if (n_clusters < 4096 || j == 0 || l2e + CL == q->file_size) {
        uint64_t gend = MIN ((g + 1) * CL, d->size);
        memset (want, 0, CL);
        disk_bytes (d, want, gend - g * CL, g * CL);
        CHECK (qcow2_pread (q, clu, CL, l2e, &e) == 0 &&
               memcmp (clu, want, CL) == 0, "%s: data cluster of guest "
               "cluster %" PRIu64 " differs", label, g);
      }
    }
    CHECK (any, "%s: L2 table for L1[%" PRIu64 "] maps nothing", label, i);
  }
  CHECK (n_data == 0 || next_data == q->file_size,
         "%s: data ends at %" PRIu64 ", file at %" PRIu64, label, next_data,
         q->file_size);
  CHECK (n_data == 0 || first_data == q->data_off, "%s: first data cluster", label);
  /* Every cluster referenced once, and the refcounts say so. */
  for (i = 0; i < n_clusters; i++) {
    uint64_t rb = be64_read (q, rt_off + i / (CL / 2) * 8);
    unsigned char r[2];
    CHECK (refs[i] == 1, "%s: cluster %" PRIu64 " referenced %u times", label,
           i, refs[i]);
    CHECK (rb != 0 && qcow2_pread (q, r, 2, rb + i % (CL / 2) * 2, &e) == 0 &&
           r[0] == 0 && r[1] == 1, "%s: refcount of cluster %" PRIu64, label, i);
    if (refs[i] != 1)
      break;
  }
  /* ... and nothing past the file. */
  if (n_clusters % (CL / 2)) {
    uint64_t rb = be64_read (q, rt_off + (n_clusters - 1) / (CL / 2) * 8);
    unsigned char r[2];
    CHECK (qcow2_pread (q, r, 2, rb + n_clusters % (CL / 2) * 2, &e) == 0 &&
           r[0] == 0 && r[1] == 0, "%s: refcount past the end", label);
  }
#undef REF
  free (refs);
  free (clu);
  free (want);
  qcow2_free (q);
  return n_data;
}

/* SEEK_DATA/SEEK_HOLE walk the file as metadata (all data) followed by
 * the disk's runs moved to their data clusters; holes read as zeros. */
static void
check_seek (struct disk *d, const char *label)
{
  struct qcow2 *q = view (d);
  struct run want[64];
  size_t n_want = 0, i;
  uint64_t off = 0;

  if (q == NULL)
    return;
  want[n_want++] = (struct run) { 0, q->data_off };
  for (i = 0; i < d->n; i++) {
    uint64_t x = d->runs[i].start;
    while (x < d->runs[i].end) {
      uint64_t g = x / CL, l1e, l2e, host, n;
      l1e = be64_read (q, q->l1_off + g / (CL / 8) * 8) & 0x00fffffffffffe00ULL;
      l2e = be64_read (q, l1e + g % (CL / 8) * 8) & 0x00fffffffffffe00ULL;
      host = l2e + x % CL;
      n = MIN (d->runs[i].end, (g + 1) * CL) - x;
      if (want[n_want - 1].end == host)
        want[n_want - 1].end += n;
      else if (n_want < 64)
        want[n_want++] = (struct run) { host, host + n };
      x += n;
    }
  }
  for (i = 0; off < q->file_size; i++) {
    int64_t data = qcow2_seek (q, off, true), hole;
    if (data == -1) {
      CHECK (errno == ENXIO, "%s: SEEK_DATA %" PRIu64 ": errno %d", label, off, errno);
      break;
    }
    hole = qcow2_seek (q, (uint64_t) data, false);
    CHECK (i < n_want && want[i].start == (uint64_t) data &&
           want[i].end == (uint64_t) hole,
           "%s: data run %zu is %" PRId64 "..%" PRId64 ", want %" PRIu64 "..%"
           PRIu64, label, i, data, hole, i < n_want ? want[i].start : 0,
           i < n_want ? want[i].end : 0);
    if (i >= n_want || want[i].end != (uint64_t) hole)
      break;
    /* The hole after, if any, reads as zeros. */
    if ((uint64_t) hole < q->file_size) {
      uint64_t end = i + 1 < n_want ? want[i + 1].start : q->file_size;
      unsigned char *z = malloc (end - (uint64_t) hole), *zz;
      struct v2_error e;
      zz = calloc (1, end - (uint64_t) hole);
      CHECK (z && zz && qcow2_pread (q, z, end - (uint64_t) hole, (uint64_t) hole, &e) == 0 &&
             memcmp (z, zz, end - (uint64_t) hole) == 0, "%s: hole at %" PRId64
             " is not zero", label, hole);
      free (z);
      free (zz);
    }
    off = (uint64_t) hole;
  }
  CHECK (i == n_want, "%s: %zu data runs, want %zu", label, i, n_want);
  qcow2_free (q);
}

#define RUNS(...) ((struct run[]) { __VA_ARGS__ })
#define DISK(sz, ...) { .size = (sz), .runs = RUNS (__VA_ARGS__),     \
      .n = sizeof RUNS (__VA_ARGS__) / sizeof (struct run) }

static void
test_layouts (void)
{
  static struct run none[1];
  struct {
    const char *label;
    struct disk d;
    uint64_t n_data;
  } cases[] = {
    { "empty", { .size = GiB, .runs = none, .n = 0 }, 0 },
    { "one byte", DISK (512, { 0, 1 }), 1 },
    { "odd size", DISK (GiB + 7 * 512 + 100, { 5, 70000 },
                        { GiB + 7 * 512 + 99, GiB + 7 * 512 + 100 }), 3 },
    /* A run ending at a cluster boundary, the next one further on: the
     * seek on the file must step over to the next data cluster. */
    { "boundaries", DISK (8 * MiB, { CL, 3 * CL }, { 5 * CL, 5 * CL + 4096 },
                          { 5 * CL + 8192, 6 * CL }, { 7 * CL + 4096, 8 * CL }),
      4 },
    { "span edges", DISK (2 * GiB, { 512 * MiB - 100, 512 * MiB + 100 },
                          { 1536 * MiB - CL, 1536 * MiB }), 3 },
    /* A whole span, whole words, and more than one refcount block's
     * worth of clusters. */
    { "3 GiB of data", DISK (4 * GiB, { 100 * MiB + 512, 3172 * MiB + 512 }),
      49153 },
    { "2 TiB", DISK (2 * TiB, { 0, 1 * MiB }, { TiB - 4096, TiB + 4096 },
                     { 2 * TiB - 70000, 2 * TiB }), 16 + 2 + 2 },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    uint64_t n = check_image (&cases[i].d, cases[i].label);
    CHECK (n == cases[i].n_data, "%s: %" PRIu64 " data clusters, want %" PRIu64,
           cases[i].label, n, cases[i].n_data);
    check_seek (&cases[i].d, cases[i].label);
  }
}

/* Random maps over 3 GiB (six spans), with runs from a few bytes to
 * several clusters: layout, content and seeks. */
static void
test_random (void)
{
  unsigned seed;

  for (seed = 1; seed <= 12; seed++) {
    struct run runs[40];
    struct disk d = { .size = 3 * GiB - 512 * 3, .runs = runs };
    uint64_t x = 0;
    char label[32];

    srand (seed);
    while (d.n < 40) {
      uint64_t gap = (uint64_t) rand () % (seed % 2 ? 4 * CL : 80 * MiB);
      uint64_t len = 1 + (uint64_t) rand () % (seed % 3 ? 3 * CL : 70 * CL);
      if (rand () % 4 == 0)
        gap = (gap / CL + 1) * CL - x % CL;   /* land on a boundary */
      if (x + gap + 1 + len >= d.size)
        break;
      x += gap + (d.n ? 1 : 0);
      runs[d.n++] = (struct run) { x, x + len };
      x += len;
    }
    snprintf (label, sizeof label, "random %u", seed);
    check_image (&d, label);
    check_seek (&d, label);
  }
}

/* A read across consecutive data clusters is one read of the disk; a
 * read of a file larger than the disk's last cluster ends in zeros. */
static void
test_read_runs (void)
{
  struct disk d = DISK (64 * MiB, { 0, 4 * MiB }, { 6 * MiB, 6 * MiB + 10 });
  struct qcow2 *q = view (&d);
  unsigned char *buf = malloc (MiB);
  struct v2_error e;
  uint64_t x;

  if (q == NULL || buf == NULL)
    abort ();
  d.preads = 0;
  CHECK (qcow2_pread (q, buf, MiB, q->data_off + 12345, &e) == 0, "read");
  CHECK (d.preads == 1, "a 1 MiB read took %u disk reads", d.preads);
  for (x = 0; x < MiB; x++)
    if (buf[x] != byte_at (12345 + x))
      break;
  CHECK (x == MiB, "byte %" PRIu64 " differs", x);
  /* Across the gap: the first run's last bytes, then the next data
   * cluster, which holds guest offset 6 MiB. */
  d.preads = 0;
  CHECK (qcow2_pread (q, buf, 200, q->data_off + 4 * MiB - 100, &e) == 0, "read");
  CHECK (d.preads == 2 && buf[99] == byte_at (4 * MiB - 1) &&
         buf[100] == byte_at (6 * MiB) && buf[109] == byte_at (6 * MiB + 9) &&
         buf[110] == 0, "a read across two runs (%u disk reads)", d.preads);
  /* The last data cluster holds 10 bytes of guest data. */
  d.preads = 0;
  CHECK (qcow2_pread (q, buf, CL, q->file_size - CL, &e) == 0, "read");
  CHECK (d.preads == 1 && buf[9] == byte_at (6 * MiB + 9) && buf[10] == 0 &&
         buf[CL - 1] == 0, "last cluster");
  qcow2_free (q);
  free (buf);
}

/* Two builds of one disk give the same file. */
static void
test_deterministic (void)
{
  struct disk d = DISK (5 * GiB, { 3, 9 * MiB }, { 700 * MiB, 701 * MiB },
                        { 5 * GiB - 1, 5 * GiB });
  struct qcow2 *a = view (&d), *b = view (&d);
  unsigned char *pa = malloc (MiB), *pb = malloc (MiB);
  struct v2_error e;
  uint64_t off;

  if (a == NULL || b == NULL || pa == NULL || pb == NULL)
    abort ();
  CHECK (a->file_size == b->file_size, "sizes differ");
  for (off = 0; off < a->file_size; off += MiB) {
    size_t n = (size_t) MIN (MiB, a->file_size - off);
    CHECK (qcow2_pread (a, pa, n, off, &e) == 0 &&
           qcow2_pread (b, pb, n, off, &e) == 0 && memcmp (pa, pb, n) == 0,
           "differ at %" PRIu64, off);
  }
  qcow2_free (a);
  qcow2_free (b);
  free (pa);
  free (pb);
}

/* A map that contradicts itself is refused, not trusted. */
static int64_t
bad_seek (void *opaque, uint64_t off, bool data)
{
  (void) opaque;
  return (int64_t) off + 10 * data;       /* the hole is where data is */
}

static void
test_bad_map (void)
{
  struct v2_error e = { 0 };
  struct qcow2 *q = qcow2_build (&(struct qcow2_disk) {
      .size = GiB, .seek = bad_seek, .pread = disk_pread }, "d.vmdk", &e);

  CHECK (q == NULL, "built a view of an inconsistent map");
  CHECK_STR (e.msg, "d.vmdk: the allocation map is inconsistent at offset 0 "
             "(data at 10, hole at 10)");
  qcow2_free (q);
}

int
main (void)
{
  test_layouts ();
  test_random ();
  test_read_runs ();
  test_deterministic ();
  test_bad_map ();
  return unit_report ("unit-qcow2");
}
