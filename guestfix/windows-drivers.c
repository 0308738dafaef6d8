/* See windows.h: the virtio-win tree (a directory, or an ISO read
 * through the appliance), the drivers chosen from it, and the storage
 * driver the guest needs to boot from a virtio disk.
 *
 * The tree is laid out like the virtio-win ISO: DRIVER/OS/ARCH/FILES,
 * "viostor/2k19/amd64/viostor.inf", and guest-agent/qemu-ga-x86_64.msi. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "windows.h"

/* A tree larger than this is not virtio-win (the ISO holds ~4000). */
#define MAX_TREE_FILES 200000
#define ARCH_DIR "amd64"
#define AGENT_MSI "guest-agent/qemu-ga-x86_64.msi"
/* Where the packages are staged, under the system root. */
#define STAGE_DIR "Drivers\\VirtIO"
/* The class of storage controllers. */
#define SCSI_ADAPTER_CLASS "{4D36E97B-E325-11CE-BFC1-08002BE10318}"

/* The PCI IDs of the boot-critical drivers' devices, legacy and modern,
 * the most specific first, as Plug and Play matches them. */
static const char *const viostor_ids[] = {
  "VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", "VEN_1AF4&DEV_1001&REV_00",
  "VEN_1AF4&DEV_1001", "VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01",
  "VEN_1AF4&DEV_1042&REV_01", "VEN_1AF4&DEV_1042", NULL,
};
static const char *const vioscsi_ids[] = {
  "VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00", "VEN_1AF4&DEV_1004&REV_00",
  "VEN_1AF4&DEV_1004", "VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01",
  "VEN_1AF4&DEV_1048&REV_01", "VEN_1AF4&DEV_1048", NULL,
};

/* ---- the tree ---- */

static struct {
  char **v;
  size_t n, prefix;
  bool full;
} walk;

static int
walk_one (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  char **v;

  (void) st;
  (void) ftw;
  if (type != FTW_F)
    return 0;
  if (walk.n >= MAX_TREE_FILES) {
    walk.full = true;
    return 1;
  }
  if ((v = realloc (walk.v, (walk.n + 2) * sizeof *v)) == NULL)
    return -1;
  walk.v = v;
  if ((v[walk.n] = strdup (path + walk.prefix)) == NULL)
    return -1;
  v[++walk.n] = NULL;
  return 0;
}

static int
list_dir (struct fix *f, struct win *w, const char *dir)
{
  int r;

  memset (&walk, 0, sizeof walk);
  walk.prefix = strlen (dir) + 1;
  r = nftw (dir, walk_one, 32, FTW_PHYS);
  w->tree = walk.v;
  if (walk.full)
    return report_fail (f->r, "%s: more than %d files: not a virtio-win tree", dir,
                        MAX_TREE_FILES), -1;
  if (r != 0)
    return report_fail (f->r, "%s: cannot read it: %s", dir, strerror (errno)), -1;
  if (w->tree == NULL && (w->tree = calloc (1, sizeof *w->tree)) == NULL)
    return report_fail (f->r, "out of memory"), -1;
  return (w->tree_dir = strdup (dir)) ? 0 : (report_fail (f->r, "out of memory"), -1);
}

