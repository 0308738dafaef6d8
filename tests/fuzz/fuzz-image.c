/* Fuzz whole VMDK images through the image layer (formats/image.c over
 * formats/vmdk.c): monolithicSparse and streamOptimized files in every
 * layout (footer, GD_AT_END without one, real gdOffset, markers), with
 * their embedded descriptors, and descriptor files; and snapshot
 * deltas, COWD and SEsparse, over a base.
 *
 * image_open_vmdk resolves names in a container.  The harness makes the
 * input the member "disk.vmdk" of an OVA in memory: a ustar header in
 * front of it, indexed by tar_read_index (struct container's fields are
 * public: a tar source and its index).  So the whole open path runs as it
 * does for a real OVA, with no file.  A descriptor can name only that
 * member as its extent.  An input with the COWD or SEsparse magic becomes
 * the member "delta.bin" instead, and disk.vmdk a descriptor of a chain:
 * that delta over "base.vmdk", a descriptor of a ZERO extent.
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

#include "byteorder.h"
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
      fuzz_check_error (&e, "fuzz.ova:");
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

struct member {
  const char *name;
  const void *data;
  size_t size;
};

/* An OVA of the N members M: for each a POSIX ustar header, the data,
 * zeros to the block.  The caller frees it. */
static unsigned char *
make_ova (const struct member *m, size_t n, size_t *len)
{
  unsigned char *t, *h;
  size_t i, j;

  for (*len = 0, i = 0; i < n; i++)
    *len += 512 + (m[i].size + 511) / 512 * 512;
  t = calloc (1, *len);
  FUZZ_CHECK (t != NULL, "out of memory");
  for (h = t, i = 0; i < n; i++) {
    unsigned sum = 0;
    strcpy ((char *) h, m[i].name);
    memcpy (h + 100, "0000644", 7);
    snprintf ((char *) h + 124, 12, "%011zo", m[i].size);
    h[156] = '0';
    memcpy (h + 257, "ustar\0" "00", 8);
    memset (h + 148, ' ', 8);
    for (j = 0; j < 512; j++)
      sum += h[j];
    snprintf ((char *) h + 148, 8, "%06o", sum);
    memcpy (h + 512, m[i].data, m[i].size);
    h += 512 + (m[i].size + 511) / 512 * 512;
  }
  return t;
}

/* For a delta DATA: the descriptors of the chain, in D and B (each holds
 * 512).  Returns the members' count, 3; 1 for any other input. */
static size_t
chain_of (const uint8_t *data, size_t size, char *d, char *b,
          struct member *m)
{
  enum grain_format f = grain_format_probe (data, size);
  uint64_t sectors;

  if (f == GRAINS_COWD && size >= 16)
    sectors = le32_at (data, 12);
  else if (f == GRAINS_SESPARSE && size >= 24)
    sectors = le64_at (data, 16);
  else
    return 1;
  sectors = MIN (sectors, UINT64_C (1) << 32);
  snprintf (b, 512, "# Disk DescriptorFile\nversion=1\nCID=00000001\n"
            "parentCID=ffffffff\nRW %" PRIu64 " ZERO\n", sectors);
  snprintf (d, 512, "# Disk DescriptorFile\nversion=1\nCID=00000002\n"
            "parentCID=00000001\nparentFileNameHint=\"base.vmdk\"\n"
            "RW %" PRIu64 " %s \"delta.bin\"\n", sectors,
            f == GRAINS_COWD ? "VMFSSPARSE" : "SESPARSE");
  m[0] = (struct member) { "disk.vmdk", d, strlen (d) };
  m[1] = (struct member) { "delta.bin", data, size };
  m[2] = (struct member) { "base.vmdk", b, strlen (b) };
  return 3;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char ova[] = "fuzz.ova";
  struct v2_error e = { 0 };
  struct container c = { .path = ova, .dirfd = -1 };
  struct image *img;
  struct member m[3] = { { "disk.vmdk", data, size } };
  char d[512], b[512];
  size_t len, n = chain_of (data, size, d, b, m);
  unsigned char *t = make_ova (m, n, &len);

  c.tar = source_from_mem (ova, t, len, &e);
  FUZZ_CHECK (c.tar != NULL && tar_read_index (c.tar, &c.idx, &e) == 0 &&
              c.idx.n == n, "%s", e.msg);
  img = image_open_vmdk (&c, "disk.vmdk", "fuzz.ovf: File 'disk' href",
                         "disk", 0, 0, &e);
  if (img == NULL)
    fuzz_check_error (&e, n == 1 ? "disk" : "fuzz.ova:");
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
