/* See edit.h: the edits that keep a guest's NICs named as they were on
 * VMware (udev's persistent-net rules, the distros' network
 * configurations, systemd .link files), built on edit-lines.h. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "edit.h"
#include "edit-lines.h"
#include "grow.h"

/* ---- NICs ----------------------------------------------------------- */

void
edit_nics_free (struct edit_nics *nics)
{
  free (nics->v);
  nics->v = NULL;
  nics->n = 0;
}

/* Add NAME (N bytes) with MAC (or "") unless it is there; a MAC fills in
 * one that was missing.  -1 on ENOMEM. */
static int
nics_add (struct edit_nics *nics, const char *name, size_t n, const char *mac)
{
  struct edit_nic *v;
  size_t i;

  if (n == 0 || n >= sizeof nics->v[0].name)
    return 0;
  for (i = 0; i < nics->n; i++)
    if (strlen (nics->v[i].name) == n && strncmp (nics->v[i].name, name, n) == 0) {
      if (nics->v[i].mac[0] == '\0' && mac[0])
        snprintf (nics->v[i].mac, sizeof nics->v[i].mac, "%s", mac);
      return 0;
    }
  if ((v = realloc (nics->v, (nics->n + 1) * sizeof *v)) == NULL)
    return -1;
  nics->v = v;
  memset (&v[nics->n], 0, sizeof v[nics->n]);
  memcpy (v[nics->n].name, name, n);
  snprintf (v[nics->n].mac, sizeof v[nics->n].mac, "%s", mac);
  nics->n++;
  return 0;
}

/* The value of KEY=="VALUE" or KEY="VALUE" in a udev rule LINE, or
 * NULL; *N is its length. */
static const char *
udev_value (const char *line, size_t len, const char *key, bool match,
            size_t *n)
{
  size_t k = strlen (key), i;

  for (i = 0; i + k < len; i++) {
    const char *v;
    const char *q;
    if (strncmp (line + i, key, k) != 0 || (i > 0 && isalnum ((unsigned char) line[i - 1])))
      continue;
    v = line + i + k;
    if (match && len - i - k >= 3 && strncmp (v, "==\"", 3) == 0)
      v += 3;
    else if (!match && len - i - k >= 2 && strncmp (v, "=\"", 2) == 0)
      v += 2;
    else if (!match && len - i - k >= 3 && strncmp (v, ":=\"", 3) == 0)
      v += 3;
    else
      continue;
    if ((q = memchr (v, '"', (size_t) (line + len - v))) == NULL)
      return NULL;
    *n = (size_t) (q - v);
    return v;
  }
  return NULL;
}

static bool
persistent_net_rule (struct line *l, void *nics)
{
  size_t w = skip_blanks (l->s, 0, l->len), mn = 0, nn = 0, i;
  const char *mac, *name;
  char m[18];

  if (w == l->len || l->s[w] == '#' ||
      (mac = udev_value (l->s, l->len, "ATTR{address}", true, &mn)) == NULL ||
      (name = udev_value (l->s, l->len, "NAME", false, &nn)) == NULL ||
      mn != 17 || nn == 0)
    return false;
  for (i = 0; i < 17; i++)
    m[i] = (char) tolower ((unsigned char) mac[i]);
  m[17] = '\0';
  if (nics_add (nics, name, nn, m) == -1)
    l->out->failed = true;
  comment_out (l, "named by a .link file now");
  return logged (l, "rule naming %s %.*s commented out", m, (int) nn, name);
}

int
edit_persistent_net (const char *in, struct edit_nics *nics, char **out,
                     struct edit_log *log)
{
  return edit_lines (in, persistent_net_rule, nics, log, out);
}

/* eth0, ens192, enp11s0, eno1, em1, p2p1 (and their ":N" aliases). */
static bool
is_nic_name (const char *s, size_t n)
{
  static const char *const prefixes[] = { "eth", "ens", "enp", "eno", "em" };
  size_t i;

  for (i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
    size_t k = strlen (prefixes[i]);
    if (n > k && strncmp (s, prefixes[i], k) == 0 && isdigit ((unsigned char) s[k]))
      return true;
  }
  /* p2p1: port 1 of the NIC in PCI slot 2 (biosdevname). */
  if (n >= 4 && s[0] == 'p' && isdigit ((unsigned char) s[1])) {
    for (i = 1; i < n && isdigit ((unsigned char) s[i]); i++)
      ;
    return i + 1 < n && s[i] == 'p' && isdigit ((unsigned char) s[i + 1]);
  }
  return false;
}

