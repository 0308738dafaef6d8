/* Unit tests for the guest fix's text edits (guestfix/edit.c) and for the
 * JSON the report is written in (common/json.c): tables of inputs, each
 * with the exact text and log lines it must give. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "edit.h"
#include "json.h"

#include "unit.h"

/* A resolver over a fixed table, the way fix_resolve answers for a
 * one-disk VM: sda1 is the root, sda2 swap, sdb1 unknown. */
static char *
fake_resolve (void *opaque, const char *dev, const char *use,
              const char *fstype, char **why)
{
  (void) opaque;
  *why = NULL;
  if (strcmp (dev, "/dev/sda1") == 0 || strcmp (dev, "/dev/hda1") == 0 ||
      strcmp (dev, "/dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:0:0-part1") == 0 ||
      (strcmp (use, "root") == 0 && strncmp (dev, "/dev/", 5) == 0 &&
       strcmp (dev, "/dev/sdb1") != 0)) {
    if (fstype && strcmp (fstype, "xfs") == 0) {
      *why = strdup ("the guest expects xfs there, but /dev/sda1 holds ext4");
      return NULL;
    }
    return strdup ("UUID=1111-aaaa");
  }
  if (strcmp (dev, "/dev/sda2") == 0 || strcmp (dev, "/dev/nvme0n1p3") == 0)
    return strdup ("UUID=2222-bbbb");
  if (strcmp (dev, "/dev/sda3") == 0)
    return strdup ("LABEL=data");
  *why = strdup ("cannot tell which of the VM's 1 disks it is");
  return NULL;
}

static void
check_log (const struct edit_log *log, const char *const *want, size_t n,
           const char *what)
{
  size_t i;

  CHECK (log->changes.n == n, "%s: %zu log lines, want %zu", what, log->changes.n, n);
  for (i = 0; i < n && i < log->changes.n; i++)
    CHECK_STR (log->changes.v[i], want[i]);
}

static void
test_device_names (void)
{
  static const struct { const char *dev; int ok; size_t disk; unsigned part; bool unstable; } cases[] = {
    { "/dev/sda", 0, 0, 0, true },
    { "/dev/sda1", 0, 0, 1, true },
    { "/dev/sdb12", 0, 1, 12, true },
    { "/dev/sdz", 0, 25, 0, true },
    { "/dev/sdaa3", 0, 26, 3, true },
    { "/dev/hdc2", 0, 2, 2, true },
    { "/dev/xvda1", 0, 0, 1, true },
    { "/dev/vdb", 0, 1, 0, true },
    { "/dev/sda0", -1, 0, 0, false },
    { "/dev/sd1", -1, 0, 0, false },
    { "/dev/sdA1", -1, 0, 0, false },
    { "/dev/sda1x", -1, 0, 0, false },
    { "/dev/mapper/vg-root", -1, 0, 0, false },
    { "UUID=1234", -1, 0, 0, false },
    { "/dev/disk/by-uuid/1234", -1, 0, 0, false },
    { "/dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:0:0-part1", -1, 0, 0, true },
    { "/dev/disk/by-id/scsi-36000c29f-part1", -1, 0, 0, true },
    { "/dev/disk/by-id/ata-VMware_Virtual_SATA_Hard_Drive_01000000000000000001", -1, 0, 0, true },
    { "/dev/disk/by-id/dm-name-vg-root", -1, 0, 0, false },
    { "/dev/disk/by-id/lvm-pv-uuid-abc", -1, 0, 0, false },
    /* NVMe: the first controller's namespaces are the disks in order;
     * another controller's say which disk only in a one-disk VM (1). */
    { "/dev/nvme0n1", 0, 0, 0, true },
    { "/dev/nvme0n1p2", 0, 0, 2, true },
    { "/dev/nvme0n3p14", 0, 2, 14, true },
    { "/dev/nvme1n1p3", 1, 0, 3, true },
    { "/dev/nvme2n2", 1, 1, 0, true },
    { "/dev/nvme0", -1, 0, 0, false },
    { "/dev/nvme0n0", -1, 0, 0, false },
    { "/dev/nvme0n1p0", -1, 0, 0, false },
    { "/dev/nvme0n1p", -1, 0, 0, false },
    { "/dev/nvme0n1p2x", -1, 0, 0, false },
    { "/dev/nvmen1", -1, 0, 0, false },
    { "/dev/nvme0n01", -1, 0, 0, false },
    { "/dev/ng0n1", -1, 0, 0, false },
    /* LVM and device-mapper names stay, even a VG named like a disk. */
    { "/dev/vg0/root", -1, 0, 0, false },
    { "/dev/sdata/root", -1, 0, 0, false },
    { "/dev/vda/lv", -1, 0, 0, false },
    { "/dev/mapper/rhel-root", -1, 0, 0, false },
  };
  size_t i;
  char letters[8];

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    size_t disk = 99;
    unsigned part = 99;
    int r = edit_parse_disk_name (cases[i].dev, &disk, &part);
    CHECK (r == cases[i].ok, "%s: parse %d", cases[i].dev, r);
    if (r == 0)
      CHECK (disk == cases[i].disk && part == cases[i].part, "%s: disk %zu part %u",
             cases[i].dev, disk, part);
    CHECK (edit_is_unstable_device (cases[i].dev) == cases[i].unstable,
           "%s: unstable", cases[i].dev);
  }
  edit_disk_letters (0, letters);
  CHECK_STR (letters, "a");
  edit_disk_letters (25, letters);
  CHECK_STR (letters, "z");
  edit_disk_letters (26, letters);
  CHECK_STR (letters, "aa");
  edit_disk_letters (701, letters);
  CHECK_STR (letters, "zz");
  edit_disk_letters (702, letters);
  CHECK_STR (letters, "aaa");
}