/* The ISO is the last drive: list it with nothing else mounted. */
static int
list_iso (struct fix *f, struct win *w)
{
  char **devs = guestfs_list_devices (f->g);
  size_t n = 0;
  int r = -1;

  while (devs && devs[n])
    n++;
  if (n == 0)
    return report_fail (f->r, "%s: %s", f->virtio_win, fix_gerror (f)), -1;
  w->iso_dev = strdup (devs[n - 1]);
  fix_free_strv (devs);
  if (w->iso_dev == NULL)
    return report_fail (f->r, "out of memory"), -1;
  if (guestfs_mount_ro (f->g, w->iso_dev, "/") == -1)
    return report_fail (f->r, "%s: not an ISO that libguestfs can read: %s",
                        f->virtio_win, fix_gerror (f)), -1;
  w->tree = guestfs_find (f->g, "/");
  if (w->tree == NULL)
    report_fail (f->r, "%s: %s", f->virtio_win, fix_gerror (f));
  else
    r = 0;
  if (guestfs_umount (f->g, "/") == -1 && r == 0)
    r = (report_fail (f->r, "%s: %s", f->virtio_win, fix_gerror (f)), -1);
  return r;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
win_list_tree (struct fix *f, struct win *w)
{
  size_t n = 0;

  if (f->virtio_win == NULL)
    return (w->tree = calloc (1, sizeof *w->tree)) ? 0 :
      (report_fail (f->r, "out of memory"), -1);
  if ((f->virtio_win_iso ? list_iso (f, w) : list_dir (f, w, f->virtio_win)) == -1)
    return -1;
  /* In name order, so that a directory and its ISO give the same run. */
  while (w->tree[n])
    n++;
  qsort (w->tree, n, sizeof *w->tree, cmp_str);
  return 0;
}

/* Whether PATH is DIR/NAME with no further '/' (case aside). */
static bool
in_dir (const char *path, const char *dir)
{
  size_t n = strlen (dir);

  return strncasecmp (path, dir, n) == 0 && path[n] == '/' && path[n + 1] &&
    strchr (path + n + 1, '/') == NULL;
}

static bool
ends_with (const char *s, const char *suffix)
{
  size_t n = strlen (s), k = strlen (suffix);

  return n >= k && strcasecmp (s + n - k, suffix) == 0;
}

struct has_ctx {
  const struct win *w;
  const char *driver;
};

/* Whether the tree has an INF in DRIVER/OS/amd64. */
static bool
has_os_dir (void *opaque, const char *os)
{
  const struct has_ctx *c = opaque;
  CLEANUP_FREE char *dir = NULL;
  size_t i;

  if (asprintf (&dir, "%s/%s/" ARCH_DIR, c->driver, os) == -1)
    return false;
  for (i = 0; c->w->tree[i]; i++)
    if (in_dir (c->w->tree[i], dir) && ends_with (c->w->tree[i], ".inf"))
      return true;
  return false;
}

/* The drivers of the tree: its top directories that hold an INF three
 * levels down, each once. */
static char **
driver_names (const struct win *w)
{
  char **v = calloc (1, sizeof *v);
  size_t n = 0, i, j;

  for (i = 0; v && w->tree[i]; i++) {
    const char *p = w->tree[i], *slash = strchr (p, '/');
    size_t len = slash ? (size_t) (slash - p) : 0;
    bool seen = false;
    if (len == 0 || !ends_with (p, ".inf"))
      continue;
    for (j = 0; j < n && !seen; j++)
      seen = strlen (v[j]) == len && strncasecmp (v[j], p, len) == 0;
    if (seen)
      continue;
    char **nv = realloc (v, (n + 2) * sizeof *v);
    if (nv == NULL || (nv[n] = strndup (p, len)) == NULL) {
      fix_free_strv (nv ? nv : v);
      return NULL;
    }
    v = nv;
    v[++n] = NULL;
  }
  return v;
}

static int
add_driver (struct fix *f, struct win *w, const char *name, const char *os,
            bool fallback)
{
  struct win_driver *d, *nd = realloc (w->drivers, (w->n_drivers + 1) * sizeof *nd);
  size_t i, n = 0;

  if (nd == NULL)
    return report_fail (f->r, "out of memory"), -1;
  w->drivers = nd;
  d = &nd[w->n_drivers];
  memset (d, 0, sizeof *d);
  d->os_dir = os;
  d->fallback = fallback;
  if ((d->name = strdup (name)) == NULL ||
      asprintf (&d->dir, "%s/%s/" ARCH_DIR, name, os) == -1 ||
      (d->files = calloc (1, sizeof *d->files)) == NULL)
    return report_fail (f->r, "out of memory"), -1;
  w->n_drivers++;
  for (i = 0; w->tree[i]; i++) {
    const char *base;
    char **v;
    if (!in_dir (w->tree[i], d->dir))
      continue;
    base = strrchr (w->tree[i], '/') + 1;
    if (!fix_safe_word (base)) {
      report_warn (f->r, "virtio-win %s: file name left out: %s", d->dir, base);
      continue;
    }
    if ((v = realloc (d->files, (n + 2) * sizeof *v)) == NULL ||
        (v[n] = strdup (base)) == NULL)
      return report_fail (f->r, "out of memory"), -1;
    d->files = v;
    v[++n] = NULL;
  }
  return 0;
}

int
win_choose_drivers (struct fix *f, struct win *w)
{
  CLEANUP_FREE char *for_guest = NULL;
  const char *made = winplan_os_dir_for (&w->v);
  char **names;
  size_t i;
  bool net = false;

  if ((names = driver_names (w)) == NULL)
    return report_fail (f->r, "out of memory"), -1;
  for (i = 0; names[i]; i++) {
    struct has_ctx c = { w, names[i] };
    bool fallback;
    const char *os = winplan_os_dir (&w->v, has_os_dir, &c, &fallback);
    if (!fix_safe_word (names[i]))
      report_warn (f->r, "virtio-win: driver directory left out: %s", names[i]);
    else if (os == NULL)
      report_skip (f->r, names[i], "virtio-win has no directory for %s or older",
                   made ? made : "this Windows");
    else if (add_driver (f, w, names[i], os, fallback) == -1) {
      fix_free_strv (names);
      return -1;
    }
  }
  fix_free_strv (names);
  for (i = 0; i < w->n_drivers; i++) {
    const struct win_driver *d = &w->drivers[i];
    report_driver (f->r, d->name, "%s/%s%s%s%s", f->virtio_win, d->dir,
                   d->fallback ? " (no " : "", d->fallback ? made : "",
                   d->fallback ? " directory: the nearest older one)" : "");
    if (strcasecmp (d->name, "viostor") == 0 ||
        (strcasecmp (d->name, "vioscsi") == 0 && w->storage == NULL))
      w->storage = d;
    net |= strcasecmp (d->name, "NetKVM") == 0;
  }
  for (i = 0; w->tree[i]; i++)
    if (strcasecmp (w->tree[i], AGENT_MSI) == 0 && (w->agent_msi = strdup (w->tree[i])))
      report_driver (f->r, "qemu-ga", "%s/%s", f->virtio_win, w->tree[i]);
  if (w->storage == NULL) {
    if (asprintf (&for_guest, "%s (%s, " ARCH_DIR ")",
                  f->r->product ? f->r->product : "this Windows",
                  made ? made : "no virtio-win name") == -1)
      for_guest = NULL;
    if (!f->allow_unfixed && f->virtio_win == NULL)
      return report_fail (f->r, "no virtio-win drivers were given (--virtio-win DIR|ISO; "
                          DEFAULT_VIRTIO_WIN " does not exist): %s could not boot "
                          "from a virtio disk, so nothing was changed; or keep SATA "
                          "and e1000 with --allow-unfixed",
                          for_guest ? for_guest : "the guest"), -1;
    if (!f->allow_unfixed)
      return report_fail (f->r, "no virtio storage driver (viostor or vioscsi) for %s "
                          "in %s: the guest could not boot from a virtio disk, so "
                          "nothing was changed; give --virtio-win a virtio-win tree "
                          "or ISO that has one, or --allow-unfixed to keep SATA and "
                          "e1000", for_guest ? for_guest : "the guest",
                          f->virtio_win), -1;
    report_skip (f->r, "virtio", "no virtio storage driver for %s: the disks stay on "
                 "SATA and the NICs on e1000 (--allow-unfixed)",
                 for_guest ? for_guest : "the guest");
  }
  f->r->virtio_net = w->storage && net;
  return 0;
}

/* ---- fetching and copying ---- */

char *
win_tree_file (struct fix *f, struct win *w, const char *file)
{
  char *p;

  if (asprintf (&p, "%s/%s", w->tree_dir, file) == -1)
    return report_fail (f->r, "out of memory"), NULL;
  return p;
}

static int
fetch_one (struct fix *f, struct win *w, const char *rel)
{
  CLEANUP_FREE char *local = NULL, *src = NULL;
  char *s;

  if (asprintf (&local, "%s/%s", w->tree_dir, rel) == -1 ||
      asprintf (&src, "/%s", rel) == -1)
    return report_fail (f->r, "out of memory"), -1;
  for (s = strchr (local + strlen (w->tree_dir) + 1, '/'); s; s = strchr (s + 1, '/')) {
    *s = '\0';
    if (mkdir (local, 0700) == -1 && errno != EEXIST)
      return report_fail (f->r, "%s: %s", local, strerror (errno)), -1;
    *s = '/';
  }
  if (guestfs_download (f->g, src, local) == -1)
    return report_fail (f->r, "%s%s: %s", f->virtio_win, src, fix_gerror (f)), -1;
  return 0;
}

int
win_fetch_from_iso (struct fix *f, struct win *w)
{
  size_t i, j;
  int r = 0;

  if (asprintf (&w->tree_dir, "%s/iso", w->tmp) == -1 || mkdir (w->tree_dir, 0700) == -1)
    return report_fail (f->r, "cannot fetch from the ISO: %s", strerror (errno)), -1;
  if (guestfs_mount_ro (f->g, w->iso_dev, "/") == -1)
    return report_fail (f->r, "%s: %s", f->virtio_win, fix_gerror (f)), -1;
  for (i = 0; i < w->n_drivers && r == 0; i++)
    for (j = 0; w->drivers[i].files[j] && r == 0; j++) {
      CLEANUP_FREE char *rel = NULL;
      if (asprintf (&rel, "%s/%s", w->drivers[i].dir, w->drivers[i].files[j]) == -1)
        r = (report_fail (f->r, "out of memory"), -1);
      else
        r = fetch_one (f, w, rel);
    }
  if (r == 0 && w->agent_msi)
    r = fetch_one (f, w, w->agent_msi);
  if (guestfs_umount (f->g, "/") == -1 && r == 0)
    r = (report_fail (f->r, "%s: %s", f->virtio_win, fix_gerror (f)), -1);
  return r;
}

static char *
lower (const char *s)
{
  char *l = strdup (s), *p;

  for (p = l; p && *p; p++)
    *p = (char) tolower ((unsigned char) *p);
  return l;
}

/* Stage driver D's package under STAGE_DIR. */
static int
stage (struct fix *f, struct win *w, const struct win_driver *d)
{
  CLEANUP_FREE char *what = NULL;
  size_t i;

  if (asprintf (&what, "staged from virtio-win %s", d->dir) == -1)
    return report_fail (f->r, "out of memory"), -1;
  for (i = 0; d->files[i]; i++) {
    CLEANUP_FREE char *rel = NULL, *src = NULL, *dst = NULL;
    if (asprintf (&rel, "%s/%s", d->dir, d->files[i]) == -1 ||
        (src = win_tree_file (f, w, rel)) == NULL ||
        asprintf (&dst, "%s/Drivers/VirtIO/%s/%s", w->sysroot, d->name, d->files[i]) == -1)
      return report_fail (f->r, "out of memory"), -1;
    if (win_copy_in (f, src, dst, what) == -1)
      return -1;
  }
  return 0;
}

/* Windows up to 7 and 2008 R2 find the driver of a boot device in the
 * CriticalDeviceDatabase.  Later ones ignore it (it is written anyway:
 * it costs nothing, and a guest upgraded in place may still read it). */
static int
critical_device_db (struct win *w, const char *name, const char *const *ids,
                    struct v2_error *e)
{
  size_t i;

  for (i = 0; ids[i]; i++) {
    CLEANUP_FREE char *key = NULL;
    if (asprintf (&key, "%s\\Control\\CriticalDeviceDatabase\\PCI#%s",
                  w->controlset, ids[i]) == -1)
      return v2_err (e, ENOMEM, "out of memory");
    if (hive_set_string (w->system, key, "ClassGUID", SCSI_ADAPTER_CLASS, false,
                         &w->log, e) == -1 ||
        hive_set_string (w->system, key, "Service", name, false, &w->log, e) == -1)
      return -1;
  }
  return 0;
}

/* Windows 8 and later find it in the DriverDatabase (SYSTEM's root key
 * DriverDatabase): a driver package of ours, v2vfs-NAME.inf, that binds
 * the IDs to the service.  Its Version blob carries the package's
 * class, SCSIAdapter, which the kernel's Plug and Play checks. */
static int
driver_db (struct win *w, const char *name, const char *const *ids,
           struct v2_error *e)
{
  static const unsigned char version[48] = {
    0x00, 0xff, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* {4D36E97B-E325-11CE-BFC1-08002BE10318}, as a GUID is stored */
    0x7b, 0xe9, 0x36, 0x4d, 0x25, 0xe3, 0xce, 0x11,
    0xbf, 0xc1, 0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18,
  };
  static const unsigned char rank[4] = { 0x01, 0xff, 0x00, 0x00 };
  CLEANUP_FREE char *inf = NULL, *pkg = NULL, *conf = NULL, *k_inf = NULL;
  CLEANUP_FREE char *k_pkg = NULL, *k_conf = NULL;
  struct hive *h = w->system;
  size_t i;

  if (asprintf (&inf, "v2vfs-%s.inf", name) == -1 ||
      asprintf (&pkg, "%s_v2vfs", inf) == -1 ||
      asprintf (&conf, "v2vfs_%s_inst", name) == -1 ||
      asprintf (&k_inf, "DriverDatabase\\DriverInfFiles\\%s", inf) == -1 ||
      asprintf (&k_pkg, "DriverDatabase\\DriverPackages\\%s", pkg) == -1 ||
      asprintf (&k_conf, "%s\\Configurations\\%s", k_pkg, conf) == -1)
    return v2_err (e, ENOMEM, "out of memory");
  if (hive_set_multi (h, k_inf, "", (const char *const[]) { pkg, NULL }, &w->log, e) == -1 ||
      hive_set_string (h, k_inf, "Active", pkg, false, &w->log, e) == -1 ||
      hive_set_multi (h, k_inf, "Configurations", (const char *const[]) { conf, NULL },
                      &w->log, e) == -1 ||
      hive_set_binary (h, k_pkg, "Version", version, sizeof version, &w->log, e) == -1 ||
      hive_set_dword (h, k_conf, "ConfigFlags", 0, &w->log, e) == -1 ||
      hive_set_string (h, k_conf, "Service", name, false, &w->log, e) == -1)
    return -1;
  for (i = 0; ids[i]; i++) {
    CLEANUP_FREE char *dev = NULL, *desc = NULL;
    if (asprintf (&dev, "DriverDatabase\\DeviceIds\\PCI\\%s", ids[i]) == -1 ||
        asprintf (&desc, "%s\\Descriptors\\PCI\\%s", k_pkg, ids[i]) == -1)
      return v2_err (e, ENOMEM, "out of memory");
    if (hive_set_binary (h, dev, inf, rank, sizeof rank, &w->log, e) == -1 ||
        hive_set_string (h, desc, "Configuration", conf, false, &w->log, e) == -1)
      return -1;
  }
  return 0;
}

/* The storage driver: its .sys where the boot loader finds it, its
 * service, started by the boot loader, and its devices bound to it the
 * way the guest's Windows looks them up at boot. */
static int
install_storage (struct fix *f, struct win *w, const struct win_driver *d)
{
  CLEANUP_FREE char *name = lower (d->name), *sys = NULL, *rel = NULL;
  CLEANUP_FREE char *src = NULL, *dst = NULL, *drivers = NULL, *svc = NULL;
  CLEANUP_FREE char *image = NULL, *params = NULL, *pnp = NULL;
  const char *const *ids = strcmp (name, "viostor") == 0 ? viostor_ids : vioscsi_ids;
  struct hive *h = w->system;
  struct v2_error e;
  const char *file = NULL;
  size_t i;

  if (name == NULL || asprintf (&sys, "%s.sys", name) == -1)
    return report_fail (f->r, "out of memory"), -1;
  for (i = 0; d->files[i]; i++)
    if (strcasecmp (d->files[i], sys) == 0)
      file = d->files[i];
  if (file == NULL)
    return report_fail (f->r, "virtio-win %s has no %s", d->dir, sys), -1;
  if (asprintf (&drivers, "%s/System32/drivers", w->sysroot) == -1 ||
      asprintf (&rel, "%s/%s", d->dir, file) == -1 ||
      (src = win_tree_file (f, w, rel)) == NULL)
    return report_fail (f->r, "out of memory"), -1;
  {
    CLEANUP_FREE char *real = win_real_path (f, drivers);
    if (asprintf (&dst, "%s/%s", real ? real : drivers, sys) == -1)
      return report_fail (f->r, "out of memory"), -1;
  }
  if (win_copy_in (f, src, dst, "the boot-critical storage driver, from virtio-win") == -1)
    return -1;
  if (asprintf (&svc, "%s\\Services\\%s", w->controlset, name) == -1 ||
      asprintf (&image, "system32\\drivers\\%s", sys) == -1 ||
      asprintf (&params, "%s\\Parameters", svc) == -1 ||
      asprintf (&pnp, "%s\\PnpInterface", params) == -1)
    return report_fail (f->r, "out of memory"), -1;
  if (hive_set_dword (h, svc, "Type", 1, &w->log, &e) == -1 ||
      hive_set_dword (h, svc, "Start", 0, &w->log, &e) == -1 ||
      hive_set_dword (h, svc, "ErrorControl", 1, &w->log, &e) == -1 ||
      hive_set_string (h, svc, "Group", "SCSI miniport", false, &w->log, &e) == -1 ||
      hive_set_string (h, svc, "ImagePath", image, true, &w->log, &e) == -1 ||
      hive_set_dword (h, params, "BusType", 1, &w->log, &e) == -1 ||
      hive_set_dword (h, pnp, "5", 1, &w->log, &e) == -1 ||
      critical_device_db (w, name, ids, &e) == -1 ||
      (hive_has_key (h, "DriverDatabase") && driver_db (w, name, ids, &e) == -1))
    return report_fail (f->r, "%s", e.msg), -1;
  return 0;
}

/* Plug and Play looks for drivers along DevicePath: add the staging
 * directory to it. */
static int
device_path (struct fix *f, struct win *w)
{
  static const char key[] = "Microsoft\\Windows\\CurrentVersion";
  static const char ours[] = "%SystemRoot%\\" STAGE_DIR;
  CLEANUP_FREE char *old = hive_get_string (w->software, key, "DevicePath");
  CLEANUP_FREE char *now = NULL;
  struct v2_error e;

  if (old && strcasestr (old, ours))
    return 0;
  if (asprintf (&now, "%s%s%s", old && *old ? old : "%SystemRoot%\\inf",
                ";", ours) == -1)
    return report_fail (f->r, "out of memory"), -1;
  if (hive_set_string (w->software, key, "DevicePath", now, true, &w->log, &e) == -1)
    return report_fail (f->r, "%s", e.msg), -1;
  return 0;
}

int
win_install_drivers (struct fix *f, struct win *w)
{
  size_t i;

  for (i = 0; i < w->n_drivers; i++)
    if (stage (f, w, &w->drivers[i]) == -1)
      return -1;
  if (w->storage && install_storage (f, w, w->storage) == -1)
    return -1;
  return w->n_drivers ? device_path (f, w) : 0;
}
