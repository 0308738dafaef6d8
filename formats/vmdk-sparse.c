/* Hosted sparse extents ("KDMV", FORMATS.md §A.1-A.4): monolithicSparse,
 * twoGbMaxExtentSparse, streamOptimized, and the children qemu-img and
 * VMware Workstation write for snapshots.  Opening reads only metadata
 * (header, footer, grain directory, grain tables; or the grain markers
 * when a stream lost its footer).  Every number read from the file is
 * checked against the file size and the caps of input-limits.h before it
 * sizes an allocation or an offset. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "input-limits.h"
#include "checked.h"
#include "cleanup.h"
#include "inflate.h"
#include "iszero.h"
#include "vmdk.h"
#include "vmdk-sparse.h"

/* Header fields (FORMATS.md §A.1). */
#define H_MAGIC        0
#define H_VERSION      4
#define H_FLAGS        8
#define H_CAPACITY     12
#define H_GRAIN        20
#define H_DESC_OFF     28
#define H_DESC_SIZE    36
#define H_GTES         44
#define H_GD           56
#define H_OVERHEAD     64
#define H_COMPRESS     77
#define GD_AT_END      UINT64_MAX

#define FLAG_ZEROED    0x00000004U
#define FLAG_COMPRESS  0x00010000U
#define FLAG_MARKERS   0x00020000U
#define FLAGS_INCOMPAT 0xffff0000U
#define FLAGS_KNOWN_INCOMPAT (FLAG_COMPRESS | FLAG_MARKERS)

/* Metadata marker types (§A.4). */
#define MARKER_EOS      0
#define MARKER_GT       1
#define MARKER_GD       2
#define MARKER_FOOTER   3
#define MARKER_PROGRESS 4

#define MAX_CAPACITY_SECTORS VMDK_MAX_SECTORS


struct header {
  uint32_t version, flags;
  uint64_t capacity, grain, desc_off, desc_size, gd, overhead;
  uint32_t gtes;
  uint16_t compress;
};

/* Decode and check a header (sector 0, or the footer copy at OFF). */
static int
parse_header (const struct source *src, const unsigned char *h, uint64_t off,
              struct header *hd, struct v2_error *e)
{
  uint64_t file_sectors = src->size / SECTOR;
  uint32_t unknown;

  if (le32_at (h, H_MAGIC) != KDMV_MAGIC)
    return v2_err (e, EINVAL, "%s: sparse header at offset %" PRIu64
                   ": bad magic (not a hosted sparse VMDK)", src->name, off);
  hd->version = le32_at (h, H_VERSION);
  hd->flags = le32_at (h, H_FLAGS);
  hd->capacity = le64_at (h, H_CAPACITY);
  hd->grain = le64_at (h, H_GRAIN);
  hd->desc_off = le64_at (h, H_DESC_OFF);
  hd->desc_size = le64_at (h, H_DESC_SIZE);
  hd->gtes = le32_at (h, H_GTES);
  hd->gd = le64_at (h, H_GD);
  hd->overhead = le64_at (h, H_OVERHEAD);
  hd->compress = le16_at (h, H_COMPRESS);

#define BAD(fmt, ...) \
  v2_err (e, EINVAL, "%s: sparse header at offset %" PRIu64 ": " fmt, \
          src->name, off, __VA_ARGS__)
  if (hd->version < 1 || hd->version > 3)
    return BAD ("unsupported version %" PRIu32, hd->version);
  unknown = hd->flags & FLAGS_INCOMPAT & ~FLAGS_KNOWN_INCOMPAT;
  if (unknown)
    return BAD ("unknown incompatible flags 0x%08" PRIx32, unknown);
  if ((hd->flags & FLAG_COMPRESS) && hd->compress != 1)
    return BAD ("unknown compression algorithm %" PRIu16, hd->compress);
  if (!is_power_of_2 (hd->grain) || hd->grain > LIMIT_GRAIN_SECTORS)
    return BAD ("grain size %" PRIu64 " sectors is not a power of 2 "
                "up to %d", hd->grain, LIMIT_GRAIN_SECTORS);
  if (!is_power_of_2 (hd->gtes) || hd->gtes > LIMIT_GTES_PER_GT)
    return BAD ("%" PRIu32 " entries per grain table is not a power of 2 "
                "up to %d", hd->gtes, LIMIT_GTES_PER_GT);
  if (hd->capacity == 0)
    return BAD ("capacity is %d sectors", 0);
  if (hd->capacity > MAX_CAPACITY_SECTORS)
    return BAD ("capacity %" PRIu64 " sectors overflows (the limit is "
                "%" PRIu64 " sectors, 1 PiB)", hd->capacity,
                MAX_CAPACITY_SECTORS);
  if (hd->overhead > file_sectors)
    return BAD ("overHead %" PRIu64 " sectors is past the end of the file "
                "(%" PRIu64 " sectors)", hd->overhead, file_sectors);
  if (hd->desc_off && hd->desc_size > LIMIT_DESCRIPTOR_BYTES / SECTOR)
    return BAD ("embedded descriptor of %" PRIu64 " sectors is over the "
                "limit of %d sectors", hd->desc_size,
                LIMIT_DESCRIPTOR_BYTES / SECTOR);
  if (hd->desc_off &&
      (hd->desc_off > file_sectors || hd->desc_size > file_sectors - hd->desc_off))
    return BAD ("embedded descriptor at sector %" PRIu64 " of %" PRIu64
                " sectors is outside the file (%" PRIu64 " sectors)",
                hd->desc_off, hd->desc_size, file_sectors);
#undef BAD
  return 0;
}