static void
test_fstab (void)
{
  static const char in[] =
    "# /etc/fstab: static file system information.\r\n"
    "/dev/sda1 /               ext4    errors=remount-ro 0       1\r\n"
    "UUID=9999 /home ext4 defaults 0 2\n"
    "   /dev/sda2\tnone swap sw 0 0\n"
    "/dev/sdb1 /data ext4 defaults 0 2\n"
    "/dev/sda3 /srv auto defaults 0 2\n"
    "/dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:0:0-part1 /boot xfs defaults 0 2\n"
    "/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0\n"
    "tmpfs /tmp tmpfs defaults 0 0";
  static const char want[] =
    "# /etc/fstab: static file system information.\r\n"
    "UUID=1111-aaaa /               ext4    errors=remount-ro 0       1\r\n"
    "UUID=9999 /home ext4 defaults 0 2\n"
    "   UUID=2222-bbbb\tnone swap sw 0 0\n"
    "/dev/sdb1 /data ext4 defaults 0 2\n"
    "LABEL=data /srv auto defaults 0 2\n"
    "/dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:0:0-part1 /boot xfs defaults 0 2\n"
    "/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0\n"
    "tmpfs /tmp tmpfs defaults 0 0";
  static const char *const log_want[] = {
    "line 2: /dev/sda1 -> UUID=1111-aaaa",
    "line 4: /dev/sda2 -> UUID=2222-bbbb",
    "line 6: /dev/sda3 -> LABEL=data",
  };
  struct edit_log log = { 0 };
  CLEANUP_FREE char *out = NULL, *again = NULL;

  CHECK (edit_fstab (in, fake_resolve, NULL, &out, &log) == 0, "fstab");
  CHECK (out != NULL, "fstab changed");
  if (out)
    CHECK_STR (out, want);
  check_log (&log, log_want, 3, "fstab");
  CHECK (log.notes.n == 2, "fstab: %zu notes", log.notes.n);
  if (log.notes.n == 2) {
    CHECK_STR (log.notes.v[0], "line 5: /dev/sdb1 left as it is: cannot tell which "
               "of the VM's 1 disks it is");
    CHECK_STR (log.notes.v[1], "line 7: /dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:0:0-part1 "
               "left as it is: the guest expects xfs there, but /dev/sda1 holds ext4");
  }
  edit_log_free (&log);
  /* Idempotent: its own output changes no more. */
  CHECK (edit_fstab (out ? out : "", fake_resolve, NULL, &again, &log) == 0 &&
         again == NULL && log.changes.n == 0, "fstab twice");
  edit_log_free (&log);

  CHECK (edit_crypttab ("# <target> <source> <key> <opts>\n"
                        "cryptdata /dev/sda3 none luks\n", fake_resolve, NULL,
                        &again, &log) == 0 && again, "crypttab");
  if (again)
    CHECK_STR (again, "# <target> <source> <key> <opts>\ncryptdata LABEL=data none luks\n");
  edit_log_free (&log);
}

