/* libvirt domain XML as a pure function of the VM model: the same model
 * and options give the same bytes, pretty-printed, with nothing taken
 * from the clock or the host (libvirt assigns the UUID, PCI addresses
 * and ports when the domain is defined). */
#ifndef V2V_DOMXML_H
#define V2V_DOMXML_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "vm.h"

/* Where a source network goes: "VM Network=br0" puts its NICs on the
 * host bridge br0, "VM Network=network:prod" on the libvirt network
 * prod.  A NIC whose network no entry names goes to the libvirt network
 * "default". */
/* A domain.xml larger than this is not one a v2vfs mount wrote: the
 * tools that read one back (v2vfs-boot, v2vfs-fix) stop there. */
#define DOMXML_MAX_BYTES (4 << 20)

struct domxml_net_map {
  char *from;
  char *to;
  bool bridge;
};

/* The bus of the disks.  SATA until the guest fix says the guest has a
 * virtio driver: every x86 OS can boot from SATA without one.  A Windows
 * guest may get only vioscsi, hence virtio-scsi beside virtio-blk. */
enum domxml_disk_bus {
  DOMXML_DISK_SATA,
  DOMXML_DISK_VIRTIO_BLK,
  DOMXML_DISK_VIRTIO_SCSI,
};

struct domxml_opts {
  /* The path of each source disk (vm_disk.disk indexes it): absolute
   * paths into the mount, disks/NAME.raw. */
  char *const *disk_paths;
  size_t n_disk_paths;
  const struct domxml_net_map *maps;
  size_t n_maps;
  enum domxml_disk_bus disk_bus;
  /* virtio-net NICs once the guest has the driver (the guest fix said
   * so); e1000 before, which every x86 OS has a driver for. */
  bool virtio_net;
};

/* The disks' names on BUS ("vd" for virtio-blk, else "sd") and the
 * bus's name in libvirt's <target bus=...>. */
void domxml_bus_names (enum domxml_disk_bus bus, const char **prefix,
                       const char **name);
/* libvirt's name of disk I (from 0) on a bus whose disks are PREFIX...:
 * "sda", ..., "sdz", "sdaa", ...; at most 15 bytes and the NUL. */
void domxml_disk_target (char *out, size_t cap, const char *prefix, size_t i);

/* Parse one --network-map value ("FROM=TO", "FROM=network:TO") into M
 * (whose strings the caller frees with domxml_net_map_free). */
int domxml_parse_net_map (const char *s, struct domxml_net_map *m,
                          struct v2_error *e);
void domxml_net_map_free (struct domxml_net_map *m);

/* The domain XML of VM, NUL-terminated; the caller frees it. */
char *domxml_generate (const struct vm *vm, const struct domxml_opts *opts,
                       struct v2_error *e);

#endif