/* Add NAME (N bytes) if it names a NIC, with MAC (or ""): an alias
 * eth0:1 is eth0, a VLAN eth0.100 is carried by eth0. */
static int
nic_name_add (struct edit_nics *nics, const char *name, size_t n, const char *mac)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (name[i] == ':' || name[i] == '.') {
      n = i;
      break;
    }
  return is_nic_name (name, n) ? nics_add (nics, name, n, mac) : 0;
}

/* MAC (N bytes, hex pairs with ':' or '-', any case) as "xx:xx:..."
 * in OUT; false if it is none. */
static bool
norm_mac (const char *mac, size_t n, char out[18])
{
  size_t i;

  if (n != 17)
    return false;
  for (i = 0; i < 17; i++) {
    if (i % 3 == 2 ? mac[i] != ':' && mac[i] != '-' : !isxdigit ((unsigned char) mac[i]))
      return false;
    out[i] = i % 3 == 2 ? ':' : (char) tolower ((unsigned char) mac[i]);
  }
  out[17] = '\0';
  return true;
}

/* Add the NIC NAME (N bytes) that the guest's own configuration binds to
 * MAC (M bytes): it keeps its name under any driver. */
static int
nic_pinned_add (struct edit_nics *nics, const char *name, size_t n,
                const char *mac, size_t m)
{
  char mm[18];
  size_t i;

  if (!norm_mac (mac, m, mm) || !is_nic_name (name, n))
    return 0;
  if (nics_add (nics, name, n, mm) == -1)
    return -1;
  for (i = 0; i < nics->n; i++)
    if (strlen (nics->v[i].name) == n && strncmp (nics->v[i].name, name, n) == 0 &&
        strcmp (nics->v[i].mac, mm) == 0)
      nics->v[i].pinned = true;
  return 0;
}

/* The value after KEY= on LINE (no quotes), or NULL. */
static const char *
key_value (const char *line, size_t len, const char *key, size_t *n)
{
  size_t i = skip_blanks (line, 0, len), k = strlen (key);
  const char *v;

  if (len - i <= k || strncmp (line + i, key, k) != 0 || line[i + k] != '=')
    return NULL;
  v = line + i + k + 1;
  *n = (size_t) (line + len - v);
  while (*n > 0 && (v[*n - 1] == ' ' || v[*n - 1] == '\t'))
    --*n;
  if (*n >= 2 && (v[0] == '"' || v[0] == '\'') && v[*n - 1] == v[0]) {
    v++;
    *n -= 2;
  }
  return v;
}

/* One netplan "ethernets:" entry: its ID, its match's macaddress, its
 * set-name (pointers into the text, with lengths). */
struct netplan_entry {
  const char *id, *mac, *set_name;
  size_t id_n, mac_n, set_name_n, match_indent;
  bool has_match;
};

/* The value of "KEY: VALUE" at W0 on LINE (quotes dropped), or NULL. */
static const char *
yaml_value (const char *line, size_t w0, size_t len, const char *key, size_t *n)
{
  size_t k = strlen (key), i;

  if (len - w0 <= k || strncmp (line + w0, key, k) != 0 || line[w0 + k] != ':')
    return NULL;
  i = skip_blanks (line, w0 + k + 1, len);
  *n = skip_word (line, i, len) - i;
  if (*n >= 2 && (line[i] == '"' || line[i] == '\'') && line[i + *n - 1] == line[i]) {
    i++;
    *n -= 2;
  }
  return line + i;
}

/* The NIC an entry names: set-name (bound to the match's MAC when it has
 * one), else the ID when it matches nothing (the ID is then the name). */
static int
netplan_entry_done (struct netplan_entry *e, struct edit_nics *nics)
{
  int r = 0;

  if (e->set_name && e->mac)
    r = nic_pinned_add (nics, e->set_name, e->set_name_n, e->mac, e->mac_n);
  else if (e->set_name)
    r = nic_name_add (nics, e->set_name, e->set_name_n, "");
  else if (e->id && !e->has_match)
    r = nic_name_add (nics, e->id, e->id_n, "");
  memset (e, 0, sizeof *e);
  return r;
}

