/* ESXi SEsparse ("space-efficient sparse", FORMATS.md §A.7): the
 * -sesparse.vmdk of a snapshot on VMFS6, and of any disk over 2 TB.
 * u64 fields throughout; 4 KiB grains; a grain directory whose entries
 * name grain tables of 4096 u64 entries, each entry's top nibble giving
 * the grain's state.  The format is undocumented; the checks follow
 * qemu's, which are strict.  A journal that needs replaying is refused:
 * the file is only consistent after VMware replays it. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "byteorder.h"
#include "checked.h"
#include "cleanup.h"
#include "vmdk.h"

#define SE_VERSION        UINT64_C (0x0000000200000001)
#define SE_VOLATILE_MAGIC UINT64_C (0x00000000cafecafe)
#define SE_GRAIN_SECTORS  8
#define SE_GT_SECTORS     64
#define SE_GTES           (SE_GT_SECTORS * SECTOR / 8)

/* Header fields: u64 at these byte offsets. */
enum {
  S_MAGIC = 0, S_VERSION = 8, S_CAPACITY = 16, S_GRAIN = 24, S_GT_SIZE = 32,
  S_FLAGS = 40, S_VOLATILE = 80, S_GD = 128, S_GD_SIZE = 136,
  S_GTS = 144, S_GTS_SIZE = 152, S_GRAINS = 192, S_GRAINS_SIZE = 200,
};

/* A decoded grain table entry. */
#define SE_UNALLOCATED 0
#define SE_ZERO        1               /* else: the data's byte offset */

struct sesparse {
  struct grain_map m;
  uint64_t n_gts;
  uint64_t **gt;                       /* NULL where the GD entry is 0 */
};

static enum grain_state
se_map (const struct grain_map *m, uint64_t g, uint64_t *off, uint64_t *run)
{
  const struct sesparse *se = (const struct sesparse *) m;
  const uint64_t *t = se->gt[g / SE_GTES];
  uint64_t v;

  *run = 1;
  if (t == NULL) {
    *run = SE_GTES - g % SE_GTES;
    return GRAIN_UNALLOCATED;
  }
  v = t[g % SE_GTES];
  if (v == SE_UNALLOCATED)
    return GRAIN_UNALLOCATED;
  if (v == SE_ZERO)
    return GRAIN_ZERO;
  *off = v;
  return GRAIN_DATA;
}

static void
se_free (struct grain_map *m)
{
  struct sesparse *se = (struct sesparse *) m;
  uint64_t i;

  if (se == NULL)
    return;
  for (i = 0; se->gt && i < se->n_gts; i++)
    free (se->gt[i]);
  free (se->gt);
  free (se);
}

static const struct grain_ops se_ops = {
  .name = "SEsparse", .map = se_map, .free = se_free,
};

/* The region [OFF, OFF+LEN) sectors, from header field AT, within the file. */
static int
check_region (const struct source *src, const unsigned char *h, unsigned at,
              const char *what, struct v2_error *e)
{
  uint64_t off = le64_at (h, at), len = le64_at (h, at + 8), end;

  if (ADD_OVERFLOW (off, len, &end) || end > src->size / SECTOR || off == 0)
    return v2_err (e, EINVAL, "%s: SEsparse header at offset %u: %s at sector "
                   "%" PRIu64 " (%" PRIu64 " sectors) is not within the file "
                   "(%" PRIu64 " bytes)", src->name, at, what, off, len,
                   src->size);
  return 0;
}

/* Decode and check table I (at byte GT_OFF, in RAW) into T. */
static int
load_table (struct sesparse *se, const unsigned char *h, uint64_t i,
            uint64_t gt_off, const unsigned char *raw, uint64_t *t,
            struct v2_error *e)
{
  uint64_t grains = le64_at (h, S_GRAINS), grains_size = le64_at (h, S_GRAINS_SIZE);
  uint64_t j;

