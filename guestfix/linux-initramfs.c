/* The initramfs step of the Linux fix (linux.h).  A kernel that has
 * virtio_blk as a module mounts a virtio root only if its initramfs
 * holds the module: the tool that builds the guest's initramfs
 * (the first of its family's that it has) is told to add the virtio
 * drivers, and the initramfs is rebuilt.  It is rebuilt too when a step
 * changed a file the initramfs keeps a copy of (LVM's configuration).
 *
 * Rebuilding is the slowest part of a fix (tens of seconds a kernel
 * under TCG), so only the newest kernel, the one that boots, is rebuilt
 * for sure; an older one only when its initramfs lacks virtio_blk.
 *
 * The tools: initramfs-tools(7) reads /etc/initramfs-tools/modules, one
 * module a line; dracut.conf(5) reads drop-ins in /etc/dracut.conf.d,
 * where add_drivers+=" ... " adds drivers to every image it builds;
 * SUSE's mkinitrd builds the initrd of the kernel image -k into the file
 * -i, both named in /boot (see mkinitrd_config for what it reads). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "linux.h"

static const char *const virtio_storage[] = { "virtio_pci", "virtio_blk", "virtio_scsi" };
/* Where each tool's command is: the guest has the tool if one exists. */
static const char *const update_initramfs_paths[] = {
  "/usr/sbin/update-initramfs", "/sbin/update-initramfs", NULL,
};
static const char *const dracut_paths[] = {
  "/usr/bin/dracut", "/sbin/dracut", "/usr/sbin/dracut", NULL,
};
static const char *const mkinitrd_paths[] = {
  "/usr/bin/mkinitrd", "/sbin/mkinitrd", "/usr/sbin/mkinitrd", NULL,
};

struct initramfs_tool {
  enum linux_initramfs_tool id;
  const char *name;              /* for the report */
  const char *command;           /* what regenerates an image */
  const char *const *paths;      /* where the command is: installed if one exists */
  const char *lister;            /* what lists an image's files */
  /* Plan the tool's configuration to add the modules NEED says: 1 when
   * it changes, 0 when not, -1 on error. */
  int (*config) (struct fix *f, struct plan *p, const bool need[3]);
};

/* initramfs-tools: the modules file lists one module a line. */
static int
initramfs_tools_config (struct fix *f, struct plan *p, const bool need[3])
{
  static const char path[] = "/etc/initramfs-tools/modules";
  bool err;
  CLEANUP_FREE char *text = fix_read (f, path, &err);
  CLEANUP_FREE char *out = NULL;
  size_t i;

  if (text == NULL && err)
    return report_fail (f->r, "%s: cannot read it", path), -1;
  if (asprintf (&out, "%s", text ? text : "") == -1)
    return report_fail (f->r, "out of memory"), -1;
  for (i = 0; i < 3; i++) {
    const char *s = out;
    size_t n = strlen (virtio_storage[i]);
    bool listed = false;
    char *nn;
    if (!need[i])
      continue;
    /* Listed: a line that starts with the name, then ends or a blank. */
    while (s && *s) {
      while (*s == ' ' || *s == '\t')
        s++;
      if (strncmp (s, virtio_storage[i], n) == 0 &&
          (s[n] == '\n' || s[n] == ' ' || s[n] == '\t' || s[n] == '\0'))
        listed = true;
      s = strchr (s, '\n');
      if (s)
        s++;
    }
    if (listed)
      continue;
    if (asprintf (&nn, "%s%s%s\n", out, out[0] && out[strlen (out) - 1] != '\n' ?
                  "\n" : "", virtio_storage[i]) == -1)
      return report_fail (f->r, "out of memory"), -1;
    free (out);
    out = nn;
    report_change (f->r, path, "added %s (a virtio root needs it in the initramfs)",
                   virtio_storage[i]);
  }
  if (text && strcmp (text, out) == 0)
    return 0;
  return plan_write (f, p, path, out) == -1 ? -1 : 1;
}

