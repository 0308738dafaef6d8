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

  if (asprintf (&dep, "/lib/modules/%s/modules.dep", k->version) == -1 ||
      asprintf (&builtin, "/lib/modules/%s/modules.builtin", k->version) == -1)
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

/* The kernels: a version with both /boot/vmlinuz-V and /lib/modules/V. */
static int
find_kernels (struct fix *f)
{
  char **dirs;
  size_t i;

  guestfs_push_error_handler (f->g, NULL, NULL);
  dirs = guestfs_ls (f->g, "/lib/modules");
  guestfs_pop_error_handler (f->g);
  for (i = 0; dirs && dirs[i]; i++) {
    CLEANUP_FREE char *vmlinuz = NULL;
    struct fix_kernel *k;
    if (!fix_safe_word (dirs[i]) ||
        asprintf (&vmlinuz, "/boot/vmlinuz-%s", dirs[i]) == -1 ||
        !fix_exists (f, vmlinuz))
      continue;
    if ((k = realloc (f->kernels, (f->n_kernels + 1) * sizeof *k)) == NULL) {
      fix_free_strv (dirs);
      report_fail (f->r, "out of memory");
      return -1;
    }
    f->kernels = k;
    k = &k[f->n_kernels];
    memset (k, 0, sizeof *k);
    if ((k->version = strdup (dirs[i])) == NULL) {
      fix_free_strv (dirs);
      report_fail (f->r, "out of memory");
      return -1;
    }
    f->n_kernels++;
    probe_drivers (f, k);
  }
  fix_free_strv (dirs);
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
    report_fail (f->r, "no kernel found (no /boot/vmlinuz-VERSION with its "
                 "/lib/modules/VERSION): nothing was changed");
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

/* Apply EDIT to every regular file PATTERN matches (a plain path is a
 * pattern too).  The number of files changed, or -1. */
static int
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

/* Write PATH with CONTENT unless it holds that already; report it. */
static int
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
device_names (struct fix *f)
{
  int n = 0, r;

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
    report_skip (f->r, "device names in fstab, crypttab and resume",
                 "all stable already");
  return 0;
}

/* ---- The initramfs --------------------------------------------------- */

enum initramfs_tool { INITRAMFS_NONE, INITRAMFS_TOOLS, INITRAMFS_DRACUT };

static enum initramfs_tool
initramfs_tool (struct fix *f)
{
  if (fix_exists (f, "/usr/sbin/update-initramfs") ||
      fix_exists (f, "/sbin/update-initramfs"))
    return INITRAMFS_TOOLS;
  if (fix_exists (f, "/usr/bin/dracut") || fix_exists (f, "/sbin/dracut") ||
      fix_exists (f, "/usr/sbin/dracut"))
    return INITRAMFS_DRACUT;
  return INITRAMFS_NONE;
}

/* The initramfs of kernel K, where the tool keeps it (NULL if none). */
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

/* Whether the initramfs INITRD of kernel K holds virtio_blk. */
static bool
initrd_has_virtio (struct fix *f, enum initramfs_tool tool, const char *initrd)
{
  CLEANUP_FREE char *cmd = NULL, *out = NULL, *err = NULL, *what = NULL;

  if (!fix_safe_word (initrd) ||
      asprintf (&cmd, "%s %s | grep -c '/virtio_blk\\.ko'",
                tool == INITRAMFS_DRACUT ? "lsinitrd" : "lsinitramfs", initrd) == -1 ||
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

static const char *const virtio_storage[] = { "virtio_pci", "virtio_blk", "virtio_scsi" };

/* initramfs-tools: the modules file lists one module a line. */
static int
initramfs_tools_config (struct fix *f, const bool need[3])
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
    const char *p = out;
    size_t n = strlen (virtio_storage[i]);
    bool listed = false;
    char *nn;
    if (!need[i])
      continue;
    /* Listed: a line that starts with the name, then ends or a blank. */
    while (p && *p) {
      while (*p == ' ' || *p == '\t')
        p++;
      if (strncmp (p, virtio_storage[i], n) == 0 &&
          (p[n] == '\n' || p[n] == ' ' || p[n] == '\t' || p[n] == '\0'))
        listed = true;
      p = strchr (p, '\n');
      if (p)
        p++;
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
  return fix_write (f, path, out) == -1 ? -1 : 1;
}

/* dracut: a drop-in adds the drivers to every image it builds. */
static int
dracut_config (struct fix *f, const bool need[3])
{
  CLEANUP_FREE char *text = NULL;
  size_t i;
  int r;

  if ((text = strdup ("# Written by v2vfs-fix: the drivers of a virtio root disk.\n"
                      "add_drivers+=\"")) == NULL)
    return report_fail (f->r, "out of memory"), -1;
  for (i = 0; i < 3; i++) {
    char *nt;
    if (need[i] && asprintf (&nt, "%s %s", text, virtio_storage[i]) != -1) {
      free (text);
      text = nt;
    }
  }
  {
    char *nt;
    if (asprintf (&nt, "%s \"\n", text) == -1)
      return report_fail (f->r, "out of memory"), -1;
    free (text);
    text = nt;
  }
  if (!f->dry_run && !fix_exists (f, "/etc/dracut.conf.d") &&
      guestfs_mkdir_p (f->g, "/etc/dracut.conf.d") == -1)
    return report_fail (f->r, "/etc/dracut.conf.d: %s", fix_gerror (f)), -1;
  r = put_file (f, "/etc/dracut.conf.d/v2vfs-virtio.conf", text,
                "add_drivers for a virtio root disk");
  return r;
}

static int
initramfs (struct fix *f)
{
  enum initramfs_tool tool = initramfs_tool (f);
  bool need[3];
  size_t i, regenerated = 0;
  int changed;

  needed_modules (f, need);
  free (f->r->initramfs);
  f->r->initramfs = strdup (tool == INITRAMFS_TOOLS ? "initramfs-tools" :
                            tool == INITRAMFS_DRACUT ? "dracut" : "none found");
  if (!need[0] && !need[1]) {
    report_skip (f->r, "initramfs", "every kernel has virtio_blk and virtio_pci "
                 "built in: no initramfs needs them");
    return 0;
  }
  if (tool == INITRAMFS_NONE) {
    report_fail (f->r, "the kernels have virtio_blk as a module, but the guest has "
                 "neither initramfs-tools nor dracut to put it into an initramfs");
    return -1;
  }
  changed = tool == INITRAMFS_TOOLS ? initramfs_tools_config (f, need)
                                    : dracut_config (f, need);
  if (changed == -1)
    return -1;
  for (i = 0; i < f->n_kernels; i++) {
    const struct fix_kernel *k = &f->kernels[i];
    CLEANUP_FREE char *initrd = initrd_of (f, k), *what = NULL, *out = NULL,
      *err = NULL;
    if (!k->virtio_blk || k->builtin_blk)
      continue;
    if (!changed && initrd && initrd_has_virtio (f, tool, initrd))
      continue;
    if (asprintf (&what, "regenerating the initramfs of %s (%s)", k->version,
                  tool == INITRAMFS_TOOLS ? "update-initramfs" : "dracut") == -1)
      return report_fail (f->r, "out of memory"), -1;
    if (f->dry_run) {
      report_change (f->r, initrd ? initrd : "/boot", "regenerate it with the "
                     "virtio drivers");
      regenerated++;
      continue;
    }
    if (tool == INITRAMFS_TOOLS) {
      char *const argv[] = { (char *) "update-initramfs", (char *) (initrd ? "-u" : "-c"),
                             (char *) "-k", k->version, NULL };
      out = fix_run (f, what, argv, &err);
    }
    else {
      CLEANUP_FREE char *path = NULL;
      if (initrd == NULL && asprintf (&path, "/boot/initramfs-%s.img", k->version) == -1)
        return report_fail (f->r, "out of memory"), -1;
      char *const argv[] = { (char *) "dracut", (char *) "-f",
                             initrd ? initrd : path, k->version, NULL };
      out = fix_run (f, what, argv, &err);
    }
    if (out == NULL) {
      report_fail (f->r, "%s failed: %s", what, err ? err : "unknown error");
      return -1;
    }
    free (initrd);
    initrd = initrd_of (f, k);
    if (initrd == NULL || !initrd_has_virtio (f, tool, initrd)) {
      report_fail (f->r, "the new initramfs of %s has no virtio_blk", k->version);
      return -1;
    }
    report_change (f->r, initrd, "regenerated: it holds virtio_blk now");
    regenerated++;
  }
  if (!changed && regenerated == 0)
    report_skip (f->r, "initramfs", "every initramfs holds the virtio drivers");
  return 0;
}

/* ---- The boot loader configuration ---------------------------------- */

struct cmdline_arg {
  struct fix *f;
  enum edit_cmdline_kind kind;
};

static int
edit_cmdlines_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  struct cmdline_arg *a = arg;

  return edit_cmdlines (in, a->kind, fix_resolve, a->f, out, log);
}

/* grubenv is a block of exactly its size (1024 bytes), padded with '#':
 * an edit takes its length change out of the padding. */
static int
edit_grubenv_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  struct cmdline_arg a = { arg, EDIT_GRUBENV };
  size_t len = strlen (in), n, pad;
  char *s;

  if (edit_cmdlines_fn (in, &a, out, log) == -1)
    return -1;
  if (*out == NULL)
    return 0;
  s = *out;
  n = strlen (s);
  for (pad = 0; pad < n && s[n - 1 - pad] == '#'; pad++)
    ;
  if (n > len && n - len > pad) {
    /* With no result, fix_edit reports the note and none of the changes. */
    free (s);
    *out = NULL;
    return edit_msg_add (&log->notes, "no room in the 1024-byte block for the new "
                          "command line: left as it is");
  }
  if (n > len)
    s[len] = '\0';
  else if (n < len) {
    char *t = realloc (s, len + 1);
    if (t == NULL)
      return -1;
    memset (t + n, '#', len - n);
    t[len] = '\0';
    *out = t;
  }
  return 0;
}

static int
edit_grub_default_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  CLEANUP_FREE char *mid = NULL;
  struct cmdline_arg a = { arg, EDIT_GRUB_DEFAULT };

  if (edit_grub_default (in, &mid, log) == -1 ||
      edit_cmdlines_fn (mid ? mid : in, &a, out, log) == -1)
    return -1;
  if (*out == NULL && mid)
    *out = TAKE (mid);
  return 0;
}

