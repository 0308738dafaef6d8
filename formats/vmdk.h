/* VMDK: the descriptor text, and hosted sparse extents ("KDMV": the
 * monolithicSparse, twoGbMaxExtentSparse and streamOptimized formats).
 *
 * Parsing is separate from I/O: vmdk_desc_parse works on text in memory
 * and vmdk_sparse_open reads only metadata (header, footer, grain
 * directory, grain tables; or the grain markers when a stream lost its
 * footer).  The result is immutable, so the read path needs no lock.
 * Byte layouts: VMware "Virtual Disk Format 5.0" and FORMATS.md §A. */
#ifndef V2V_VMDK_H
#define V2V_VMDK_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "source.h"

#define SECTOR 512
/* 2^50 bytes (1 PiB): far beyond VMware's 62 TB, and small enough that
 * a capacity in bytes and every offset derived from it fit in 64 bits. */
#define VMDK_MAX_SECTORS (UINT64_C (1) << 41)

enum vmdk_access { VMDK_RW, VMDK_RDONLY, VMDK_NOACCESS };
enum vmdk_extent_type {
  VMDK_FLAT, VMDK_SPARSE, VMDK_ZERO, VMDK_VMFS,
  VMDK_VMFSSPARSE, VMDK_VMFSRDM, VMDK_VMFSRAW, VMDK_SESPARSE,
};

struct vmdk_extent_line {
  enum vmdk_access access;
  enum vmdk_extent_type type;
  uint64_t sectors;
  char *file;              /* NULL for ZERO */
  uint64_t offset;         /* sectors, FLAT/VMFS only */
  unsigned lineno;
};

struct vmdk_desc {
  unsigned version;
  char *create_type;       /* NULL if absent */
  uint32_t cid, parent_cid;
  char *parent_hint;       /* parentFileNameHint, or NULL */
  struct vmdk_extent_line *extents;
  size_t n_extents;
};

#define VMDK_NO_PARENT 0xffffffffU

/* Parse descriptor TEXT of LEN bytes (stops at the first NUL).  NAME is
 * the file it came from, for messages.  Free with vmdk_desc_free. */
int vmdk_desc_parse (const char *text, size_t len, const char *name,
                     struct vmdk_desc *d, struct v2_error *e);
void vmdk_desc_free (struct vmdk_desc *d);
const char *vmdk_extent_type_name (enum vmdk_extent_type t);

/* A hosted sparse extent, with its grain tables in memory. */
struct vmdk_sparse {
  const struct source *src;   /* borrowed: the caller keeps it open */
  uint64_t capacity;          /* sectors */
  uint64_t grain_sectors;
  uint64_t grain_bytes;
  uint32_t gtes_per_gt;
  uint64_t n_gts;
  uint32_t **gt;              /* n_gts tables; NULL where the GD entry is 0 */
  bool compressed;            /* grains are zlib streams */
  bool markers;               /* each grain starts with a (lba, size) marker */
  bool zeroed_gte;            /* GTE 1 means "reads as zeros" */
  uint64_t allocated_grains;
  uint64_t desc_offset, desc_size;   /* embedded descriptor, sectors */
};

/* Grain table entry values with a meaning of their own. */
#define VMDK_GTE_UNALLOCATED 0
#define VMDK_GTE_ZEROED 1

/* Read the header and the grain map of SRC.  The caller frees with
 * vmdk_sparse_free, before freeing SRC. */
struct vmdk_sparse *vmdk_sparse_open (const struct source *src,
                                      struct v2_error *e);
void vmdk_sparse_free (struct vmdk_sparse *sp);

/* True if SRC starts with the KDMV magic. */
bool vmdk_is_sparse (const void *first_sector, size_t len);

static inline uint32_t
vmdk_sparse_gte (const struct vmdk_sparse *sp, uint64_t grain)
{
  const uint32_t *t = sp->gt[grain / sp->gtes_per_gt];
  return t ? t[grain % sp->gtes_per_gt] : VMDK_GTE_UNALLOCATED;
}

static inline bool
vmdk_gte_has_data (const struct vmdk_sparse *sp, uint32_t gte)
{
  return gte != VMDK_GTE_UNALLOCATED && !(sp->zeroed_gte && gte == VMDK_GTE_ZEROED);
}

/* Bytes of grain GRAIN that lie inside the extent (the last one may be
 * short). */
static inline uint64_t
vmdk_grain_len (const struct vmdk_sparse *sp, uint64_t grain)
{
  uint64_t start = grain * sp->grain_sectors;
  uint64_t n = sp->capacity - start;
  return (n < sp->grain_sectors ? n : sp->grain_sectors) * SECTOR;
}

/* Inflate compressed grain GRAIN (which has data) into OUT, which holds
 * grain_bytes; bytes past the grain's length are zeroed. */
int vmdk_read_compressed_grain (const struct vmdk_sparse *sp, uint64_t grain,
                                void *out, struct v2_error *e);

#endif
