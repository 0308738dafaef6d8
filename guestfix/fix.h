/* One run of the guest fix: the libguestfs handle on the VM's disks, what
 * domain.xml says of the VM, what inspection found, and the report.
 *
 * guest.c holds the helpers every step uses (reading and writing guest
 * files, running guest commands, naming devices stably); linux.h lists
 * the files that hold the steps of a Linux guest, windows.h those of a
 * Windows guest. */
#ifndef V2V_FIX_H
#define V2V_FIX_H

#include <stdbool.h>
#include <stddef.h>

#include <guestfs.h>

#include "edit.h"
#include "plan.h"
#include "report.h"

/* What v2vfs-fix knows of a kernel of the guest. */
struct fix_kernel {
  char *version;                 /* "6.1.0-28-amd64" */
  char *modules;                 /* its modules: "/lib/modules/VERSION" */
  char *image;                   /* "/boot/vmlinuz-VERSION" */
  bool virtio_blk, virtio_pci, virtio_scsi, virtio_net;  /* has the driver */
  bool builtin_blk, builtin_pci, builtin_scsi;           /* ... built in */
};

/* Where Fedora's and RHEL's virtio-win package puts the drivers. */
#define DEFAULT_VIRTIO_WIN "/usr/share/virtio-win"

struct linux_family;

struct fix {
  guestfs_h *g;
  struct report *r;
  bool dry_run;
  /* The VM, as domain.xml describes it. */
  size_t n_disks;
  char **disks;                  /* the raw views (or the -a targets), in order */
  const char *const *formats;    /* each disk's format ("raw", "qcow2"), given
                                    to libguestfs; NULL: all raw (views) */
  size_t n_macs;
  char (*macs)[18];              /* the NICs' MACs, in order */
  bool efi;
  /* Windows: the virtio-win tree or ISO (NULL: none), and whether a
   * guest with no virtio storage driver stays on SATA and e1000 rather
   * than being refused. */
  const char *virtio_win;       /* default: DEFAULT_VIRTIO_WIN, if it exists */
  bool virtio_win_iso;           /* added to the appliance, last */
  bool allow_unfixed;
  /* The guest. */
  char *root;                    /* the inspected root file system */
  char **mountpoints;            /* inspection's: mount point, device, ... */
  size_t n_kernels;
  struct fix_kernel *kernels;    /* oldest first; the newest boots */
  const struct linux_family *family;   /* linux-family.c */
  /* What the initramfs must be rebuilt to hold even where it has the
   * virtio drivers ("the new LVM configuration": a step changed a file
   * it keeps a copy of), or NULL. */
  const char *initramfs_why;
};

/* ---- guest.c ---- */

/* guestfs's last error, for messages. */
const char *fix_gerror (const struct fix *f);

bool fix_exists (const struct fix *f, const char *path);
bool fix_is_file (const struct fix *f, const char *path);
/* A file's content as a string (NULs cut it short), or NULL when it is
 * missing (*ERR false) or unreadable (*ERR true, reported).  Freed by
 * the caller. */
char *fix_read (struct fix *f, const char *path, bool *err);
/* The paths that match PATTERN (the guest's glob), sorted; the caller
 * frees them with fix_free_strv. */
char **fix_glob (struct fix *f, const char *pattern);
void fix_free_strv (char **v);

/* Write CONTENT to PATH (a new file gets mode 0644), unless this is a
 * dry run.  -1 is reported as the run's error.  The Linux steps write
 * through their plans (plan.h). */
int fix_write (struct fix *f, const char *path, const char *content);

/* Run ARGV in the guest (chrooted, no shell), with a progress line
 * naming WHAT.  Returns its output (the caller frees it), or NULL with
 * the error in *ERROR (freed by the caller). */
char *fix_run (struct fix *f, const char *what, char *const *argv,
               char **error);
/* The same, through the guest's /bin/sh.  CMD must be built only from
 * trusted text and names checked by fix_safe_word. */
char *fix_sh (struct fix *f, const char *what, const char *cmd, char **error);
/* A word that may go into a shell command unquoted: letters, digits and
 * ._+-:/@= only. */
bool fix_safe_word (const char *s);

/* edit_resolve_fn for F: the stable name of a device of the guest. */
char *fix_resolve (void *f, const char *dev, const char *use,
                   const char *fstype, char **why);
/* The stable name ("UUID=...", else "LABEL=...") of the appliance's
 * device (or mountable) ADEV, which should hold FSTYPE (NULL: any); NULL
 * with *WHY when it has none. */
char *fix_stable_name (struct fix *f, const char *adev, const char *fstype,
                       char **why);

/* Mount the guest's file systems as inspection found them, read-only if
 * RO.  Only the FIRST mount reports those that would not mount. */
int fix_mount_guest (struct fix *f, bool ro, bool first);

/* ---- linux.c (linux.h) ---- */

/* Describe the Linux guest mounted at / (read-only is enough) and check
 * that it can be fixed: a kernel that cannot drive a virtio disk stops
 * the run before anything changes. */
int fix_linux_check (struct fix *f);
/* Fix it (mounted read-write, or read-only for a dry run).  -1 when the
 * run failed (the error is in the report). */
int fix_linux (struct fix *f);

/* ---- windows.c ---- */

/* Check and fix the Windows guest (nothing of it mounted yet): mounted
 * read-only for the checks, which refuse a guest that cannot be fixed
 * before anything changes, then read-write (unless dry). */
int fix_windows (struct fix *f);
/* Refuse (-1, reported) when a file system of the VM is BitLocker's:
 * v2vfs-fix can neither read nor write it. */
int fix_refuse_bitlocker (struct fix *f);

#endif