static void
test_cmdlines (void)
{
  static const struct {
    enum edit_cmdline_kind kind;
    const char *in, *want;
    size_t n_log;
  } cases[] = {
    { EDIT_GRUB_DEFAULT,
      "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet resume=/dev/sda2\"\n"
      "GRUB_CMDLINE_LINUX=\"root=/dev/sda1 console=ttyS0\"\n"
      "#GRUB_CMDLINE_LINUX=\"root=/dev/sda1\"\n",
      "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet resume=UUID=2222-bbbb\"\n"
      "GRUB_CMDLINE_LINUX=\"root=UUID=1111-aaaa console=ttyS0\"\n"
      "#GRUB_CMDLINE_LINUX=\"root=/dev/sda1\"\n", 2 },
    { EDIT_GRUB_CFG,
      "menuentry 'Debian' {\n"
      "\tsearch --no-floppy --fs-uuid --set=root 1111-aaaa\n"
      "\tlinux\t/boot/vmlinuz-6.1.0-28-amd64 root=/dev/sda1 ro noresume rootflags=x console=ttyS0\n"
      "\tinitrd\t/boot/initrd.img-6.1.0-28-amd64\n"
      "}\n",
      "menuentry 'Debian' {\n"
      "\tsearch --no-floppy --fs-uuid --set=root 1111-aaaa\n"
      "\tlinux\t/boot/vmlinuz-6.1.0-28-amd64 root=UUID=1111-aaaa ro noresume rootflags=x console=ttyS0\n"
      "\tinitrd\t/boot/initrd.img-6.1.0-28-amd64\n"
      "}\n", 1 },
    /* root= of the running root even where the resolver does not know
     * the name (hdX on a SATA disk); real_root= is not root=. */
    { EDIT_GRUB_CFG,
      "  linux16 /vmlinuz root=/dev/hdb3 real_root=/dev/sda1\n",
      "  linux16 /vmlinuz root=UUID=1111-aaaa real_root=/dev/sda1\n", 1 },
    { EDIT_MENU_LST,
      "# kopt=root=/dev/hda1 ro\n"
      "title Debian\n"
      "root (hd0,0)\n"
      "kernel /boot/vmlinuz root=/dev/hda1 ro resume=/dev/sda2\n",
      "# kopt=root=UUID=1111-aaaa ro\n"
      "title Debian\n"
      "root (hd0,0)\n"
      "kernel /boot/vmlinuz root=UUID=1111-aaaa ro resume=UUID=2222-bbbb\n", 3 },
    { EDIT_BLS,
      "title Red Hat\nlinux /vmlinuz\noptions root=/dev/sda1 ro crashkernel=auto\n",
      "title Red Hat\nlinux /vmlinuz\noptions root=UUID=1111-aaaa ro crashkernel=auto\n", 1 },
    { EDIT_GRUBENV,
      "# GRUB Environment Block\nkernelopts=root=/dev/sda1 ro \n####\n",
      "# GRUB Environment Block\nkernelopts=root=UUID=1111-aaaa ro \n####\n", 1 },
    /* NVMe names, where RHEL keeps its command lines. */
    { EDIT_BLS,
      "title Red Hat Enterprise Linux\nversion 5.14.0-427.el9.x86_64\n"
      "options root=/dev/nvme0n1p2 ro resume=/dev/nvme0n1p3 rd.lvm.lv=rhel/swap\n",
      "title Red Hat Enterprise Linux\nversion 5.14.0-427.el9.x86_64\n"
      "options root=UUID=1111-aaaa ro resume=UUID=2222-bbbb rd.lvm.lv=rhel/swap\n", 2 },
    { EDIT_GRUBENV,
      "# GRUB Environment Block\nkernelopts=root=/dev/nvme0n1p2 ro \n####\n",
      "# GRUB Environment Block\nkernelopts=root=UUID=1111-aaaa ro \n####\n", 1 },
    { EDIT_GRUB_DEFAULT,
      "GRUB_CMDLINE_LINUX=\"crashkernel=auto resume=/dev/nvme0n1p3 rhgb quiet\"\n",
      "GRUB_CMDLINE_LINUX=\"crashkernel=auto resume=UUID=2222-bbbb rhgb quiet\"\n", 1 },
    /* /etc/kernel/cmdline: the line is the command line; comments stay,
     * and so does an LVM root. */
    { EDIT_KERNEL_CMDLINE,
      "# root=/dev/sda1\nroot=/dev/nvme0n1p2 ro resume=/dev/nvme0n1p3 quiet\n",
      "# root=/dev/sda1\nroot=UUID=1111-aaaa ro resume=UUID=2222-bbbb quiet\n", 2 },
    { EDIT_KERNEL_CMDLINE,
      "root=/dev/mapper/rhel-root ro resume=/dev/sda2",
      "root=/dev/mapper/rhel-root ro resume=UUID=2222-bbbb", 1 },
    /* Already stable: nothing. */
    { EDIT_GRUB_CFG, "linux /vmlinuz root=UUID=1111-aaaa ro\n", NULL, 0 },
    /* Not a command line of this kind. */
    { EDIT_BLS, "linux /vmlinuz root=/dev/sda1\n", NULL, 0 },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct edit_log log = { 0 };
    CLEANUP_FREE char *out = NULL;
    CHECK (edit_cmdlines (cases[i].in, cases[i].kind, fake_resolve, NULL, &out,
                          &log) == 0, "case %zu", i);
    if (cases[i].want == NULL)
      CHECK (out == NULL, "case %zu: changed '%s'", i, out);
    else if (out == NULL)
      CHECK (0, "case %zu: not changed", i);
    else {
      CHECK_STR (out, cases[i].want);
      CHECK (edit_count_unstable (out, cases[i].kind) == 0, "case %zu: still unstable", i);
    }
    CHECK (log.changes.n == cases[i].n_log, "case %zu: %zu log lines", i, log.changes.n);
    CHECK (edit_count_unstable (cases[i].in, cases[i].kind) == cases[i].n_log,
           "case %zu: count %zu", i, edit_count_unstable (cases[i].in, cases[i].kind));
    edit_log_free (&log);
  }
}

