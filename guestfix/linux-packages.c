/* The packages step of the Linux fix (linux.h): VMware's tools, as
 * packages (removed by the family's package manager) or as VMware's own
 * tarball installation (its uninstaller, else the files its database
 * lists), and the VMware drivers that modprobe, the module lists and
 * X still force. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "linux.h"

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

/* The command that removes packages: the family's, else the one of the
 * package format inspection found; NULL when v2vfs-fix drives none. */
static const char *const *
remove_command (const struct fix *f)
{
  static const char *const dpkg[] = { "env", "DEBIAN_FRONTEND=noninteractive", "dpkg",
                                      "--purge", NULL };
  static const char *const rpm[] = { "rpm", "-e", NULL };
  const char *format = f->r->package_format;

  if (f->family->remove_packages)
    return f->family->remove_packages;
  if (format && strcmp (format, "deb") == 0)
    return dpkg;
  if (format && strcmp (format, "rpm") == 0)
    return rpm;
  return NULL;
}

static bool
removable_package (const struct guestfs_application2 *a)
{
  return is_vmware_package (a->app2_name) && fix_safe_word (a->app2_name);
}

/* Report each package of APPS that goes. */
static void
report_packages (struct fix *f, const struct guestfs_application2_list *apps)
{
  size_t i;

  for (i = 0; i < apps->len; i++) {
    const struct guestfs_application2 *a = &apps->val[i];
    CLEANUP_FREE char *s = NULL;
    if (removable_package (a) &&
        asprintf (&s, "%s %s%s%s", a->app2_name, a->app2_version,
                  a->app2_release[0] ? "-" : "", a->app2_release) != -1)
      report_removed (f->r, "package", s);
  }
}

static void
free_apps (void *apps)
{
  guestfs_free_application2_list (apps);
}

/* The plan: the installed applications (the step's data) when some
 * are VMware's and the guest's package manager can remove them. */
static int
packages_inspect (struct fix *f, struct plan *p)
{
  struct guestfs_application2_list *apps =
    guestfs_inspect_list_applications2 (f->g, f->root);
  const char *const *cmd = remove_command (f);
  CLEANUP_FREE char *names = NULL;
  size_t i, n = 0;

  if (apps == NULL) {
    report_warn (f->r, "cannot list the installed packages: %s", fix_gerror (f));
    return 0;
  }
  for (i = 0; i < apps->len; i++) {
    char *nn;
    if (!removable_package (&apps->val[i]) ||
        asprintf (&nn, "%s%s%s", names ? names : "", names ? " " : "",
                  apps->val[i].app2_name) == -1)
      continue;
    free (names);
    names = nn;
    n++;
  }
  if (n == 0)
    report_skip (f->r, "VMware tools packages", "none installed");
  else if (cmd == NULL)
    report_warn (f->r, "VMware tools packages (%s): this guest's package manager "
                 "(%s) is not one v2vfs-fix drives; remove them in the guest",
                 names, f->r->package_format ? f->r->package_format : "unknown");
  else {
    p->step = apps;
    p->step_free = free_apps;
    if (f->dry_run)
      report_packages (f, apps);
    return 0;
  }
  guestfs_free_application2_list (apps);
  return 0;
}

