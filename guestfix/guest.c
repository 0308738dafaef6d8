/* See fix.h.  Every change to the guest goes through fix_write, a
 * plan (plan.c) or a command the steps run, so a dry run stops at these
 * few places, and every change is reported where it is planned. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fix.h"

const char *
fix_gerror (const struct fix *f)
{
  const char *m = guestfs_last_error (f->g);

  return m ? m : "unknown libguestfs error";
}

bool
fix_exists (const struct fix *f, const char *path)
{
  return guestfs_exists (f->g, path) == 1;
}

bool
fix_is_file (const struct fix *f, const char *path)
{
  return guestfs_is_file (f->g, path) == 1;
}

void
fix_free_strv (char **v)
{
  edit_free_strv (v);
}

char **
fix_glob (struct fix *f, const char *pattern)
{
  char **v = guestfs_glob_expand (f->g, pattern);

  if (v == NULL)
    report_warn (f->r, "%s: %s", pattern, fix_gerror (f));
  return v;
}

char *
fix_read (struct fix *f, const char *path, bool *err)
{
  size_t size;
  char *data, *s;

  *err = false;
  if (!fix_exists (f, path))
    return NULL;
  if ((data = guestfs_read_file (f->g, path, &size)) == NULL) {
    *err = true;
    report_warn (f->r, "%s: cannot read it: %s", path, fix_gerror (f));
    return NULL;
  }
  /* A text file holds no NUL: anything else is left alone, since the
   * edits work on C strings and would cut it short. */
  if (memchr (data, '\0', size) || (s = malloc (size + 1)) == NULL) {
    *err = true;
    report_warn (f->r, "%s: not a text file: left alone", path);
    free (data);
    return NULL;
  }
  memcpy (s, data, size);
  s[size] = '\0';
  free (data);
  return s;
}

int
fix_write (struct fix *f, const char *path, const char *content)
{
  bool created;

  if (f->dry_run)
    return 0;
  created = !fix_exists (f, path);
  if (guestfs_write (f->g, path, content, strlen (content)) == -1 ||
      (created && guestfs_chmod (f->g, 0644, path) == -1)) {
    report_fail (f->r, "%s: cannot write it: %s", path, fix_gerror (f));
    return -1;
  }
  return 0;
}

/* The first line of a command's error: guest commands can say a lot. */
static char *
first_lines (const char *msg)
{
  const char *p = msg;
  int lines = 0;

  while (*p && lines < 3) {
    const char *nl = strchr (p, '\n');
    if (nl == NULL)
      return strdup (msg);
    p = nl + 1;
    lines++;
  }
  return strndup (msg, (size_t) (p - msg) - (p > msg && p[-1] == '\n'));
}

char *
fix_run (struct fix *f, const char *what, char *const *argv, char **error)
{
  char *out;

  report_progress (f->r, "%s", what);
  out = guestfs_command (f->g, argv);
  *error = out ? NULL : first_lines (fix_gerror (f));
  return out;
}

char *
fix_sh (struct fix *f, const char *what, const char *cmd, char **error)
{
  char *const argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) cmd, NULL };

  return fix_run (f, what, argv, error);
}

bool
fix_safe_word (const char *s)
{
  if (*s == '\0' || *s == '-')
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || strchr ("._+-:/@=", *s)))
      return false;
  return true;
}

/* The device inspection mounted at MP, or NULL. */
static const char *
mounted_at (const struct fix *f, const char *mp)
{
  size_t i;

  for (i = 0; f->mountpoints && f->mountpoints[i] && f->mountpoints[i + 1]; i += 2)
    if (strcmp (f->mountpoints[i], mp) == 0)
      return f->mountpoints[i + 1];
  return NULL;
}

/* The appliance's name for the guest's device DEV: the same disk
 * (appliance disks are added in domain.xml's order, which is VMware's:
 * SCSI, SATA, NVMe, IDE, each by controller and unit) and partition. */
static char *
appliance_device (const struct fix *f, const char *dev)
{
  const char *part;
  size_t disk;
  unsigned pn;
  char letters[8], *r;
  int kind = edit_parse_disk_name (dev, &disk, &pn);

  if (kind >= 0) {
    /* A namespace of a second NVMe controller is a disk of the VM's
     * only when the VM has one (edit.h). */
    if (disk >= f->n_disks || (kind == 1 && f->n_disks != 1))
      return NULL;
  }
  else {
    /* by-path and by-id names say the partition ("-part2"), not the
     * disk in a way that survives the move: only one disk is certain. */
    if (f->n_disks != 1 || strncmp (dev, "/dev/disk/by-", 13) != 0)
      return NULL;
    disk = 0;
    pn = 0;
    part = strstr (dev, "-part");
    if (part) {
      char *end;
      unsigned long v = strtoul (part + 5, &end, 10);
      if (*end || v == 0 || v > 1024)
        return NULL;
      pn = (unsigned) v;
    }
  }
  edit_disk_letters (disk, letters);
  if ((pn ? asprintf (&r, "/dev/sd%s%u", letters, pn) :
       asprintf (&r, "/dev/sd%s", letters)) == -1)
    return NULL;
  return r;
}