static int
edit_device_map_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  (void) arg;
  return edit_device_map (in, out, log);
}

/* The first of PATHS that exists, or NULL. */
static const char *
first_existing (struct fix *f, const char *const *paths, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (fix_exists (f, paths[i]))
      return paths[i];
  return NULL;
}

static const char *const grub_cfgs[] = { "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg" };

/* How many root= and resume= of the GRUB 2 configurations (and the EFI
 * ones, which RHEL's GRUB reads) name unstable devices. */
static size_t
grub_cfg_unstable (struct fix *f, char ***efi_cfgs)
{
  size_t i, n = 0;
  bool err;

  *efi_cfgs = fix_glob (f, "/boot/efi/EFI/*/grub.cfg");
  for (i = 0; i < 2; i++) {
    CLEANUP_FREE char *t = fix_read (f, grub_cfgs[i], &err);
    n += t ? edit_count_unstable (t, EDIT_GRUB_CFG) : 0;
  }
  for (i = 0; *efi_cfgs && (*efi_cfgs)[i]; i++) {
    CLEANUP_FREE char *t = fix_read (f, (*efi_cfgs)[i], &err);
    n += t ? edit_count_unstable (t, EDIT_GRUB_CFG) : 0;
  }
  return n;
}

/* GRUB 2: /etc/default/grub must let grub-mkconfig name root by UUID;
 * then grub.cfg is regenerated.  Inside the appliance the disk is
 * /dev/sda, so a guest that still names root by device would get
 * root=/dev/sda1 again: the result is read back, and whatever still
 * names a device is rewritten in place. */
