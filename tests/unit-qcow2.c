/* Unit tests for formats/qcow2: views of synthetic disks (a list of data
 * runs whose bytes are a function of their offset), read back with the
 * checker of qcow2-check.c, written from the specification, not from
 * qcow2.c.  qemu-img check and compare are the oracle of the integration
 * tests; this covers what fixtures cannot reach cheaply: 2 TiB disks,
 * spans of 512 MiB, several refcount blocks, random maps. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "qcow2.h"
#include "qcow2-check.h"

#include "unit.h"

#define CL QCOW2_CLUSTER_SIZE
#define KiB (UINT64_C (1) << 10)
#define MiB (UINT64_C (1) << 20)
#define GiB (UINT64_C (1) << 30)
#define TiB (UINT64_C (1) << 40)

/* The view of D, checked; the number of data clusters (-1 on a
 * problem, which is reported).  Small views are checked whole, and read
 * back in odd-sized pieces too. */
static int64_t
check_view (struct synth_disk *d, const char *label)
{
  struct v2_error e = { 0 };
  struct qcow2 *q = synth_view (d, &e);
  int64_t n;

  CHECK (q != NULL, "%s: qcow2_build: %s", label, e.msg);
  if (q == NULL)
    return -1;
  n = qcheck (q, d, &(struct qcheck_opts) {
      .all_content = q->file_size < 4096 * CL,
      .stride = q->file_size < 4096 * CL ? 3 * CL + 4097 : 0 }, label, &e);
  CHECK (n >= 0, "%s", e.msg);
  qcow2_free (q);
  return n;
}

static struct qcow2 *
view (struct synth_disk *d)
{
  struct v2_error e = { 0 };
  struct qcow2 *q = synth_view (d, &e);

  CHECK (q != NULL, "qcow2_build: %s", e.msg);
  return q;
}

#define RUNS(...) ((struct synth_run[]) { __VA_ARGS__ })
#define DISK(sz, ...) { .size = (sz), .runs = RUNS (__VA_ARGS__),     \
      .n = sizeof RUNS (__VA_ARGS__) / sizeof (struct synth_run) }

static void
test_layouts (void)
{
  static struct synth_run none[1];
  struct {
    const char *label;
    struct synth_disk d;
    int64_t n_data;
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
    int64_t n = check_view (&cases[i].d, cases[i].label);
    CHECK (n == cases[i].n_data, "%s: %" PRId64 " data clusters, want %" PRId64,
           cases[i].label, n, cases[i].n_data);
  }
}

/* Random maps over 3 GiB (six spans), with runs from a few bytes to
 * several clusters: layout, content and seeks. */
static void
test_random (void)
{
  unsigned seed;

  for (seed = 1; seed <= 12; seed++) {
    struct synth_run runs[40];
    struct synth_disk d = { .size = 3 * GiB - 512 * 3, .runs = runs };
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
      runs[d.n++] = (struct synth_run) { x, x + len };
      x += len;
    }
    snprintf (label, sizeof label, "random %u", seed);
    check_view (&d, label);
  }
}

/* A read across consecutive data clusters is one read of the disk; a
 * read of a file larger than the disk's last cluster ends in zeros. */
static void
test_read_runs (void)
{
  struct synth_disk d = DISK (64 * MiB, { 0, 4 * MiB }, { 6 * MiB, 6 * MiB + 10 });
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
    if (buf[x] != synth_byte (12345 + x))
      break;
  CHECK (x == MiB, "byte %" PRIu64 " differs", x);
  /* Across the gap: the first run's last bytes, then the next data
   * cluster, which holds guest offset 6 MiB. */
  d.preads = 0;
  CHECK (qcow2_pread (q, buf, 200, q->data_off + 4 * MiB - 100, &e) == 0, "read");
  CHECK (d.preads == 2 && buf[99] == synth_byte (4 * MiB - 1) &&
         buf[100] == synth_byte (6 * MiB) && buf[109] == synth_byte (6 * MiB + 9) &&
         buf[110] == 0, "a read across two runs (%u disk reads)", d.preads);
  /* The last data cluster holds 10 bytes of guest data. */
  d.preads = 0;
  CHECK (qcow2_pread (q, buf, CL, q->file_size - CL, &e) == 0, "read");
  CHECK (d.preads == 1 && buf[9] == synth_byte (6 * MiB + 9) && buf[10] == 0 &&
         buf[CL - 1] == 0, "last cluster");
  qcow2_free (q);
  free (buf);
}

/* Two builds of one disk give the same file. */
static void
test_deterministic (void)
{
  struct synth_disk d = DISK (5 * GiB, { 3, 9 * MiB }, { 700 * MiB, 701 * MiB },
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
      .size = GiB, .seek = bad_seek }, "d.vmdk", &e);

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
