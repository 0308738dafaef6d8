/* What the Windows fix decides, as pure functions: which virtio-win
 * directory fits the guest, and the text of the first-boot scripts.
 * Nothing here touches a disk, libguestfs or the registry, so every rule
 * has a unit test (tests/unit-guestfix.c). */
#ifndef V2V_WINPLAN_H
#define V2V_WINPLAN_H

#include <stdbool.h>
#include <stddef.h>

/* A Windows version as the registry gives it: 10.0 build 17763 is
 * Windows Server 2019 when SERVER, Windows 10 1809 when not. */
struct win_version {
  unsigned major, minor, build;
  bool server;
};

/* The virtio-win directory (under each driver, "viostor/2k19/amd64")
 * for V: "w7", "w8", "w8.1", "w10", "w11", "2k8", "2k8R2", "2k12",
 * "2k12R2", "2k16", "2k19", "2k22", "2k25"; NULL for a Windows older
 * than Vista.  HAS says which directories a driver has.  When the one
 * made for V is missing, the nearest older one of the same line (client
 * or server) is taken, then of the other line, and *FALLBACK is set.
 * NULL when no directory is old enough. */
const char *winplan_os_dir (const struct win_version *v,
                            bool (*has) (void *opaque, const char *dir),
                            void *opaque, bool *fallback);
/* The directory made for V, whether the tree has it or not. */
const char *winplan_os_dir_for (const struct win_version *v);

/* A static IP configuration of a NIC, read from the registry. */
struct win_static_ip {
  char mac[18];                  /* the NIC's MAC, "00:50:56:3a:00:10" */
  const char *guid;              /* the old interface, "{...}" */
  const char *const *v4_addrs, *const *v4_masks;  /* as many of each */
  const char *const *v4_gateways;
  const char *const *v4_dns, *const *v6_dns;
};

/* Whether S may go unquoted into a .cmd script: letters, digits and
 * .:-_{}/ only (addresses, GUIDs, service names). */
bool winplan_safe (const char *s);
/* Whether S may go into a .cmd script between double quotes: a Windows
 * path of letters, digits, spaces and .:-_()\ only. */
bool winplan_safe_path (const char *s);

/* The first-boot runner, firstboot.cmd in DIR (the Windows path of its
 * directory): it runs each actions\*.cmd in name order, once, logging
 * to DIR\firstboot.log.  The caller frees the texts. */
char *winplan_runner (const char *dir);
/* The action that installs the staged drivers: pnputil on each INF
 * (Windows paths), with the syntax of Windows MAJOR. */
char *winplan_drivers_action (unsigned major, const char *const *infs);
/* The action that installs the guest agent MSI (a file name in the
 * first-boot directory). */
char *winplan_agent_action (const char *msi);
/* The action that removes VMware Tools (its product code, "{GUID}") and
 * disables SERVICES when msiexec fails. */
char *winplan_tools_action (const char *product, const char *const *services);
/* The action that gives the NIC with IP's MAC its old configuration;
 * NULL with errno EINVAL when a value is not safe. */
char *winplan_ip_action (const struct win_static_ip *ip);

#endif
