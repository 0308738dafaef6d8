/* Unit tests of formats/gz.c on gzip data made here with zlib's deflate:
 * reads at random offsets, from several threads at once, against the
 * bytes compressed; the index thinned by a small memory cap; several
 * members, zero padding, and the errors of truncated and corrupt data,
 * checked by their exact text. */
#include <config.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gz.h"
#include "source.h"
#include "unit.h"

#define DATA_BYTES (6u << 20)
#define THREADS 4
#define READS 400

static unsigned char *data;       /* what was compressed */

/* Bytes that compress to some extent: runs, text-like and random parts. */
static void
make_data (void)
{
  uint32_t x = 12345;

  data = malloc (DATA_BYTES);
  for (size_t i = 0; i < DATA_BYTES; i++) {
    x = x * 1103515245 + 12345;
    if ((i >> 16) % 3 == 0)
      data[i] = (unsigned char) (i >> 16);
    else if ((i >> 16) % 3 == 1)
      data[i] = (unsigned char) ("lorem ipsum dolor sit amet "[i % 27]);
    else
      data[i] = (unsigned char) (x >> 24);
  }
}

/* gzip members of DATA split at the N_SPLITS offsets SPLITS, then PAD
 * zero bytes.  *LEN is the result's length; the caller frees it. */
static unsigned char *
make_gzip (const size_t *splits, size_t n_splits, size_t pad, size_t *len)
{
  size_t cap = DATA_BYTES + DATA_BYTES / 8 + 4096 * (n_splits + 1) + pad;
  unsigned char *out = calloc (1, cap);
  size_t at = 0, from = 0;

  for (size_t k = 0; k <= n_splits; k++) {
    size_t to = k < n_splits ? splits[k] : DATA_BYTES;
    z_stream z = { 0 };
    deflateInit2 (&z, k % 2 ? 1 : 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    z.next_in = data + from;
    z.avail_in = (uInt) (to - from);
    z.next_out = out + at;
    z.avail_out = (uInt) (cap - at);
    CHECK (deflate (&z, Z_FINISH) == Z_STREAM_END, "deflate");
    at += z.total_out;
    deflateEnd (&z);
    from = to;
  }
  *len = at + pad;
  return out;
}

struct reader {
  struct gz *gz;
  unsigned seed;
  int bad;
};

static void *
random_reads (void *arg)
{
  struct reader *r = arg;
  static unsigned char bufs[THREADS][65536];
  unsigned char *buf = bufs[r->seed % THREADS];
  struct v2_error e;

  for (int i = 0; i < READS; i++) {
    size_t len = 1 + (size_t) rand_r (&r->seed) % sizeof bufs[0];
    uint64_t off = (uint64_t) rand_r (&r->seed) % (DATA_BYTES - len);
    /* Every tenth read continues the one before: idle cursors. */
    if (gz_pread (r->gz, buf, len, off, "data", &e) == -1 ||
        memcmp (buf, data + off, len) != 0)
      r->bad++;
  }
  return NULL;
}

static struct gz *
open_mem (const unsigned char *gzdata, size_t len, uint64_t spacing,
          uint64_t memory)
{
  struct gz_config cfg = { .spacing = spacing, .memory = memory };
  struct v2_error e;
  struct source *s = source_from_mem ("t.gz", gzdata, len, &e);
  struct gz *gz = s ? gz_open (s, "t.gz", &cfg, &e) : NULL;

  CHECK (gz != NULL, "gz_open: %s", e.msg);
  return gz;
}

/* Reads from THREADS threads at once, then the index completed. */
static void
test_random (const size_t *splits, size_t n_splits, size_t pad,
             uint64_t spacing, uint64_t memory, const char *what)
{
  size_t len;
  unsigned char *gzdata = make_gzip (splits, n_splits, pad, &len);
  struct gz *gz = open_mem (gzdata, len, spacing, memory);
  pthread_t t[THREADS];
  struct reader r[THREADS];
  struct gz_stats st;
  struct v2_error e;
  uint64_t size;

  if (gz == NULL)
    return;
  for (int i = 0; i < THREADS; i++) {
    r[i] = (struct reader) { .gz = gz, .seed = (unsigned) i + 1 };
    pthread_create (&t[i], NULL, random_reads, &r[i]);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join (t[i], NULL);
    CHECK (r[i].bad == 0, "%s: thread %d: %d reads differ", what, i, r[i].bad);
  }
  CHECK (gz_finish (gz, &e) == 0, "%s: gz_finish: %s", what, e.msg);
  CHECK (gz_size (gz, &size) && size == DATA_BYTES,
         "%s: size %llu", what, (unsigned long long) size);
  gz_stats (gz, &st);
  if (memory == 0)
    memory = GZ_MEMORY_DEFAULT;
  CHECK (st.complete && st.points >= 2 && st.points <= memory / GZ_WINDOW,
         "%s: %zu points for a cap of %llu", what, st.points,
         (unsigned long long) memory);
  /* The last byte, and one past it. */
  CHECK (gz_pread (gz, gzdata, 1, DATA_BYTES - 1, "data", &e) == 0 &&
         gzdata[0] == data[DATA_BYTES - 1], "%s: last byte", what);
  CHECK (gz_pread (gz, gzdata, 2, DATA_BYTES - 1, "data", &e) == -1, "%s", what);
  CHECK_STR (e.msg, "t.gz: data at offset 6291455: 2 bytes extend past the "
             "end of the decompressed data (6291456 bytes)");
  gz_free (gz);
  free (gzdata);
}

/* The error when the data is cut at CUT, or has byte CORRUPT flipped:
 * it starts with HEAD and ends with TAIL (the output offset between
 * depends on zlib's deflate).  Reads fail the same way from then on. */
static void
test_error (size_t cut, size_t corrupt, const char *head, const char *tail)
{
  size_t len;
  unsigned char *gzdata = make_gzip (NULL, 0, 0, &len);
  struct gz *gz;
  struct v2_error e;

  if (corrupt)
    gzdata[corrupt] ^= 0xff;
  gz = open_mem (gzdata, cut ? cut : len, 0, 0);
  if (gz) {
    for (int i = 0; i < 2; i++) {
      CHECK (i ? gz_pread (gz, gzdata, 1, 0, "data", &e) == -1
             : gz_finish (gz, &e) == -1, "no error for %s", tail);
      CHECK (strncmp (e.msg, head, strlen (head)) == 0 &&
             strlen (e.msg) > strlen (tail) &&
             strcmp (e.msg + strlen (e.msg) - strlen (tail), tail) == 0,
             "got '%s'\n   want '%s...%s'", e.msg, head, tail);
    }
    gz_free (gz);
  }
  free (gzdata);
}

int
main (void)
{
  static const size_t three[] = { 1000000, 1000001, 4 << 20 };

  make_data ();
  test_random (NULL, 0, 0, 0, 0, "one member, defaults");
  test_random (NULL, 0, 0, 4096, 8 * GZ_WINDOW, "thinned to 8 windows");
  test_random (three, 3, 5000, 65536, 64 * GZ_WINDOW, "4 members, padding");
  test_error (100000, 0, "t.gz: gzip data at compressed offset 100000 "
              "(output offset ", "): the file ends inside a member (truncated?)");
  /* A flipped literal inflates: the member's CRC-32 catches it. */
  test_error (0, 50000, "t.gz: gzip data at compressed offset ",
              "(output offset 6291456): incorrect data check");
  free (data);
  return unit_report ("unit-gz");
}