/* An edit with no resolver, run on IN: the result must be WANT (NULL: no
 * change) with N_LOG log lines, and a second run must change nothing. */
typedef int (*plain_edit) (const char *in, char **out, struct edit_log *log);

static void
check_plain (const char *name, plain_edit edit, const char *in,
             const char *want, size_t n_log)
{
  struct edit_log log = { 0 };
  CLEANUP_FREE char *out = NULL, *again = NULL;

  CHECK (edit (in, &out, &log) == 0, "%s", name);
  if (want == NULL)
    CHECK (out == NULL, "%s: changed to '%s'", name, out);
  else if (out == NULL)
    CHECK (0, "%s: not changed", name);
  else {
    CHECK_STR (out, want);
    edit_log_free (&log);
    CHECK (edit (out, &again, &log) == 0 && again == NULL, "%s: not idempotent", name);
    edit_log_free (&log);
    CHECK (edit (in, &again, &log) == 0, "%s", name);
    free (again);
    again = NULL;
  }
  CHECK (log.changes.n == n_log, "%s: %zu log lines, want %zu", name, log.changes.n, n_log);
  edit_log_free (&log);
}

static int
modprobe_conf (const char *in, char **out, struct edit_log *log)
{
  return edit_modprobe (in, false, out, log);
}

static int
modules_list (const char *in, char **out, struct edit_log *log)
{
  return edit_modprobe (in, true, out, log);
}

static void
test_small_rules (void)
{
  check_plain ("grub default", edit_grub_default,
               "GRUB_DEFAULT=0\nGRUB_DISABLE_LINUX_UUID=true\n",
               "GRUB_DEFAULT=0\nGRUB_DISABLE_LINUX_UUID=false\n", 1);
  check_plain ("grub default quoted", edit_grub_default,
               "  GRUB_DISABLE_LINUX_UUID=\"true\" # ESXi\n",
               "  GRUB_DISABLE_LINUX_UUID=false # ESXi\n", 1);
  check_plain ("grub default commented", edit_grub_default,
               "#GRUB_DISABLE_LINUX_UUID=true\nGRUB_DISABLE_LINUX_UUID=false\n", NULL, 0);
  check_plain ("device.map", edit_device_map,
               "(fd0)\t/dev/fd0\n(hd0)\t/dev/sda\n(hd1) /dev/disk/by-id/ata-X\n(hd2) /dev/vdc\n",
               "(fd0)\t/dev/fd0\n(hd0)\t/dev/vda\n(hd1) /dev/vdb\n(hd2) /dev/vdc\n", 2);
  check_plain ("device.map nvme", edit_device_map,
               "(hd0) /dev/nvme0n1\n(hd1)\t/dev/nvme0n2\n(hd2) /dev/mapper/mpatha\n",
               "(hd0) /dev/vda\n(hd1)\t/dev/vdb\n(hd2) /dev/mapper/mpatha\n", 2);
  check_plain ("modprobe.conf", modprobe_conf,
               "alias eth0 vmxnet3\nalias eth1 e1000\nalias scsi_hostadapter mptspi\n"
               "alias scsi_hostadapter1 virtio_blk\nalias char-major-10-175 vmw_vmci\n"
               "options vmw_pvscsi cmd_per_lun=254\nblacklist vmxnet\n# alias eth0 vmxnet\n",
               "alias eth0 virtio_net\nalias eth1 virtio_net\nalias scsi_hostadapter virtio_blk\n"
               "alias scsi_hostadapter1 virtio_blk\n"
               "# v2vfs-fix (a VMware driver): alias char-major-10-175 vmw_vmci\n"
               "options vmw_pvscsi cmd_per_lun=254\nblacklist vmxnet\n# alias eth0 vmxnet\n", 4);
  check_plain ("/etc/modules", modules_list,
               "# modules to load\nloop\nvmw_balloon\nvmxnet3 \n",
               "# modules to load\nloop\n# v2vfs-fix (a VMware driver): vmw_balloon\n"
               "# v2vfs-fix (a VMware driver): vmxnet3 \n", 2);
  check_plain ("xorg", edit_xorg,
               "Section \"Device\"\n\tIdentifier \"VMware SVGA\"\n\tDriver \"vmware\"\nEndSection\n"
               "Section \"InputDevice\"\n  driver \"VMMouse\"\nEndSection\n",
               "Section \"Device\"\n\tIdentifier \"VMware SVGA\"\n\tDriver \"modesetting\"\nEndSection\n"
               "Section \"InputDevice\"\n  driver \"mouse\"\nEndSection\n", 2);
  check_plain ("xorg unchanged", edit_xorg, "Section \"Device\"\n Driver \"intel\"\n", NULL, 0);
  CHECK (edit_selinux_enabled ("# comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n"),
         "selinux enforcing");
  CHECK (edit_selinux_enabled ("SELINUX=permissive\n"), "selinux permissive");
  CHECK (!edit_selinux_enabled ("SELINUX=disabled\n"), "selinux disabled");
  CHECK (!edit_selinux_enabled ("#SELINUX=enforcing\n"), "selinux commented");
  {
    CLEANUP_FREE char *name = edit_shell_value (
      "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
      "PRETTY_NAMES=x\n", "PRETTY_NAME");
    CHECK (name && strcmp (name, "Debian GNU/Linux 12 (bookworm)") == 0, "os-release: %s",
           name ? name : "(none)");
  }
  CHECK (edit_shell_value ("ID=debian\n", "PRETTY_NAME") == NULL, "no PRETTY_NAME");
}

