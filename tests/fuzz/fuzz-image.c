/* Fuzz whole VMDK images through the image layer (formats/image.c over
 * formats/vmdk.c): monolithicSparse and streamOptimized files in every
 * layout (footer, GD_AT_END without one, real gdOffset, markers), with
 * their embedded descriptors, and descriptor files.
 *
 * image_open_vmdk resolves names in a container.  The harness makes the
 * input the one member, "disk.vmdk", of an OVA in memory: a ustar header
 * in front of it, indexed by tar_read_index (struct container's fields
 * are public: a tar source and its index).  So the whole open path runs
 * as it does for a real OVA, with no file.  A descriptor can name only
 * that member as its extent.
 *
 * Then it walks the disk with SEEK_DATA and SEEK_HOLE and checks that
 * the seeks move forward, stay inside the disk and alternate; that holes
 * read as zeros; and that every data run reads the same in one piece as
 * in small pieces (small reads go through the grain cache, whole grains
 * around it).  Reads stop after READ_BUDGET bytes per input (and the
 * pieces read as much again): a small file can describe a disk of a
 * petabyte. */
#include <config.h>

#include <inttypes.h>

#include "checked.h"
#include "container.h"
#include "image.h"
#include "iszero.h"
#include "source.h"
#include "tar.h"

#include "fuzz.h"

#define READ_BUDGET (2 << 20)
#define CHUNK (1 << 20)
/* Not a divisor of any grain, so pieces straddle grain boundaries. */
#define PIECE 3000
/* Of a hole, its first and last HOLE_PEEK bytes are read. */
#define HOLE_PEEK 65536
#define MAX_STEPS 4096

static unsigned char chunk[CHUNK], piece[PIECE];

static void
check_hole (struct image *img, uint64_t from, uint64_t to, uint64_t *budget)
{
  uint64_t at[2] = { from, to - MIN (to - from, HOLE_PEEK) };
  struct v2_error e = { 0 };
  int i;

  for (i = 0; i < 2 && from < to; i++) {
    size_t n = (size_t) MIN (MIN (to - from, HOLE_PEEK), *budget);
    *budget -= n;
    FUZZ_CHECK (image_pread (img, chunk, n, at[i], &e) == 0,
                "hole at %" PRIu64 ": %s", at[i], e.msg);
    FUZZ_CHECK (is_zero (chunk, n), "hole at %" PRIu64 " is not zeros", at[i]);
  }
}

static void
check_data (struct image *img, uint64_t from, uint64_t to, uint64_t *budget)
{
  struct v2_error e = { 0 };

  while (from < to && *budget > 0) {
    size_t n = (size_t) MIN (MIN (to - from, CHUNK), *budget), at;
    *budget -= n;
    if (image_pread (img, chunk, n, from, &e) == -1) {
      fuzz_check_error (&e, "disk");
      return;                   /* a grain that does not inflate */
    }
    for (at = 0; at < n; at += PIECE) {
      size_t m = MIN (PIECE, n - at);
      FUZZ_CHECK (image_pread (img, piece, m, from + at, &e) == 0,
                  "%zu bytes at %" PRIu64 ": %s", m, from + at, e.msg);
      FUZZ_CHECK (memcmp (piece, chunk + at, m) == 0, "%zu bytes at %"
                  PRIu64 " differ when read in pieces", m, from + at);
    }
    from += n;
  }
}

static void
walk (struct image *img)
{
  uint64_t off = 0, budget = READ_BUDGET;
  unsigned steps;

  for (steps = 0; off < img->size && steps < MAX_STEPS; steps++) {
    int64_t data = image_seek (img, off, true), hole;
    if (data == -1) {
      FUZZ_CHECK (errno == ENXIO, "SEEK_DATA from %" PRIu64 ": %m", off);
      check_hole (img, off, img->size, &budget);
      return;
    }
    FUZZ_CHECK ((uint64_t) data >= off && (uint64_t) data < img->size,
                "SEEK_DATA from %" PRIu64 " gives %" PRId64 " (size %" PRIu64
                ")", off, data, img->size);
    FUZZ_CHECK ((uint64_t) data == off || image_seek (img, off, false) ==
                (int64_t) off, "SEEK_HOLE in the hole at %" PRIu64, off);
    check_hole (img, off, (uint64_t) data, &budget);
    hole = image_seek (img, (uint64_t) data, false);
    FUZZ_CHECK (hole > data && (uint64_t) hole <= img->size, "SEEK_HOLE "
                "from %" PRId64 " gives %" PRId64 " (size %" PRIu64 ")", data,
                hole, img->size);
    check_data (img, (uint64_t) data, (uint64_t) hole, &budget);
    off = (uint64_t) hole;
  }
}

/* An OVA of one member, disk.vmdk, holding DATA: a POSIX ustar header,
 * the data, zeros to the block.  The caller frees it. */
static unsigned char *
make_ova (const uint8_t *data, size_t size, size_t *len)
{
  unsigned char *t;
  unsigned sum = 0;
  size_t i;

  *len = 512 + (size + 511) / 512 * 512;
  t = calloc (1, *len);
  FUZZ_CHECK (t != NULL, "out of memory");
  strcpy ((char *) t, "disk.vmdk");
  memcpy (t + 100, "0000644", 7);
  snprintf ((char *) t + 124, 12, "%011zo", size);
  t[156] = '0';
  memcpy (t + 257, "ustar\0" "00", 8);
  memset (t + 148, ' ', 8);
  for (i = 0; i < 512; i++)
    sum += t[i];
  snprintf ((char *) t + 148, 8, "%06o", sum);
  memcpy (t + 512, data, size);
  return t;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char ova[] = "fuzz.ova";
  struct v2_error e = { 0 };
  struct container c = { .path = ova, .dirfd = -1 };
  struct image *img;
  size_t len;
  unsigned char *t = make_ova (data, size, &len);

  c.tar = source_from_mem (ova, t, len, &e);
  FUZZ_CHECK (c.tar != NULL && tar_read_index (c.tar, &c.idx, &e) == 0 &&
              c.idx.n == 1, "%s", e.msg);
  img = image_open_vmdk (&c, "disk.vmdk", "fuzz.ovf: File 'disk' href",
                         "disk", 0, 0, &e);
  if (img == NULL)
    fuzz_check_error (&e, "disk");
  else {
    FUZZ_CHECK (img->allocated <= img->size, "%" PRIu64 " bytes allocated "
                "of %" PRIu64, img->allocated, img->size);
    walk (img);
    image_free (img);
  }
  tar_index_free (&c.idx);
  source_free (c.tar);
  free (t);
  return 0;
}