/* dracut: a drop-in adds the drivers to every image it builds. */
static int
dracut_config (struct fix *f, struct plan *p, const bool need[3])
{
  char text[256];
  size_t i, len;

  len = (size_t) snprintf (text, sizeof text, "# Written by v2vfs-fix: the drivers "
                           "of a virtio root disk.\nadd_drivers+=\"");
  for (i = 0; i < 3; i++)
    if (need[i])
      len += (size_t) snprintf (text + len, sizeof text - len, " %s", virtio_storage[i]);
  snprintf (text + len, sizeof text - len, " \"\n");
  if (plan_mkdir (f, p, "/etc/dracut.conf.d") == -1)
    return -1;
  return plan_put (f, p, "/etc/dracut.conf.d/v2vfs-virtio.conf", text,
                   "add_drivers for a virtio root disk");
}

static int
edit_initrd_modules_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  return edit_shell_list_add (in, "INITRD_MODULES", arg, out, log);
}

/* SUSE's mkinitrd: before SLES 12 a tool of its own, which reads
 * INITRD_MODULES in /etc/sysconfig/kernel; since, a wrapper of dracut,
 * which reads /etc/dracut.conf.d and no longer INITRD_MODULES (SUSE's
 * bug 895084: SLES 12 dropped the file).  Each is told where it is. */
static int
mkinitrd_config (struct fix *f, struct plan *p, const bool need[3])
{
  const bool sysconfig = fix_is_file (f, "/etc/sysconfig/kernel");
  const char *words[4];
  size_t i, n = 0;
  int r = 0, d = 0;

  for (i = 0; i < 3; i++)
    if (need[i])
      words[n++] = virtio_storage[i];
  words[n] = NULL;
  if (sysconfig &&
      (r = plan_edit (f, p, "/etc/sysconfig/kernel", edit_initrd_modules_fn, words)) == -1)
    return -1;
  for (i = 0; dracut_paths[i] && !fix_exists (f, dracut_paths[i]); i++)
    ;
  if ((dracut_paths[i] || !sysconfig) && (d = dracut_config (f, p, need)) == -1)
    return -1;
  return r || d;
}

static const struct initramfs_tool tools[] = {
  { LINUX_INITRAMFS_TOOLS, "initramfs-tools", "update-initramfs", update_initramfs_paths,
    "lsinitramfs", initramfs_tools_config },
  { LINUX_INITRAMFS_DRACUT, "dracut", "dracut", dracut_paths, "lsinitrd", dracut_config },
  { LINUX_INITRAMFS_MKINITRD, "mkinitrd", "mkinitrd", mkinitrd_paths, "lsinitrd",
    mkinitrd_config },
};

/* The first tool of the family's list that the guest has, or NULL. */
static const struct initramfs_tool *
find_tool (struct fix *f)
{
  const enum linux_initramfs_tool *ids = f->family->initramfs;
  size_t i, j, k;

  for (i = 0; ids[i] != LINUX_INITRAMFS_NONE; i++)
    for (j = 0; j < sizeof tools / sizeof *tools; j++)
      for (k = 0; tools[j].id == ids[i] && tools[j].paths[k]; k++)
        if (fix_exists (f, tools[j].paths[k]))
          return &tools[j];
  return NULL;
}

/* The initramfs of kernel K, where the tools keep it (NULL if none). */
static char *
initrd_of (struct fix *f, const struct fix_kernel *k)
{
  static const struct { const char *before, *after; } forms[] = {
    { "/boot/initrd.img-", "" },         /* initramfs-tools */
    { "/boot/initramfs-", ".img" },      /* dracut (Red Hat) */
    { "/boot/initrd-", "" },             /* dracut (SUSE) */
    { "/boot/initrd-", ".img" },
  };
  size_t i;

  for (i = 0; i < sizeof forms / sizeof *forms; i++) {
    char *p;
    if (asprintf (&p, "%s%s%s", forms[i].before, k->version, forms[i].after) == -1)
      return NULL;
    if (fix_exists (f, p))
      return p;
    free (p);
  }
  return NULL;
}

