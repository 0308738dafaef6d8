/* The Windows fix, shared between its files: windows.c (inspection, the
 * checks, the flow), windows-drivers.c (virtio-win, the boot-critical
 * storage driver) and windows-firstboot.c (the first-boot actions, VMware
 * Tools, the static IPs).
 *
 * The registry is edited on the host: each hive is downloaded into a
 * private directory, edited through hivex (hive.h) and uploaded back
 * only when it changed, after a copy of the original is kept beside it
 * in the guest (config\SYSTEM.v2vfs-orig). */
#ifndef V2V_WINDOWS_H
#define V2V_WINDOWS_H

#include "fix.h"
#include "hive.h"
#include "winplan.h"

/* A driver taken from virtio-win. */
struct win_driver {
  char *name;                    /* its directory in the tree: "viostor" */
  const char *os_dir;            /* "2k19" */
  bool fallback;                 /* not the directory made for the guest */
  char *dir;                     /* "viostor/2k19/amd64" */
  char **files;                  /* the file names in it, NULL-terminated */
};

struct win {
  struct win_version v;
  char *edition;                 /* "ServerStandard" */
  char *controlset;              /* "ControlSet002", from Select\Current */
  char *sysroot;                 /* the guest path: "/Windows" */
  char *win_sysroot;             /* the same for Windows: "C:\Windows" */
  char *tmp;                     /* a private directory on the host */
  /* The hives: their guest paths and the host copies being edited. */
  char *system_path, *software_path;
  struct hive *system, *software;
  struct edit_log log;           /* the hives' change lines */
  /* virtio-win: the files of the tree (paths relative to its top), and
   * where they are read from: a host directory, or the ISO's device in
   * the appliance. */
  char **tree;
  char *tree_dir;
  char *iso_dev;
  size_t n_drivers;
  struct win_driver *drivers;
  const struct win_driver *storage;  /* viostor, else vioscsi, else NULL */
  char *agent_msi;               /* the guest agent's path in the tree */
};

/* ---- windows-drivers.c ---- */

/* List the virtio-win tree (F's --virtio-win) into W->tree; the ISO is
 * read with nothing of the guest mounted. */
int win_list_tree (struct fix *f, struct win *w);
/* Choose the drivers for the guest, and say which in the report. */
int win_choose_drivers (struct fix *f, struct win *w);
/* Copy the chosen drivers into the guest: the staged packages, the
 * storage driver into System32\drivers with its service. */
int win_install_drivers (struct fix *f, struct win *w);
/* The path of FILE (relative to the tree) on the host: the tree's own, or
 * a copy fetched from the ISO before the guest was mounted; the caller
 * frees it.  NULL on ENOMEM (reported). */
char *win_tree_file (struct fix *f, struct win *w, const char *file);
/* Fetch from the ISO every file the chosen drivers need. */
int win_fetch_from_iso (struct fix *f, struct win *w);

/* ---- windows-firstboot.c ---- */

/* Queue the first-boot actions and the RunOnce entry that runs them;
 * deal with VMware Tools and the static IPs. */
int win_firstboot (struct fix *f, struct win *w);

/* ---- windows.c ---- */

/* Copy the host file SRC to the guest's DST (creating its directory),
 * unless the guest already has those bytes; report it as WHAT.  1 when
 * it changed, 0 when not, -1 on error. */
int win_copy_in (struct fix *f, const char *src, const char *dst, const char *what);
/* Report the hives' change lines collected in W->log. */
void win_report_log (struct fix *f, struct win *w);
/* A guest path with its case as on the disk (NTFS lookups through
 * ntfs-3g care about case): NULL when it does not exist. */
char *win_real_path (struct fix *f, const char *path);

#endif
