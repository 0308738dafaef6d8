/* The fix of a Linux guest that grew up on VMware: what must be true
 * before anything changes (its kernels), the order of the steps
 * (fix_linux, at the end, with the reasons for it), and the last step,
 * SELinux.  The other steps are one file each (linux.h).
 *
 * Each step inspects first and plans only what is not right yet, so a
 * second run finds nothing to do.  Where a guest lacks what a step works
 * on (no dracut, no GRUB legacy, no SELinux), the step says so in the
 * report and moves on.  The one thing that stops a run before any change
 * is a kernel that cannot drive a virtio disk: no fix can make that
 * guest boot on virtio.
 *
 * Prior art: virt-v2v's convert_linux does this job for its own output;
 * the GRUB, initramfs and NIC naming rules follow the distros'
 * documented behaviour (grub-mkconfig's 10_linux, initramfs-tools(7),
 * dracut.conf(5), systemd.link(5)). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "linux.h"

/* ---- Kernels and their virtio drivers ------------------------------- */

static int
cmp_kernel (const void *a, const void *b)
{
  const struct fix_kernel *x = a, *y = b;

  return strverscmp (x->version, y->version);
}

/* Mark in K the drivers named on the lines of LINES (module paths, the
 * first field of modules.dep or the lines of modules.builtin). */
static void
mark_drivers (struct fix_kernel *k, char **lines, bool builtin)
{
  static const char *const names[] = { "virtio_blk", "virtio_pci", "virtio_scsi",
                                       "virtio_net" };
  size_t i, j;

  for (i = 0; lines && lines[i]; i++) {
    const char *colon = strchr (lines[i], ':');
    size_t len = colon ? (size_t) (colon - lines[i]) : strlen (lines[i]);
    const char *base = lines[i];
    for (j = 0; j < len; j++)
      if (lines[i][j] == '/')
        base = lines[i] + j + 1;
    for (j = 0; j < sizeof names / sizeof *names; j++) {
      size_t n = strlen (names[j]);
      if (strncmp (base, names[j], n) != 0 || strncmp (base + n, ".ko", 3) != 0)
        continue;
      switch (j) {
      case 0: k->virtio_blk = true; k->builtin_blk = builtin; break;
      case 1: k->virtio_pci = true; k->builtin_pci = builtin; break;
      case 2: k->virtio_scsi = true; k->builtin_scsi = builtin; break;
      default: k->virtio_net = true; break;
      }
    }
  }
}

static void
probe_drivers (struct fix *f, struct fix_kernel *k)
{
  static const char re[] = "^[^:]*/virtio_(blk|pci|scsi|net)\\.ko[^:/]*(:|$)";
  CLEANUP_FREE char *dep = NULL, *builtin = NULL;
  char **lines;

  if (asprintf (&dep, "%s/modules.dep", k->modules) == -1 ||
      asprintf (&builtin, "%s/modules.builtin", k->modules) == -1)
    return;
  guestfs_push_error_handler (f->g, NULL, NULL);
  if (fix_is_file (f, builtin)) {
    lines = guestfs_grep_opts (f->g, re, builtin, GUESTFS_GREP_OPTS_EXTENDED, 1, -1);
    mark_drivers (k, lines, true);
    fix_free_strv (lines);
  }
  if (fix_is_file (f, dep)) {
    lines = guestfs_grep_opts (f->g, re, dep, GUESTFS_GREP_OPTS_EXTENDED, 1, -1);
    mark_drivers (k, lines, false);
    fix_free_strv (lines);
  }
  guestfs_pop_error_handler (f->g);
}

/* Where a kernel's modules are: a merged-/usr guest has both, one a
 * link to the other, and the same version is taken once. */
static const char *const module_dirs[] = { "/lib/modules", "/usr/lib/modules" };
/* Where the image of kernel VERSION may be: /boot under the names the
 * distros and architectures give it (vmlinuz, vmlinux on ppc64, kernel
 * on Gentoo, Image on arm64), else in the modules directory, where
 * Fedora and RHEL 9 ship it (kernel-install copies it to /boot). */
static const char *const image_forms[] = { "/boot/vmlinuz-", "/boot/vmlinux-",
                                           "/boot/kernel-", "/boot/Image-" };
