/* See windows.h: what can only happen with Windows running, queued for
 * its first boot on KVM.  A RunOnce entry starts firstboot.cmd at the
 * first logon of an administrator; it runs each action of actions\ once,
 * in name order, logging to firstboot.log beside it (winplan.h has the
 * scripts' text).  The actions: install the staged drivers, the guest
 * agent, remove VMware Tools, and give each static IP back to the NIC
 * with its MAC. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "vm.h"
#include "windows.h"

#define CURRENT_VERSION "Microsoft\\Windows\\CurrentVersion"
#define NET_CLASS "Control\\Class\\{4d36e972-e325-11ce-bfc1-08002be10318}"
#define RUNONCE_NAME "!v2vfs-firstboot"

/* The services VMware Tools installs; those the guest has are disabled
 * when the Tools cannot be uninstalled. */
static const char *const vmware_services[] = {
  "VMTools", "VGAuthService", "vmvss", "vmci", "vsock", "vm3dmp", "vm3dmp_loader",
  "vm3dmp-debug", "vm3dmp-stats", "vmmouse", "vmusbmouse", "vmhgfs", "VMMemCtl",
  "vmrawdsk", "vmxnet", "vmxnet3ndis6", "vnetWFP", NULL,
};

struct fb {
  char *dir, *win_dir;           /* the first-boot directory: guest, Windows */
  unsigned n;                    /* actions queued */
};

/* Write TEXT to PATH unless it holds it already. */
static int
put_text (struct fix *f, const char *path, const char *text, const char *what)
{
  CLEANUP_FREE char *old = NULL, *dir = strdup (path);
  bool err;

  if (dir == NULL)
    return report_fail (f->r, "out of memory"), -1;
  if (fix_is_file (f, path) && (old = fix_read (f, path, &err)) &&
      strcmp (old, text) == 0)
    return 0;
  *strrchr (dir, '/') = '\0';
  if (!f->dry_run && guestfs_mkdir_p (f->g, dir) == -1)
    return report_fail (f->r, "%s: %s", dir, fix_gerror (f)), -1;
  if (fix_write (f, path, text) == -1)
    return -1;
  report_change (f->r, path, "%s", what);
  return 1;
}

/* Queue action NAME (its text, which may be NULL on ENOMEM). */
static int
queue (struct fix *f, struct fb *fb, const char *name, char *text, const char *what)
{
  CLEANUP_FREE char *path = NULL, *file = NULL;
  int r;

  if (text == NULL || asprintf (&file, "%02u-%s.cmd", ++fb->n * 10, name) == -1 ||
      asprintf (&path, "%s/actions/%s", fb->dir, file) == -1) {
    free (text);
    return report_fail (f->r, "out of memory"), -1;
  }
  r = put_text (f, path, text, "a first-boot action");
  free (text);
  if (r == -1)
    return -1;
  report_firstboot (f->r, file, "%s", what);
  return 0;
}

static int
queue_drivers (struct fix *f, struct win *w, struct fb *fb)
{
  size_t i, j, n = 0;
  char **infs = NULL;
  int r = 0;

  for (i = 0; i < w->n_drivers; i++)
    for (j = 0; w->drivers[i].files[j]; j++) {
      const char *file = w->drivers[i].files[j];
      size_t len = strlen (file);
      char **v;
      if (len < 4 || strcasecmp (file + len - 4, ".inf") != 0)
        continue;
      if ((v = realloc (infs, (n + 2) * sizeof *v)) == NULL) {
        r = -1;
        break;
      }
      infs = v;
      if (asprintf (&infs[n], "%s\\Drivers\\VirtIO\\%s\\%s", w->win_sysroot,
                    w->drivers[i].name, file) == -1) {
        r = -1;
        break;
      }
      infs[++n] = NULL;
    }
  if (r == 0 && n)
    r = queue (f, fb, "drivers", winplan_drivers_action (w->v.major,
                                                         (const char *const *) infs),
               "install the staged virtio drivers (pnputil)");
  else if (r == -1)
    report_fail (f->r, "out of memory");
  fix_free_strv (infs);
  return r;
}

