/* A byte source: a file, a window of a file (a tar member), a
 * concatenation of windows (a chunked member), memory (unit tests), or
 * the output of a gzip stream (gz.h), and windows of that.
 *
 * Every reader in formats/ goes through this, so the parsers never know
 * whether a VMDK sits in a directory or inside an OVA.  A source is
 * immutable after construction and read with pread only, which makes it
 * safe to share between FUSE worker threads without locks. */
#ifndef V2V_SOURCE_H
#define V2V_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct gz;

struct source_piece {
  uint64_t start;          /* offset of this piece within the source */
  uint64_t len;
  int fd;                  /* -1 for memory and gzip output */
  uint64_t file_off;       /* offset within fd, mem or gz's output */
  const unsigned char *mem;
  struct gz *gz;           /* gzip output: borrowed, must outlive it */
};

struct source {
  char *name;              /* for messages: "disk.vmdk" or "vm.ova:disk.vmdk" */
  uint64_t size;
  size_t n_pieces;
  struct source_piece *pieces;
  size_t n_fds;            /* file descriptors this source closes */
  int *fds;
};

/* Take ownership of FD (open O_RDONLY on a regular file).  NAME is copied.
 * The caller frees the result with source_free. */
struct source *source_from_fd (const char *name, int fd, struct v2_error *e);

/* Bytes in memory, not copied: BUF must outlive the source. */
struct source *source_from_mem (const char *name, const void *buf, size_t len,
                                struct v2_error *e);

/* The output of GZ (borrowed: it must outlive the source).  Its size is
 * exact once GZ's index is complete, else an upper bound until
 * source_settle; a read past the real end fails like a file that shrank. */
struct source *source_from_gz (const char *name, struct gz *gz,
                               struct v2_error *e);

/* Make the size of a source_from_gz exact, inflating to the end if need
 * be.  A no-op for every other source.  Call before sharing S. */
int source_settle (struct source *s, struct v2_error *e);

/* A window [OFF, OFF+LEN) of PARENT, which must outlive it. */
struct source *source_window (const struct source *parent, const char *name,
                              uint64_t off, uint64_t len, struct v2_error *e);

/* The concatenation of PARTS in order.  Takes ownership of the parts' file
 * descriptors and frees the parts, also on failure. */
struct source *source_concat (const char *name, struct source **parts, size_t n,
                              struct v2_error *e);

void source_free (struct source *s);

/* Read LEN bytes at OFF.  Reading past the end of the source, or a file
 * that has shrunk beneath it, is an error naming the source and offset;
 * WHAT names the object being read ("grain table 3"). */
int source_pread (const struct source *s, void *buf, size_t len, uint64_t off,
                  const char *what, struct v2_error *e);

/* lseek(2) SEEK_DATA (DATA true) or SEEK_HOLE over the source, from
 * OFF < size: the files' own holes show through.  Returns an offset
 * <= size (size when there is no more data, or no hole before the end). */
uint64_t source_seek (const struct source *s, uint64_t off, bool data);

/* Bytes of [OFF, OFF+LEN) that hold data by the files' allocation. */
uint64_t source_allocated (const struct source *s, uint64_t off, uint64_t len);

/* Read the whole source into a NUL-terminated malloc'd buffer, refusing
 * anything over MAX bytes.  The caller frees it. */
char *source_slurp (const struct source *s, uint64_t max, const char *what,
                    struct v2_error *e);

#endif