#define NO_KERNEL_MSG "no kernel found: no VERSION under /lib/modules or " \
  "/usr/lib/modules has an image at /boot/vmlinuz-VERSION, " \
  "/boot/vmlinux-VERSION, /boot/kernel-VERSION, /boot/Image-VERSION, " \
  "/lib/modules/VERSION/vmlinuz or /usr/lib/modules/VERSION/vmlinuz"

/* The image of kernel VERSION, the first of the places above that
 * holds one, or NULL; the caller frees it. */
static char *
image_of (struct fix *f, const char *version)
{
  size_t i;

  for (i = 0; i < sizeof image_forms / sizeof *image_forms + 2; i++) {
    char *p;
    int r = i < 4 ? asprintf (&p, "%s%s", image_forms[i], version)
                  : asprintf (&p, "%s/%s/vmlinuz", module_dirs[i - 4], version);
    if (r != -1 && fix_exists (f, p))
      return p;
    if (r != -1)
      free (p);
  }
  return NULL;
}

static bool
known_kernel (const struct fix *f, const char *version)
{
  size_t i;

  for (i = 0; i < f->n_kernels; i++)
    if (strcmp (f->kernels[i].version, version) == 0)
      return true;
  return false;
}

/* The kernels: a version with its modules directory and an image. */
static int
find_kernels (struct fix *f)
{
  size_t i, d;

  for (d = 0; d < sizeof module_dirs / sizeof *module_dirs; d++) {
    char **dirs;
    bool oom = false;
    guestfs_push_error_handler (f->g, NULL, NULL);
    dirs = guestfs_ls (f->g, module_dirs[d]);
    guestfs_pop_error_handler (f->g);
    for (i = 0; dirs && dirs[i] && !oom; i++) {
      struct fix_kernel *k;
      char *image;
      if (!fix_safe_word (dirs[i]) || known_kernel (f, dirs[i]) ||
          (image = image_of (f, dirs[i])) == NULL)
        continue;
      if ((k = realloc (f->kernels, (f->n_kernels + 1) * sizeof *k)) == NULL) {
        free (image);
        oom = true;
        break;
      }
      f->kernels = k;
      k = &k[f->n_kernels];
      memset (k, 0, sizeof *k);
      k->image = image;
      if ((k->version = strdup (dirs[i])) == NULL ||
          asprintf (&k->modules, "%s/%s", module_dirs[d], dirs[i]) == -1) {
        free (k->version);
        free (k->image);
        oom = true;
        break;
      }
      f->n_kernels++;
      probe_drivers (f, k);
    }
    fix_free_strv (dirs);
    if (oom)
      return report_fail (f->r, "out of memory"), -1;
  }
  if (f->n_kernels > 1)
    qsort (f->kernels, f->n_kernels, sizeof *f->kernels, cmp_kernel);
  if ((f->r->kernels = calloc (f->n_kernels + 1, sizeof *f->r->kernels)) == NULL)
    return report_fail (f->r, "out of memory"), -1;
  for (i = 0; i < f->n_kernels; i++)
    if ((f->r->kernels[f->r->n_kernels] = strdup (f->kernels[i].version)) != NULL)
      f->r->n_kernels++;
  return 0;
}

/* Refuse a guest whose kernel cannot drive a virtio disk; decide the
 * NIC model. */
static int
check_kernels (struct fix *f)
{
  const struct fix_kernel *newest;
  size_t i;

  if (f->n_kernels == 0) {
    report_fail (f->r, NO_KERNEL_MSG ": nothing was changed");
    return -1;
  }
  newest = &f->kernels[f->n_kernels - 1];
  if (!newest->virtio_blk || !newest->virtio_pci) {
    report_fail (f->r, "kernel %s has no %s driver (neither a module nor built "
                 "in): it cannot boot from a virtio disk, so nothing was changed",
                 newest->version, newest->virtio_blk ? "virtio_pci" : "virtio_blk");
    return -1;
  }
  for (i = 0; i + 1 < f->n_kernels; i++)
    if (!f->kernels[i].virtio_blk || !f->kernels[i].virtio_pci)
      report_warn (f->r, "kernel %s has no virtio_blk or virtio_pci driver: it "
                   "will not boot on virtio (the default kernel, %s, will)",
                   f->kernels[i].version, newest->version);
  f->r->virtio_blk = true;
  f->r->virtio_net = newest->virtio_net;
  if (!newest->virtio_net)
    report_warn (f->r, "kernel %s has no virtio_net driver: the NICs stay e1000",
                 newest->version);
  return 0;
}