/* The command's words, then the packages' names. */
static int
packages_apply (struct fix *f, struct plan *p)
{
  const struct guestfs_application2_list *apps = p->step;
  const char *const *cmd = remove_command (f);
  CLEANUP_FREE char **argv = NULL;
  CLEANUP_FREE char *what = NULL, *out = NULL, *err = NULL;
  size_t i, n = 0;

  if (apps == NULL)
    return 0;
  for (i = 0; cmd[i]; i++)
    ;
  if ((argv = calloc (i + apps->len + 1, sizeof *argv)) == NULL ||
      (what = strdup ("removing VMware tools:")) == NULL)
    return report_fail (f->r, "out of memory"), -1;
  for (i = 0; cmd[i]; i++)
    argv[n++] = (char *) cmd[i];
  for (i = 0; i < apps->len; i++)
    if (removable_package (&apps->val[i]))
      argv[n++] = apps->val[i].app2_name;
  for (i = 0; i < n; i++) {
    char *w;
    if (asprintf (&w, "%s %s", what, argv[i]) == -1)
      return report_fail (f->r, "out of memory"), -1;
    free (what);
    what = w;
  }
  if ((out = fix_run (f, what, argv, &err)) == NULL) {
    report_warn (f->r, "the guest's package manager did not remove the VMware "
                 "tools packages: %s", err ? err : "unknown error");
    return 0;
  }
  report_packages (f, apps);
  return 0;
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
plan_tarball_files (struct fix *f, struct plan *p)
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
      plan_remove (f, p, files[i], false, "file", NULL);
  free (files);
  for (i = 0; i < sizeof units / sizeof *units && !f->r->error; i++) {
    char **paths = fix_glob (f, units[i]);
    for (j = 0; paths && paths[j] && !f->r->error; j++)
      plan_remove (f, p, paths[j], true, "file", NULL);
    fix_free_strv (paths);
  }
  return f->r->error ? -1 : 0;
}

static const char uninstaller[] = "/usr/bin/vmware-uninstall-tools.pl";

/* With VMware's uninstaller, the plan is to run it (the step's data is
 * not NULL), then to remove what it left behind, which only its run
 * shows; a dry run reports the run alone.  Without, the plan is the
 * installer database's files. */
static int
tarball_inspect (struct fix *f, struct plan *p)
{
  if (fix_is_file (f, uninstaller)) {
    if (f->dry_run)
      report_removed (f->r, "VMware Tools", "by running vmware-uninstall-tools.pl");
    else if ((p->step = strdup (uninstaller)) == NULL)
      return report_fail (f->r, "out of memory"), -1;
    return 0;
  }
  if (!fix_is_file (f, "/etc/vmware-tools/locations")) {
    report_skip (f->r, "VMware Tools from VMware's installer", "not installed");
    return 0;
  }
  return plan_tarball_files (f, p);
}

static int
tarball_apply (struct fix *f, struct plan *p)
{
  char *const argv[] = { (char *) uninstaller, NULL };
  CLEANUP_FREE char *out = NULL, *err = NULL;

  if (p->step) {
    out = fix_run (f, "removing VMware Tools: vmware-uninstall-tools.pl", argv, &err);
    if (out)
      report_removed (f->r, "VMware Tools", "by running vmware-uninstall-tools.pl");
    else
      report_warn (f->r, "vmware-uninstall-tools.pl failed (%s): removing the "
                   "files it installed instead", err ? err : "unknown error");
    if ((fix_is_file (f, "/etc/vmware-tools/locations") ||
         fix_exists (f, "/etc/vmware-tools")) && plan_tarball_files (f, p) == -1)
      return -1;
  }
  return plan_apply (f, p);
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

static int
leftovers_inspect (struct fix *f, struct plan *p)
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
    if ((r = plan_edit_matching (f, p, mods[i].pattern, edit_modprobe_fn,
                                 (void *) &mods[i].bare)) == -1)
      return -1;
    n += r;
  }
  if (n == 0)
    report_skip (f->r, "VMware drivers in modprobe and module lists", "none forced");
  n = 0;
  for (i = 0; i < sizeof xorg / sizeof *xorg; i++) {
    if ((r = plan_edit_matching (f, p, xorg[i], edit_xorg_fn, NULL)) == -1)
      return -1;
    n += r;
  }
  if (n == 0)
    report_skip (f->r, "VMware X drivers", "none configured");
  return 0;
}

const struct linux_step linux_step_packages = { "packages", packages_inspect,
                                                packages_apply };
const struct linux_step linux_step_tarball_tools = { "tarball-tools", tarball_inspect,
                                                     tarball_apply };
const struct linux_step linux_step_leftovers = { "leftovers", leftovers_inspect, NULL };