bool
vmdk_sparse_random_access (const unsigned char *h, size_t len)
{
  return len >= H_GD + 8 && le32_at (h, H_MAGIC) == KDMV_MAGIC &&
    le64_at (h, H_GD) != GD_AT_END && !(le32_at (h, H_FLAGS) & FLAG_COMPRESS);
}

void
vmdk_sparse_free (struct grain_map *m)
{
  struct vmdk_sparse *sp = (struct vmdk_sparse *) m;
  uint64_t i;

  if (sp == NULL)
    return;
  if (sp->gt)
    for (i = 0; i < sp->n_gts; i++)
      free (sp->gt[i]);
  free (sp->gt);
  free (sp);
}

struct vmdk_sparse *
vmdk_sparse_new (const struct source *src, const struct grain_ops *ops,
                 struct v2_error *e)
{
  struct vmdk_sparse *sp = calloc (1, sizeof *sp);

  if (sp == NULL) {
    v2_err (e, ENOMEM, "%s: out of memory", src->name);
    return NULL;
  }
  sp->m.ops = ops;
  sp->m.src = src;
  return sp;
}

enum grain_state
vmdk_sparse_map (const struct grain_map *m, uint64_t g, uint64_t *off,
                 uint64_t *run)
{
  const struct vmdk_sparse *sp = (const struct vmdk_sparse *) m;
  uint32_t gte;

  *run = 1;
  if (sp->gt[g / sp->gtes_per_gt] == NULL) {
    *run = sp->gtes_per_gt - g % sp->gtes_per_gt;
    return GRAIN_UNALLOCATED;
  }
  gte = vmdk_sparse_gte (sp, g);
  if (gte == VMDK_GTE_UNALLOCATED)
    return GRAIN_UNALLOCATED;
  if (sp->zeroed_gte && gte == VMDK_GTE_ZEROED)
    return GRAIN_ZERO;
  *off = (uint64_t) gte * SECTOR;
  return sp->compressed ? GRAIN_COMPRESSED : GRAIN_DATA;
}

/* Check a grain table entry for grain G against the file; count it. */
static int
check_gte (struct vmdk_sparse *sp, uint64_t overhead, uint64_t g, uint32_t gte,
           struct v2_error *e)
{
  uint64_t need, off;

  if (!vmdk_gte_has_data (sp, gte))
    return 0;
  /* Compressed grains start with a 12-byte marker and at least a zlib
   * header; uncompressed grains need the grain's bytes. */
  need = sp->compressed ? 12 + 2 : grain_map_len (&sp->m, g);
  off = (uint64_t) gte * SECTOR;
  if (gte < overhead)
    return v2_err (e, EINVAL, "%s: grain table %" PRIu64 " entry %" PRIu64
                   ": grain %" PRIu64 " at sector %" PRIu32 " points into "
                   "the metadata (grains start at sector %" PRIu64 ")",
                   sp->m.src->name, g / sp->gtes_per_gt, g % sp->gtes_per_gt,
                   g, gte, overhead);
  if (off > sp->m.src->size || need > sp->m.src->size - off)
    return v2_err (e, EINVAL, "%s: grain table %" PRIu64 " entry %" PRIu64
                   ": grain %" PRIu64 " at offset %" PRIu64 " (%" PRIu64
                   " bytes) extends past the end of the file (%" PRIu64
                   " bytes)", sp->m.src->name, g / sp->gtes_per_gt,
                   g % sp->gtes_per_gt, g, off, need, sp->m.src->size);
  sp->m.allocated_grains++;
  return 0;
}

