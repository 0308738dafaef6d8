/* See windows.h: the flow of the Windows fix, inspection and the checks
 * that refuse a guest whose disks are unsafe to write. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cleanup.h"
#include "fullio.h"
#include "windows.h"

char *
win_real_path (struct fix *f, const char *path)
{
  char *p;

  guestfs_push_error_handler (f->g, NULL, NULL);
  p = guestfs_case_sensitive_path (f->g, path);
  guestfs_pop_error_handler (f->g);
  if (p && !fix_exists (f, p)) {
    free (p);
    p = NULL;
  }
  return p;
}

/* Whether the guest's DST already holds the bytes of the host file FD
 * (SIZE bytes). */
static bool
same_bytes (struct fix *f, int fd, int64_t size, const char *dst)
{
  enum { CHUNK = 1 << 20 };
  CLEANUP_FREE char *buf = malloc (CHUNK);
  int64_t off;

  if (buf == NULL || guestfs_filesize (f->g, dst) != size)
    return false;
  for (off = 0; off < size; off += CHUNK) {
    size_t n = size - off < CHUNK ? (size_t) (size - off) : CHUNK, got;
    CLEANUP_FREE char *g = guestfs_pread (f->g, dst, (int) n, off, &got);
    if (g == NULL || got != n || pread_full (fd, buf, n, off) == -1 ||
        memcmp (g, buf, n) != 0)
      return false;
  }
  return true;
}

int
win_copy_in (struct fix *f, const char *src, const char *dst, const char *what)
{
  CLEANUP_CLOSE int fd = open (src, O_RDONLY | O_CLOEXEC);
  CLEANUP_FREE char *dir = strdup (dst);
  off_t size;

  if (fd == -1 || (size = lseek (fd, 0, SEEK_END)) == -1)
    return report_fail (f->r, "%s: %s", src, strerror (errno)), -1;
  if (dir == NULL)
    return report_fail (f->r, "out of memory"), -1;
  if (fix_is_file (f, dst) && same_bytes (f, fd, size, dst))
    return 0;
  *strrchr (dir, '/') = '\0';
  if (!f->dry_run &&
      ((*dir && guestfs_mkdir_p (f->g, dir) == -1) ||
       guestfs_upload (f->g, src, dst) == -1))
    return report_fail (f->r, "%s: cannot write it: %s", dst, fix_gerror (f)), -1;
  report_change (f->r, dst, "%s", what);
  return 1;
}

void
win_report_log (struct fix *f, struct win *w)
{
  size_t i;

  for (i = 0; i < w->log.changes.n; i++) {
    char *sep = strstr (w->log.changes.v[i], ": ");
    if (sep) {
      *sep = '\0';
      report_change (f->r, w->log.changes.v[i], "%s", sep + 2);
    }
  }
  edit_log_free (&w->log);
  memset (&w->log, 0, sizeof w->log);
}

/* Whether DEV holds BitLocker's header (blkid's name for it).  Not
 * list_filesystems: it leaves out what blkid calls a crypto device. */
static bool
is_bitlocker (struct fix *f, const char *dev)
{
  CLEANUP_FREE char *type = guestfs_vfs_type (f->g, dev);

  return type && strcasecmp (type, "BitLocker") == 0;
}

int
fix_refuse_bitlocker (struct fix *f)
{
  char **parts = guestfs_list_partitions (f->g), **devs = guestfs_list_devices (f->g);
  const char *found = NULL;
  size_t i;
  int r = 0;

  guestfs_push_error_handler (f->g, NULL, NULL);
  for (i = 0; parts && parts[i] && !found; i++)
    if (is_bitlocker (f, parts[i]))
      found = parts[i];
  for (i = 0; devs && devs[i] && !found; i++)
    if (is_bitlocker (f, devs[i]))
      found = devs[i];
  guestfs_pop_error_handler (f->g);
  if (found)
    r = (report_fail (f->r, "%s is BitLocker-encrypted: v2vfs-fix cannot read or "
                      "write it, so nothing was changed; turn BitLocker off in the "
                      "guest (manage-bde -off C:) and export it again", found), -1);
  fix_free_strv (parts);
  fix_free_strv (devs);
  return r;
}

/* Refuse a hibernated guest, or one that Fast Startup may have left so:
 * Windows would resume a kernel whose view of the disks no longer
 * holds. */
