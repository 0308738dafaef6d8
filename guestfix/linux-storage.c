/* The storage step of the Linux fix (linux.h): every place the guest
 * names a disk by its VMware bus gets the file system's stable name
 * (fstab, crypttab, initramfs-tools' resume device), and LVM is told
 * that its PVs are on new devices.  The kernel command lines are the
 * boot loader's (linux-bootloader.c).
 *
 * LVM: RHEL 9's devices file (/etc/lvm/devices/system.devices) lists
 * the PVs LVM may use by device ID (a WWID, a device name), and those
 * IDs change with the move to virtio: LVM would see no PV, and the guest
 * would stop in emergency mode.  Without the file LVM uses every device:
 * "If the file does not exist, or if lvm.conf includes
 * use_devicesfile=0, then lvm will not use a devices file"
 * (lvmdevices(8) of lvm2 2.03; Debian's lvm2 2.03.16 does not ship that
 * page, and its /etc/lvm/lvm.conf says of use_devicesfile only "When
 * enabled, lvm will only use devices that are listed in the devices
 * file").  So the file is removed, and a guest that wants one makes it
 * again on KVM (vgimportdevices -a).  lvm.conf's filters that name
 * /dev/sd* are pointed at /dev/vd* (edit-lvm.c).  The initramfs keeps
 * copies of both files, so either change has it rebuilt. */
#include <config.h>

#include "linux.h"

static int
edit_fstab_fn (const char *in, void *f, char **out, struct edit_log *log)
{
  return edit_fstab (in, fix_resolve, f, out, log);
}

static int
edit_crypttab_fn (const char *in, void *f, char **out, struct edit_log *log)
{
  return edit_crypttab (in, fix_resolve, f, out, log);
}

static int
edit_resume_fn (const char *in, void *f, char **out, struct edit_log *log)
{
  return edit_resume_conf (in, fix_resolve, f, out, log);
}

static int
edit_lvm_filter_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  (void) arg;
  return edit_lvm_filter (in, out, log);
}

/* How many LVM files the plan changes, or -1. */
static int
lvm (struct fix *f, struct plan *p)
{
  static const char devices[] = "/etc/lvm/devices/system.devices";
  int n = 0, r;

  if (fix_is_file (f, devices)) {
    if (plan_remove (f, p, devices, false, NULL, "its device IDs were VMware's; "
                     "LVM scans all devices") == -1)
      return -1;
    n++;
  }
  if ((r = plan_edit (f, p, "/etc/lvm/lvm.conf", edit_lvm_filter_fn, NULL)) == -1)
    return -1;
  n += r;
  if (n > 0)
    f->initramfs_why = "the new LVM configuration";
  return n;
}

static int
storage_inspect (struct fix *f, struct plan *p)
{
  static const struct { const char *path; fix_edit_fn edit; } files[] = {
    { "/etc/fstab", edit_fstab_fn },
    { "/etc/crypttab", edit_crypttab_fn },
    { "/etc/initramfs-tools/conf.d/resume", edit_resume_fn },
  };
  size_t i;
  int n, r;

  f->initramfs_why = NULL;
  if ((n = lvm (f, p)) == -1)
    return -1;
  for (i = 0; i < sizeof files / sizeof *files; i++) {
    if ((r = plan_edit (f, p, files[i].path, files[i].edit, f)) == -1)
      return -1;
    n += r;
  }
  if (n == 0)
    report_skip (f->r, "device names in fstab, crypttab, resume and LVM",
                 "all stable already");
  return 0;
}

const struct linux_step linux_step_storage = { "storage", storage_inspect, NULL };
