/* The distribution families the Linux fix knows (see linux.h): one
 * table each, saying only what differs between them.  A family that is
 * not here is one more table and one more line in families[].
 *
 * Where a family's guests may have either of two tools (Debian can
 * build its initramfs with dracut), both are listed, preferred first.
 * A guest of no known family gets "other", which looks everywhere, the
 * way v2vfs-fix did before it knew families. */
#include <config.h>

#include <string.h>

#include "linux.h"

/* Every family's guests may use these. */
#define COMMON_NETCFGS \
  { "/etc/systemd/network/*.network", EDIT_NET_NETWORKD }, \
  { "/etc/NetworkManager/system-connections/*", EDIT_NET_NM }

static const char *const sbin_grub_mkconfig[] = {
  "/usr/sbin/grub2-mkconfig", "/sbin/grub2-mkconfig", NULL,
};

/* ---- Debian, Ubuntu and their derivatives -------------------------- */

static const char *const debian_distros[] = {
  "debian", "ubuntu", "linuxmint", "kalilinux", NULL,
};
static const char *const debian_installed[] = { "/usr/bin/dpkg", "/var/lib/dpkg/status", NULL };
static const enum linux_initramfs_tool debian_initramfs[] = {
  LINUX_INITRAMFS_TOOLS, LINUX_INITRAMFS_DRACUT, LINUX_INITRAMFS_NONE,
};
static const char *const debian_grub_cfgs[] = { "/boot/grub/grub.cfg", NULL };
/* update-grub is grub-mkconfig -o /boot/grub/grub.cfg (grub-mkconfig(8)). */
static const char *const debian_grub_mkconfig[] = {
  "/usr/sbin/update-grub", "/usr/sbin/grub-mkconfig", "/sbin/grub-mkconfig", NULL,
};
static const struct linux_netcfg debian_netcfgs[] = {
  { "/etc/network/interfaces", EDIT_NET_IFUPDOWN },
  { "/etc/network/interfaces.d/*", EDIT_NET_IFUPDOWN },
  { "/etc/netplan/*.yaml", EDIT_NET_NETPLAN },
  COMMON_NETCFGS,
  { NULL, 0 },
};
static const char *const dpkg_purge[] = {
  "env", "DEBIAN_FRONTEND=noninteractive", "dpkg", "--purge", NULL,
};

static const struct linux_family debian = {
  "Debian", debian_distros, debian_installed, debian_initramfs,
  debian_grub_cfgs, debian_grub_mkconfig, debian_netcfgs, dpkg_purge, NULL,
};

/* ---- Red Hat: RHEL, Fedora, CentOS and the rebuilds ----------------- */

static const char *const redhat_distros[] = {
  "rhel", "fedora", "centos", "rocky", "almalinux", "oraclelinux",
  "scientificlinux", "redhat-based", "circle", "openanolis", NULL,
};
static const char *const redhat_installed[] = { "/etc/redhat-release", NULL };
static const enum linux_initramfs_tool redhat_initramfs[] = {
  LINUX_INITRAMFS_DRACUT, LINUX_INITRAMFS_NONE,
};
static const char *const grub2_cfgs[] = { "/boot/grub2/grub.cfg", NULL };
static const struct linux_netcfg redhat_netcfgs[] = {
  { "/etc/sysconfig/network-scripts/ifcfg-*", EDIT_NET_IFCFG },
  COMMON_NETCFGS,
  { NULL, 0 },
};
static const char *const rpm_erase[] = { "rpm", "-e", NULL };
static const char *const grubby[] = { "/usr/sbin/grubby", "/sbin/grubby", NULL };

static const struct linux_family redhat = {
  "Red Hat", redhat_distros, redhat_installed, redhat_initramfs,
  grub2_cfgs, sbin_grub_mkconfig, redhat_netcfgs, rpm_erase, grubby,
};

/* ---- SUSE: SLES, openSUSE ------------------------------------------- */

static const char *const suse_distros[] = {
  "sles", "suse-based", "opensuse", NULL,
};
static const char *const suse_installed[] = { "/etc/SuSE-release", "/etc/zypp", NULL };
static const enum linux_initramfs_tool suse_initramfs[] = {
  LINUX_INITRAMFS_MKINITRD, LINUX_INITRAMFS_DRACUT, LINUX_INITRAMFS_NONE,
};
static const struct linux_netcfg suse_netcfgs[] = {
  { "/etc/sysconfig/network/ifcfg-*", EDIT_NET_IFCFG },
  COMMON_NETCFGS,
  { NULL, 0 },
};

static const struct linux_family suse = {
  "SUSE", suse_distros, suse_installed, suse_initramfs,
  grub2_cfgs, sbin_grub_mkconfig, suse_netcfgs, rpm_erase, NULL,
};

/* ---- Any other: look everywhere ------------------------------------ */

static const char *const none[] = { NULL };
static const enum linux_initramfs_tool other_initramfs[] = {
  LINUX_INITRAMFS_TOOLS, LINUX_INITRAMFS_DRACUT, LINUX_INITRAMFS_NONE,
};
static const char *const other_grub_cfgs[] = {
  "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", NULL,
};
static const char *const other_grub_mkconfig[] = {
  "/usr/sbin/update-grub", "/usr/sbin/grub2-mkconfig", "/usr/sbin/grub-mkconfig",
  "/sbin/grub2-mkconfig", "/sbin/grub-mkconfig", NULL,
};
static const struct linux_netcfg other_netcfgs[] = {
  { "/etc/network/interfaces", EDIT_NET_IFUPDOWN },
  { "/etc/network/interfaces.d/*", EDIT_NET_IFUPDOWN },
  { "/etc/sysconfig/network-scripts/ifcfg-*", EDIT_NET_IFCFG },
  { "/etc/sysconfig/network/ifcfg-*", EDIT_NET_IFCFG },
  { "/etc/netplan/*.yaml", EDIT_NET_NETPLAN },
  COMMON_NETCFGS,
  { NULL, 0 },
};

/* Its packages are removed by the package format inspection found
 * (linux-packages.c), so it names no command here. */
static const struct linux_family other = {
  "other", none, none, other_initramfs, other_grub_cfgs, other_grub_mkconfig,
  other_netcfgs, NULL, NULL,
};

static const struct linux_family *const families[] = { &debian, &redhat, &suse };

static bool
in_list (const char *const *list, const char *s)
{
  size_t i;

  for (i = 0; s && list[i]; i++)
    if (strcmp (list[i], s) == 0)
      return true;
  return false;
}

const struct linux_family *
linux_family (struct fix *f, const char *distro)
{
  size_t i, j;

  for (i = 0; i < sizeof families / sizeof *families; i++)
    if (in_list (families[i]->distros, distro))
      return families[i];
  for (i = 0; i < sizeof families / sizeof *families; i++)
    for (j = 0; families[i]->installed[j]; j++)
      if (fix_exists (f, families[i]->installed[j]))
        return families[i];
  return &other;
}