/* File system types that blkid and fstab name differently. */
static bool
same_fstype (const char *fstab, const char *blkid)
{
  if (strcmp (fstab, blkid) == 0)
    return true;
  return strncmp (fstab, "ext", 3) == 0 && strncmp (blkid, "ext", 3) == 0;
}

char *
fix_resolve (void *opaque, const char *dev, const char *use,
             const char *fstype, char **why)
{
  struct fix *f = opaque;
  CLEANUP_FREE char *adev = NULL;

  *why = NULL;
  if (use[0] == '/' && mounted_at (f, use))
    adev = strdup (mounted_at (f, use));
  if (adev == NULL)
    adev = appliance_device (f, dev);
  /* root= names the root file system, whatever the name. */
  if (adev == NULL && strcmp (use, "root") == 0)
    adev = strdup (f->root);
  if (adev == NULL) {
    if (asprintf (why, "cannot tell which of the VM's %zu disks it is", f->n_disks) == -1)
      *why = NULL;
    return NULL;
  }
  return fix_stable_name (f, adev, fstype, why);
}

char *
fix_stable_name (struct fix *f, const char *adev, const char *fstype, char **why)
{
  CLEANUP_FREE char *type = NULL, *uuid = NULL, *label = NULL;
  char *r;

  *why = NULL;
  guestfs_push_error_handler (f->g, NULL, NULL);
  type = guestfs_vfs_type (f->g, adev);
  uuid = type ? guestfs_vfs_uuid (f->g, adev) : NULL;
  label = type ? guestfs_vfs_label (f->g, adev) : NULL;
  guestfs_pop_error_handler (f->g);
  if (type == NULL || type[0] == '\0') {
    if (asprintf (why, "%s holds no file system or swap", adev) == -1)
      *why = NULL;
    return NULL;
  }
  if (fstype && strcmp (fstype, "auto") != 0 && !same_fstype (fstype, type)) {
    if (asprintf (why, "the guest expects %s there, but %s holds %s", fstype,
                  adev, type) == -1)
      *why = NULL;
    return NULL;
  }
  if (uuid && uuid[0])
    return asprintf (&r, "UUID=%s", uuid) == -1 ? NULL : r;
  if (label && label[0])
    return asprintf (&r, "LABEL=%s", label) == -1 ? NULL : r;
  if (asprintf (why, "%s has neither a UUID nor a label", adev) == -1)
    *why = NULL;
  return NULL;
}

/* Inspection names a file system by the appliance's device where it
 * can tell it from fstab's name, and keeps fstab's name where it cannot
 * (libguestfs 1.48 knows no /dev/nvme*): such a name becomes the
 * appliance's device here. */
static void
appliance_mountpoints (struct fix *f)
{
  size_t i;

  for (i = 0; f->mountpoints[i]; i += 2) {
    char *dev = f->mountpoints[i + 1], *adev;
    int r;
    if (!edit_is_unstable_device (dev))
      continue;
    guestfs_push_error_handler (f->g, NULL, NULL);
    r = guestfs_is_blockdev (f->g, dev);
    guestfs_pop_error_handler (f->g);
    if (r != 1 && (adev = appliance_device (f, dev)) != NULL) {
      free (dev);
      f->mountpoints[i + 1] = adev;
    }
  }
}

/* Shortest mount point first. */
int
fix_mount_guest (struct fix *f, bool ro, bool first)
{
  size_t n, i, j;

  if (f->mountpoints == NULL) {
    if ((f->mountpoints = guestfs_inspect_get_mountpoints (f->g, f->root)) == NULL)
      return report_fail (f->r, "inspection: %s", fix_gerror (f)), -1;
    appliance_mountpoints (f);
  }
  for (n = 0; f->mountpoints[n]; n += 2)
    ;
  /* Insertion sort of the (mount point, device) pairs by length. */
  for (i = 2; i < n; i += 2)
    for (j = i; j >= 2 && strlen (f->mountpoints[j]) < strlen (f->mountpoints[j - 2]);
         j -= 2) {
      char *m = f->mountpoints[j], *dv = f->mountpoints[j + 1];
      f->mountpoints[j] = f->mountpoints[j - 2];
      f->mountpoints[j + 1] = f->mountpoints[j - 1];
      f->mountpoints[j - 2] = m;
      f->mountpoints[j - 1] = dv;
    }
  for (i = 0; i < n; i += 2) {
    int r = ro ? guestfs_mount_ro (f->g, f->mountpoints[i + 1], f->mountpoints[i])
               : guestfs_mount (f->g, f->mountpoints[i + 1], f->mountpoints[i]);
    if (r == -1) {
      if (strcmp (f->mountpoints[i], "/") == 0)
        return report_fail (f->r, "cannot mount the root file system %s: %s",
                            f->mountpoints[i + 1], fix_gerror (f)), -1;
      if (first)
        report_warn (f->r, "cannot mount %s on %s: %s", f->mountpoints[i + 1],
                     f->mountpoints[i], fix_gerror (f));
    }
  }
  return 0;
}
