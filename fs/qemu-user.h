/* libvirt's qemu user: the user qemu:///system runs its guests as.
 *
 * v2vfs and v2vfs-boot both need it.  A writable mount that other users
 * may open (--overlay, -o allow_other) gives that user its disks, or
 * `virsh create MNT/domain.xml` fails with "Permission denied" when qemu
 * opens a disk for writing; v2vfs-boot checks a mount against it before
 * it starts a domain, so the user reads what is wrong from v2vfs-boot
 * instead of from qemu. */
#ifndef V2V_QEMU_USER_H
#define V2V_QEMU_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define QEMU_CONF "/etc/libvirt/qemu.conf"

struct qemu_user {
  char name[64];
  uid_t uid;
  gid_t gid;
};

/* Fill U with the user that CONF's `user = "NAME"` (or "+UID") names,
 * else the one Debian's libvirt is built with, libvirt-qemu, and with
 * CONF's `group =`, else that user's group.  A CONF that cannot be read
 * (it is root's alone) counts as one without settings.  Returns -1 when
 * the user does not exist: libvirt is not installed. */
int qemu_user_lookup (const char *conf, struct qemu_user *u);

/* What U may do with PATH, a file on a mount: read it, and write it.
 * FUSE lets no one but the user who mounted in unless the mount has
 * allow_other, and v2vfs always mounts with default_permissions, so the
 * mode bits count.  WHY gets the reason when U may not write (or read).
 * Returns -1 (errno set) when PATH cannot be looked at. */
int qemu_user_access (const struct qemu_user *u, const char *path,
                      bool *can_read, bool *can_write, bool *rw_mount,
                      char *why, size_t why_len);

#endif
