/* Fuzz the VMX parser (formats/vmx.c): one .vmx file.
 *
 * A parsed VMX has its disks (none is fine), each a .vmdk file name, in
 * the VM's disk order, and a VM that is what vm_finish promises. */
#include <config.h>

#include <strings.h>

#include "vmx.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct v2_error e = { 0 };
  struct vmx v;
  size_t i;

  if (vmx_parse ((const char *) data, size, "fuzz.vmx", &v, &e) == -1) {
    fuzz_check_error (&e, "fuzz.vmx");
    return 0;
  }
  FUZZ_CHECK (v.n_files == v.vm.n_disks, "%zu files, %zu disks", v.n_files,
              v.vm.n_disks);
  for (i = 0; i < v.n_files; i++) {
    size_t l = strlen (v.files[i]);
    FUZZ_CHECK (l >= 5 && strcasecmp (v.files[i] + l - 5, ".vmdk") == 0,
                "file '%s'", v.files[i]);
    FUZZ_CHECK (v.vm.disks[i].disk == i, "disk %zu is file %zu", i,
                v.vm.disks[i].disk);
  }
  fuzz_check_vm (&v.vm, v.n_files);
  vmx_free (&v);
  return 0;
}