static void
test_lvm_filter (void)
{
  static const char *const log_want[] = {
    "line 2: filter \"a|^/dev/sda.*|\" -> \"a|^/dev/vda.*|\" (the disks are virtio now)",
    "line 4: global_filter \"a|/dev/sd[a-z]+[0-9]*$|\" -> \"a|/dev/vd[a-z]+[0-9]*$|\" "
    "(the disks are virtio now)",
    "line 5: global_filter \"r|/dev/sdb|\" -> \"r|/dev/vdb|\" (the disks are virtio now)",
  };
  struct edit_log log = { 0 };
  CLEANUP_FREE char *out = NULL;

  check_plain ("lvm.conf", edit_lvm_filter,
               "devices {\n"
               "\t# filter = [ \"a|^/dev/sda.*|\" ]\n"
               "\tfilter = [ \"a|^/dev/sda.*|\", \"r|.*|\" ]  # the system disk\n"
               "\tglobal_filter = [\n"
               "\t\t\"a|/dev/sd[a-z]+[0-9]*$|\",\r\n"
               "\t\t\"r|/dev/sdb|\", \"a|/dev/mapper/.*|\",\n"
               "\t\t\"r|.*|\" ]\n"
               "\tpreferred_names = [ \"^/dev/sd\" ]\n"
               "}\n",
               "devices {\n"
               "\t# filter = [ \"a|^/dev/sda.*|\" ]\n"
               "\tfilter = [ \"a|^/dev/vda.*|\", \"r|.*|\" ]  # the system disk\n"
               "\tglobal_filter = [\n"
               "\t\t\"a|/dev/vd[a-z]+[0-9]*$|\",\r\n"
               "\t\t\"r|/dev/vdb|\", \"a|/dev/mapper/.*|\",\n"
               "\t\t\"r|.*|\" ]\n"
               "\tpreferred_names = [ \"^/dev/sd\" ]\n"
               "}\n", 3);
  CHECK (edit_lvm_filter ("devices {\n filter = [ \"a|^/dev/sda.*|\", \"r|.*|\" ]\n"
                          "global_filter=\"r|/dev/sdc\\\"|\" \"a|/dev/sdd|\"\n}\n",
                          &out, &log) == 0 && out, "lvm.conf, one string");
  if (out)
    CHECK_STR (out, "devices {\n filter = [ \"a|^/dev/vda.*|\", \"r|.*|\" ]\n"
               "global_filter=\"r|/dev/vdc\\\"|\" \"a|/dev/sdd|\"\n}\n");
  edit_log_free (&log);
  free (out);
  out = NULL;
  CHECK (edit_lvm_filter ("devices {\n\tfilter = [ \"a|^/dev/sda.*|\", \"r|.*|\" ]\n"
                          "\tglobal_filter = [\n\t\t\"a|/dev/sd[a-z]+[0-9]*$|\",\r\n"
                          "\t\t\"r|/dev/sdb|\", \"a|/dev/mapper/.*|\",\n\t\t\"r|.*|\" ]\n}\n",
                          &out, &log) == 0, "lvm.conf log");
  check_log (&log, log_want, 3, "lvm.conf");
  edit_log_free (&log);
}

