/* See overlay.h.
 *
 * Durability, and why the order below is safe.  A write
 *
 *   1. lands in NAME.data (pwrite, so in the page cache);
 *   2. queues the blocks it newly covers, then sets their bits in the
 *      live map, from which reads and seeks are served at once;
 *
 * and overlay_flush (FUSE fsync and flush, and unmount)
 *
 *   3. takes the queue and clears the dirty flag;
 *   4. fdatasync(NAME.data): everything written before step 3, including
 *      the data of every queued block, is now on stable storage;
 *   5. sets the queued bits in the durable map and writes the changed map
 *      pages to NAME.map;
 *   6. fdatasync(NAME.map).
 *
 * So a bit reaches NAME.map only after the data it vouches for is
 * durable, and after a crash (kill -9 or power loss) a block reads as
 * either the source (its bit never reached the map) or NAME.data.  Its
 * data in NAME.data is whatever was last written there: every write
 * acknowledged before a successful fsync or flush, and possibly later
 * ones, whole pages of them.  Bits only ever go from 0 to 1, so a torn
 * map page holds old or new bits, both of which are safe.  Data left
 * in NAME.data under a bit that never reached the map is punched out at
 * the next open.
 *
 * If an fdatasync fails, the kernel may already have dropped the dirty
 * pages it could not write, so a retry proves nothing: the overlay turns
 * read-only-broken, and every later write and flush fails with the
 * first error, logged with the file it came from.  (One that a signal
 * interrupted, EINTR, did not fail, and is run again.)
 *
 * Concurrency: reads load map words atomically and take no lock.  A bit
 * is set only after the data under it is written, with release order,
 * so a reader that sees the bit sees the data.  Writes to blocks the
 * overlay holds take no lock either.  A write that touches a block the
 * overlay does not hold yet takes the mutex of the block's 1 MiB region
 * (one of OVERLAY_STRIPES), because filling the rest of a block from the
 * source must not race with another write into that block. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bitmap.h"
#include "byteorder.h"
#include "checked.h"
#include "cleanup.h"
#include "fullio.h"
#include "fixreport.h"
#include "overlay.h"
#include "overlay-store.h"
#include "vector.h"

/* The block size, measured: 20000 random 4 KiB O_DIRECT writes (fio, 4
 * jobs) over 2 GiB of a monolithicSparse disk holding 1 GiB of data left
 * an overlay of 79 MiB with 4 KiB blocks and 928 MiB with 64 KiB ones
 * (each write fills the rest of its block from the source), at a median
 * of 20.0k against 15.6k IOPS.  mkfs.ext4 and 1 MiB sequential writes
 * cost the same with either.  The map costs one bit per 4 KiB, 32 KiB per
 * GiB of disk, and only its written parts are ever touched in memory. */
#define B OVERLAY_BLOCK_SIZE
#define REGION_BLOCKS 256              /* 1 MiB: the unit of write locking */
#define OVERLAY_STRIPES 64
#define MAP_HEADER 4096                /* the bitmap starts page-aligned */
#define MAP_PAGE 4096
#define MAP_VERSION 1

struct run { uint64_t first, n; };
DEFINE_VECTOR (run_vec, struct run)

struct overlay {
  struct image *img;
  char *data_name, *map_name;    /* "DIR/NAME.data", for messages */
  int data_fd, map_fd;
  uint64_t size, n_blocks;
  struct bitmap live;            /* what reads see */
  unsigned char *durable;        /* NAME.map's bitmap bytes (flush_lock) */
  size_t map_bytes;              /* bitmap bytes in NAME.map, page-rounded */
  pthread_mutex_t stripes[OVERLAY_STRIPES];
  pthread_mutex_t pend_lock;     /* guards pending */
  struct run_vec pending;        /* newly held blocks not yet in NAME.map */
  pthread_mutex_t flush_lock;
  bool dirty;                    /* atomic: written since the last flush */
  int broken;                    /* atomic: errno of a failed flush, or 0 */
  uint64_t gen;                  /* atomic: bumped by every change */
  uint64_t src_covered;          /* atomic: source data bytes under held blocks */
};

