/* VMDK descriptor text (FORMATS.md §A.5): the header keys, the parent
 * link of a snapshot, and the extent lines.  Parsing works on text in
 * memory; the extents' files are read by grains.h's formats. */
#ifndef V2V_VMDK_H
#define V2V_VMDK_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "grains.h"

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

#endif