  for (j = 0; j < SE_GTES; j++) {
    uint64_t v = le64_at (raw, j * 8), g = i * SE_GTES + j, cluster;

    if (g * SE_GRAIN_SECTORS >= se->m.capacity) {
      t[j] = SE_UNALLOCATED;     /* the last table may run past the disk */
      continue;
    }
    switch (v >> 60) {
    case 0:
      if (v != 0)
        goto bad;
      t[j] = SE_UNALLOCATED;
      break;
    case 1: case 2:                    /* unmapped, zeroed: reads zeros */
      t[j] = SE_ZERO;
      break;
    case 3:
      cluster = ((v & UINT64_C (0x0fff000000000000)) >> 48) |
        ((v & UINT64_C (0x0000ffffffffffff)) << 12);
      if (cluster >= grains_size / SE_GRAIN_SECTORS)
        return v2_err (e, EINVAL, "%s: SEsparse grain table %" PRIu64
                       " entry %" PRIu64 " at offset %" PRIu64 ": grain %"
                       PRIu64 " is cluster %" PRIu64 ", past the grains' "
                       "region (%" PRIu64 " clusters)", se->m.src->name, i, j,
                       gt_off + j * 8, g, cluster, grains_size / SE_GRAIN_SECTORS);
      t[j] = (grains + cluster * SE_GRAIN_SECTORS) * SECTOR;
      se->m.allocated_grains++;
      break;
    default:
      goto bad;
    }
    continue;
  bad:
    return v2_err (e, EINVAL, "%s: SEsparse grain table %" PRIu64 " entry %"
                   PRIu64 " at offset %" PRIu64 ": unknown entry 0x%016" PRIx64,
                   se->m.src->name, i, j, gt_off + j * 8, v);
  }
  return 0;
}

static int
load_tables (struct sesparse *se, const unsigned char *h, struct v2_error *e)
{
  const struct source *src = se->m.src;
  uint64_t gd = le64_at (h, S_GD), gts = le64_at (h, S_GTS);
  uint64_t n_gt_slots = le64_at (h, S_GTS_SIZE) / SE_GT_SECTORS, i, total = 0;
  CLEANUP_FREE unsigned char *gdbuf = malloc (se->n_gts * 8);
  CLEANUP_FREE unsigned char *raw = malloc (SE_GT_SECTORS * SECTOR);

  if (gdbuf == NULL || raw == NULL)
    return v2_err (e, ENOMEM, "%s: out of memory", src->name);
  if (source_pread (src, gdbuf, se->n_gts * 8, gd * SECTOR,
                    "SEsparse grain directory", e) == -1)
    return -1;
  for (i = 0; i < se->n_gts; i++) {
    uint64_t v = le64_at (gdbuf, i * 8), idx, off;

    if (v == 0)
      continue;
    idx = v & UINT32_MAX;
    if (v >> 32 != 0x10000000 || idx >= n_gt_slots)
      return v2_err (e, EINVAL, "%s: SEsparse grain directory entry %" PRIu64
                     " at offset %" PRIu64 ": bad entry 0x%016" PRIx64
                     " (%" PRIu64 " grain tables)", src->name, i,
                     gd * SECTOR + i * 8, v, n_gt_slots);
    /* As for hosted sparse files: entries that repeat a table may not
     * make us hold more tables than the file has room for. */
    if ((total += SE_GT_SECTORS * SECTOR) > src->size)
      return v2_err (e, EINVAL, "%s: SEsparse grain directory entry %" PRIu64
                     ": grain tables add up to more than the file size",
                     src->name, i);
    off = (gts + idx * SE_GT_SECTORS) * SECTOR;
    if (source_pread (src, raw, SE_GT_SECTORS * SECTOR, off,
                      "SEsparse grain table", e) == -1)
      return -1;
    se->gt[i] = malloc (SE_GTES * sizeof (uint64_t));
    if (se->gt[i] == NULL)
      return v2_err (e, ENOMEM, "%s: out of memory", src->name);
    if (load_table (se, h, i, off, raw, se->gt[i], e) == -1)
      return -1;
  }
  return 0;
}