/* ---- Opening a disk's overlay. */

/* Source data bytes in [START, END), by the image's allocation map. */
static uint64_t
source_data (struct image *img, uint64_t start, uint64_t end)
{
  uint64_t sum = 0, p = start;

  while (p < end) {
    int64_t d = image_seek (img, p, true), h;
    if (d == -1 || (uint64_t) d >= end)
      break;
    h = image_seek (img, (uint64_t) d, false);
    sum += MIN ((uint64_t) h, end) - (uint64_t) d;
    p = (uint64_t) h;
  }
  return sum;
}

static uint64_t
block_end (const struct overlay *ov, uint64_t b)
{
  return MIN ((b + 1) * B, ov->size);
}

static int
create_map (struct overlay *ov, struct overlay_store *st, const char *name,
            struct v2_error *e)
{
  unsigned char hdr[MAP_HEADER] = { 0 };

  /* A data file without a map holds nothing anyone flushed: start it
   * over, then publish the map, which makes the pair valid. */
  if (ftruncate (ov->data_fd, 0) == -1 ||
      ftruncate (ov->data_fd, (off_t) ov->size) == -1 ||
      fsync (ov->data_fd) == -1)
    return v2_err (e, errno, "%s: %s", ov->data_name, strerror (errno));
  memcpy (hdr, MAP_MAGIC, 8);
  put_le32 (hdr, 8, MAP_VERSION);
  put_le32 (hdr, 12, B);
  put_le64 (hdr, 16, ov->size);
  put_le64 (hdr, 24, ov->n_blocks);
  return publish_file (st, name, hdr, sizeof hdr, MAP_HEADER + ov->map_bytes,
                       &ov->map_fd, e);
}

/* Copy the durable map's words [FROM, TO) into the live map. */
static void
load_live (struct overlay *ov, size_t from, size_t to)
{
  size_t i, c;

  for (i = from; i < to; i++) {
    uint64_t v = le64_at (ov->durable, i * 8);
    if (v) {
      ov->live.w[i] = v;
      summary_set (ov->live.any, i / CHUNK_WORDS);
    }
  }
  for (c = from / CHUNK_WORDS; from < to && c <= (to - 1) / CHUNK_WORDS; c++)
    bm_check_full (&ov->live, c);
}

