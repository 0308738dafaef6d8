/* An OVF descriptor (DSP0243 1.x and 2.x): References/File and
 * DiskSection/Disk, in document order, which decide the disks; and one VM
 * model per VirtualSystem (a VirtualSystemCollection holds several). */
#ifndef V2V_OVF_H
#define V2V_OVF_H

#include <stdint.h>

#include "error.h"
#include "vm.h"

struct ovf_file {
  char *id, *href;
  char *compression;          /* NULL or "identity" when not compressed */
  int line;                   /* of its File element, for messages */
};

struct ovf_disk {
  char *id;
  char *file_ref;             /* NULL: an empty disk of `capacity` bytes */
  uint64_t capacity;          /* bytes */
};

struct ovf {
  size_t n_files, n_disks, n_vms;
  struct ovf_file *files;
  struct ovf_disk *disks;
  struct vm *vms;             /* their vm_disk.disk index disks[] */
};

/* Parse XML of LEN bytes read from NAME.  No network, no DTD, no entity
 * expansion.  Free with ovf_free. */
int ovf_parse (const char *xml, size_t len, const char *name, struct ovf *o,
               struct v2_error *e);
void ovf_free (struct ovf *o);
const struct ovf_file *ovf_find_file (const struct ovf *o, const char *id);

/* "byte * 2^30", "byte*1024*1024", "MegaBytes", ... to a multiplier.
 * Exposed for the unit tests. */
int ovf_parse_units (const char *s, uint64_t *mult);

#endif
