/* The fix of a Linux guest that grew up on VMware, step by step (see
 * fix_linux at the end for the order and the reasons for it).
 *
 * Each step first looks at what the guest has, then changes only what
 * is not right yet, so a second run finds nothing to do.  Where a guest
 * lacks what a step works on (no dracut, no GRUB legacy, no SELinux),
 * the step says so in the report and moves on.  The one thing that
 * stops a run before any change is a kernel that cannot drive a virtio
 * disk: no fix can make that guest boot on virtio.
 *
 * Prior art: virt-v2v's convert_linux does this job for its own output;
 * the GRUB, initramfs and NIC naming rules below follow the distros'
 * documented behaviour (grub-mkconfig's 10_linux, initramfs-tools(7),
 * dracut.conf(5), systemd.link(5)). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fix.h"
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

/* Whether kernel VERSION has an image in one of the places above. */
static bool
has_image (struct fix *f, const char *version)
{
  size_t i;

  for (i = 0; i < sizeof image_forms / sizeof *image_forms + 2; i++) {
    CLEANUP_FREE char *p = NULL;
    int r = i < 4 ? asprintf (&p, "%s%s", image_forms[i], version)
                  : asprintf (&p, "%s/%s/vmlinuz", module_dirs[i - 4], version);
    if (r != -1 && fix_exists (f, p))
      return true;
  }
  return false;
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
      if (!fix_safe_word (dirs[i]) || known_kernel (f, dirs[i]) ||
          !has_image (f, dirs[i]))
        continue;
      if ((k = realloc (f->kernels, (f->n_kernels + 1) * sizeof *k)) == NULL) {
        oom = true;
        break;
      }
      f->kernels = k;
      k = &k[f->n_kernels];
      memset (k, 0, sizeof *k);
      if ((k->version = strdup (dirs[i])) == NULL ||
          asprintf (&k->modules, "%s/%s", module_dirs[d], dirs[i]) == -1) {
        free (k->version);
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

/* ---- VMware tools --------------------------------------------------- */

static bool
is_vmware_package (const char *name)
{
  static const char *const prefixes[] = {
    "open-vm-tools", "open-vm-toolbox", "open-vm-dkms", "kmod-open-vm-tools",
    "vmware-tools", "vmware-open-vm-tools", "VMwareTools",
  };
  size_t i;

  for (i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
    if (strncmp (name, prefixes[i], strlen (prefixes[i])) == 0)
      return true;
  return false;
}

static int
remove_packages (struct fix *f, const char *format)
{
  struct guestfs_application2_list *apps =
    guestfs_inspect_list_applications2 (f->g, f->root);
  CLEANUP_FREE char **argv = NULL;
  CLEANUP_FREE char *names = NULL, *err = NULL, *out = NULL;
  size_t i, n = 0, len = 0;
  bool deb = format && strcmp (format, "deb") == 0;
  bool rpm = format && strcmp (format, "rpm") == 0;

  if (apps == NULL) {
    report_warn (f->r, "cannot list the installed packages: %s", fix_gerror (f));
    return 0;
  }
  argv = calloc (apps->len + 5, sizeof *argv);
  names = calloc (1, 1);
  if (argv == NULL || names == NULL) {
    guestfs_free_application2_list (apps);
    report_fail (f->r, "out of memory");
    return -1;
  }
  if (deb) {
    argv[n++] = (char *) "env";
    argv[n++] = (char *) "DEBIAN_FRONTEND=noninteractive";
    argv[n++] = (char *) "dpkg";
    argv[n++] = (char *) "--purge";
  }
  else {
    argv[n++] = (char *) "rpm";
    argv[n++] = (char *) "-e";
  }
  for (i = 0; i < apps->len; i++) {
    const char *name = apps->val[i].app2_name;
    char *nn;
    if (!is_vmware_package (name) || !fix_safe_word (name))
      continue;
    argv[n++] = (char *) name;
    if (asprintf (&nn, "%s%s%s", names, len ? " " : "", name) == -1)
      continue;
    free (names);
    names = nn;
    len++;
  }
  if (len == 0) {
    report_skip (f->r, "VMware tools packages", "none installed");
    goto out;
  }
  if (!deb && !rpm) {
    report_warn (f->r, "VMware tools packages (%s): this guest's package manager "
                 "(%s) is not one v2vfs-fix drives; remove them in the guest",
                 names, format ? format : "unknown");
    goto out;
  }
  if (!f->dry_run) {
    CLEANUP_FREE char *what = NULL;
    if (asprintf (&what, "removing VMware tools: %s %s", deb ? "dpkg --purge" : "rpm -e",
                  names) == -1)
      what = NULL;
    out = fix_run (f, what ? what : "removing VMware tools", argv, &err);
    if (out == NULL) {
      report_warn (f->r, "the guest's package manager did not remove %s: %s",
                   names, err ? err : "unknown error");
      goto out;
    }
  }
  for (i = 0; i < apps->len; i++) {
    const struct guestfs_application2 *a = &apps->val[i];
    CLEANUP_FREE char *s = NULL;
    if (!is_vmware_package (a->app2_name) || !fix_safe_word (a->app2_name))
      continue;
    if (asprintf (&s, "%s %s%s%s", a->app2_name, a->app2_version,
                  a->app2_release[0] ? "-" : "", a->app2_release) != -1)
      report_removed (f->r, "package", s);
  }
 out:
  guestfs_free_application2_list (apps);
  return f->r->error ? -1 : 0;
}

/* A path from VMware's installer database that may be removed. */
static bool
removable_path (const char *p)
{
  size_t n = strlen (p);

  return p[0] == '/' && n > 1 && !strstr (p, "/../") && !strstr (p, "/./") &&
    !(n >= 3 && strcmp (p + n - 3, "/..") == 0) &&
    strncmp (p, "/proc/", 6) != 0 && strncmp (p, "/sys/", 5) != 0 &&
    strncmp (p, "/dev/", 5) != 0;
}

/* VMware Tools installed from VMware's tarball keep the list of what
 * they installed in /etc/vmware-tools/locations: "file PATH [stamp]",
 * "directory PATH", and "remove_file PATH" when a later step took a file
 * back.  Remove what is still listed, then the tools' own directory,
 * init scripts and units. */
static int
remove_tarball_files (struct fix *f)
{
  static const char *const units[] = {
    "/etc/init.d/vmware-tools", "/etc/rc.d/init.d/vmware-tools",
    "/etc/init.d/vmware-tools-thinprint",
    "/etc/systemd/system/vmware-tools.service",
    "/etc/systemd/system/vmware-tools-thinprint.service",
    "/etc/rc[0-6S].d/[SK][0-9][0-9]vmware-tools*",
    "/etc/rc.d/rc[0-6].d/[SK][0-9][0-9]vmware-tools*",
    "/etc/systemd/system/*.wants/vmware-tools*.service",
    "/usr/lib/vmware-tools", "/etc/vmware-tools",
  };
  bool err;
  CLEANUP_FREE char *db = fix_read (f, "/etc/vmware-tools/locations", &err);
  char *line, *save = NULL;
  char **files = NULL;
  size_t n = 0, i, j;

  for (line = db ? strtok_r (db, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save)) {
    char *sp;
    bool add = strncmp (line, "file ", 5) == 0;
    bool del = strncmp (line, "remove_file ", 12) == 0;
    char *path = add ? line + 5 : del ? line + 12 : NULL;
    if (path == NULL)
      continue;
    if ((sp = strchr (path, ' ')) != NULL)
      *sp = '\0';
    for (i = 0; i < n && strcmp (files[i], path) != 0; i++)
      ;
    if (del && i < n)
      files[i] = files[--n];
    else if (add && i == n && removable_path (path)) {
      char **v = realloc (files, (n + 1) * sizeof *v);
      if (v == NULL)
        break;
      files = v;
      files[n++] = path;
    }
  }
  /* Files only: a directory the database calls a file is left alone. */
  for (i = 0; i < n && !f->r->error; i++)
    if ((fix_exists (f, files[i]) && guestfs_is_dir (f->g, files[i]) != 1) ||
        guestfs_is_symlink (f->g, files[i]) == 1)
      fix_remove (f, files[i], false, "file");
  free (files);
  for (i = 0; i < sizeof units / sizeof *units && !f->r->error; i++) {
    char **paths = fix_glob (f, units[i]);
    for (j = 0; paths && paths[j] && !f->r->error; j++)
      fix_remove (f, paths[j], true, "file");
    fix_free_strv (paths);
  }
  return f->r->error ? -1 : 0;
}

static int
remove_tarball_tools (struct fix *f)
{
  static const char uninstaller[] = "/usr/bin/vmware-uninstall-tools.pl";
  char *const argv[] = { (char *) uninstaller, NULL };
  CLEANUP_FREE char *out = NULL, *err = NULL;
  bool has_db = fix_is_file (f, "/etc/vmware-tools/locations");

  if (!fix_is_file (f, uninstaller) && !has_db) {
    report_skip (f->r, "VMware Tools from VMware's installer", "not installed");
    return 0;
  }
  if (fix_is_file (f, uninstaller)) {
    if (f->dry_run) {
      report_removed (f->r, "VMware Tools", "by running vmware-uninstall-tools.pl");
      return 0;
    }
    out = fix_run (f, "removing VMware Tools: vmware-uninstall-tools.pl", argv, &err);
    if (out) {
      report_removed (f->r, "VMware Tools", "by running vmware-uninstall-tools.pl");
      /* What it left behind goes below. */
    }
    else
      report_warn (f->r, "vmware-uninstall-tools.pl failed (%s): removing the "
                   "files it installed instead", err ? err : "unknown error");
  }
  if (f->dry_run || fix_is_file (f, "/etc/vmware-tools/locations") ||
      fix_exists (f, "/etc/vmware-tools"))
    return remove_tarball_files (f);
  return 0;
}

/* ---- Other VMware leftovers ------------------------------------------ */

static int
edit_modprobe_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  return edit_modprobe (in, *(const bool *) arg, out, log);
}

static int
edit_xorg_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  (void) arg;
  return edit_xorg (in, out, log);
}

/* See linux.h. */
int
edit_matching (struct fix *f, const char *pattern, fix_edit_fn edit, void *arg)
{
  char **paths = fix_glob (f, pattern);
  size_t i;
  int n = 0, r;

  for (i = 0; paths && paths[i]; i++) {
    if (!fix_is_file (f, paths[i]))
      continue;
    if ((r = fix_edit (f, paths[i], edit, arg)) == -1) {
      n = -1;
      break;
    }
    n += r;
  }
  fix_free_strv (paths);
  return n;
}

static int
vmware_leftovers (struct fix *f)
{
  static const struct { const char *pattern; bool bare; } mods[] = {
    { "/etc/modprobe.d/*", false }, { "/etc/modprobe.conf", false },
    { "/etc/modules", true }, { "/etc/modules-load.d/*.conf", true },
  };
  static const char *const xorg[] = { "/etc/X11/xorg.conf",
                                      "/etc/X11/xorg.conf.d/*.conf" };
  size_t i;
  int n = 0, r;

  for (i = 0; i < sizeof mods / sizeof *mods; i++) {
    if ((r = edit_matching (f, mods[i].pattern, edit_modprobe_fn,
                            (void *) &mods[i].bare)) == -1)
      return -1;
    n += r;
  }
  if (n == 0)
    report_skip (f->r, "VMware drivers in modprobe and module lists", "none forced");
  n = 0;
  for (i = 0; i < sizeof xorg / sizeof *xorg; i++) {
    if ((r = edit_matching (f, xorg[i], edit_xorg_fn, NULL)) == -1)
      return -1;
    n += r;
  }
  if (n == 0)
    report_skip (f->r, "VMware X drivers", "none configured");
  return 0;
}

/* ---- Network -------------------------------------------------------- */

static int
edit_persistent_net_fn (const char *in, void *arg, char **out,
                        struct edit_log *log)
{
  return edit_persistent_net (in, arg, out, log);
}

/* The NIC names of every network configuration the guest has. */
static int
collect_nic_names (struct fix *f, struct edit_nics *nics)
{
  static const struct { const char *pattern; enum edit_netcfg kind; } cfgs[] = {
    { "/etc/network/interfaces", EDIT_NET_IFUPDOWN },
    { "/etc/network/interfaces.d/*", EDIT_NET_IFUPDOWN },
    { "/etc/sysconfig/network-scripts/ifcfg-*", EDIT_NET_IFCFG },
    { "/etc/sysconfig/network/ifcfg-*", EDIT_NET_IFCFG },
    { "/etc/netplan/*.yaml", EDIT_NET_NETPLAN },
    { "/etc/systemd/network/*.network", EDIT_NET_NETWORKD },
    { "/etc/NetworkManager/system-connections/*", EDIT_NET_NM },
  };
  size_t i, j;

  for (i = 0; i < sizeof cfgs / sizeof *cfgs; i++) {
    char **paths = fix_glob (f, cfgs[i].pattern);
    for (j = 0; paths && paths[j]; j++) {
      bool err;
      CLEANUP_FREE char *text = fix_is_file (f, paths[j]) ?
        fix_read (f, paths[j], &err) : NULL;
      if (text && edit_nic_names (text, cfgs[i].kind, paths[j], nics) == -1) {
        fix_free_strv (paths);
        report_fail (f->r, "out of memory");
        return -1;
      }
    }
    fix_free_strv (paths);
  }
  return 0;
}

static bool
vm_has_mac (const struct fix *f, const char *mac)
{
  size_t i;

  for (i = 0; i < f->n_macs; i++)
    if (strcmp (f->macs[i], mac) == 0)
      return true;
  return false;
}

/* See linux.h. */
int
put_file (struct fix *f, const char *path, const char *content, const char *why)
{
  bool err;
  CLEANUP_FREE char *old = fix_read (f, path, &err);

  if (old && strcmp (old, content) == 0)
    return 0;
  if (fix_write (f, path, content) == -1)
    return -1;
  report_change (f->r, path, "%s %s", old ? "rewritten:" : "created:", why);
  return 1;
}

/* The MAC for NIC N, which has none yet: the VM's next NIC that no other
 * entry of NICS claims, from *NEXT on.  NULL when none is left. */
static const char *
next_free_mac (const struct fix *f, const struct edit_nics *nics, size_t *next)
{
  for (; *next < f->n_macs; ++*next) {
    size_t k;
    for (k = 0; k < nics->n && strcmp (nics->v[k].mac, f->macs[*next]) != 0; k++)
      ;
    if (k == nics->n)
      return f->macs[(*next)++];
  }
  return NULL;
}

/* Each NIC the guest configures by name keeps that name under
 * virtio-net, matched by its MAC: systemd's .link files where udev reads
 * them, else one udev rules file. */
static int
network (struct fix *f)
{
  static const char rules_path[] = "/etc/udev/rules.d/70-v2vfs-net.rules";
  struct edit_nics nics = { 0 };
  char *rules = NULL;
  bool links = fix_exists (f, "/usr/lib/systemd/network/99-default.link") ||
    fix_exists (f, "/lib/systemd/network/99-default.link");
  size_t i, next = 0;
  int ret = -1, r, changed = 0;

  if ((r = fix_edit (f, "/etc/udev/rules.d/70-persistent-net.rules",
                     edit_persistent_net_fn, &nics)) == -1 ||
      collect_nic_names (f, &nics) == -1)
    goto out;
  changed += r;
  edit_nics_sort (&nics);
  for (i = 0; i < nics.n; i++) {
    struct edit_nic *n = &nics.v[i];
    CLEANUP_FREE char *path = NULL, *text = NULL, *why = NULL;
    if (n->mac[0] == '\0') {
      const char *mac = next_free_mac (f, &nics, &next);
      if (mac == NULL) {
        report_warn (f->r, "the guest configures NIC %s, but the VM has no NIC "
                     "left for it", n->name);
        continue;
      }
      snprintf (n->mac, sizeof n->mac, "%s", mac);
    }
    else if (!vm_has_mac (f, n->mac)) {
      report_warn (f->r, "the guest names NIC %s by MAC %s, which the VM does not "
                   "have", n->name, n->mac);
      continue;
    }
    if (!fix_safe_word (n->name))
      continue;
    if (!links) {
      char *nr;
      if ((text = edit_udev_rule (n->name, n->mac)) == NULL ||
          asprintf (&nr, "%s%s", rules ? rules :
                    "# Written by v2vfs-fix: the NICs keep the names they had on "
                    "VMware\n# now that they are virtio-net.\n", text) == -1)
        goto oom;
      free (rules);
      rules = nr;
      continue;
    }
    if (asprintf (&path, "/etc/systemd/network/10-v2vfs-%s.link", n->name) == -1 ||
        (text = edit_link_file (n->name, n->mac)) == NULL ||
        asprintf (&why, "NIC %s keeps its name as virtio-net (MAC %s)", n->name,
                  n->mac) == -1)
      goto oom;
    if (!f->dry_run && !fix_exists (f, "/etc/systemd/network") &&
        guestfs_mkdir_p (f->g, "/etc/systemd/network") == -1) {
      report_fail (f->r, "/etc/systemd/network: %s", fix_gerror (f));
      goto out;
    }
    if ((r = put_file (f, path, text, why)) == -1)
      goto out;
    changed += r;
  }
  if (rules) {
    if ((r = put_file (f, rules_path, rules, "the NICs keep their names as "
                       "virtio-net")) == -1)
      goto out;
    changed += r;
  }
  if (nics.n == 0)
    report_skip (f->r, "NIC names", "no configuration names a NIC");
  else if (changed == 0)
    report_skip (f->r, "NIC names", "every NIC the guest configures keeps its "
                 "name already");
  ret = 0;
  goto out;
 oom:
  report_fail (f->r, "out of memory");
 out:
  free (rules);
  edit_nics_free (&nics);
  return ret;
}

/* ---- Device names ---------------------------------------------------- */

static int
edit_fstab_fn (const char *in, void *f, char **out, struct edit_log *log)
{
  return edit_fstab (in, fix_resolve, f, out, log);
}

static int
edit_crypttab_fn (const char *in, void *f, char **out, struct edit_log *log)
{
  return edit_crypttab (in, fix_resolve, f, out, log);
}

static int
edit_resume_fn (const char *in, void *f, char **out, struct edit_log *log)
{
  return edit_resume_conf (in, fix_resolve, f, out, log);
}

static int
edit_lvm_filter_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  (void) arg;
  return edit_lvm_filter (in, out, log);
}