/* ---- SELinux ---------------------------------------------------------- */

/* Files written from the appliance carry no SELinux label: a guest that
 * enforces SELinux relabels itself at its next boot. */
static int
selinux_inspect (struct fix *f, struct plan *p)
{
  bool err;
  CLEANUP_FREE char *config = fix_read (f, "/etc/selinux/config", &err);

  if (config == NULL || !edit_selinux_enabled (config)) {
    report_skip (f->r, "SELinux relabel", "the guest does not use SELinux");
    return 0;
  }
  if (!report_changed (f->r)) {
    report_skip (f->r, "SELinux relabel", "nothing was changed");
    return 0;
  }
  if (fix_exists (f, "/.autorelabel"))
    return 0;
  if (plan_write (f, p, "/.autorelabel", "") == -1)
    return -1;
  report_change (f->r, "/.autorelabel", "created: SELinux relabels the guest at its "
                 "next boot");
  return 0;
}

static const struct linux_step linux_step_selinux = { "selinux", selinux_inspect, NULL };

/* ---- The whole fix ---------------------------------------------------- */

static void
describe (struct fix *f)
{
  struct report *r = f->r;
  char *why = NULL;
  int major = guestfs_inspect_get_major_version (f->g, f->root);
  int minor = guestfs_inspect_get_minor_version (f->g, f->root);

  bool err;
  CLEANUP_FREE char *os_release = fix_read (f, "/etc/os-release", &err);

  /* os-release's own name ("Debian GNU/Linux 12 (bookworm)"), where
   * inspection may have only the version file's "12.7". */
  r->product = os_release ? edit_shell_value (os_release, "PRETTY_NAME") : NULL;
  if (r->product == NULL)
    r->product = guestfs_inspect_get_product_name (f->g, f->root);
  r->distro = guestfs_inspect_get_distro (f->g, f->root);
  r->arch = guestfs_inspect_get_arch (f->g, f->root);
  r->package_format = guestfs_inspect_get_package_format (f->g, f->root);
  if (asprintf (&r->version, "%d.%d", major, minor) == -1)
    r->version = NULL;
  r->root = strdup (f->root);
  r->firmware = strdup (f->efi ? "UEFI" : "BIOS");
  r->root_name = fix_stable_name (f, f->root, NULL, &why);
  free (why);
}

int
fix_linux_check (struct fix *f)
{
  describe (f);
  f->family = linux_family (f, f->r->distro);
  report_progress (f->r, "%s, root %s; %s family", f->r->product ? f->r->product :
                   "Linux", f->root, f->family->name);
  return find_kernels (f) == -1 || check_kernels (f) == -1 ? -1 : 0;
}

int
fix_linux (struct fix *f)
{
  /* In this order: remove packages before editing files their scripts
   * may rewrite; settle NIC names and device names before the initramfs
   * is rebuilt (it copies .link files, the resume device and LVM's
   * configuration); rebuild the initramfs before grub.cfg, which lists
   * the initramfs files; relabel last, once every change is known.
   * Each step plans from what the steps before it left, so it inspects
   * only once they have applied their plans. */
  static const struct linux_step *const steps[] = {
    &linux_step_packages, &linux_step_tarball_tools, &linux_step_leftovers,
    &linux_step_network, &linux_step_storage, &linux_step_initramfs,
    &linux_step_bootloader_config, &linux_step_boot_loader, &linux_step_selinux,
  };
  size_t i;
  int r = 0;

  for (i = 0; i < sizeof steps / sizeof *steps && r == 0; i++) {
    const struct linux_step *s = steps[i];
    struct plan p = { 0 };
    double t0 = report_now (f->r);
    r = s->inspect (f, &p);
    if (r == 0 && !f->dry_run)
      r = s->apply ? s->apply (f, &p) : plan_apply (f, &p);
    if (r == 0 && f->r->error)
      r = -1;
    report_step (f->r, s->name, report_now (f->r) - t0);
    plan_free (&p);
  }
  return r;
}