static int
check_hibernation (struct fix *f, struct win *w)
{
  CLEANUP_FREE char *hiber = win_real_path (f, "/hiberfil.sys");
  CLEANUP_FREE char *power = NULL, *head = NULL;
  uint32_t fast = 0;
  size_t got = 0;

  if (hiber == NULL || guestfs_filesize (f->g, hiber) <= 0)
    return 0;
  if (asprintf (&power, "%s\\Control\\Session Manager\\Power", w->controlset) == -1)
    return report_fail (f->r, "out of memory"), -1;
  hive_get_dword (w->system, power, "HiberbootEnabled", &fast);
  head = guestfs_pread (f->g, hiber, 4, 0, &got);
  if (fast)
    return report_fail (f->r, "Fast Startup is on (HiberbootEnabled=1) and "
                        "C:\\hiberfil.sys exists: Windows may have shut down into "
                        "hibernation, and writing to its disks is unsafe, so nothing "
                        "was changed; in the guest, turn Fast Startup off "
                        "(powercfg /h off), shut it down and export it again"), -1;
  if (head && got == 4 && (strncasecmp (head, "hibr", 4) == 0 ||
                           strncasecmp (head, "rstr", 4) == 0))
    return report_fail (f->r, "C:\\hiberfil.sys holds a hibernation image: the guest "
                        "is hibernated, and writing to its disks is unsafe, so "
                        "nothing was changed; boot it on VMware, shut it down "
                        "(shutdown /s /t 0) and export it again"), -1;
  return 0;
}

/* Download the hive at PATH (under the system root) and open it. */
static struct hive *
open_hive (struct fix *f, struct win *w, const char *rel, const char *name,
           char **guest_path)
{
  CLEANUP_FREE char *want = NULL, *local = NULL;
  struct hive *h;
  struct v2_error e;

  if (asprintf (&want, "%s/System32/config/%s", w->sysroot, rel) == -1 ||
      asprintf (&local, "%s/%s", w->tmp, rel) == -1)
    return report_fail (f->r, "out of memory"), NULL;
  if ((*guest_path = win_real_path (f, want)) == NULL)
    return report_fail (f->r, "%s: no such hive", want), NULL;
  if (guestfs_download (f->g, *guest_path, local) == -1)
    return report_fail (f->r, "%s: %s", *guest_path, fix_gerror (f)), NULL;
  if ((h = hive_open (local, name, true, &e)) == NULL)
    report_fail (f->r, "%s: %s", *guest_path, e.msg);
  return h;
}

/* What inspection and the SOFTWARE hive say of the guest. */
static int
describe (struct fix *f, struct win *w)
{
  static const char cv[] = "Microsoft\\Windows NT\\CurrentVersion";
  CLEANUP_FREE char *variant = guestfs_inspect_get_product_variant (f->g, f->root);
  CLEANUP_FREE char *build = NULL, *type = NULL;
  struct report *r = f->r;

  w->v.major = (unsigned) guestfs_inspect_get_major_version (f->g, f->root);
  w->v.minor = (unsigned) guestfs_inspect_get_minor_version (f->g, f->root);
  build = hive_get_string (w->software, cv, "CurrentBuildNumber");
  if (build == NULL)
    build = hive_get_string (w->software, cv, "CurrentBuild");
  w->v.build = build ? (unsigned) strtoul (build, NULL, 10) : 0;
  type = hive_get_string (w->software, cv, "InstallationType");
  w->v.server = (variant && strcasecmp (variant, "server") == 0) ||
    (type && strcasecmp (type, "server") == 0);
  w->edition = hive_get_string (w->software, cv, "EditionID");
  free (r->version);
  if (asprintf (&r->version, "%u.%u build %u", w->v.major, w->v.minor, w->v.build) == -1)
    r->version = NULL;
  r->edition = w->edition ? strdup (w->edition) : NULL;
  r->systemroot = strdup (w->win_sysroot);
  r->controlset = strdup (w->controlset);
  report_progress (r, "%s (%s), %s, system root %s, control set %s",
                   r->product ? r->product : "Windows", r->version,
                   w->edition ? w->edition : "no edition", w->win_sysroot,
                   w->controlset);
  return 0;
}

/* The system root as Windows writes it: /Windows -> C:\Windows. */
static char *
windows_path (const char *guest)
{
  char *p, *s;

  if (asprintf (&p, "C:%s", guest) == -1)
    return NULL;
  for (s = p; *s; s++)
    if (*s == '/')
      *s = '\\';
  return p;
}

static int
inspect (struct fix *f, struct win *w)
{
  CLEANUP_FREE char *arch = guestfs_inspect_get_arch (f->g, f->root);
  struct report *r = f->r;

  r->distro = strdup ("windows");
  r->product = guestfs_inspect_get_product_name (f->g, f->root);
  r->arch = arch ? strdup (arch) : NULL;
  r->root = strdup (f->root);
  w->sysroot = guestfs_inspect_get_windows_systemroot (f->g, f->root);
  w->controlset = guestfs_inspect_get_windows_current_control_set (f->g, f->root);
  if (w->sysroot == NULL || w->controlset == NULL)
    return report_fail (r, "inspection found no Windows system root or control set: "
                        "%s", fix_gerror (f)), -1;
  if ((w->win_sysroot = windows_path (w->sysroot)) == NULL)
    return report_fail (r, "out of memory"), -1;
  if (!winplan_safe_path (w->win_sysroot))
    return report_fail (r, "the system root %s has characters v2vfs-fix does not "
                        "put into scripts", w->win_sysroot), -1;
  if (arch == NULL || strcmp (arch, "x86_64") != 0)
    return report_fail (r, "the guest is %s Windows: v2vfs-fix fixes x86-64 Windows",
                        arch ? arch : "unknown"), -1;
  return fix_refuse_bitlocker (f);
}