/* Whether the initramfs INITRD holds virtio_blk. */
static bool
initrd_has_virtio (struct fix *f, const struct initramfs_tool *tool, const char *initrd)
{
  CLEANUP_FREE char *cmd = NULL, *out = NULL, *err = NULL, *what = NULL;

  if (!fix_safe_word (initrd) ||
      asprintf (&cmd, "%s %s | grep -c '/virtio_blk\\.ko'", tool->lister, initrd) == -1 ||
      asprintf (&what, "looking for virtio_blk in %s", initrd) == -1)
    return false;
  out = fix_sh (f, what, cmd, &err);
  return out && atoi (out) > 0;
}

/* The modules the initramfs must hold for a virtio root: those that some
 * kernel has as a module (a built-in one needs no listing). */
static void
needed_modules (const struct fix *f, bool need[3])
{
  size_t i;

  need[0] = need[1] = need[2] = false;
  for (i = 0; i < f->n_kernels; i++) {
    const struct fix_kernel *k = &f->kernels[i];
    need[0] |= k->virtio_pci && !k->builtin_pci;
    need[1] |= k->virtio_blk && !k->builtin_blk;
    need[2] |= k->virtio_scsi && !k->builtin_scsi;
  }
}

/* The plan's own part: the tool, and which kernels' images it rebuilds
 * (the step's data). */
struct initramfs_plan {
  const struct initramfs_tool *tool;
  size_t n;
  bool regen[];                  /* a kernel each, as in f->kernels */
};

/* What the report says of the image rebuilt for kernel K. */
static void
report_regen (struct fix *f, const struct fix_kernel *k, const char *initrd)
{
  const char *why = f->initramfs_why;
  const bool module = k->virtio_blk && !k->builtin_blk;

  if (f->dry_run)
    report_change (f->r, initrd ? initrd : "/boot", "regenerate it with %s%s%s",
                   module ? "the virtio drivers" : "", module && why ? " and " : "",
                   why ? why : "");
  else
    report_change (f->r, initrd, "regenerated: it holds %s%s%s",
                   module ? "virtio_blk now" : "", module && why ? " and " : "",
                   why ? why : "");
}

static int
initramfs_inspect (struct fix *f, struct plan *p)
{
  const struct initramfs_tool *tool = find_tool (f);
  const char *why = f->initramfs_why;
  struct initramfs_plan *ip;
  bool need[3];
  size_t i, regen = 0;
  int changed = 0;

  needed_modules (f, need);
  free (f->r->initramfs);
  f->r->initramfs = strdup (tool ? tool->name : "none found");
  if (!need[0] && !need[1] && why == NULL) {
    report_skip (f->r, "initramfs", "every kernel has virtio_blk and virtio_pci "
                 "built in: no initramfs needs them");
    return 0;
  }
  if (tool == NULL && (need[0] || need[1])) {
    report_fail (f->r, "the kernels have virtio_blk as a module, but the guest has "
                 "no initramfs tool of its family (%s) to put it into an initramfs",
                 f->family->name);
    return -1;
  }
  if (tool == NULL) {
    report_warn (f->r, "the initramfs should be rebuilt to hold %s, but the guest "
                 "has no initramfs tool of its family (%s)", why, f->family->name);
    return 0;
  }
  if ((need[0] || need[1]) && (changed = tool->config (f, p, need)) == -1)
    return -1;
  if ((ip = calloc (1, sizeof *ip + f->n_kernels * sizeof *ip->regen)) == NULL)
    return report_fail (f->r, "out of memory"), -1;
  p->step = ip;
  ip->tool = tool;
  ip->n = f->n_kernels;
  /* Newest first: the default kernel is rebuilt whenever anything it
   * holds changed; an older one only when it lacks the driver. */
  for (i = f->n_kernels; i-- > 0; ) {
    const struct fix_kernel *k = &f->kernels[i];
    CLEANUP_FREE char *initrd = initrd_of (f, k);
    const bool module = k->virtio_blk && !k->builtin_blk;
    const bool newest = i + 1 == f->n_kernels;
    bool has = false;
    if (!module && !(why && initrd))
      continue;
    if (initrd && module && (!newest || (!changed && why == NULL)))
      has = initrd_has_virtio (f, tool, initrd);
    if (newest)
      ip->regen[i] = changed || why || initrd == NULL || (module && !has);
    else if (module && !has)
      ip->regen[i] = true;
    else if (why && initrd)
      report_warn (f->r, "%s, the initramfs of the older kernel %s, keeps %s: it "
                   "boots only once %s has rebuilt it in the guest", initrd,
                   k->version, "the old LVM configuration", tool->command);
    if (ip->regen[i] && f->dry_run)
      report_regen (f, k, initrd);
    regen += ip->regen[i];
  }
  if (!changed && regen == 0)
    report_skip (f->r, "initramfs", "every initramfs holds the virtio drivers");
  return 0;
}