static uint32_t *
alloc_gt (struct vmdk_sparse *sp, uint64_t i, struct v2_error *e)
{
  if (sp->gt[i] == NULL) {
    sp->gt[i] = calloc (sp->gtes_per_gt, sizeof (uint32_t));
    if (sp->gt[i] == NULL)
      v2_err (e, ENOMEM, "%s: out of memory for grain table %" PRIu64,
              sp->m.src->name, i);
  }
  return sp->gt[i];
}

#define GT_WINDOW (256 * 1024)

/* Read the grain directory at GD (checked to fit) and every grain table. */
int
vmdk_sparse_load_tables (struct vmdk_sparse *sp, uint64_t gd, uint64_t overhead,
             struct v2_error *e)
{
  uint64_t gd_bytes = sp->n_gts * 4, gt_bytes = sp->gtes_per_gt * 4;
  uint64_t total_gt = 0, i, j, win_cap, win_off = 0, win_len = 0;
  CLEANUP_FREE unsigned char *gdbuf = NULL, *gtbuf = NULL;
  const unsigned char *tbl;

  gdbuf = malloc (gd_bytes);
  /* Tables are read GT_WINDOW bytes at a time where they lie back to
   * back, as qemu and VMware write them: a 2 TiB disk has 65536 of
   * 2 KiB, and a pread each was most of its mount time (mount and
   * unmount of a 2 TiB monolithicSparse with 2 MiB of data, -O2, warm
   * cache, 9 pairs: 140 ms median before, 39 ms after). */
  win_cap = MAX (gt_bytes, GT_WINDOW / gt_bytes * gt_bytes);
  gtbuf = malloc (win_cap);
  if (gdbuf == NULL || gtbuf == NULL)
    return v2_err (e, ENOMEM, "%s: out of memory", sp->m.src->name);
  if (source_pread (sp->m.src, gdbuf, gd_bytes, gd * SECTOR, "grain directory",
                    e) == -1)
    return -1;

  for (i = 0; i < sp->n_gts; i++) {
    uint64_t gt = le32_at (gdbuf, i * 4);
    uint32_t *t;

    if (gt == 0)
      continue;
    if (gt > sp->m.src->size / SECTOR || gt_bytes > sp->m.src->size - gt * SECTOR)
      return v2_err (e, EINVAL, "%s: grain directory entry %" PRIu64 " at "
                     "offset %" PRIu64 ": grain table at sector %" PRIu64
                     " is past the end of the file (%" PRIu64 " bytes)",
                     sp->m.src->name, i, gd * SECTOR + i * 4, gt, sp->m.src->size);
    /* Each table occupies its own space in the file: more table bytes than
     * the file holds means the directory repeats entries to make us
     * allocate without bound. */
    total_gt += gt_bytes;
    if (total_gt > sp->m.src->size)
      return v2_err (e, EINVAL, "%s: grain directory entry %" PRIu64
                     ": grain tables add up to more than the file size",
                     sp->m.src->name, i);
    if (gt * SECTOR < win_off || gt * SECTOR + gt_bytes > win_off + win_len) {
      /* Refill: this table and those that follow it back to back. */
      uint64_t k = i + 1, end = gt * SECTOR + gt_bytes;
      while (k < sp->n_gts && end + gt_bytes <= gt * SECTOR + win_cap &&
             end + gt_bytes <= sp->m.src->size &&
             (uint64_t) le32_at (gdbuf, k * 4) * SECTOR == end) {
        end += gt_bytes;
        k++;
      }
      win_off = gt * SECTOR;
      win_len = end - win_off;
      if (source_pread (sp->m.src, gtbuf, win_len, win_off, "grain table",
                        e) == -1)
        return -1;
    }
    tbl = gtbuf + (gt * SECTOR - win_off);
    /* VMware and qemu preallocate every table: keep only those that map
     * data, so memory and seeks follow the data, not the disk's size. */
    if (is_zero (tbl, gt_bytes))
      continue;
    if ((t = alloc_gt (sp, i, e)) == NULL)
      return -1;
    for (j = 0; j < sp->gtes_per_gt; j++) {
      uint64_t g = i * sp->gtes_per_gt + j;
      t[j] = le32_at (tbl, j * 4);
      if (g * sp->grain_sectors >= sp->m.capacity) {
        t[j] = 0;             /* the last table may run past the disk */
        continue;
      }
      if (check_gte (sp, overhead, g, t[j], e) == -1)
        return -1;
    }
  }
  return 0;
}

