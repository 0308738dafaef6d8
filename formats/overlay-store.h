/* Shared by overlay.c and overlay-store.c: the store (the overlay DIR)
 * as both see it.  Not for users of overlay.h. */
#ifndef V2V_OVERLAY_STORE_H
#define V2V_OVERLAY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The first bytes of every NAME.map. */
#define MAP_MAGIC "V2VFSMAP"

struct overlay_store {
  char *dir;
  int dirfd;                     /* holds the store's flock */
};

/* Make NAME in the store atomically: BUF (LEN bytes) at its start, SIZE
 * bytes in all, written to a temporary, synced, renamed into place, and
 * the directory synced.  Returns its descriptor (O_RDWR) when FD is not
 * NULL. */
int publish_file (struct overlay_store *st, const char *name, const void *buf,
                  size_t len, uint64_t size, int *fd, struct v2_error *e);

#endif
