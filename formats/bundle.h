/* A bundle is what the user named on the command line, opened: one OVA,
 * one OVF with its files beside it, or one or more VMDKs.  It yields the
 * disks, in the order the OVF gives (or the command line's), and the
 * original descriptor files to show beside them. */
#ifndef V2V_BUNDLE_H
#define V2V_BUNDLE_H

#include "container.h"
#include "error.h"
#include "image.h"
#include "source.h"
#include "vm.h"

struct bundle_file {
  char *name;               /* as shown at the mount's top level */
  struct source *src;
};

struct bundle {
  size_t n_containers, n_disks, n_files, n_vms;
  struct container **containers;
  struct image **disks;
  /* The stored file each disk was read from, as the OVF's File href
   * names it (its manifest entries are that name or its chunks' names);
   * NULL for a disk that no OVF File holds. */
  char **disk_files;
  struct bundle_file *files;
  /* The VMs: an OVF's VirtualSystems, or for VMDKs one default VM with
   * every disk.  vm_disk.disk indexes disks[]. */
  struct vm *vms;
  unsigned image_flags;     /* image_open_vmdk's FLAGS for every disk */
  const struct gz_config *gz;   /* during bundle_open only */
};

/* The VM made up for bare VMDKs: 2 vCPUs, 2 GiB, BIOS, one NIC on the
 * default network, named after the first disk. */
#define BUNDLE_DEFAULT_VCPUS 2
#define BUNDLE_DEFAULT_MEMORY (UINT64_C (2) << 30)

/* Open PATHS (N of them), each disk with image_open_vmdk's IMAGE_FLAGS,
 * and gzip'd files with GZ (may be NULL).  Everything is read and checked
 * here, before any mount: metadata only, never the data (but a gzip'd
 * archive, or a gzip'd VMDK whose map is at its end, is inflated once,
 * unless GZ's index directory has its checkpoints).  Free with
 * bundle_free. */
struct bundle *bundle_open (char *const *paths, size_t n, unsigned image_flags,
                            const struct gz_config *gz, struct v2_error *e);

/* Complete the checkpoints of every gzip'd file in the background (see
 * container_start_indexing). */
void bundle_start_indexing (const struct bundle *b);
void bundle_free (struct bundle *b);

#endif
