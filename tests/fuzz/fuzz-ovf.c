/* Fuzz the OVF parser (formats/ovf.c): one descriptor.
 *
 * A parsed OVF has VMs, and disks or none; every File has an id and an
 * href, every diskId is a plain name, every fileRef names a File, and
 * every VM is what vm_finish promises, its disks indexing the
 * DiskSection. */
#include <config.h>

#include "ovf.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct v2_error e = { 0 };
  struct ovf o;
  size_t i;

  if (ovf_parse ((const char *) data, size, "fuzz.ovf", &o, &e) == -1) {
    fuzz_check_error (&e, "fuzz.ovf");
    return 0;
  }
  FUZZ_CHECK (o.n_vms > 0, "%zu VMs", o.n_vms);
  for (i = 0; i < o.n_files; i++)
    FUZZ_CHECK (o.files[i].id != NULL && o.files[i].href != NULL,
                "File %zu", i);
  for (i = 0; i < o.n_disks; i++) {
    const struct ovf_disk *d = &o.disks[i];
    FUZZ_CHECK (d->id != NULL && name_fault (d->id) == NULL, "diskId '%s'",
                d->id ? d->id : "(null)");
    FUZZ_CHECK (d->file_ref == NULL || ovf_find_file (&o, d->file_ref) != NULL,
                "fileRef '%s'", d->file_ref);
    FUZZ_CHECK (d->capacity <= UINT64_C (1) << 50, "capacity %llu",
                (unsigned long long) d->capacity);
  }
  for (i = 0; i < o.n_vms; i++)
    fuzz_check_vm (&o.vms[i], o.n_disks);
  ovf_free (&o);
  return 0;
}
