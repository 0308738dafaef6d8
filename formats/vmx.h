/* A VMware .vmx file: `key = "value"` lines, keys compared without case,
 * values quoted with |XX hex escapes.  It yields the VM model and the
 * file names of its disks.
 *
 * Disks come in a fixed order, as VMware's BIOS tries them: SCSI, then
 * SATA, then NVMe, then IDE, each by controller and unit number.  CD-ROMs
 * and devices that are not present are left out. */
#ifndef V2V_VMX_H
#define V2V_VMX_H

#include <stddef.h>

#include "error.h"
#include "vm.h"

struct vmx {
  struct vm vm;                  /* vm.disks[i].disk is i */
  size_t n_files;
  char **files;                  /* each disk's fileName, as written */
};

/* Parse TEXT (LEN bytes) read from NAME.  Free with vmx_free. */
int vmx_parse (const char *text, size_t len, const char *name, struct vmx *v,
               struct v2_error *e);
void vmx_free (struct vmx *v);

#endif
