/* Fuzz the VMDK descriptor parser (formats/vmdk.c, vmdk_desc_parse).
 *
 * A parsed descriptor has at least one extent line; each has a known
 * type and access, and a file name unless it is a ZERO extent. */
#include <config.h>

#include "vmdk.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct v2_error e = { 0 };
  struct vmdk_desc d;
  size_t i;

  if (vmdk_desc_parse ((const char *) data, size, "fuzz.vmdk", &d, &e) == -1) {
    fuzz_check_error (&e, "fuzz.vmdk");
    return 0;
  }
  FUZZ_CHECK (d.n_extents > 0, "no extents");
  FUZZ_CHECK (d.version <= 3, "version %u", d.version);
  for (i = 0; i < d.n_extents; i++) {
    const struct vmdk_extent_line *x = &d.extents[i];
    FUZZ_CHECK (x->type <= VMDK_SESPARSE && x->access <= VMDK_NOACCESS,
                "extent %zu: type %d, access %d", i, x->type, x->access);
    FUZZ_CHECK (x->file != NULL || x->type == VMDK_ZERO, "extent %zu: %s "
                "with no file", i, vmdk_extent_type_name (x->type));
    FUZZ_CHECK (x->lineno >= 1, "extent %zu: line %u", i, x->lineno);
  }
  vmdk_desc_free (&d);
  return 0;
}
