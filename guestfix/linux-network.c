/* The network step of the Linux fix (linux.h): the NICs become
 * virtio-net, with new names by the kernel's rules (ens3 where VMware's
 * was ens192), so each NIC the guest configures by name keeps that name,
 * matched by its MAC: systemd's .link files where udev reads them
 * (systemd.link(5)), else one udev rules file.  Where the names are is
 * the family's (linux-family.c). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "linux.h"

static int
edit_persistent_net_fn (const char *in, void *arg, char **out,
                        struct edit_log *log)
{
  return edit_persistent_net (in, arg, out, log);
}

/* The NIC names of every network configuration the guest's family has. */
static int
collect_nic_names (struct fix *f, struct edit_nics *nics)
{
  const struct linux_netcfg *cfgs = f->family->netcfgs;
  size_t i, j;

  for (i = 0; cfgs[i].pattern; i++) {
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
 * them, else one udev rules file; a name the configuration binds to the
 * MAC itself needs neither. */
static int
network_inspect (struct fix *f, struct plan *p)
{
  static const char rules_path[] = "/etc/udev/rules.d/70-v2vfs-net.rules";
  struct edit_nics nics = { 0 };
  char *rules = NULL;
  bool links = fix_exists (f, "/usr/lib/systemd/network/99-default.link") ||
    fix_exists (f, "/lib/systemd/network/99-default.link");
  size_t i, next = 0;
  int ret = -1, r, changed = 0;

  if ((r = plan_edit (f, p, "/etc/udev/rules.d/70-persistent-net.rules",
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
    if (n->pinned) {
      /* netplan's set-name, a keyfile's mac-address=: the guest's own
       * configuration follows the MAC, whatever the driver. */
      report_skip (f->r, "NIC name", "%s: the guest's configuration binds it to "
                   "its MAC, %s", n->name, n->mac);
      continue;
    }
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
    if (plan_mkdir (f, p, "/etc/systemd/network") == -1 ||
        (r = plan_put (f, p, path, text, why)) == -1)
      goto out;
    changed += r;
  }
  if (rules) {
    if ((r = plan_put (f, p, rules_path, rules, "the NICs keep their names as "
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

const struct linux_step linux_step_network = { "network", network_inspect, NULL };