static int
queue_agent (struct fix *f, struct win *w, struct fb *fb)
{
  const char *msi = strrchr (w->agent_msi, '/') + 1;
  CLEANUP_FREE char *src = win_tree_file (f, w, w->agent_msi), *dst = NULL;

  if (src == NULL || asprintf (&dst, "%s/%s", fb->dir, msi) == -1)
    return report_fail (f->r, "out of memory"), -1;
  if (win_copy_in (f, src, dst, "the QEMU guest agent, from virtio-win") == -1)
    return -1;
  return queue (f, fb, "guest-agent", winplan_agent_action (msi),
                "install the QEMU guest agent (msiexec /i)");
}

/* VMware Tools: uninstalled at first boot when the registry has its
 * product code; otherwise its services are disabled now. */
static int
vmware_tools (struct fix *f, struct win *w, struct fb *fb)
{
  static const char uninstall[] = CURRENT_VERSION "\\Uninstall";
  char **keys = hive_subkeys (w->software, uninstall);
  const char *services[sizeof vmware_services / sizeof vmware_services[0]];
  CLEANUP_FREE char *product = NULL, *list = NULL;
  size_t i, n = 0, len = 1;
  struct v2_error e;
  int r = 0;

  for (i = 0; keys && keys[i] && product == NULL; i++) {
    CLEANUP_FREE char *k = NULL, *name = NULL;
    if (asprintf (&k, "%s\\%s", uninstall, keys[i]) == -1)
      break;
    name = hive_get_string (w->software, k, "DisplayName");
    if (name && strcasecmp (name, "VMware Tools") == 0 && keys[i][0] == '{' &&
        winplan_safe (keys[i]))
      product = strdup (keys[i]);
  }
  fix_free_strv (keys);
  for (i = 0; vmware_services[i]; i++) {
    CLEANUP_FREE char *k = NULL;
    if (asprintf (&k, "%s\\Services\\%s", w->controlset, vmware_services[i]) != -1 &&
        hive_has_key (w->system, k)) {
      services[n++] = vmware_services[i];
      len += strlen (vmware_services[i]) + 2;
    }
  }
  services[n] = NULL;
  if (product == NULL && n == 0)
    return 0;
  if ((list = malloc (len)) == NULL)
    return report_fail (f->r, "out of memory"), -1;
  list[0] = '\0';
  for (i = 0; i < n; i++)
    sprintf (list + strlen (list), "%s%s", i ? ", " : "", services[i]);
  if (product)
    return queue (f, fb, "vmware-tools", winplan_tools_action (product, services),
                  "remove VMware Tools (msiexec /x); should that fail, disable "
                  "its services");
  report_warn (f->r, "VMware Tools has no uninstall entry: its services are disabled "
               "instead (Start=4): %s", list);
  for (i = 0; i < n && r == 0; i++) {
    CLEANUP_FREE char *k = NULL;
    if (asprintf (&k, "%s\\Services\\%s", w->controlset, services[i]) == -1)
      r = (report_fail (f->r, "out of memory"), -1);
    else if (hive_set_dword (w->system, k, "Start", 4, &w->log, &e) == -1)
      r = (report_fail (f->r, "%s", e.msg), -1);
  }
  return r;
}

/* The MAC of the old NIC whose interface is GUID: its NetworkAddress if
 * the guest set one, else the MAC domain.xml gives the VMware NIC of the
 * same rank (the NICs keep their order from VMware to domain.xml). */