/* Write back each hive that changed, after a copy of the original. */
static int
commit_hives (struct fix *f, struct win *w)
{
  struct { struct hive *h; const char *path, *name; } hv[] = {
    { w->system, w->system_path, "SYSTEM" },
    { w->software, w->software_path, "SOFTWARE" },
  };
  size_t i;

  for (i = 0; i < 2; i++) {
    CLEANUP_FREE char *backup = NULL, *local = NULL;
    struct v2_error e;
    if (!hive_changed (hv[i].h))
      continue;
    if (asprintf (&backup, "%s.v2vfs-orig", hv[i].path) == -1 ||
        asprintf (&local, "%s/%s.new", w->tmp, hv[i].name) == -1)
      return report_fail (f->r, "out of memory"), -1;
    if (!fix_exists (f, backup)) {
      if (!f->dry_run && guestfs_cp (f->g, hv[i].path, backup) == -1)
        return report_fail (f->r, "%s: %s", backup, fix_gerror (f)), -1;
      report_change (f->r, backup, "the %s hive as it was before v2vfs-fix",
                     hv[i].name);
    }
    if (!f->dry_run &&
        (hive_commit (hv[i].h, local, &e) == -1 ||
         guestfs_upload (f->g, local, hv[i].path) == -1))
      return report_fail (f->r, "%s: cannot write it: %s", hv[i].path,
                          f->g && guestfs_last_error (f->g) ? fix_gerror (f) :
                          e.msg), -1;
  }
  win_report_log (f, w);
  return 0;
}

static int
fix_it (struct fix *f, struct win *w)
{
  if (inspect (f, w) == -1 || win_list_tree (f, w) == -1 ||
      fix_mount_guest (f, true, true) == -1 ||
      (w->system = open_hive (f, w, "SYSTEM", "HKLM\\SYSTEM", &w->system_path)) == NULL ||
      (w->software = open_hive (f, w, "SOFTWARE", "HKLM\\SOFTWARE",
                                &w->software_path)) == NULL ||
      describe (f, w) == -1 || check_hibernation (f, w) == -1 ||
      win_choose_drivers (f, w) == -1)
    return -1;
  /* The ISO is read with the guest unmounted, then the guest is mounted
   * again, read-write unless dry. */
  if (guestfs_umount_all (f->g) == -1 ||
      (w->iso_dev && win_fetch_from_iso (f, w) == -1) ||
      fix_mount_guest (f, f->dry_run, false) == -1)
    return report_fail (f->r, "cannot mount the guest %s: %s",
                        f->dry_run ? "again" : "read-write", fix_gerror (f)), -1;
  if (win_install_drivers (f, w) == -1 || win_firstboot (f, w) == -1 ||
      commit_hives (f, w) == -1)
    return -1;
  f->r->virtio_blk = w->storage && strcasecmp (w->storage->name, "viostor") == 0;
  f->r->virtio_scsi = w->storage && !f->r->virtio_blk;
  return 0;
}

static int
remove_one (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  return type == FTW_DP ? rmdir (path) : unlink (path);
}

int
fix_windows (struct fix *f)
{
  struct win w = { 0 };
  const char *tmpdir = getenv ("TMPDIR");
  size_t i, j;
  int r;

  if (asprintf (&w.tmp, "%s/v2vfs-fix.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp") == -1 ||
      mkdtemp (w.tmp) == NULL) {
    report_fail (f->r, "cannot make a private directory: %s", strerror (errno));
    free (w.tmp);
    return -1;
  }
  r = fix_it (f, &w);
  hive_close (w.system);
  hive_close (w.software);
  edit_log_free (&w.log);
  /* The directory holds only what this run put there. */
  if (nftw (w.tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
    report_warn (f->r, "%s: could not remove it: %s", w.tmp, strerror (errno));
  for (i = 0; i < w.n_drivers; i++) {
    free (w.drivers[i].name);
    free (w.drivers[i].dir);
    for (j = 0; w.drivers[i].files && w.drivers[i].files[j]; j++)
      free (w.drivers[i].files[j]);
    free (w.drivers[i].files);
  }
  free (w.drivers);
  fix_free_strv (w.tree);
  free (w.tree_dir);
  free (w.iso_dev);
  free (w.agent_msi);
  free (w.edition);
  free (w.controlset);
  free (w.sysroot);
  free (w.win_sysroot);
  free (w.system_path);
  free (w.software_path);
  free (w.tmp);
  return r;
}