/* LVM: RHEL 9's devices file lists the PVs LVM may use by device ID
 * (a SCSI WWID, a device name), and those IDs change with the move to
 * virtio: LVM would then see no PV and the guest stop in emergency mode.
 * Without the file LVM uses every device: "If the file does not exist,
 * or if lvm.conf includes use_devicesfile=0, then lvm will not use a
 * devices file" (lvmdevices(8) of lvm2 2.03; Debian's lvm2 2.03.16 does
 * not ship that page, and its lvm.conf says of use_devicesfile only
 * "When enabled, lvm will only use devices that are listed in the
 * devices file").  lvm.conf's filters that name /dev/sd* are pointed at
 * /dev/vd*.  The initramfs keeps copies of both, so it is rebuilt. */
static int
lvm (struct fix *f)
{
  static const char devices[] = "/etc/lvm/devices/system.devices";
  int n = 0, r;

  if (fix_is_file (f, devices)) {
    if (!f->dry_run && guestfs_rm (f->g, devices) == -1)
      return report_fail (f->r, "%s: cannot remove it: %s", devices, fix_gerror (f)), -1;
    report_change (f->r, devices, "removed: its device IDs were VMware's; LVM "
                   "scans all devices");
    n++;
  }
  if ((r = fix_edit (f, "/etc/lvm/lvm.conf", edit_lvm_filter_fn, NULL)) == -1)
    return -1;
  n += r;
  if (n > 0)
    f->initramfs_why = "the new LVM configuration";
  return n;
}