static bool
nic_mac (struct fix *f, struct win *w, const char *guid, char mac[18])
{
  CLEANUP_FREE char *cls = NULL;
  char **keys;
  size_t i, rank = 0;
  bool found = false;

  if (asprintf (&cls, "%s\\" NET_CLASS, w->controlset) == -1)
    return false;
  keys = hive_subkeys (w->system, cls);
  for (i = 0; keys && keys[i] && !found; i++) {
    CLEANUP_FREE char *k = NULL, *id = NULL, *match = NULL, *addr = NULL;
    if (asprintf (&k, "%s\\%s", cls, keys[i]) == -1)
      break;
    id = hive_get_string (w->system, k, "NetCfgInstanceId");
    match = hive_get_string (w->system, k, "MatchingDeviceId");
    if (match == NULL || (!strcasestr (match, "ven_15ad") && !strcasestr (match, "ven_8086")))
      continue;
    if (id && strcasecmp (id, guid) == 0) {
      addr = hive_get_string (w->system, k, "NetworkAddress");
      if (addr && vm_parse_mac (addr, mac) == 0)
        found = true;
      else if (rank < f->n_macs) {
        memcpy (mac, f->macs[rank], 18);
        found = true;
      }
    }
    rank++;
  }
  fix_free_strv (keys);
  return found;
}

/* NameServer is one string, the servers split by commas or spaces. */
static char **
split_servers (char *s)
{
  char **v = calloc (strlen (s) / 2 + 2, sizeof *v);
  char *save = NULL, *t;
  size_t n = 0;

  for (t = strtok_r (s, ", ", &save); v && t; t = strtok_r (NULL, ", ", &save))
    v[n++] = t;
  return v;
}

static int
queue_ip (struct fix *f, struct win *w, struct fb *fb, const char *guid)
{
  CLEANUP_FREE char *k4 = NULL, *k6 = NULL, *dns4 = NULL, *dns6 = NULL, *name = NULL;
  CLEANUP_FREE char *what = NULL, *dns4s = NULL, *dns6s = NULL;
  CLEANUP_FREE char **dns4v = NULL, **dns6v = NULL;
  char **addrs = NULL, **masks = NULL, **gws = NULL, *text;
  struct win_static_ip ip = { .guid = guid };
  uint32_t dhcp = 1;
  int r = 0;

  if (asprintf (&k4, "%s\\Services\\Tcpip\\Parameters\\Interfaces\\%s", w->controlset,
                guid) == -1 ||
      asprintf (&k6, "%s\\Services\\Tcpip6\\Parameters\\Interfaces\\%s", w->controlset,
                guid) == -1)
    return report_fail (f->r, "out of memory"), -1;
  if (hive_get_dword (w->system, k4, "EnableDHCP", &dhcp) == -1 || dhcp != 0 ||
      (addrs = hive_get_multi (w->system, k4, "IPAddress")) == NULL ||
      addrs[0] == NULL || strcmp (addrs[0], "0.0.0.0") == 0)
    goto out;
  masks = hive_get_multi (w->system, k4, "SubnetMask");
  gws = hive_get_multi (w->system, k4, "DefaultGateway");
  /* Split copies: the values stay whole for the report. */
  if ((dns4 = hive_get_string (w->system, k4, "NameServer")) && (dns4s = strdup (dns4)))
    dns4v = split_servers (dns4s);
  if ((dns6 = hive_get_string (w->system, k6, "NameServer")) && (dns6s = strdup (dns6)))
    dns6v = split_servers (dns6s);
  if (!nic_mac (f, w, guid, ip.mac)) {
    report_warn (f->r, "the static IP %s of interface %s is not carried over: no "
                 "VMware NIC of domain.xml matches it", addrs[0], guid);
    goto out;
  }
  ip.v4_addrs = (const char *const *) addrs;
  ip.v4_masks = (const char *const *) masks;
  ip.v4_gateways = (const char *const *) gws;
  ip.v4_dns = (const char *const *) dns4v;
  ip.v6_dns = (const char *const *) dns6v;
  if ((text = winplan_ip_action (&ip)) == NULL) {
    report_warn (f->r, "the static IP of interface %s is not carried over: a value "
                 "is not an address", guid);
    goto out;
  }
  if (asprintf (&name, "ip-%c%c%c%c%c%c%c%c%c%c%c%c", ip.mac[0], ip.mac[1], ip.mac[3],
                ip.mac[4], ip.mac[6], ip.mac[7], ip.mac[9], ip.mac[10], ip.mac[12],
                ip.mac[13], ip.mac[15], ip.mac[16]) == -1 ||
      asprintf (&what, "give the NIC %s the static IP of VMware's %s: %s/%s "
                "gateway %s, DNS %s%s%s", ip.mac, guid, addrs[0],
                masks && masks[0] ? masks[0] : "?",
                gws && gws[0] ? gws[0] : "none", dns4 && *dns4 ? dns4 : "none",
                dns6 && *dns6 ? ", IPv6 DNS " : "", dns6 && *dns6 ? dns6 : "") == -1) {
    free (text);
    r = (report_fail (f->r, "out of memory"), -1);
    goto out;
  }
  r = queue (f, fb, name, text, what);
 out:
  fix_free_strv (addrs);
  fix_free_strv (masks);
  fix_free_strv (gws);
  return r;
}

