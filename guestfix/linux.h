/* The Linux fix, one file a concern, each a step of fix_linux
 * (linux.c, which holds the order and the reasons for it):
 *
 *   linux-packages.c    VMware tools and the drivers they forced
 *   linux-network.c     NIC names
 *   linux-storage.c     device names (fstab, crypttab, resume) and LVM
 *   linux-initramfs.c   the virtio drivers in the initramfs
 *   linux-bootloader.c  the boot loader's configuration and the loader
 *   linux.c             the kernels, SELinux, and the step table
 *
 * Each step inspects the guest and plans (plan.h), then applies its plan
 * and runs its commands.  What differs between distribution families
 * (which tool builds the initramfs, where grub.cfg is and what rebuilds
 * it, where the network configuration is, how packages are removed) is
 * one table a family in linux-family.c, chosen by inspection's distro,
 * else by what the guest has installed: a new family is one new table,
 * and the steps stay as they are. */
#ifndef V2V_LINUX_H
#define V2V_LINUX_H

#include "fix.h"
#include "plan.h"

/* The tools that build an initramfs (linux-initramfs.c). */
enum linux_initramfs_tool {
  LINUX_INITRAMFS_NONE,
  LINUX_INITRAMFS_TOOLS,         /* Debian's initramfs-tools */
  LINUX_INITRAMFS_DRACUT,
  LINUX_INITRAMFS_MKINITRD,      /* SUSE's: a wrapper of dracut (of its own
                                    before SLES 12) */
};

/* A network configuration the guest may have: a glob and its syntax. */
struct linux_netcfg {
  const char *pattern;
  enum edit_netcfg kind;
};

struct linux_family {
  const char *name;              /* "Debian", for the report */
  /* Inspection's distro names of the family ("debian", "ubuntu"). */
  const char *const *distros;
  /* Files only the family's guests have: the choice when inspection
   * names no distro of a known family. */
  const char *const *installed;
  /* The initramfs tools the family uses, preferred first, ending with
   * LINUX_INITRAMFS_NONE: the first the guest has builds it. */
  const enum linux_initramfs_tool *initramfs;
  /* Where GRUB 2's grub.cfg is, and the commands that regenerate it
   * (the first the guest has runs; update-grub takes no -o). */
  const char *const *grub_cfgs;
  const char *const *grub_mkconfig;
  /* The network configurations to read NIC names from. */
  const struct linux_netcfg *netcfgs;
  /* The command that removes packages, the names going after it. */
  const char *const *remove_packages;
  /* Where grubby is (NULL: nowhere): where the guest has it, grubby
   * changes the kernel arguments of the BLS entries. */
  const char *const *grubby;
};

/* The family of the guest: by DISTRO (inspection's), else by what F's
 * guest has installed, else one that looks everywhere. */
const struct linux_family *linux_family (struct fix *f, const char *distro);

/* One step of the fix.  INSPECT reads the guest and fills the plan,
 * reporting what it will change; a dry run stops there.  APPLY makes
 * the plan's changes and runs what the step runs (NULL: plan_apply
 * alone).  Both return 0, or -1 with the error reported. */
struct linux_step {
  const char *name;              /* "initramfs": progress and timings */
  int (*inspect) (struct fix *f, struct plan *p);
  int (*apply) (struct fix *f, struct plan *p);
};

extern const struct linux_step linux_step_packages, linux_step_tarball_tools,
  linux_step_leftovers, linux_step_network, linux_step_storage,
  linux_step_initramfs, linux_step_bootloader_config, linux_step_boot_loader;

#endif
