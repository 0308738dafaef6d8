/* The hosted sparse grain map ("KDMV", FORMATS.md §A.1-A.4), shared by
 * vmdk-sparse.c, cowd.c (a COWD redo log has the same two-level u32
 * tables) and the unit tests.  Everything else reads it through
 * grains.h. */
#ifndef V2V_VMDK_SPARSE_H
#define V2V_VMDK_SPARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "grains.h"

struct vmdk_sparse {
  struct grain_map m;                 /* first: a grain_map * is one of these */
  uint64_t grain_sectors;
  uint32_t gtes_per_gt;
  uint64_t n_gts;
  uint32_t **gt;              /* n_gts tables; NULL where the GD entry is 0 */
  bool compressed;            /* grains are zlib streams */
  bool markers;               /* each grain starts with a (lba, size) marker */
  bool zeroed_gte;            /* GTE 1 means "reads as zeros" */
};

/* Grain table entry values with a meaning of their own. */
#define VMDK_GTE_UNALLOCATED 0
#define VMDK_GTE_ZEROED 1

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

/* SP's src, capacity, grain size, gtes_per_gt and n_gts set: read the
 * grain directory at sector GD and every table it names; grains may not
 * point below sector OVERHEAD. */
int vmdk_sparse_load_tables (struct vmdk_sparse *sp, uint64_t gd,
                             uint64_t overhead, struct v2_error *e);
/* A zeroed vmdk_sparse with the operations OPS, or NULL. */
struct vmdk_sparse *vmdk_sparse_new (const struct source *src,
                                     const struct grain_ops *ops,
                                     struct v2_error *e);
void vmdk_sparse_free (struct grain_map *m);
enum grain_state vmdk_sparse_map (const struct grain_map *m, uint64_t g,
                                  uint64_t *off, uint64_t *run);

#endif