/* The footer of a GD_AT_END stream: FOOTER marker, header copy, EOS
 * marker in the last three sectors.  Returns 1 and the footer's header
 * if present and valid, 0 if absent, -1 if present but invalid. */
static int
read_footer (const struct source *src, struct header *hd, struct v2_error *e)
{
  unsigned char t[3 * SECTOR];
  uint64_t at;

  if (src->size < 4 * SECTOR || src->size % SECTOR)
    return 0;
  at = src->size - sizeof t;
  if (source_pread (src, t, sizeof t, at, "footer", e) == -1)
    return -1;
  if (le32_at (t, 8) != 0 || le32_at (t, 12) != MARKER_FOOTER ||
      le32_at (t, SECTOR) != KDMV_MAGIC ||
      le64_at (t, 2 * SECTOR) != 0 || le32_at (t, 2 * SECTOR + 8) != 0 ||
      le32_at (t, 2 * SECTOR + 12) != MARKER_EOS)
    return 0;
  if (parse_header (src, t + SECTOR, at + SECTOR, hd, e) == -1)
    return -1;
  if (hd->gd == GD_AT_END)
    return v2_err (e, EINVAL, "%s: footer at offset %" PRIu64 ": the grain "
                   "directory offset is still GD_AT_END", src->name,
                   at + SECTOR);
  return 1;
}

/* A stream without a usable footer: rebuild the grain map from the grain
 * markers, which carry their LBA (the stream format was designed to be
 * read this way).  Reads the file sequentially through a 1 MiB window. */
static int
walk_markers (struct vmdk_sparse *sp, uint64_t overhead, struct v2_error *e)
{
  enum { WIN = 1 << 20 };
  CLEANUP_FREE unsigned char *win = malloc (WIN);
  uint64_t win_at = 0, win_len = 0;
  uint64_t pos = overhead, end = sp->m.src->size / SECTOR;
  /* A compressed grain may be larger than the grain (stored blocks), but
   * not twice as large (VirtualBox draws the line at the same place). */
  uint64_t max_csize = 2 * sp->m.grain_bytes;
  /* Tables are made as markers name them.  As in load_tables, they may
   * not add up to more than the file: a real stream stores each one
   * (GT marker), while a crafted one could name a new table in every
   * 512-byte marker and cost 32 times its size in memory. */
  uint64_t gt_bytes = sp->gtes_per_gt * 4, total_gt = 0;

  if (win == NULL)
    return v2_err (e, ENOMEM, "%s: out of memory", sp->m.src->name);
  while (pos < end) {
    uint64_t off = pos * SECTOR, val;
    uint32_t size, type;
    const unsigned char *m;

    if (off < win_at || off + 16 > win_at + win_len) {
      win_len = MIN ((uint64_t) WIN, sp->m.src->size - off);
      if (source_pread (sp->m.src, win, win_len, off, "grain marker", e) == -1)
        return -1;
      win_at = off;
    }
    m = win + (off - win_at);
    val = le64_at (m, 0);
    size = le32_at (m, 8);
    type = le32_at (m, 12);
    if (size > 0) {                    /* a grain marker */
      uint64_t g = val / sp->grain_sectors, sectors;
      uint32_t *t;
      if (val % sp->grain_sectors || val >= sp->m.capacity || size > max_csize)
        return v2_err (e, EINVAL, "%s: grain marker at offset %" PRIu64
                       ": bad LBA %" PRIu64 " or size %" PRIu32, sp->m.src->name,
                       off, val, size);
      sectors = DIV_ROUND_UP (12 + (uint64_t) size, SECTOR);
      if (sectors > end - pos)
        return v2_err (e, EINVAL, "%s: grain marker at offset %" PRIu64
                       ": %" PRIu32 " bytes of grain data extend past the end"
                       " of the file", sp->m.src->name, off, size);
      if (pos > UINT32_MAX)
        return v2_err (e, EINVAL, "%s: grain marker at offset %" PRIu64
                       ": beyond the 2 TiB a grain table can address",
                       sp->m.src->name, off);
      if (sp->gt[g / sp->gtes_per_gt] == NULL &&
          (total_gt += gt_bytes) > sp->m.src->size)
        return v2_err (e, EINVAL, "%s: grain marker at offset %" PRIu64
                       ": the grain tables its markers need add up to more"
                       " than the file size", sp->m.src->name, off);
      if ((t = alloc_gt (sp, g / sp->gtes_per_gt, e)) == NULL)
        return -1;
      if (t[g % sp->gtes_per_gt] == 0)
        sp->m.allocated_grains++;
      t[g % sp->gtes_per_gt] = (uint32_t) pos;
      pos += sectors;
      continue;
    }
    switch (type) {
    case MARKER_EOS:
      return 0;
    case MARKER_GT: case MARKER_GD: case MARKER_FOOTER: case MARKER_PROGRESS:
      if (val > end - pos - 1)
        return v2_err (e, EINVAL, "%s: metadata marker at offset %" PRIu64
                       ": %" PRIu64 " sectors extend past the end of the file",
                       sp->m.src->name, off, val);
      pos += 1 + val;
      continue;
    default:
      return v2_err (e, EINVAL, "%s: marker at offset %" PRIu64 ": unknown "
                     "type %" PRIu32, sp->m.src->name, off, type);
    }
  }
  return 0;                            /* no EOS: a truncated stream */
}