static int
grub2 (struct fix *f)
{
  static const char *const mkconfig[] = { "/usr/sbin/update-grub", "/usr/sbin/grub2-mkconfig",
                                          "/usr/sbin/grub-mkconfig", "/sbin/grub2-mkconfig",
                                          "/sbin/grub-mkconfig" };
  const char *cfg = first_existing (f, grub_cfgs, 2);
  const char *tool = first_existing (f, mkconfig, 5);
  struct cmdline_arg a = { f, EDIT_GRUB_CFG };
  char **efi = NULL;
  size_t unstable, i;
  bool regenerated = false;
  int def;

  if ((def = fix_edit (f, "/etc/default/grub", edit_grub_default_fn, f)) == -1)
    return -1;
  unstable = grub_cfg_unstable (f, &efi);
  if (def == 0 && unstable == 0) {
    fix_free_strv (efi);
    report_skip (f->r, "GRUB 2 configuration", "grub.cfg names every root by UUID already");
    return 0;
  }
  fix_free_strv (efi);
  efi = NULL;
  if (tool && cfg) {
    CLEANUP_FREE char *what = NULL, *out = NULL, *err = NULL;
    const bool update = strstr (tool, "update-grub") != NULL;
    char *const argv[] = { (char *) tool, (char *) (update ? NULL : "-o"),
                           (char *) cfg, NULL };
    if (asprintf (&what, "regenerating %s (%s)", cfg, tool) == -1)
      return report_fail (f->r, "out of memory"), -1;
    if (f->dry_run) {
      /* What it would write cannot be read back. */
      report_change (f->r, cfg, "regenerate it with %s, then check it", tool);
      return 0;
    }
    if ((out = fix_run (f, what, argv, &err)) == NULL)
      report_warn (f->r, "%s failed (%s): editing grub.cfg in place instead", tool,
                   err ? err : "unknown error");
    else {
      report_change (f->r, cfg, "regenerated by %s", tool);
      regenerated = true;
    }
  }
  /* Read back: what still names a device gets its stable name here. */
  if ((unstable = grub_cfg_unstable (f, &efi)) > 0) {
    if (regenerated)
      report_warn (f->r, "grub.cfg still named %zu root or resume device%s by "
                   "name after %s: rewritten in place", unstable,
                   unstable == 1 ? "" : "s", tool);
    for (i = 0; i < 2; i++)
      if (fix_edit (f, grub_cfgs[i], edit_cmdlines_fn, &a) == -1)
        goto fail;
    for (i = 0; efi && efi[i]; i++)
      if (fix_edit (f, efi[i], edit_cmdlines_fn, &a) == -1)
        goto fail;
    fix_free_strv (efi);
    efi = NULL;
    if (!f->dry_run && (unstable = grub_cfg_unstable (f, &efi)) > 0)
      report_warn (f->r, "grub.cfg names %zu root or resume device%s that have "
                   "no stable name", unstable, unstable == 1 ? "" : "s");
  }
  fix_free_strv (efi);
  return 0;
 fail:
  fix_free_strv (efi);
  return -1;
}