static int
queue_ips (struct fix *f, struct win *w, struct fb *fb)
{
  CLEANUP_FREE char *key = NULL;
  char **ifs;
  size_t i;
  int r = 0;

  if (asprintf (&key, "%s\\Services\\Tcpip\\Parameters\\Interfaces", w->controlset) == -1)
    return report_fail (f->r, "out of memory"), -1;
  ifs = hive_subkeys (w->system, key);
  for (i = 0; ifs && ifs[i] && r == 0; i++)
    if (winplan_safe (ifs[i]))
      r = queue_ip (f, w, fb, ifs[i]);
  fix_free_strv (ifs);
  return r;
}

/* The first-boot directory, under the guest's Program Files. */
static int
fb_dir (struct fix *f, struct win *w, struct fb *fb)
{
  CLEANUP_FREE char *pf = hive_get_string (w->software, CURRENT_VERSION,
                                           "ProgramFilesDir");
  const char *p = pf && strncasecmp (pf, "C:\\", 3) == 0 && winplan_safe_path (pf) ?
    pf : "C:\\Program Files";
  char *s;

  if (asprintf (&fb->win_dir, "%s\\v2vfs\\firstboot", p) == -1 ||
      asprintf (&fb->dir, "/%s/v2vfs/firstboot", p + 3) == -1)
    return report_fail (f->r, "out of memory"), -1;
  for (s = fb->dir; *s; s++)
    if (*s == '\\')
      *s = '/';
  return 0;
}

static int
firstboot (struct fix *f, struct win *w, struct fb *fb)
{
  CLEANUP_FREE char *runner = NULL, *path = NULL, *cmd = NULL;
  struct v2_error e;

  if (fb_dir (f, w, fb) == -1 ||
      (w->n_drivers && queue_drivers (f, w, fb) == -1) ||
      (w->agent_msi && queue_agent (f, w, fb) == -1) ||
      vmware_tools (f, w, fb) == -1 || queue_ips (f, w, fb) == -1)
    return -1;
  if (fb->n == 0)
    return 0;
  if ((runner = winplan_runner (fb->win_dir)) == NULL ||
      asprintf (&path, "%s/firstboot.cmd", fb->dir) == -1 ||
      asprintf (&cmd, "\"%s\\System32\\cmd.exe\" /c \"%s\\firstboot.cmd\"",
                w->win_sysroot, fb->win_dir) == -1)
    return report_fail (f->r, "out of memory"), -1;
  if (put_text (f, path, runner, "runs the first-boot actions once each") == -1)
    return -1;
  if (hive_set_string (w->software, CURRENT_VERSION "\\RunOnce", RUNONCE_NAME, cmd,
                       false, &w->log, &e) == -1)
    return report_fail (f->r, "%s", e.msg), -1;
  return 0;
}

int
win_firstboot (struct fix *f, struct win *w)
{
  struct fb fb = { 0 };
  int r = firstboot (f, w, &fb);

  free (fb.dir);
  free (fb.win_dir);
  return r;
}