static int inflate_grain (const struct grain_map *m, uint64_t grain,
                          void *out, struct v2_error *e);

static const struct grain_ops hosted_ops = {
  .name = "hosted sparse",
  .map = vmdk_sparse_map,
  .inflate = inflate_grain,
  .free = vmdk_sparse_free,
};

struct grain_map *
vmdk_sparse_open (const struct source *src, struct v2_error *e)
{
  unsigned char h[SECTOR];
  struct header hd;
  struct vmdk_sparse *sp = NULL;
  uint64_t coverage;
  bool walk = false;

  if (src->size < SECTOR)
    goto truncated;
  if (source_pread (src, h, SECTOR, 0, "sparse header", e) == -1 ||
      parse_header (src, h, 0, &hd, e) == -1)
    return NULL;

  /* Use the header's gdOffset unless it is GD_AT_END (qemu-img and
   * open-vmdk write a real one); only then look for the footer, and
   * without one rebuild the map from the markers. */
  if (hd.gd == GD_AT_END) {
    struct header ft;
    int r;

    if (!(hd.flags & FLAG_MARKERS)) {
      v2_err (e, EINVAL, "%s: sparse header at offset 0: grain directory is "
              "at the end (GD_AT_END) but the file has no markers", src->name);
      return NULL;
    }
    r = read_footer (src, &ft, e);
    if (r == -1)
      return NULL;
    if (r == 1) {
      uint64_t desc_off = hd.desc_off, desc_size = hd.desc_size;
      hd = ft;                         /* the footer takes precedence */
      hd.desc_off = desc_off;
      hd.desc_size = desc_size;
    }
    else
      walk = true;
  }

  sp = vmdk_sparse_new (src, &hosted_ops, e);
  if (sp == NULL)
    return NULL;
  sp->m.capacity = hd.capacity;
  sp->grain_sectors = hd.grain;
  sp->m.grain_bytes = hd.grain * SECTOR;
  sp->gtes_per_gt = hd.gtes;
  sp->compressed = hd.flags & FLAG_COMPRESS;
  sp->markers = hd.flags & FLAG_MARKERS;
  sp->zeroed_gte = (hd.flags & FLAG_ZEROED) && hd.version >= 2;
  sp->m.desc_offset = hd.desc_off;
  sp->m.desc_size = hd.desc_size;
  coverage = (uint64_t) hd.gtes * hd.grain;
  sp->n_gts = DIV_ROUND_UP (hd.capacity, coverage);
  if (sp->n_gts > LIMIT_GRAIN_TABLES) {
    v2_err (e, EINVAL, "%s: sparse header at offset 0: grain directory of "
            "%" PRIu64 " entries is over the limit of %" PRIu64, src->name,
            sp->n_gts, LIMIT_GRAIN_TABLES);
    goto err;
  }
  /* Before the pointer per table: a 1 KiB file can claim 2^25 (256 MiB). */
  if (!walk && (hd.gd > src->size / SECTOR ||
                sp->n_gts * 4 > src->size - hd.gd * SECTOR)) {
    v2_err (e, EINVAL, "%s: grain directory at sector %" PRIu64 " (%" PRIu64
            " entries) is past the end of the file (%" PRIu64 " bytes)",
            src->name, hd.gd, sp->n_gts, src->size);
    goto err;
  }
  sp->gt = calloc (sp->n_gts ? sp->n_gts : 1, sizeof *sp->gt);
  if (sp->gt == NULL)
    goto enomem;

  if (walk) {
    if (walk_markers (sp, hd.overhead, e) == -1)
      goto err;
  }
  else if (vmdk_sparse_load_tables (sp, hd.gd, hd.overhead, e) == -1)
    goto err;
  return &sp->m;

 truncated:
  v2_err (e, EINVAL, "%s: sparse header at offset 0: file is truncated "
          "(%" PRIu64 " bytes)", src->name, src->size);
  return NULL;
 enomem:
  v2_err (e, ENOMEM, "%s: out of memory", src->name);
 err:
  vmdk_sparse_free (&sp->m);
  return NULL;
}