/* Check NAME.map's header and load its bits into both maps. */
static int
load_map (struct overlay *ov, struct v2_error *e)
{
  unsigned char hdr[32];
  struct stat sb;
  uint64_t off, b;

  if (pread_full (ov->map_fd, hdr, sizeof hdr, 0) != (ssize_t) sizeof hdr ||
      memcmp (hdr, MAP_MAGIC, 8) != 0 || le32_at (hdr, 8) != MAP_VERSION)
    return v2_err (e, EINVAL, "%s: not a v2vfs overlay map (bad header at "
                   "offset 0)", ov->map_name);
  if (le32_at (hdr, 12) != B || le64_at (hdr, 16) != ov->size ||
      le64_at (hdr, 24) != ov->n_blocks)
    return v2_err (e, EINVAL, "%s: made for a disk of %" PRIu64 " bytes in "
                   "blocks of %" PRIu32 " (header at offset 12), but the disk "
                   "has %" PRIu64 " bytes in blocks of %d", ov->map_name,
                   le64_at (hdr, 16), le32_at (hdr, 12), ov->size, B);
  if (fstat (ov->map_fd, &sb) == -1 ||
      (uint64_t) sb.st_size < MAP_HEADER + ov->map_bytes)
    return v2_err (e, EINVAL, "%s: truncated: %jd bytes, the map needs %zu",
                   ov->map_name, (intmax_t) sb.st_size,
                   (size_t) MAP_HEADER + ov->map_bytes);

  /* Read only the map's data: a large disk's map is mostly a hole. */
  for (off = MAP_HEADER; off < MAP_HEADER + ov->map_bytes; ) {
    off_t d = lseek (ov->map_fd, (off_t) off, SEEK_DATA), h;
    uint64_t from, to;
    if (d == -1 || (uint64_t) d >= MAP_HEADER + ov->map_bytes)
      break;
    h = lseek (ov->map_fd, d, SEEK_HOLE);
    from = ((uint64_t) d - MAP_HEADER) / MAP_PAGE * MAP_PAGE;
    to = MIN ((uint64_t) h - MAP_HEADER, ov->map_bytes);
    if (pread_full (ov->map_fd, ov->durable + from, to - from,
                    MAP_HEADER + from) != (ssize_t) (to - from))
      return v2_err (e, errno ? errno : EIO, "%s: read at offset %" PRIu64
                     ": %s", ov->map_name, MAP_HEADER + from,
                     errno ? strerror (errno) : "short read");
    load_live (ov, from / 8, MIN (to / 8, ov->live.n_words));
    off = MAP_HEADER + to;
  }

  /* A bit past the last block vouches for no block: a damaged map. */
  for (b = ov->n_blocks; b < ov->map_bytes * 8; b++)
    if (le64_at (ov->durable, b / 64 * 8) >> (b % 64) & 1)
      return v2_err (e, EINVAL, "%s: bit %" PRIu64 " is set, past the disk's %"
                     PRIu64 " blocks (map byte offset %" PRIu64 ")",
                     ov->map_name, b, ov->n_blocks, MAP_HEADER + b / 8);
  return 0;
}

/* Punch what NAME.data holds under blocks the map does not hold: data of
 * writes that no flush covered before a crash.  It is never read; this
 * gives its space back and keeps st_blocks true. */
static void
drop_stale (struct overlay *ov)
{
  uint64_t p = 0;
  bool punched = false;

  while (p < ov->size) {
    off_t d = lseek (ov->data_fd, (off_t) p, SEEK_DATA), h;
    uint64_t b, hb;
    if (d == -1)
      break;
    h = lseek (ov->data_fd, d, SEEK_HOLE);
    if (h == -1)
      break;
    hb = DIV_ROUND_UP ((uint64_t) h, B);
    for (b = (uint64_t) d / B; (b = bm_next (&ov->live, b, false, hb)) < hb; ) {
      uint64_t s = bm_next (&ov->live, b, true, hb);
      uint64_t from = MAX (b * B, (uint64_t) d), to = MIN (s * B, (uint64_t) h);
      if (fallocate (ov->data_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                     (off_t) from, (off_t) (to - from)) == 0)
        punched = true;
      b = s;
    }
    p = (uint64_t) h;
  }
  if (punched)
    fdatasync (ov->data_fd);
}