int
edit_nic_names (const char *in, enum edit_netcfg kind, const char *file,
                struct edit_nics *nics)
{
  const char *p = in, *line, *eol, *v, *nm_name = NULL, *nm_mac = NULL;
  size_t len, n, eth_indent = 0, key_indent = 0, nm_name_n = 0, nm_mac_n = 0;
  bool in_ethernets = false, in_match = false;
  struct netplan_entry e = { 0 };

  if (kind == EDIT_NET_IFCFG) {
    /* ifcfg-NAME: DEVICE= says it, else the file's name does.  HWADDR=
     * is the NIC's MAC (Red Hat's initscripts give the NIC with that
     * MAC the name DEVICE=). */
    const char *dev = NULL;
    size_t dn = 0;
    char mac[18] = "";
    while (next_line (&p, &line, &len, &eol)) {
      if ((v = key_value (line, len, "DEVICE", &n)) != NULL) {
        dev = v;
        dn = n;
      }
      else if ((v = key_value (line, len, "HWADDR", &n)) != NULL &&
               !norm_mac (v, n, mac))
        mac[0] = '\0';
    }
    if (dev == NULL && file) {
      const char *base = strrchr (file, '/') ? strrchr (file, '/') + 1 : file;
      if (strncmp (base, "ifcfg-", 6) == 0) {
        dev = base + 6;
        dn = strlen (dev);
      }
    }
    return dev ? nic_name_add (nics, dev, dn, mac) : 0;
  }
  while (next_line (&p, &line, &len, &eol)) {
    size_t w0 = skip_blanks (line, 0, len), e0 = skip_word (line, w0, len), i;
    if (w0 == len || line[w0] == '#')
      continue;
    switch (kind) {
    case EDIT_NET_IFUPDOWN:
      /* iface NAME ...; auto A B C; allow-hotplug A B. */
      if (e0 - w0 == 5 && strncmp (line + w0, "iface", 5) == 0) {
        size_t w1 = skip_blanks (line, e0, len);
        if (nic_name_add (nics, line + w1, skip_word (line, w1, len) - w1, "") == -1)
          return -1;
      }
      else if ((e0 - w0 == 4 && strncmp (line + w0, "auto", 4) == 0) ||
               (e0 - w0 > 6 && strncmp (line + w0, "allow-", 6) == 0))
        for (i = skip_blanks (line, e0, len); i < len;
             i = skip_blanks (line, skip_word (line, i, len), len))
          if (nic_name_add (nics, line + i, skip_word (line, i, len) - i, "") == -1)
            return -1;
      break;
    case EDIT_NET_NETPLAN:
      /* The entries one level inside "ethernets:": their IDs, and in
       * them set-name and match's macaddress. */
      if (in_ethernets && (w0 <= eth_indent || w0 == key_indent) &&
          netplan_entry_done (&e, nics) == -1)
        return -1;
      if (e0 - w0 == 10 && strncmp (line + w0, "ethernets:", 10) == 0) {
        in_ethernets = true;
        eth_indent = w0;
        key_indent = 0;
      }
      else if (in_ethernets && w0 <= eth_indent)
        in_ethernets = false;
      else if (in_ethernets && (key_indent == 0 || w0 == key_indent)) {
        key_indent = w0;
        if (line[e0 - 1] == ':') {
          e.id = line + w0;
          e.id_n = e0 - w0 - 1;
        }
      }
      else if (in_ethernets && e.id) {
        if (e.has_match && w0 <= e.match_indent)
          in_match = false;
        if (e0 - w0 == 6 && strncmp (line + w0, "match:", 6) == 0) {
          e.has_match = in_match = true;
          e.match_indent = w0;
        }
        else if (in_match && (v = yaml_value (line, w0, len, "macaddress", &n))) {
          e.mac = v;
          e.mac_n = n;
        }
        else if (!in_match && (v = yaml_value (line, w0, len, "set-name", &n))) {
          e.set_name = v;
          e.set_name_n = n;
        }
      }
      break;
    case EDIT_NET_NETWORKD:
      if (line[w0] == '[')
        in_match = strncmp (line + w0, "[Match]", 7) == 0;
      else if (in_match && (v = key_value (line, len, "Name", &n)) != NULL)
        for (i = 0; i < n; i = skip_blanks (v, skip_word (v, i, n), n)) {
          size_t w = skip_word (v, i, n) - i;
          /* A glob ("en*") matches NICs, it names none. */
          if (!memchr (v + i, '*', w) && !memchr (v + i, '?', w) &&
              !memchr (v + i, '[', w) && nic_name_add (nics, v + i, w, "") == -1)
            return -1;
        }
      break;
    case EDIT_NET_NM:
      /* A keyfile is one connection: its interface-name, and the MAC of
       * its [ethernet] section, which binds it to the NIC by itself. */
      if ((v = key_value (line, len, "interface-name", &n)) != NULL) {
        nm_name = v;
        nm_name_n = n;
      }
      else if ((v = key_value (line, len, "mac-address", &n)) != NULL) {
        nm_mac = v;
        nm_mac_n = n;
      }
      break;
    case EDIT_NET_IFCFG:
      break;
    }
  }
  if (kind == EDIT_NET_NETPLAN && in_ethernets && netplan_entry_done (&e, nics) == -1)
    return -1;
  if (kind == EDIT_NET_NM && nm_name)
    return nm_mac ? nic_pinned_add (nics, nm_name, nm_name_n, nm_mac, nm_mac_n) :
      nic_name_add (nics, nm_name, nm_name_n, "");
  return 0;
}

