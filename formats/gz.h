/* Random access into a gzip file (RFC 1952), one or more members, without
 * decompressing it anywhere: a checkpoint index in the manner of zlib's
 * zran example.  A checkpoint is where a deflate block starts: the
 * compressed offset (and the bits of the byte before it already used),
 * the output offset, and the 32 KiB window that the next blocks may
 * refer back into.  A read at output offset X inflates forward from the
 * nearest checkpoint at or before X, or from a cursor that an earlier
 * read left just behind X, so sequential reads never start over.
 *
 * The index grows as the stream is inflated: any pass that goes past the
 * last checkpoint (a read, gz_finish, or the background thread of
 * gz_start) adds one every SPACING bytes of output.  Once a pass reaches
 * the end, the size is known and the index is complete; it is then saved
 * under the configured index directory, keyed by the identity of the
 * compressed bytes, and a later open with the same bytes loads it instead
 * of inflating anything.
 *
 * Memory: the windows are the index's memory, 32 KiB a checkpoint.  When
 * they would pass the configured cap, every other checkpoint is dropped
 * and the spacing doubles, so a stream of any size fits the cap and the
 * cost of a random read grows only with the spacing.
 *
 * Thread safety: any number of threads may gz_pread at once.  A lock
 * guards the index and the pool of idle cursors; inflating runs outside
 * it, each thread with its own cursor. */
#ifndef V2V_GZ_H
#define V2V_GZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "error.h"
#include "source.h"

#define GZ_WINDOW 32768u
/* A checkpoint every 1 MiB of output: a random 4 KiB read inflates
 * 0.5 MiB on average, a few milliseconds. */
#define GZ_SPACING_DEFAULT (UINT64_C (1) << 20)
/* 64 MiB of windows: 1 MiB spacing up to 2 GiB of output, 2 MiB up to
 * 4 GiB, and so on. */
#define GZ_MEMORY_DEFAULT (UINT64_C (64) << 20)
/* Deflate's densest code is 258 bytes in under 2 bits: no member
 * inflates to more than 1032 times its compressed size. */
#define GZ_MAX_RATIO 1032u

struct gz_config {
  const char *index_dir;   /* where complete indexes are kept; NULL: nowhere */
  uint64_t spacing;        /* output bytes between checkpoints; 0: default */
  uint64_t memory;         /* bytes of windows at most; 0: default */
};

struct gz;

/* True when S starts with the gzip magic and method (1f 8b 08). */
bool gz_sniff (const struct source *s);

/* A reader of the gzip stream IN (taken, also on failure).  NAME is for
 * messages.  Loads a saved index when CFG names a directory holding one
 * for these bytes.  Free with gz_free. */
struct gz *gz_open (struct source *in, const char *name,
                    const struct gz_config *cfg, struct v2_error *e);

/* Stops the background pass (waiting for it) and frees everything. */
void gz_free (struct gz *gz);

/* The output size when the index is complete (true), else an upper bound
 * (false): GZ_MAX_RATIO times the compressed size. */
bool gz_size (const struct gz *gz, uint64_t *size);

/* Read LEN bytes of output at OFF.  Past the end of the stream, and on
 * corrupt data, an error naming WHAT, the output offset and the
 * compressed offset. */
int gz_pread (struct gz *gz, void *buf, size_t len, uint64_t off,
              const char *what, struct v2_error *e);

/* Inflate to the end now (from the last checkpoint), completing and
 * saving the index.  No-op when complete. */
int gz_finish (struct gz *gz, struct v2_error *e);

/* Complete the index in a thread of its own, unless it is complete (then
 * save it, if that failed before).  Call after any fork (daemonizing):
 * threads do not survive one. */
int gz_start (struct gz *gz);

struct gz_stats {
  size_t points;           /* checkpoints */
  uint64_t spacing;        /* between them, now */
  bool complete;
  bool loaded;             /* the index came from the index directory */
  bool saved;              /* ... or was written there */
};
void gz_stats (struct gz *gz, struct gz_stats *st);
const char *gz_name (const struct gz *gz);

#endif