static int
device_names (struct fix *f)
{
  int n = 0, r;

  f->initramfs_why = NULL;
  if ((r = lvm (f)) == -1)
    return -1;
  n += r;

  if ((r = fix_edit (f, "/etc/fstab", edit_fstab_fn, f)) == -1)
    return -1;
  n += r;
  if ((r = fix_edit (f, "/etc/crypttab", edit_crypttab_fn, f)) == -1)
    return -1;
  n += r;
  if ((r = fix_edit (f, "/etc/initramfs-tools/conf.d/resume", edit_resume_fn, f)) == -1)
    return -1;
  n += r;
  if (n == 0)
    report_skip (f->r, "device names in fstab, crypttab, resume and LVM",
                 "all stable already");
  return 0;
}

/* ---- SELinux ---------------------------------------------------------- */

/* Files written from the appliance carry no SELinux label: a guest that
 * enforces SELinux relabels itself at its next boot. */
static int
selinux (struct fix *f)
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
  if (fix_write (f, "/.autorelabel", "") == -1)
    return -1;
  report_change (f->r, "/.autorelabel", "created: SELinux relabels the guest at its "
                 "next boot");
  return 0;
}

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

static int
packages (struct fix *f)
{
  return remove_packages (f, f->r->package_format);
}

int
fix_linux_check (struct fix *f)
{
  describe (f);
  report_progress (f->r, "%s, root %s", f->r->product ? f->r->product : "Linux",
                   f->root);
  return find_kernels (f) == -1 || check_kernels (f) == -1 ? -1 : 0;
}

int
fix_linux (struct fix *f)
{
  /* In this order: remove packages before editing files their scripts
   * may rewrite; settle NIC names and device names before the initramfs
   * is rebuilt (it copies .link files and the resume device); rebuild
   * the initramfs before grub.cfg, which lists the initramfs files;
   * relabel last, once every change is known. */
  static int (*const steps[]) (struct fix *) = {
    packages, remove_tarball_tools, vmware_leftovers, network, device_names,
    linux_initramfs, linux_bootloader_config, linux_boot_loader, selinux,
  };
  size_t i;

  for (i = 0; i < sizeof steps / sizeof *steps; i++)
    if (steps[i] (f) == -1 || f->r->error)
      return -1;
  return 0;
}
