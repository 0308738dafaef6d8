/* The disks on the target storage, at cutover: the copy of each disk
 * that will boot (a raw file, a block device, or a qcow2 file), given to
 * v2vfs-fix and v2vfs-boot with -a, and the libvirt domain that names
 * them.
 *
 * A target's format is taken from its first bytes, once, here, and then
 * handed on explicitly (libguestfs's format=, qemu-img's -F, the
 * domain's <driver type>), so that no tool downstream probes a disk the
 * guest writes.  The domain is the mount's domain.xml (or any libvirt
 * domain) as a libxml2 tree: only the elements named below change, so
 * what the user or the mount put in the rest of it (CPU, memory,
 * firmware, Hyper-V) goes through as it was. */
#ifndef V2V_TARGET_H
#define V2V_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "domxml.h"
#include "error.h"

struct target {
  char *path;                    /* absolute; symbolic links are kept, so
                                    /dev/VG/LV stays /dev/VG/LV */
  bool block;                    /* a block device, else a regular file */
  const char *format;            /* "raw" or "qcow2", from its first bytes */
};

/* Look at ARG, a -a argument: a regular file or a block device that
 * opens for reading (and for writing too, if RW), raw or a standalone
 * qcow2 (one with a backing file is refused: the tools name the whole
 * chain themselves).  Fills T; free T->path with target_free.  On error
 * E's message is "ARG: why". */
int target_probe (const char *arg, bool rw, struct target *t,
                  struct v2_error *e);
void target_free (struct target *t);

/* The disks of DOC (<disk device='disk'>), in document order: an array
 * the caller frees (the nodes stay DOC's), with their number in *N.
 * NULL with *N = 0 when there are none; NULL with *N = 1 on ENOMEM. */
xmlNode **target_domain_disks (xmlDoc *doc, size_t *n);

/* Point the disks of DOC at the N targets T, in order: each disk's
 * <source file=...> (a block device: type='block' and <source dev=...>)
 * names its target, its driver type is the target's format, and a
 * <backingStore> it had goes.  The count must match: otherwise -1, with
 * "NAME has X disks, but -a gave Y targets" in E (NAME: DOC's file, for
 * the message). */
int target_point_domain (xmlDoc *doc, const char *name, const struct target *t,
                         size_t n, struct v2_error *e);

/* Put the disks of DOC on BUS (virtio-blk: bus virtio, vda, ...;
 * virtio-scsi: bus scsi, sda, ..., and a virtio-scsi controller; SATA:
 * sda, ...) and its NICs on virtio-net (else e1000), the way domxml.c
 * writes a fixed guest's domain.  -1 (ENOMEM) in E. */
int target_set_devices (xmlDoc *doc, enum domxml_disk_bus bus, bool virtio_net,
                        struct v2_error *e);

/* DOC as text, pretty-printed; the caller frees it.  NULL on ENOMEM. */
char *target_domain_text (xmlDoc *doc);

#endif
