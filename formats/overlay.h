/* The overlay: a persistent copy-on-write store that makes a disk
 * writable without touching its source.
 *
 * A store is a directory.  It holds
 *
 *   overlay.v2vfs   the identity of the source it was made for (text)
 *   NAME.data       one sparse file per disk, as large as the disk: a block
 *                   the overlay holds sits at its own guest offset
 *   NAME.map        a 4 KiB header, then one bit per block: set when the
 *                   block's content is the overlay's, not the source's
 *
 * Keeping data at its guest offset means the map is the only metadata:
 * no allocation table, no free list, no garbage collection.  A discarded
 * block is a punched hole in NAME.data with its bit set, so it reads as
 * zeros and SEEK_HOLE finds it.  A bit is never cleared while mounted.
 *
 * Reads merge the two: a run of blocks whose bits are set comes from
 * NAME.data, the rest from the source image.  They take no lock.  Writes
 * to blocks the overlay already holds go straight to NAME.data; the first
 * write to a block takes the lock of its 1 MiB region, fills the part of
 * the block the write does not cover from the source, then sets the bit.
 *
 * Durability is in overlay.c, at overlay_flush. */
#ifndef V2V_OVERLAY_H
#define V2V_OVERLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "image.h"

/* The block: the unit of copy-on-write and of the map.  4 KiB is the
 * page size and the block libguestfs and qemu write, so neither ever
 * needs a read-modify-write; see overlay.c for the measurement. */
#define OVERLAY_BLOCK_SIZE 4096

struct overlay_store;
struct overlay;

/* Open the store in DIR for the source files SOURCES (N of them, as the
 * user named them), creating DIR and its identity if they are new.  A
 * store made for another source is refused.  The store is locked: a
 * second v2vfs on the same DIR is refused too.  Free with
 * overlay_store_close (after every overlay_close). */
struct overlay_store *overlay_store_open (const char *dir,
                                          char *const *sources, size_t n,
                                          struct v2_error *e);
void overlay_store_close (struct overlay_store *st);

/* Delete everything the store in DIR holds, so the next mount starts
 * clean.  Only files the store made are removed; DIR itself stays.
 * The guest-fix reports go too: they describe the writes.  Refused
 * while the store is mounted.  *N_DISKS and *BYTES say what went. */
int overlay_store_discard (const char *dir, unsigned *n_disks,
                           uint64_t *bytes, struct v2_error *e);

/* The overlay of disk IMG in store ST: opened when it exists, created
 * empty when not.  IMG and ST must outlive it.  Free with overlay_close,
 * which flushes. */
struct overlay *overlay_open (struct overlay_store *st, struct image *img,
                              struct v2_error *e);
int overlay_close (struct overlay *ov, struct v2_error *e);

/* As image_pread and image_seek, of the merged disk.  Thread-safe. */
int overlay_pread (struct overlay *ov, void *buf, size_t len, uint64_t off,
                   struct v2_error *e);
int64_t overlay_seek (struct overlay *ov, uint64_t off, bool data);

/* Write LEN bytes at OFF (OFF + LEN <= size).  Thread-safe. */
int overlay_pwrite (struct overlay *ov, const void *buf, size_t len,
                    uint64_t off, struct v2_error *e);
/* Make LEN bytes at OFF read as zeros, freeing the space where whole
 * blocks are covered (discard, punch-hole, zero-range). */
int overlay_zero (struct overlay *ov, uint64_t len, uint64_t off,
                  struct v2_error *e);

/* Make every write that completed before the call durable. */
int overlay_flush (struct overlay *ov, struct v2_error *e);

/* Bytes of the merged disk that hold data, for st_blocks. */
uint64_t overlay_allocated (struct overlay *ov);
/* Changes whenever the merged disk's content may have changed. */
uint64_t overlay_generation (const struct overlay *ov);

#endif
