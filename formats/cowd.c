/* ESXi vmfsSparse redo logs ("COWD", FORMATS.md §A.6): the -delta.vmdk
 * of a snapshot on VMFS5 and older.  A 2048-byte header, then the same
 * two-level map of u32 sector numbers as a hosted sparse file, with 4096
 * entries a table, no compression and no zeroed-grain entry.  The tables
 * are read by vmdk-sparse.c's loader. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "byteorder.h"
#include "checked.h"
#include "input-limits.h"
#include "vmdk.h"
#include "vmdk-sparse.h"

#define COWD_HEADER_BYTES 2048
#define COWD_GTES         4096
#define C_VERSION         4
#define C_SECTORS         12
#define C_GRAIN           16
#define C_GD              20
#define C_GD_ENTRIES      24

static const struct grain_ops cowd_ops = {
  .name = "COWD (vmfsSparse)",
  .map = vmdk_sparse_map,
  .free = vmdk_sparse_free,
};

struct grain_map *
cowd_open (const struct source *src, struct v2_error *e)
{
  unsigned char h[COWD_HEADER_BYTES];
  struct vmdk_sparse *sp;
  uint32_t version, grain, gd, gd_entries;
  uint64_t sectors, need;

  if (src->size < sizeof h) {
    v2_err (e, EINVAL, "%s: COWD header at offset 0: file is truncated "
            "(%" PRIu64 " bytes)", src->name, src->size);
    return NULL;
  }
  if (source_pread (src, h, sizeof h, 0, "COWD header", e) == -1)
    return NULL;
  version = le32_at (h, C_VERSION);
  sectors = le32_at (h, C_SECTORS);
  grain = le32_at (h, C_GRAIN);
  gd = le32_at (h, C_GD);
  gd_entries = le32_at (h, C_GD_ENTRIES);

#define BAD(...) (v2_err (e, EINVAL, __VA_ARGS__), NULL)
  if (le32_at (h, 0) != COWD_MAGIC)
    return BAD ("%s: COWD header at offset 0: bad magic", src->name);
  if (version != 1)
    return BAD ("%s: COWD header at offset 0: unsupported version %" PRIu32,
                src->name, version);
  if (sectors == 0)
    return BAD ("%s: COWD header at offset 0: capacity is 0 sectors",
                src->name);
  if (!is_power_of_2 (grain) || grain > LIMIT_GRAIN_SECTORS)
    return BAD ("%s: COWD header at offset 0: grain size %" PRIu32 " sectors "
                "is not a power of 2 up to %d", src->name, grain,
                LIMIT_GRAIN_SECTORS);
  need = DIV_ROUND_UP (sectors, (uint64_t) grain * COWD_GTES);
  if (gd_entries < need)
    return BAD ("%s: COWD header at offset 0: %" PRIu32 " grain directory "
                "entries cannot map %" PRIu64 " sectors (%" PRIu64 " needed)",
                src->name, gd_entries, sectors, need);
  if (gd < COWD_HEADER_BYTES / SECTOR || gd > src->size / SECTOR ||
      need * 4 > src->size - (uint64_t) gd * SECTOR)
    return BAD ("%s: COWD header at offset 0: grain directory at sector "
                "%" PRIu32 " (%" PRIu64 " entries) is not within the file "
                "(%" PRIu64 " bytes)", src->name, gd, need, src->size);
#undef BAD

  if ((sp = vmdk_sparse_new (src, &cowd_ops, e)) == NULL)
    return NULL;
  sp->m.capacity = sectors;
  sp->grain_sectors = grain;
  sp->m.grain_bytes = (uint64_t) grain * SECTOR;
  sp->gtes_per_gt = COWD_GTES;
  sp->n_gts = need;
  sp->gt = calloc (need, sizeof *sp->gt);
  if (sp->gt == NULL) {
    v2_err (e, ENOMEM, "%s: out of memory", src->name);
    goto err;
  }
  if (vmdk_sparse_load_tables (sp, gd, COWD_HEADER_BYTES / SECTOR, e) == -1)
    goto err;
  return &sp->m;

 err:
  vmdk_sparse_free (&sp->m);
  return NULL;
}
