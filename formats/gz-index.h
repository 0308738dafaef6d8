/* The checkpoints of a gzip stream, and their file in the index
 * directory: gz.c builds and uses them, this saves and loads them.
 *
 * The file, "gzindex-HASH", little-endian:
 *   "v2vfs gzindex 1\n" (16 bytes)
 *   u32 identity length, the identity (see gz.c: what the compressed
 *     bytes are), u64 output size, u64 spacing, u32 checkpoint count;
 *   per checkpoint: u64 output offset, u64 compressed offset, u8 bits,
 *     u8 kind, u32 window length, the window;
 *   u32 CRC-32 of everything before it.
 * It is written to a temporary name and renamed, so a reader sees a
 * whole file or none; it is checked like any untrusted input when read,
 * and a file that fails a check is ignored (the index is rebuilt). */
#ifndef V2V_GZ_INDEX_H
#define V2V_GZ_INDEX_H

#include <stdint.h>
#include <stddef.h>

#include "error.h"

enum gz_point_kind {
  GZ_POINT_MEMBER,          /* a gzip member's header starts at `in` */
  GZ_POINT_BLOCK,           /* a deflate block starts at `in` (less `bits`) */
};

struct gz_point {
  uint64_t out;             /* output offset */
  uint64_t in;              /* compressed offset of the first whole byte */
  uint8_t bits;             /* bits of the byte at in-1 that still belong */
  uint8_t kind;             /* enum gz_point_kind */
  uint32_t wlen;            /* window bytes (0 for a member start) */
  unsigned char *window;    /* malloc'd, or NULL */
};

struct gz_index {
  struct gz_point *points;  /* by out, strictly increasing */
  size_t n, cap;
  uint64_t spacing;
  uint64_t size;            /* output size, when complete */
};

void gz_index_clear (struct gz_index *ix);

/* Load the index saved for IDENTITY under DIR into IX.  Returns 1 when
 * loaded, 0 when there is none or it does not hold up (IX is left
 * empty), -1 on errors that mean something is wrong with DIR itself. */
int gz_index_load (const char *dir, const char *identity,
                   uint64_t in_size, size_t max_points, struct gz_index *ix,
                   struct v2_error *e);

/* Save IX (complete) for IDENTITY under DIR, atomically. */
int gz_index_save (const char *dir, const char *identity,
                   const struct gz_index *ix, struct v2_error *e);

#endif