struct grain_map *
sesparse_open (const struct source *src, struct v2_error *e)
{
  unsigned char h[SECTOR], vh[SECTOR];
  struct sesparse *se = NULL;
  uint64_t capacity, gd_entries, vol;

  if (src->size < SECTOR) {
    v2_err (e, EINVAL, "%s: SEsparse header at offset 0: file is truncated "
            "(%" PRIu64 " bytes)", src->name, src->size);
    return NULL;
  }
  if (source_pread (src, h, SECTOR, 0, "SEsparse header", e) == -1)
    return NULL;
  capacity = le64_at (h, S_CAPACITY);

#define BAD(at, fmt, ...) \
  (v2_err (e, EINVAL, "%s: SEsparse header at offset %d: " fmt, src->name, \
           at, __VA_ARGS__), NULL)
  if (le64_at (h, S_MAGIC) != SESPARSE_MAGIC)
    return BAD (S_MAGIC, "bad magic 0x%016" PRIx64, le64_at (h, S_MAGIC));
  if (le64_at (h, S_VERSION) != SE_VERSION)
    return BAD (S_VERSION, "unsupported version 0x%016" PRIx64,
                le64_at (h, S_VERSION));
  if (capacity == 0 || capacity > VMDK_MAX_SECTORS)
    return BAD (S_CAPACITY, "capacity %" PRIu64 " sectors is 0 or over the "
                "limit of %" PRIu64, capacity, VMDK_MAX_SECTORS);
  if (le64_at (h, S_GRAIN) != SE_GRAIN_SECTORS ||
      le64_at (h, S_GT_SIZE) != SE_GT_SECTORS)
    return BAD (S_GRAIN, "grain size %" PRIu64 " and grain table size %"
                PRIu64 " sectors (only %d and %d exist)", le64_at (h, S_GRAIN),
                le64_at (h, S_GT_SIZE), SE_GRAIN_SECTORS, SE_GT_SECTORS);
  if (le64_at (h, S_FLAGS) != 0)
    return BAD (S_FLAGS, "unknown flags 0x%016" PRIx64, le64_at (h, S_FLAGS));
#undef BAD
  if (check_region (src, h, S_VOLATILE, "the volatile header", e) == -1 ||
      check_region (src, h, S_GD, "the grain directory", e) == -1 ||
      check_region (src, h, S_GTS, "the grain tables", e) == -1 ||
      check_region (src, h, S_GRAINS, "the grains", e) == -1)
    return NULL;

  vol = le64_at (h, S_VOLATILE) * SECTOR;
  if (source_pread (src, vh, SECTOR, vol, "SEsparse volatile header", e) == -1)
    return NULL;
  if (le64_at (vh, 0) != SE_VOLATILE_MAGIC) {
    v2_err (e, EINVAL, "%s: SEsparse volatile header at offset %" PRIu64
            ": bad magic 0x%016" PRIx64, src->name, vol, le64_at (vh, 0));
    return NULL;
  }
  if (le64_at (vh, 24) != 0) {
    v2_err (e, EINVAL, "%s: SEsparse volatile header at offset %" PRIu64
            ": the journal is dirty (replay_journal %" PRIu64 "): the delta "
            "was not closed cleanly; let VMware replay it (power the VM on "
            "and off, or consolidate) first", src->name, vol,
            le64_at (vh, 24));
    return NULL;
  }

  gd_entries = le64_at (h, S_GD_SIZE) * SECTOR / 8;
  se = calloc (1, sizeof *se);
  if (se == NULL) {
    v2_err (e, ENOMEM, "%s: out of memory", src->name);
    return NULL;
  }
  se->m.ops = &se_ops;
  se->m.src = src;
  se->m.capacity = capacity;
  se->m.grain_bytes = SE_GRAIN_SECTORS * SECTOR;
  se->n_gts = DIV_ROUND_UP (capacity, (uint64_t) SE_GRAIN_SECTORS * SE_GTES);
  if (gd_entries < se->n_gts) {
    v2_err (e, EINVAL, "%s: SEsparse header at offset %d: a grain directory "
            "of %" PRIu64 " entries cannot map %" PRIu64 " sectors",
            src->name, S_GD_SIZE, gd_entries, capacity);
    goto err;
  }
  if ((se->gt = calloc (se->n_gts, sizeof *se->gt)) == NULL) {
    v2_err (e, ENOMEM, "%s: out of memory", src->name);
    goto err;
  }
  if (load_tables (se, h, e) == -1)
    goto err;
  return &se->m;

 err:
  se_free (&se->m);
  return NULL;
}