/* Where VMware puts the NIC called NAME: its number (eth0 -> 0, ens192 ->
 * 192, enp11s0 -> 11000); names with no number go last. */
static unsigned long
nic_rank (const char *name)
{
  const char *p = name;
  unsigned long bus, slot;
  char *end;

  while (*p && !isdigit ((unsigned char) *p))
    p++;
  if (*p == '\0')
    return (unsigned long) -1;
  bus = strtoul (p, &end, 10);
  if (*end == 's' && isdigit ((unsigned char) end[1])) {
    slot = strtoul (end + 1, NULL, 10);
    return bus * 1000 + slot;
  }
  return bus;
}

static int
nic_cmp (const void *a, const void *b)
{
  const struct edit_nic *x = a, *y = b;
  unsigned long rx = nic_rank (x->name), ry = nic_rank (y->name);
  int c = strncmp (x->name, y->name, 2);

  /* eth* and en* apart, each in number order. */
  if (c != 0)
    return c;
  if (rx != ry)
    return rx < ry ? -1 : 1;
  return strcmp (x->name, y->name);
}

void
edit_nics_sort (struct edit_nics *nics)
{
  if (nics->n > 1)
    qsort (nics->v, nics->n, sizeof *nics->v, nic_cmp);
}

char *
edit_link_file (const char *name, const char *mac)
{
  char *s;

  if (asprintf (&s,
                "# Written by v2vfs-fix: this NIC keeps the name it had on VMware\n"
                "# now that it is virtio-net, so its configuration still applies.\n"
                "[Match]\n"
                "MACAddress=%s\n"
                "\n"
                "[Link]\n"
                "Name=%s\n", mac, name) == -1)
    return NULL;
  return s;
}

char *
edit_udev_rule (const char *name, const char *mac)
{
  char *s;

  if (asprintf (&s, "SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"%s\", "
                "NAME=\"%s\"\n", mac, name) == -1)
    return NULL;
  return s;
}

char *
edit_shell_value (const char *text, const char *key)
{
  const char *p = text, *line, *eol, *v, *last = NULL;
  size_t len, n, last_n = 0;

  while (next_line (&p, &line, &len, &eol))
    if ((v = key_value (line, len, key, &n)) != NULL) {
      last = v;
      last_n = n;
    }
  return last ? strndup (last, last_n) : NULL;
}

bool
edit_selinux_enabled (const char *config)
{
  char *v = edit_shell_value (config, "SELINUX");
  bool on = v && (strcmp (v, "enforcing") == 0 || strcmp (v, "permissive") == 0);

  free (v);
  return on;
}

static bool
resume_rule (struct line *l, void *r)
{
  CLEANUP_FREE char *dev = NULL, *stable = NULL;
  const char *v;
  size_t n;

  if ((v = key_value (l->s, l->len, "RESUME", &n)) == NULL ||
      (dev = part (l, (size_t) (v - l->s), (size_t) (v + n - l->s))) == NULL ||
      !edit_is_unstable_device (dev) ||
      (stable = stable_of (l, r, dev, "resume", "swap")) == NULL)
    return false;
  replace (l, (size_t) (v - l->s), (size_t) (v + n - l->s), stable);
  return logged (l, "RESUME=%s -> RESUME=%s", dev, stable);
}

int
edit_resume_conf (const char *in, edit_resolve_fn resolve, void *opaque,
                  char **out, struct edit_log *log)
{
  struct resolver r = { resolve, opaque };

  return edit_lines (in, resume_rule, &r, log, out);
}
