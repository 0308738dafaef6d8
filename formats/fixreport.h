/* The guest-fix report, where the mount and v2vfs-fix meet.
 *
 * v2vfs-fix writes its report as JSON into the overlay DIR, next to the
 * disks' overlay files; the mount reads the report's "result" to write
 * domain.xml for the fixed guest (virtio once the guest has the drivers).
 * A mount tells v2vfs-fix where the report goes through an extended
 * attribute of its domain.xml, so the tool needs nothing but the mount
 * point, and a mount without --overlay has no such attribute.
 *
 * The file is DIR/guestfix.json for a mount with one VM, and
 * DIR/guestfix-vmN.json (N from 1, in the OVF's order) for each VM of a
 * collection.  Its top level:
 *   { "format": FIXREPORT_FORMAT, "vm": NAME,
 *     "result": { "disk_bus": "virtio"|"virtio-scsi"|"sata",
 *                 "nic_model": "virtio"|"e1000" },
 *     "runs": [ the report of each run, oldest first ] }
 * disk_bus "virtio" is virtio-blk; "virtio-scsi" is for a guest that has
 * a virtio-scsi driver but no virtio-blk one (a Windows guest that got
 * vioscsi only).
 *
 * A run's report says what it found and did (os, changes, removed,
 * skipped, warnings, its own result) and how long each part took, in
 * the order they ran, for a benchmark's breakdown:
 *   "steps": [ { "name": "launch", "seconds": 15.6 },
 *              { "name": "inspection", "seconds": 2.0 },
 *              { "name": "plan", "seconds": 9.8 },
 *              { "name": "initramfs", "seconds": 41.2 }, ... ]
 * ("plan" is the read-only pass that decides whether anything changes;
 * the Linux steps are named in guestfix/linux.h).  The mount reads only
 * "format" and "result". */
#ifndef V2V_FIXREPORT_H
#define V2V_FIXREPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "domxml.h"
#include "error.h"

#define FIXREPORT_FORMAT "v2vfs-fix report 1"
/* The extended attribute of MNT/domain.xml that holds the report's path. */
#define FIXREPORT_XATTR "user.v2vfs.fix-report"
/* A report larger than this is not one of ours. */
#define FIXREPORT_MAX_BYTES (16 << 20)

struct fixreport_result {
  bool fixed;                    /* a report with a result exists */
  enum domxml_disk_bus disk_bus; /* result.disk_bus */
  bool virtio_net;               /* the NICs are virtio-net */
};

/* result.disk_bus's value for BUS ("sata", "virtio", "virtio-scsi"):
 * what v2vfs-fix writes and fixreport_read takes back. */
const char *fixreport_disk_bus_name (enum domxml_disk_bus bus);

/* The report's path for VM (0-based) of N_VMS in overlay DIR; the
 * caller frees it.  NULL on ENOMEM. */
char *fixreport_path (const char *dir, size_t vm, size_t n_vms);
/* Whether NAME (a directory entry) is a report's file name. */
bool fixreport_is_name (const char *name);
/* Read the report at PATH into R.  A missing file is no error: R says
 * "not fixed".  A file that is not a report is (-1, with the file and
 * the offset in E). */
int fixreport_read (const char *path, struct fixreport_result *r,
                    struct v2_error *e);

#endif
