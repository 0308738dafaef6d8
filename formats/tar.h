/* The index of a tar archive (an OVA): member names and the offsets of
 * their data.  Members are served as windows of the archive; nothing is
 * ever extracted.  Handles POSIX ustar (with the name prefix field), pax
 * extended headers (path=, size=), GNU long names (type L) and GNU
 * base-256 sizes for members of 8 GiB and more. */
#ifndef V2V_TAR_H
#define V2V_TAR_H

#include <stdint.h>

#include "error.h"
#include "source.h"

struct tar_member {
  char *name;              /* leading "./" removed */
  uint64_t offset;         /* of the data, always a multiple of 512 */
  uint64_t size;
  uint64_t header_offset;  /* for messages */
};

struct tar_index {
  struct tar_member *members;  /* in archive order */
  size_t n;
  size_t *by_name;             /* member indexes by name, then order */
};

int tar_read_index (const struct source *s, struct tar_index *idx,
                    struct v2_error *e);
void tar_index_free (struct tar_index *idx);
const struct tar_member *tar_find (const struct tar_index *idx,
                                   const char *name);

#endif