static int
initrd_modules (const char *in, char **out, struct edit_log *log)
{
  static const char *const words[] = { "virtio_pci", "virtio_blk", "virtio_scsi", NULL };

  return edit_shell_list_add (in, "INITRD_MODULES", words, out, log);
}

/* SUSE's INITRD_MODULES, and the arguments grubby is given. */
static void
test_suse_redhat (void)
{
  char **args;

  check_plain ("INITRD_MODULES empty", initrd_modules,
               "## Path: System/Kernel\nINITRD_MODULES=\"\"\n",
               "## Path: System/Kernel\nINITRD_MODULES=\"virtio_pci virtio_blk virtio_scsi\"\n", 1);
  check_plain ("INITRD_MODULES some", initrd_modules,
               "INITRD_MODULES=\"ata_piix virtio_blk\"\r\nDOMU_INITRD_MODULES=\"xennet\"\n",
               "INITRD_MODULES=\"ata_piix virtio_blk virtio_pci virtio_scsi\"\r\n"
               "DOMU_INITRD_MODULES=\"xennet\"\n", 1);
  check_plain ("INITRD_MODULES unquoted", initrd_modules, "INITRD_MODULES=ata_piix\n",
               "INITRD_MODULES=\"ata_piix virtio_pci virtio_blk virtio_scsi\"\n", 1);
  check_plain ("INITRD_MODULES all there", initrd_modules,
               "INITRD_MODULES='virtio_scsi virtio_pci virtio_blk'\n", NULL, 0);
  check_plain ("INITRD_MODULES missing", initrd_modules, "# nothing\nMY_INITRD_MODULES=\"x\"",
               "# nothing\nMY_INITRD_MODULES=\"x\"\n"
               "INITRD_MODULES=\"virtio_pci virtio_blk virtio_scsi\"\n", 1);

  args = edit_unstable_args ("title RHEL\noptions root=/dev/sda1 ro resume=/dev/sda2 "
                             "root=/dev/sda1 rd.lvm.lv=rhel/root\n"
                             "options root=UUID=1111 resume=/dev/mapper/rhel-swap\n",
                             EDIT_BLS);
  CHECK (args && args[0] && args[1] && args[2] == NULL, "unstable args");
  if (args && args[0] && args[1]) {
    CHECK_STR (args[0], "root=/dev/sda1");
    CHECK_STR (args[1], "resume=/dev/sda2");
  }
  edit_free_strv (args);
  args = edit_unstable_args ("options root=UUID=1111 ro\n", EDIT_BLS);
  CHECK (args && args[0] == NULL, "no unstable args");
  edit_free_strv (args);
}