/* Rebuild the image of kernel K with TOOL, and read it back. */
static int
regenerate (struct fix *f, const struct initramfs_tool *tool, const struct fix_kernel *k)
{
  CLEANUP_FREE char *initrd = initrd_of (f, k), *what = NULL, *out = NULL,
    *err = NULL, *path = NULL;
  const bool module = k->virtio_blk && !k->builtin_blk;
  const bool suse = tool->id == LINUX_INITRAMFS_MKINITRD;

  if (asprintf (&what, "regenerating the initramfs of %s (%s)", k->version,
                tool->command) == -1 ||
      (initrd == NULL && asprintf (&path, suse ? "/boot/initrd-%s" :
                                   "/boot/initramfs-%s.img", k->version) == -1))
    return report_fail (f->r, "out of memory"), -1;
  if (suse) {
    /* Names in /boot; an image elsewhere has its /boot name. */
    const char *in = initrd ? initrd : path;
    CLEANUP_FREE char *image = NULL;
    if (strncmp (k->image, "/boot/", 6) == 0 ? (image = strdup (k->image + 6)) == NULL :
        asprintf (&image, "vmlinuz-%s", k->version) == -1)
      return report_fail (f->r, "out of memory"), -1;
    char *const argv[] = { (char *) tool->command, (char *) "-k", image, (char *) "-i",
                           (char *) in + 6, NULL };
    out = fix_run (f, what, argv, &err);
  }
  else if (tool->id == LINUX_INITRAMFS_TOOLS) {
    char *const argv[] = { (char *) tool->command, (char *) (initrd ? "-u" : "-c"),
                           (char *) "-k", k->version, NULL };
    out = fix_run (f, what, argv, &err);
  }
  else {
    char *const argv[] = { (char *) tool->command, (char *) "-f",
                           initrd ? initrd : path, k->version, NULL };
    out = fix_run (f, what, argv, &err);
  }
  if (out == NULL)
    return report_fail (f->r, "%s failed: %s", what, err ? err : "unknown error"), -1;
  free (initrd);
  initrd = initrd_of (f, k);
  if (initrd == NULL || (module && !initrd_has_virtio (f, tool, initrd)))
    return report_fail (f->r, "the new initramfs of %s has no virtio_blk",
                        k->version), -1;
  report_regen (f, k, initrd);
  return 0;
}

static int
initramfs_apply (struct fix *f, struct plan *p)
{
  const struct initramfs_plan *ip = p->step;
  size_t i;

  if (plan_apply (f, p) == -1)
    return -1;
  for (i = ip ? ip->n : 0; i-- > 0; )
    if (ip->regen[i] && regenerate (f, ip->tool, &f->kernels[i]) == -1)
      return -1;
  return 0;
}

const struct linux_step linux_step_initramfs = { "initramfs", initramfs_inspect,
                                                 initramfs_apply };