static int
bootloader_config (struct fix *f)
{
  static const char *const legacy[] = { "/boot/grub/menu.lst", "/boot/grub/grub.conf" };
  static const char *const envs[] = { "/boot/grub2/grubenv", "/boot/grub/grubenv" };
  static const char *const maps[] = { "/boot/grub/device.map", "/boot/grub2/device.map" };
  struct cmdline_arg menu = { f, EDIT_MENU_LST }, bls = { f, EDIT_BLS };
  const bool has_grub2 = first_existing (f, grub_cfgs, 2) != NULL;
  const bool has_legacy = first_existing (f, legacy, 2) != NULL;
  size_t i;
  int n = 0, r;

  free (f->r->bootloader);
  f->r->bootloader = strdup (has_grub2 ? "GRUB 2" : has_legacy ? "GRUB legacy" :
                             "none found");
  if (has_grub2 && grub2 (f) == -1)
    return -1;
  for (i = 0; i < 2; i++) {
    /* menu.lst is often a link to grub.conf: edit the file once. */
    if (i == 0 && guestfs_is_symlink (f->g, legacy[0]) == 1)
      continue;
    if ((r = fix_edit (f, legacy[i], edit_cmdlines_fn, &menu)) == -1)
      return -1;
    n += r;
  }
  if ((r = edit_matching (f, "/boot/loader/entries/*.conf", edit_cmdlines_fn, &bls)) == -1)
    return -1;
  n += r;
  for (i = 0; i < 2; i++) {
    if ((r = fix_edit (f, envs[i], edit_grubenv_fn, f)) == -1)
      return -1;
    n += r;
  }
  for (i = 0; f->r->virtio_blk && i < 2; i++) {
    if ((r = fix_edit (f, maps[i], edit_device_map_fn, NULL)) == -1)
      return -1;
    n += r;
  }
  if (n == 0 && !has_grub2)
    report_skip (f->r, "boot loader configuration", has_legacy ?
                 "GRUB legacy names root by UUID already" :
                 "no GRUB configuration found");
  return 0;
}

