/* An image: one guest disk as a list of extents (zero, a file range, or a
 * grain-mapped extent of grains.h), built once at open and immutable
 * after.  A snapshot delta is an image whose unallocated grains read
 * from its parent image, down to the base: a chain.
 *
 * This is the seam between the formats and everything that serves a
 * disk: the FUSE ops (and later the qcow2 view and the overlay) call only
 * image_pread and image_seek.  Reads take no global lock; the
 * grain cache locks one slot at a time. */
#ifndef V2V_IMAGE_H
#define V2V_IMAGE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "container.h"
#include "error.h"
#include "source.h"
#include "grains.h"
#include "vmdk.h"

enum image_kind { IMAGE_ZERO, IMAGE_FLAT, IMAGE_GRAINS };

struct image_extent {
  uint64_t start, len;          /* bytes of the virtual disk */
  enum image_kind kind;
  const struct source *src;     /* FLAT and GRAINS */
  uint64_t src_off;             /* FLAT: byte offset in src */
  struct grain_map *gm;         /* GRAINS */
};

/* A direct-mapped cache of inflated grains: each key maps to one slot,
 * each slot has its own lock, so readers of different grains never
 * contend.  Bounded: slots * grain bytes. */
struct grain_slot {
  pthread_mutex_t lock;
  uint64_t key;                 /* UINT64_MAX: empty */
  unsigned char *data;
};

struct image {
  char *name;                   /* NAME in disks/NAME.raw */
  uint64_t size;                /* virtual bytes */
  uint64_t allocated;           /* bytes holding data */
  size_t n_extents;
  struct image_extent *extents;
  size_t n_sources;
  struct source **sources;      /* owned */
  uint64_t max_grain;           /* largest grain that may be compressed,
                                   bytes (0: none) */
  size_t n_slots;
  struct grain_slot *slots;
  /* A snapshot chain: the disk beneath this delta (owned), or NULL. */
  struct image *parent;
  const struct source *file;    /* the VMDK this layer was opened from */
  uint32_t cid;                 /* its descriptor's CID ... */
  bool cid_known;               /* ... if it has a descriptor */
  /* What the open noticed and worked around, one line each, for the
   * caller to print (the library never prints). */
  size_t n_notes;
  char **notes;
};

/* Flags of image_open_vmdk. */
#define IMAGE_IGNORE_CID 1      /* open a chain whose CIDs do not match */

/* Open the VMDK called FILE in container C as the disk NAME; REF says
 * who named FILE, for messages.  Extents and parents named by a
 * descriptor resolve in C too, relative to the descriptor's directory.  A
 * snapshot delta opens with its parents down to the base (at most
 * LIMIT_CHAIN_DEPTH layers); their CIDs must match unless FLAGS has
 * IMAGE_IGNORE_CID.  If MIN_SIZE is larger than the
 * VMDK (an OVF capacity), the disk is extended with zeros.  C must
 * outlive the image.  Free with image_free. */
struct image *image_open_vmdk (const struct container *c, const char *file,
                               const char *ref, const char *name,
                               uint64_t min_size, unsigned flags,
                               struct v2_error *e);
/* A disk of SIZE zero bytes (an OVF Disk with no file). */
struct image *image_open_blank (const char *name, uint64_t size,
                                struct v2_error *e);
void image_free (struct image *img);

/* Read LEN bytes at OFF (OFF + LEN <= size).  Thread-safe. */
int image_pread (struct image *img, void *buf, size_t len, uint64_t off,
                 struct v2_error *e);

/* lseek(2) SEEK_DATA (DATA true) or SEEK_HOLE from OFF < size.  Returns
 * the offset, or -1 with errno ENXIO when there is no data after OFF. */
int64_t image_seek (const struct image *img, uint64_t off, bool data);

/* An extent where a chain's deltas change the disk beneath them. */
struct image_change {
  uint64_t start, len;
  unsigned depth;               /* the layer holding it: 0 is IMG itself */
  bool zero;                    /* it reads as zeros */
};

/* The extents where the layers of IMG above BASE (one of its layers; NULL:
 * its root) hold data or zeros of their own: what differs from BASE.  For
 * each byte the topmost layer that has it wins.  Sorted, adjacent
 * extents of one layer and kind merged.  The caller frees *OUT. */
int image_changes (const struct image *img, const struct image *base,
                   struct image_change **out, size_t *n, struct v2_error *e);

/* IMG's changes above its root as disks/NAME.changed shows them: a JSON
 * array in the shape of `qemu-img map --output=json`, one extent a line.
 * The caller frees it. */
char *image_changes_json (const struct image *img, struct v2_error *e);


#endif