static void
test_nics (void)
{
  struct edit_nics nics = { 0 };
  struct edit_log log = { 0 };
  CLEANUP_FREE char *out = NULL, *link = NULL, *rule = NULL;

  CHECK (edit_persistent_net (
    "# This file was automatically generated by the udev generator\n"
    "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", ATTR{address}==\"00:50:56:AA:00:02\", "
    "ATTR{type}==\"1\", KERNEL==\"eth*\", NAME=\"eth1\"\n", &nics, &out, &log) == 0,
    "persistent-net");
  CHECK (out && strstr (out, "\n# v2vfs-fix (named by a .link file now): SUBSYSTEM"),
         "rule commented out: %s", out ? out : "(unchanged)");
  CHECK (nics.n == 1 && strcmp (nics.v[0].name, "eth1") == 0 &&
         strcmp (nics.v[0].mac, "00:50:56:aa:00:02") == 0, "rule's NIC");
  edit_log_free (&log);

  CHECK (edit_nic_names ("source /etc/network/interfaces.d/*\nauto lo eth0\n"
                         "iface lo inet loopback\nallow-hotplug ens192 ens224\n"
                         "iface ens192 inet dhcp\niface ens192:1 inet static\n"
                         "iface br0 inet dhcp\n  bridge_ports eth0\n"
                         "iface eth0.100 inet manual\n",
                         EDIT_NET_IFUPDOWN, NULL, &nics) == 0, "ifupdown");
  CHECK (edit_nic_names ("DEVICE=\"ens160\"\nHWADDR=00:50:56:01:02:03\n",
                         EDIT_NET_IFCFG, "/etc/sysconfig/network-scripts/ifcfg-ens160",
                         &nics) == 0, "ifcfg");
  CHECK (edit_nic_names ("BOOTPROTO=dhcp\n", EDIT_NET_IFCFG,
                         "/etc/sysconfig/network/ifcfg-eth2", &nics) == 0, "ifcfg by name");
  CHECK (edit_nic_names ("network:\n  version: 2\n  ethernets:\n    enp11s0:\n"
                         "      dhcp4: true\n    id0:\n      match:\n"
                         "        macaddress: 00:11:22:33:44:55\n  bridges:\n"
                         "    br1:\n      interfaces: [enp11s0]\n",
                         EDIT_NET_NETPLAN, NULL, &nics) == 0, "netplan");
  CHECK (edit_nic_names ("[Match]\nName=eno1 en*\n[Network]\nDHCP=yes\n",
                         EDIT_NET_NETWORKD, NULL, &nics) == 0, "networkd glob");
  CHECK (edit_nic_names ("[Match]\nName=em1\n", EDIT_NET_NETWORKD, NULL, &nics) == 0,
         "networkd");
  CHECK (edit_nic_names ("[connection]\nid=Wired\ninterface-name=p2p1\n",
                         EDIT_NET_NM, NULL, &nics) == 0, "nm");
  edit_nics_sort (&nics);
  {
    static const char *const want[] = { "em1", "eno1", "ens160", "ens192", "ens224",
                                        "enp11s0", "eth0", "eth1", "eth2", "p2p1" };
    /* ifcfg's HWADDR is the NIC's MAC. */
    static const char *const macs[] = { "", "", "00:50:56:01:02:03", "", "", "", "",
                                        "00:50:56:aa:00:02", "", "" };
    size_t i;
    CHECK (nics.n == sizeof want / sizeof *want, "%zu NICs", nics.n);
    for (i = 0; i < nics.n && i < sizeof want / sizeof *want; i++) {
      CHECK_STR (nics.v[i].name, want[i]);
      CHECK_STR (nics.v[i].mac, macs[i]);
    }
  }
  edit_nics_free (&nics);

  /* Names the guest binds to MACs itself: netplan's set-name under a
   * match on macaddress, a keyfile's interface-name with mac-address=. */
  CHECK (edit_nic_names ("network:\n  version: 2\n  renderer: networkd\n"
                         "  ethernets:\n    uplink:\n      match:\n"
                         "        macaddress: \"00:50:56:3A:00:32\"\n"
                         "      set-name: ens192\n      dhcp4: true\n"
                         "    ens224:\n      match:\n        driver: vmxnet3\n"
                         "      set-name: ens224\n    eth9:\n      dhcp4: no\n",
                         EDIT_NET_NETPLAN, NULL, &nics) == 0, "netplan set-name");
  CHECK (edit_nic_names ("[connection]\nid=a\ninterface-name=ens160\n\n"
                         "[ethernet]\nmac-address=00-50-56-3a-00-31\n",
                         EDIT_NET_NM, NULL, &nics) == 0, "nm by MAC");
  CHECK (edit_nic_names ("[connection]\nid=b\ninterface-name=ens256\n",
                         EDIT_NET_NM, NULL, &nics) == 0, "nm by name");
  edit_nics_sort (&nics);
  {
    static const struct { const char *name, *mac; bool pinned; } want[] = {
      { "ens160", "00:50:56:3a:00:31", true }, { "ens192", "00:50:56:3a:00:32", true },
      { "ens224", "", false }, { "ens256", "", false }, { "eth9", "", false },
    };
    size_t i;
    CHECK (nics.n == sizeof want / sizeof *want, "%zu NICs", nics.n);
    for (i = 0; i < nics.n && i < sizeof want / sizeof *want; i++) {
      CHECK_STR (nics.v[i].name, want[i].name);
      CHECK_STR (nics.v[i].mac, want[i].mac);
      CHECK (nics.v[i].pinned == want[i].pinned, "%s pinned", want[i].name);
    }
  }
  link = edit_link_file ("ens192", "00:50:56:3a:00:01");
  CHECK (link && strstr (link, "\n[Match]\nMACAddress=00:50:56:3a:00:01\n\n[Link]\nName=ens192\n"),
         "link file");
  rule = edit_udev_rule ("eth0", "00:50:56:3a:00:01");
  CHECK (rule && strcmp (rule, "SUBSYSTEM==\"net\", ACTION==\"add\", "
                         "ATTR{address}==\"00:50:56:3a:00:01\", NAME=\"eth0\"\n") == 0,
         "udev rule");
  edit_nics_free (&nics);
}