struct overlay *
overlay_open (struct overlay_store *st, struct image *img, struct v2_error *e)
{
  struct overlay *ov = calloc (1, sizeof *ov);
  CLEANUP_FREE char *data = NULL, *map = NULL;
  struct stat sb;
  uint64_t b;
  size_t i;

  if (ov == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  ov->img = img;
  ov->data_fd = ov->map_fd = -1;
  ov->size = img->size;
  ov->n_blocks = DIV_ROUND_UP (img->size, B);
  for (i = 0; i < OVERLAY_STRIPES; i++)
    pthread_mutex_init (&ov->stripes[i], NULL);
  pthread_mutex_init (&ov->pend_lock, NULL);
  pthread_mutex_init (&ov->flush_lock, NULL);
  if (bm_init (&ov->live, ov->n_blocks) == -1 ||
      asprintf (&data, "%s.data", img->name) == -1 ||
      asprintf (&map, "%s.map", img->name) == -1 ||
      asprintf (&ov->data_name, "%s/%s", st->dir, data) == -1 ||
      asprintf (&ov->map_name, "%s/%s", st->dir, map) == -1) {
    v2_err (e, ENOMEM, "out of memory");
    goto fail;
  }
  ov->map_bytes = (size_t) DIV_ROUND_UP (ov->live.n_words * 8, MAP_PAGE) * MAP_PAGE;
  if ((ov->durable = calloc (ov->map_bytes + 1, 1)) == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    goto fail;
  }

  ov->map_fd = openat (st->dirfd, map, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (ov->map_fd == -1 && errno != ENOENT) {
    v2_err (e, errno, "%s: %s", ov->map_name, strerror (errno));
    goto fail;
  }
  /* The map makes the pair: with it, the data file must be there too. */
  ov->data_fd = openat (st->dirfd, data, O_RDWR | O_CLOEXEC | O_NOFOLLOW |
                        (ov->map_fd == -1 ? O_CREAT : 0), 0600);
  if (ov->data_fd == -1) {
    v2_err (e, errno, "%s: %s%s", ov->data_name, strerror (errno),
            errno == ENOENT ? ", but its map is there" : "");
    goto fail;
  }
  if (fstat (ov->data_fd, &sb) == -1 || !S_ISREG (sb.st_mode)) {
    v2_err (e, EINVAL, "%s: not a regular file", ov->data_name);
    goto fail;
  }
  if (ov->map_fd == -1) {
    if (create_map (ov, st, map, e) == -1)
      goto fail;
  }
  else {
    if (load_map (ov, e) == -1)
      goto fail;
    if ((uint64_t) sb.st_size != ov->size) {
      v2_err (e, EINVAL, "%s: %jd bytes, but the disk has %" PRIu64,
              ov->data_name, (intmax_t) sb.st_size, ov->size);
      goto fail;
    }
    drop_stale (ov);
  }
  for (b = 0; (b = bm_next (&ov->live, b, true, ov->n_blocks)) < ov->n_blocks; ) {
    uint64_t s = bm_next (&ov->live, b, false, ov->n_blocks);
    ov->src_covered += source_data (img, b * B, block_end (ov, s - 1));
    b = s;
  }
  return ov;

 fail:
  overlay_close (ov, NULL);
  return NULL;
}

int
overlay_close (struct overlay *ov, struct v2_error *e)
{
  int r = 0;
  size_t i;

  if (ov == NULL)
    return 0;
  if (e && ov->data_fd >= 0 && ov->map_fd >= 0)
    r = overlay_flush (ov, e);
  if (ov->data_fd >= 0)
    close (ov->data_fd);
  if (ov->map_fd >= 0)
    close (ov->map_fd);
  for (i = 0; i < OVERLAY_STRIPES; i++)
    pthread_mutex_destroy (&ov->stripes[i]);
  pthread_mutex_destroy (&ov->pend_lock);
  pthread_mutex_destroy (&ov->flush_lock);
  bm_free (&ov->live);
  free (ov->durable);
  free (ov->pending.ptr);
  free (ov->data_name);
  free (ov->map_name);
  free (ov);
  return r;
}

/* ---- Reading the merged disk. */

/* The run of blocks from B with the same state as B, up to LIMIT. */
static uint64_t
run_end (const struct overlay *ov, uint64_t b, bool held, uint64_t limit)
{
  return bm_next (&ov->live, b + 1, !held, limit);
}

int
overlay_pread (struct overlay *ov, void *buf, size_t len, uint64_t off,
               struct v2_error *e)
{
  uint64_t p = off, end = off + len, lim = DIV_ROUND_UP (end, B);

  while (p < end) {
    uint64_t b = p / B;
    bool held = bm_test (&ov->live, b);
    uint64_t q = MIN (run_end (ov, b, held, lim) * B, end);
    char *dst = (char *) buf + (p - off);

    if (held) {
      ssize_t r = pread_full (ov->data_fd, dst, q - p, p);
      if (r != (ssize_t) (q - p))
        return v2_err (e, EIO, "%s: read of %" PRIu64 " bytes at offset %"
                       PRIu64 ": %s", ov->data_name, q - p, p,
                       r == -1 ? strerror (errno) : "the file is too short");
    }
    else if (image_pread (ov->img, dst, q - p, p, e) == -1)
      return -1;
    p = q;
  }
  return 0;
}

int64_t
overlay_seek (struct overlay *ov, uint64_t off, bool data)
{
  uint64_t p = off;

  while (p < ov->size) {
    uint64_t b = p / B;
    bool held = bm_test (&ov->live, b);
    uint64_t q = MIN (run_end (ov, b, held, ov->n_blocks) * B, ov->size);
    int64_t r;

    /* Each side answers for its own run only: NAME.data may hold stale
     * data under blocks it does not hold, and the source under blocks
     * it does. */
    if (held)
      r = lseek (ov->data_fd, (off_t) p, data ? SEEK_DATA : SEEK_HOLE);
    else
      r = image_seek (ov->img, p, data);
    if (r != -1 && (uint64_t) r < q)
      return r;
    p = q;
  }
  if (data) {
    errno = ENXIO;
    return -1;
  }
  return (int64_t) ov->size;
}

uint64_t
overlay_allocated (struct overlay *ov)
{
  struct stat sb;
  uint64_t covered = __atomic_load_n (&ov->src_covered, __ATOMIC_RELAXED);
  uint64_t src = ov->img->allocated > covered ? ov->img->allocated - covered : 0;
  uint64_t held = fstat (ov->data_fd, &sb) == 0 ? (uint64_t) sb.st_blocks * 512 : 0;

  return MIN (src + held, DIV_ROUND_UP (ov->size, 512) * 512);
}

uint64_t
overlay_generation (const struct overlay *ov)
{
  return __atomic_load_n (&ov->gen, __ATOMIC_ACQUIRE);
}

/* ---- Writing. */

static int
check_broken (struct overlay *ov, struct v2_error *e)
{
  int err = __atomic_load_n (&ov->broken, __ATOMIC_ACQUIRE);

  if (err)
    return v2_err (e, EIO, "%s: an earlier flush failed (%s), so the overlay "
                   "takes no more writes", ov->data_name, strerror (err));
  return 0;
}

static void
changed (struct overlay *ov)
{
  __atomic_add_fetch (&ov->gen, 1, __ATOMIC_RELEASE);
  __atomic_store_n (&ov->dirty, true, __ATOMIC_RELEASE);
}

static int
write_data (struct overlay *ov, const void *buf, uint64_t len, uint64_t off,
            struct v2_error *e)
{
  if (pwrite_full (ov->data_fd, buf, len, off) == -1)
    return v2_err (e, errno, "%s: write of %" PRIu64 " bytes at offset %"
                   PRIu64 ": %s", ov->data_name, len, off, strerror (errno));
  return 0;
}

/* Queue blocks FIRST .. FIRST + N - 1 for the next flush. */
static int
queue_run (struct overlay *ov, uint64_t first, uint64_t n)
{
  struct run *last;
  int r = 0;

  pthread_mutex_lock (&ov->pend_lock);
  last = ov->pending.len ? &ov->pending.ptr[ov->pending.len - 1] : NULL;
  if (last && last->first + last->n == first)
    last->n += n;
  else
    r = run_vec_append (&ov->pending, (struct run) { first, n });
  pthread_mutex_unlock (&ov->pend_lock);
  return r;
}

/* Make the overlay hold blocks [FIRST, END), whose data is in NAME.data.
 * Called with their region's lock. */
static int
hold_blocks (struct overlay *ov, uint64_t first, uint64_t end,
             struct v2_error *e)
{
  uint64_t b = first;

  while ((b = bm_next (&ov->live, b, false, end)) < end) {
    uint64_t s = bm_next (&ov->live, b, true, end);
    if (queue_run (ov, b, s - b) == -1)
      return v2_err (e, ENOMEM, "out of memory");
    __atomic_add_fetch (&ov->src_covered,
                        source_data (ov->img, b * B, block_end (ov, s - 1)),
                        __ATOMIC_RELAXED);
    bm_set (&ov->live, b, s - b);
    b = s;
  }
  return 0;
}

/* Write [S, END), within one region, with the region's lock held.  The
 * part of a first-written block outside the write is filled from the
 * source, so the block is whole before its bit is set. */
static int
write_locked (struct overlay *ov, const void *buf, uint64_t s, uint64_t end,
              struct v2_error *e)
{
  uint64_t fb = s / B, lb = (end - 1) / B;
  uint64_t bs = fb * B, be = block_end (ov, lb);
  unsigned char fill[B];

  if (s > bs && !bm_test (&ov->live, fb) &&
      (image_pread (ov->img, fill, s - bs, bs, e) == -1 ||
       write_data (ov, fill, s - bs, bs, e) == -1))
    return -1;
  if (write_data (ov, buf, end - s, s, e) == -1)
    return -1;
  if (end < be && !bm_test (&ov->live, lb) &&
      (image_pread (ov->img, fill, be - end, end, e) == -1 ||
       write_data (ov, fill, be - end, end, e) == -1))
    return -1;
  return hold_blocks (ov, fb, lb + 1, e);
}

/* Zero [S, END), within one region, with the region's lock held: whole
 * blocks become holes, partial ones get zeros written. */
static int
zero_locked (struct overlay *ov, uint64_t s, uint64_t end, struct v2_error *e)
{
  static const unsigned char zeros[B];
  uint64_t f = DIV_ROUND_UP (s, B), l = end == ov->size ? ov->n_blocks : end / B;
  uint64_t p, n;

  if (f < l) {
    uint64_t fs = f * B, fe = MIN (l * B, ov->size);
    if (fallocate (ov->data_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                   (off_t) fs, (off_t) (fe - fs)) == 0) {
      if (hold_blocks (ov, f, l, e) == -1 ||
          (s < fs && zero_locked (ov, s, fs, e) == -1))
        return -1;
      return fe < end ? zero_locked (ov, fe, end, e) : 0;
    }
    if (errno != EOPNOTSUPP)
      return v2_err (e, errno, "%s: punching %" PRIu64 " bytes at offset %"
                     PRIu64 ": %s", ov->data_name, fe - fs, fs, strerror (errno));
    /* No hole punching here: write the zeros. */
  }
  for (p = s; p < end; p += n) {
    n = MIN (B - p % B, end - p);
    if (write_locked (ov, zeros, p, p + n, e) == -1)
      return -1;
  }
  return 0;
}

/* Run WRITE (zeros when BUF is NULL) over [OFF, OFF + LEN) region by
 * region, each under its region's lock. */
static int
locked_regions (struct overlay *ov, const void *buf, uint64_t len,
                uint64_t off, struct v2_error *e)
{
  uint64_t p, q, end = off + len;
  int r = 0;

  for (p = off; p < end && r == 0; p = q) {
    uint64_t region = p / B / REGION_BLOCKS;
    pthread_mutex_t *m = &ov->stripes[region % OVERLAY_STRIPES];
    q = MIN ((region + 1) * REGION_BLOCKS * B, end);
    pthread_mutex_lock (m);
    r = buf ? write_locked (ov, (const char *) buf + (p - off), p, q, e)
      : zero_locked (ov, p, q, e);
    pthread_mutex_unlock (m);
  }
  return r;
}

int
overlay_pwrite (struct overlay *ov, const void *buf, size_t len, uint64_t off,
                struct v2_error *e)
{
  uint64_t first = off / B, lim = DIV_ROUND_UP (off + len, B);
  int r;

  if (check_broken (ov, e) == -1)
    return -1;
  if (len == 0)
    return 0;
  /* Blocks the overlay holds take the write as it is, with no lock. */
  if (bm_next (&ov->live, first, false, lim) == lim)
    r = write_data (ov, buf, len, off, e);
  else
    r = locked_regions (ov, buf, len, off, e);
  changed (ov);
  return r;
}

int
overlay_zero (struct overlay *ov, uint64_t len, uint64_t off,
              struct v2_error *e)
{
  int r;

  if (check_broken (ov, e) == -1)
    return -1;
  if (len == 0)
    return 0;
  r = locked_regions (ov, NULL, len, off, e);
  changed (ov);
  return r;
}

/* ---- Flushing: steps 3 to 6 of the comment at the top. */

static int
run_cmp (const void *a, const void *b)
{
  const struct run *x = a, *y = b;

  return x->first < y->first ? -1 : x->first > y->first;
}

static int
flush_failed (struct overlay *ov, const char *file, const char *what,
              struct v2_error *e)
{
  int err = errno ? errno : EIO;

  __atomic_store_n (&ov->broken, err, __ATOMIC_RELEASE);
  return v2_err (e, EIO, "%s: %s: %s", file, what, strerror (err));
}

/* Write the durable map's pages that RUNS (sorted) touch. */
static int
write_map_pages (struct overlay *ov, const struct run *runs, size_t n,
                 struct v2_error *e)
{
  size_t i = 0;

  while (i < n) {
    uint64_t p0 = runs[i].first / 8 / MAP_PAGE;
    uint64_t p1 = (runs[i].first + runs[i].n - 1) / 8 / MAP_PAGE + 1;
    for (i++; i < n && runs[i].first / 8 / MAP_PAGE <= p1; i++)
      p1 = MAX (p1, (runs[i].first + runs[i].n - 1) / 8 / MAP_PAGE + 1);
    if (pwrite_full (ov->map_fd, ov->durable + p0 * MAP_PAGE,
                     (p1 - p0) * MAP_PAGE, MAP_HEADER + p0 * MAP_PAGE) == -1)
      return flush_failed (ov, ov->map_name, "write", e);
  }
  return 0;
}

static void
durable_set (struct overlay *ov, uint64_t first, uint64_t n)
{
  uint64_t b = first, end = first + n;

  while (b < end) {
    unsigned lo = b % 64, cnt = (unsigned) MIN (64 - lo, end - b);
    uint64_t mask = (cnt == 64 ? UINT64_MAX : ((UINT64_C (1) << cnt) - 1)) << lo;
    put_le64 (ov->durable, b / 64 * 8, le64_at (ov->durable, b / 64 * 8) | mask);
    b += cnt;
  }
}

int
overlay_flush (struct overlay *ov, struct v2_error *e)
{
  struct run_vec runs;
  size_t i;
  int r = 0;

  pthread_mutex_lock (&ov->flush_lock);
  if (check_broken (ov, e) == -1) {
    r = -1;
    goto out;
  }
  if (!__atomic_exchange_n (&ov->dirty, false, __ATOMIC_ACQ_REL))
    goto out;                     /* nothing written since the last flush */
  pthread_mutex_lock (&ov->pend_lock);
  runs = ov->pending;
  ov->pending = (struct run_vec) { 0 };
  pthread_mutex_unlock (&ov->pend_lock);

  if (fdatasync_eintr (ov->data_fd) == -1)
    r = flush_failed (ov, ov->data_name, "fdatasync", e);
  else if (runs.len) {
    qsort (runs.ptr, runs.len, sizeof *runs.ptr, run_cmp);
    for (i = 0; i < runs.len; i++)
      durable_set (ov, runs.ptr[i].first, runs.ptr[i].n);
    r = write_map_pages (ov, runs.ptr, runs.len, e);
    if (r == 0 && fdatasync_eintr (ov->map_fd) == -1)
      r = flush_failed (ov, ov->map_name, "fdatasync", e);
  }
  free (runs.ptr);
 out:
  pthread_mutex_unlock (&ov->flush_lock);
  return r;
}