/* ---- The boot loader itself ----------------------------------------- */

/* BIOS: the MBR of the first disk must hold boot code; VMware's BIOS
 * and SeaBIOS run the same code, so one that is there stays.  Only a
 * disk with no code in its MBR gets GRUB installed. */
static int
bios_boot (struct fix *f)
{
  size_t len = 0, i;
  CLEANUP_FREE char *mbr = guestfs_pread_device (f->g, "/dev/sda", 512, 0, &len);
  bool code = false;

  if (mbr == NULL || len != 512) {
    report_warn (f->r, "cannot read the MBR of the first disk: %s", fix_gerror (f));
    return 0;
  }
  for (i = 0; i < 440; i++)
    code |= mbr[i] != 0;
  if (code && (unsigned char) mbr[510] == 0x55 && (unsigned char) mbr[511] == 0xaa) {
    report_skip (f->r, "boot loader install", "the first disk's MBR holds boot code%s",
                 memmem (mbr, 512, "GRUB", 4) ? " (GRUB)" : "");
    return 0;
  }
  {
    static const char *const installers[] = { "/usr/sbin/grub-install", "/usr/sbin/grub2-install",
                                              "/sbin/grub-install", "/sbin/grub2-install" };
    const char *tool = first_existing (f, installers, 4);
    CLEANUP_FREE char *out = NULL, *err = NULL;
    char *const argv[] = { (char *) tool, (char *) "--target=i386-pc", (char *) "/dev/sda",
                           NULL };
    if (tool == NULL) {
      report_warn (f->r, "the first disk's MBR holds no boot code, and the guest has "
                   "no grub-install to put GRUB there");
      return 0;
    }
    if (f->dry_run)
      report_change (f->r, "/dev/sda", "install GRUB in the MBR (%s)", tool);
    else if ((out = fix_run (f, "installing GRUB in the MBR", argv, &err)) == NULL)
      report_warn (f->r, "%s failed: %s", tool, err ? err : "unknown error");
    else
      report_change (f->r, "MBR of the first disk", "GRUB installed by %s", tool);
  }
  return 0;
}

/* UEFI: a new VM's NVRAM has no boot entries, so the firmware runs the
 * removable-media loader, EFI/BOOT/BOOTX64.EFI.  Where the guest has
 * none, its own loader goes there: shim (with the GRUB it loads from its
 * own directory, and MokManager), or GRUB alone. */