static void
test_json (void)
{
  static const struct { const char *text, *error; } bad[] = {
    { "", "r.json: JSON at offset 0: unexpected end" },
    { "{\"a\": 1,}", "r.json: JSON at offset 8: expected a key" },
    { "[1 2]", "r.json: JSON at offset 3: expected ',' or ']'" },
    { "{\"a\" 1}", "r.json: JSON at offset 5: expected ':'" },
    { "\"abc", "r.json: JSON at offset 0: unterminated string" },
    { "\"a\\qb\"", "r.json: JSON at offset 3: bad escape in a string" },
    { "\"\\u0000\"", "r.json: JSON at offset 7: \\u0000 in a string" },
    { "\"\\ud800x\"", "r.json: JSON at offset 7: lone surrogate in a \\u escape" },
    { "01", "r.json: JSON at offset 0: bad number" },
    { "1.", "r.json: JSON at offset 0: bad number" },
    { "tru", "r.json: JSON at offset 0: unexpected text" },
    { "{} x", "r.json: JSON at offset 3: text after the value" },
    { "\"a\tb\"", "r.json: JSON at offset 2: control character in a string" },
  };
  static const char good[] =
    " {\"format\": \"x\", \"n\": -12.5e+3, \"ok\": true, \"no\": false,"
    " \"none\": null, \"s\": \"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\\n\","
    " \"list\": [1, {}, []]}\n";
  char deep[JSON_MAX_DEPTH + 3];
  struct json_writer w = { 0 };
  struct v2_error e;
  struct json *j;
  CLEANUP_FREE char *text = NULL;
  size_t i;

  for (i = 0; i < sizeof bad / sizeof *bad; i++) {
    e.msg[0] = '\0';
    j = json_parse (bad[i].text, strlen (bad[i].text), "r.json", &e);
    CHECK (j == NULL, "bad %zu parsed", i);
    CHECK_STR (e.msg, bad[i].error);
    json_free (j);
  }
  memset (deep, '[', sizeof deep - 1);
  deep[sizeof deep - 1] = '\0';
  j = json_parse (deep, strlen (deep), "r.json", &e);
  CHECK (j == NULL && strstr (e.msg, "nested too deeply"), "depth: %s", e.msg);

  j = json_parse (good, strlen (good), "r.json", &e);
  CHECK (j != NULL, "parse: %s", e.msg);
  if (j == NULL)
    return;
  CHECK_STR (json_get_str (j, "format"), "x");
  CHECK_STR (json_get (j, "n")->str, "-12.5e+3");
  CHECK (json_get (j, "ok")->type == JSON_TRUE && json_get (j, "none")->type == JSON_NULL,
         "literals");
  CHECK_STR (json_get_str (j, "s"), "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80\n");
  CHECK (json_get (j, "list")->n == 3 && json_get_str (j, "list") == NULL &&
         json_get (j, "missing") == NULL, "list");

  /* Written back, the same tree, indented; bad UTF-8 becomes U+FFFD. */
  json_begin_object (&w);
  json_key (&w, "copy");
  json_value (&w, j);
  json_key (&w, "bytes");
  json_string (&w, "ok\xff\x01");
  json_key (&w, "n");
  json_int (&w, -3);
  json_key (&w, "t");
  json_fixed (&w, 1.25, 1);
  json_key (&w, "empty");
  json_begin_array (&w);
  json_end_array (&w);
  json_end_object (&w);
  text = json_writer_finish (&w);
  CHECK (text != NULL, "writer");
  if (text)
    CHECK_STR (text,
               "{\n"
               "  \"copy\": {\n"
               "    \"format\": \"x\",\n"
               "    \"n\": -12.5e+3,\n"
               "    \"ok\": true,\n"
               "    \"no\": false,\n"
               "    \"none\": null,\n"
               "    \"s\": \"a\\\"b\\\\c\xc3\xa9\xf0\x9f\x98\x80\\n\",\n"
               "    \"list\": [\n"
               "      1,\n"
               "      {},\n"
               "      []\n"
               "    ]\n"
               "  },\n"
               "  \"bytes\": \"ok\\ufffd\\u0001\",\n"
               "  \"n\": -3,\n"
               "  \"t\": 1.2,\n"
               "  \"empty\": []\n"
               "}\n");
  json_free (j);
  /* And what it writes, it reads. */
  if (text) {
    j = json_parse (text, strlen (text), "w.json", &e);
    CHECK (j && strcmp (json_get_str (j, "bytes"), "ok\xef\xbf\xbd\x01") == 0,
           "round trip: %s", e.msg);
    json_free (j);
  }
}

int
main (void)
{
  test_device_names ();
  test_fstab ();
  test_cmdlines ();
  test_small_rules ();
  test_lvm_filter ();
  test_suse_redhat ();
  test_nics ();
  test_json ();
  return unit_report ("unit-guestfix");
}