/* Inflate compressed grain GRAIN (which has data) into OUT. */
static int
inflate_grain (const struct grain_map *m, uint64_t grain, void *out,
               struct v2_error *e)
{
  const struct vmdk_sparse *sp = (const struct vmdk_sparse *) m;
  uint64_t off = (uint64_t) vmdk_sparse_gte (sp, grain) * SECTOR;
  uint64_t want = grain_map_len (&sp->m, grain), avail = sp->m.src->size - off;
  uint64_t max_csize = 2 * sp->m.grain_bytes, first, data_off = 0, csize;
  size_t got;
  CLEANUP_FREE unsigned char *buf = NULL;
  enum inflate_result r;

  /* One pread usually covers the marker and the data: compressed grains
   * are almost always smaller than the grain. */
  first = MIN (avail, 12 + sp->m.grain_bytes);
  buf = malloc (12 + max_csize);
  if (buf == NULL)
    return v2_err (e, ENOMEM, "%s: out of memory", sp->m.src->name);
  if (source_pread (sp->m.src, buf, first, off, "grain", e) == -1)
    return -1;
  if (sp->markers) {
    uint64_t lba = le64_at (buf, 0);
    csize = le32_at (buf, 8);
    data_off = 12;
    if (lba != grain * sp->grain_sectors)
      return v2_err (e, EIO, "%s: grain marker at offset %" PRIu64 ": LBA %"
                     PRIu64 ", expected %" PRIu64, sp->m.src->name, off, lba,
                     grain * sp->grain_sectors);
    if (csize == 0 || csize > max_csize || csize > avail - 12)
      return v2_err (e, EIO, "%s: grain marker at offset %" PRIu64 ": bad "
                     "compressed size %" PRIu32, sp->m.src->name, off,
                     (uint32_t) csize);
    if (12 + csize > first &&
        source_pread (sp->m.src, buf + first, 12 + csize - first, off + first,
                      "grain", e) == -1)
      return -1;
  }
  else {
    /* No marker: the stream's own end delimits it. */
    csize = MIN (avail, max_csize);
    if (csize > first &&
        source_pread (sp->m.src, buf + first, csize - first, off + first,
                      "grain", e) == -1)
      return -1;
  }

  r = inflate_zlib (buf + data_off, csize, out, sp->m.grain_bytes, &got);
  switch (r) {
  case INFLATE_OK:
    break;
  case INFLATE_TOO_BIG:
    return v2_err (e, EIO, "%s: grain at offset %" PRIu64 " (LBA %" PRIu64
                   "): inflates past the grain size of %" PRIu64 " bytes",
                   sp->m.src->name, off, grain * sp->grain_sectors,
                   sp->m.grain_bytes);
  case INFLATE_NOMEM:
    return v2_err (e, ENOMEM, "%s: out of memory", sp->m.src->name);
  default:
    return v2_err (e, EIO, "%s: grain at offset %" PRIu64 " (LBA %" PRIu64
                   "): not a valid zlib stream", sp->m.src->name, off,
                   grain * sp->grain_sectors);
  }
  if (got < want)
    return v2_err (e, EIO, "%s: grain at offset %" PRIu64 " (LBA %" PRIu64
                   "): inflates to %zu bytes, expected %" PRIu64,
                   sp->m.src->name, off, grain * sp->grain_sectors, got, want);
  if (got < sp->m.grain_bytes)
    memset ((char *) out + got, 0, sp->m.grain_bytes - got);
  return 0;
}
