/* A grain-mapped extent: the one interface image.c reads every sparse
 * format through.
 *
 * A format is one file that fills a struct grain_map (embedded first in
 * its own state) and a table of operations: map a grain to its state and
 * file offset, inflate a compressed grain, free.  The formats:
 *
 *   vmdk-sparse.c  hosted sparse "KDMV": monolithicSparse, twoGbMaxExtent-
 *                  Sparse, streamOptimized, and hosted snapshot children
 *   cowd.c         ESXi vmfsSparse "COWD" redo logs (-delta.vmdk)
 *   sesparse.c     ESXi SEsparse (-sesparse.vmdk)
 *
 * Opening reads only metadata, and the result is immutable, so the read
 * path needs no lock.  An UNALLOCATED grain reads from the parent disk of
 * a snapshot chain (zeros where there is none); a ZERO grain reads zeros
 * and hides the parent. */
#ifndef V2V_GRAINS_H
#define V2V_GRAINS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "source.h"

#define SECTOR 512

/* The formats' magics, little-endian at offset 0. */
#define KDMV_MAGIC     0x564d444bU                   /* "KDMV" */
#define COWD_MAGIC     0x44574f43U                   /* "COWD" */
#define SESPARSE_MAGIC UINT64_C (0x00000000cafebabe)

enum grain_state { GRAIN_UNALLOCATED, GRAIN_ZERO, GRAIN_DATA, GRAIN_COMPRESSED };

/* What an extent line or a file's magic says the file is. */
enum grain_format { GRAINS_ANY, GRAINS_HOSTED, GRAINS_COWD, GRAINS_SESPARSE };

struct grain_map;

struct grain_ops {
  const char *name;                   /* for messages: "COWD (vmfsSparse)" */
  /* The state of grain G (G < grain_map_count): for DATA, *OFF is the
   * file offset of its first byte.  *RUN is how many grains from G are
   * known to share the state without looking further (at least 1: the
   * rest of a table that does not exist, say). */
  enum grain_state (*map) (const struct grain_map *m, uint64_t g,
                           uint64_t *off, uint64_t *run);
  /* COMPRESSED grains only: inflate grain G into OUT, which holds
   * grain_bytes; bytes past the grain's length are zeroed. */
  int (*inflate) (const struct grain_map *m, uint64_t g, void *out,
                  struct v2_error *e);
  void (*free) (struct grain_map *m);
};

struct grain_map {
  const struct grain_ops *ops;
  const struct source *src;           /* borrowed: the caller keeps it open */
  uint64_t capacity;                  /* sectors */
  uint64_t grain_bytes;
  uint64_t allocated_grains;          /* grains that hold data */
  /* A hosted sparse file's embedded descriptor, in sectors (0: none). */
  uint64_t desc_offset, desc_size;
};

/* The format of a file whose first LEN bytes are HEAD, or GRAINS_ANY if
 * it has no sparse magic. */
enum grain_format grain_format_probe (const void *head, size_t len);
const char *grain_format_name (enum grain_format f);

/* Read the header and the grain map of SRC, which must be of format WANT
 * (GRAINS_ANY: whatever its magic says).  Free with grain_map_free,
 * before SRC. */
struct grain_map *grain_map_open (const struct source *src,
                                  enum grain_format want, struct v2_error *e);
void grain_map_free (struct grain_map *m);

static inline uint64_t
grain_map_count (const struct grain_map *m)
{
  uint64_t gs = m->grain_bytes / SECTOR;
  return (m->capacity + gs - 1) / gs;
}

/* Bytes of grain G that lie inside the extent (the last may be short). */
static inline uint64_t
grain_map_len (const struct grain_map *m, uint64_t g)
{
  uint64_t gs = m->grain_bytes / SECTOR, start = g * gs;
  uint64_t n = m->capacity - start;
  return (n < gs ? n : gs) * SECTOR;
}

/* The formats' openers, for grain_map_open. */
struct grain_map *vmdk_sparse_open (const struct source *src, struct v2_error *e);
/* True when H (the first LEN bytes of a file) is a hosted sparse header
 * with its grain directory in place (not GD_AT_END) and grains stored
 * as is: such a file is only read where its tables point, never up to
 * its end (a compressed grain's read may run to the end of the file). */
bool vmdk_sparse_random_access (const unsigned char *h, size_t len);
struct grain_map *cowd_open (const struct source *src, struct v2_error *e);
struct grain_map *sesparse_open (const struct source *src, struct v2_error *e);

#endif