static int
uefi_boot (struct fix *f)
{
  static const char *const esps[] = { "/boot/efi", "/efi", "/boot" };
  static const char *const copy[] = { "grubx64.efi", "mmx64.efi", "grub.cfg" };
  const char *esp = NULL;
  CLEANUP_FREE char *fallback = NULL, *dir = NULL, *found = NULL;
  char **loaders = NULL, *d;
  size_t i;

  for (i = 0; i < 3 && esp == NULL; i++) {
    CLEANUP_FREE char *p = NULL;
    if (asprintf (&p, "%s/EFI", esps[i]) != -1 && guestfs_is_dir (f->g, p) == 1)
      esp = esps[i];
  }
  if (esp == NULL) {
    report_warn (f->r, "the VM boots by UEFI, but the guest has no EFI system "
                 "partition mounted at /boot/efi, /efi or /boot");
    return 0;
  }
  if (asprintf (&fallback, "%s/EFI/BOOT/BOOTX64.EFI", esp) == -1 ||
      asprintf (&dir, "%s/EFI/BOOT", esp) == -1)
    return report_fail (f->r, "out of memory"), -1;
  guestfs_push_error_handler (f->g, NULL, NULL);
  found = guestfs_case_sensitive_path (f->g, fallback);
  guestfs_pop_error_handler (f->g);
  if (found && fix_exists (f, found)) {
    report_skip (f->r, "UEFI fallback loader", "%s exists", found);
    return 0;
  }
  {
    CLEANUP_FREE char *pat = NULL;
    if (asprintf (&pat, "%s/EFI/*/shimx64.efi", esp) != -1)
      loaders = fix_glob (f, pat);
    if (loaders == NULL || loaders[0] == NULL) {
      fix_free_strv (loaders);
      loaders = NULL;
      if (asprintf (&pat, "%s/EFI/*/grubx64.efi", esp) != -1)
        loaders = fix_glob (f, pat);
    }
  }
  if (loaders == NULL || loaders[0] == NULL) {
    fix_free_strv (loaders);
    report_warn (f->r, "the guest has no %s and no shimx64.efi or grubx64.efi "
                 "to put there: it may not boot", fallback);
    return 0;
  }
  if (!f->dry_run && guestfs_mkdir_p (f->g, dir) == -1) {
    fix_free_strv (loaders);
    return report_fail (f->r, "%s: %s", dir, fix_gerror (f)), -1;
  }
  if (!f->dry_run && guestfs_cp (f->g, loaders[0], fallback) == -1) {
    report_fail (f->r, "%s: %s", fallback, fix_gerror (f));
    fix_free_strv (loaders);
    return -1;
  }
  report_change (f->r, fallback, "copied from %s", loaders[0]);
  d = strrchr (loaders[0], '/');
  for (i = 0; d && i < 3; i++) {
    CLEANUP_FREE char *from = NULL, *to = NULL;
    if (asprintf (&from, "%.*s/%s", (int) (d - loaders[0]), loaders[0], copy[i]) == -1 ||
        asprintf (&to, "%s/%s", dir, copy[i]) == -1)
      break;
    if (strcmp (from, loaders[0]) == 0 || !fix_exists (f, from) || fix_exists (f, to))
      continue;
    if (!f->dry_run && guestfs_cp (f->g, from, to) == -1) {
      report_fail (f->r, "%s: %s", to, fix_gerror (f));
      break;
    }
    report_change (f->r, to, "copied from %s", from);
  }
  fix_free_strv (loaders);
  return f->r->error ? -1 : 0;
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

static int
boot_loader (struct fix *f)
{
  return f->efi ? uefi_boot (f) : bios_boot (f);
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
    initramfs, bootloader_config, boot_loader, selinux,
  };
  size_t i;

  for (i = 0; i < sizeof steps / sizeof *steps; i++)
    if (steps[i] (f) == -1 || f->r->error)
      return -1;
  return 0;
}
