/* See vmx.h.  The format has no published grammar; this follows what
 * VMware products write and virt-v2v reads: one `key = "value"` per line,
 * `#` comments, CRLF or LF, keys case-insensitive, the last of a
 * repeated key winning, and |XX escapes (|22 is a double quote). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checked.h"
#include "grow.h"
#include "input-limits.h"
#include "cleanup.h"
#include "vmx.h"


struct entry {
  char *key;                     /* lower case */
  char *value;
  int line;
};

struct entries {
  size_t n;
  struct entry *e;               /* in file order */
  struct entry **by_key;         /* sorted by key, then line: find's index */
};

static void
entries_free (struct entries *es)
{
  size_t i;

  for (i = 0; i < es->n; i++) {
    free (es->e[i].key);
    free (es->e[i].value);
  }
  free (es->e);
  free (es->by_key);
}

static char *
trim (char *s)
{
  char *end;

  while (isspace ((unsigned char) *s))
    s++;
  end = s + strlen (s);
  while (end > s && isspace ((unsigned char) end[-1]))
    *--end = '\0';
  return s;
}

/* The value of a `key = value` line: unquoted, |XX escapes decoded. */
static char *
decode_value (const char *v)
{
  size_t l = strlen (v);
  char *out = malloc (l + 1), *o = out;

  if (out == NULL)
    return NULL;
  if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
    v++;
    l -= 2;
  }
  while (l > 0) {
    if (*v == '|' && l >= 3 && isxdigit ((unsigned char) v[1]) &&
        isxdigit ((unsigned char) v[2])) {
      char hex[3] = { v[1], v[2], '\0' };
      *o++ = (char) strtoul (hex, NULL, 16);
      v += 3;
      l -= 3;
    }
    else {
      *o++ = *v++;
      l--;
    }
  }
  *o = '\0';
  return out;
}

static int
by_key_cmp (const void *a, const void *b)
{
  const struct entry *x = *(struct entry *const *) a;
  const struct entry *y = *(struct entry *const *) b;
  int c = strcmp (x->key, y->key);

  return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Lookups go through an index sorted by key: the disk search looks up
 * several keys for each line, and when each lookup scanned every line,
 * a .vmx of LIMIT_VMX_LINES lines (3.5 MB) took 15 s of CPU to refuse
 * at -O2, and a minute under ASan. */
static int
index_entries (struct entries *es, struct v2_error *e)
{
  size_t i;

  es->by_key = malloc ((es->n + 1) * sizeof *es->by_key);
  if (es->by_key == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  for (i = 0; i < es->n; i++)
    es->by_key[i] = &es->e[i];
  qsort (es->by_key, es->n, sizeof *es->by_key, by_key_cmp);
  return 0;
}

static int
read_entries (const char *text, size_t len, const char *name,
              struct entries *es, struct v2_error *e)
{
  size_t pos = 0;
  int line = 0;

  memset (es, 0, sizeof *es);
  while (pos < len) {
    const char *nl = memchr (text + pos, '\n', len - pos);
    size_t l = nl ? (size_t) (nl - (text + pos)) : len - pos;
    CLEANUP_FREE char *copy = strndup (text + pos, l);
    char *s, *eq, *k;
    struct entry *n;

    pos += l + (nl != NULL);
    if (copy == NULL)
      return v2_err (e, ENOMEM, "out of memory");
    if (++line > LIMIT_VMX_LINES)
      return v2_err (e, EFBIG, "%s: more than %d lines: not a .vmx file",
                     name, LIMIT_VMX_LINES);
    if (memchr (copy, '\0', l))
      return v2_err (e, EINVAL, "%s: line %d: a NUL byte: not a .vmx file",
                     name, line);
    s = trim (copy);
    if (*s == '\0' || *s == '#')
      continue;
    if ((eq = strchr (s, '=')) == NULL)
      return v2_err (e, EINVAL, "%s: line %d: not a `key = \"value\"` line: "
                     "'%.60s'", name, line, s);
    *eq = '\0';
    k = trim (s);
    n = grow_one (es->e, es->n, sizeof *n);
    if (n == NULL)
      return v2_err (e, ENOMEM, "out of memory");
    es->e = n;
    n = &es->e[es->n];
    n->line = line;
    n->key = strdup (k);
    n->value = decode_value (trim (eq + 1));
    if (n->key == NULL || n->value == NULL) {
      free (n->key);
      free (n->value);
      return v2_err (e, ENOMEM, "out of memory");
    }
    es->n++;
    for (k = n->key; *k; k++)
      *k = (char) tolower ((unsigned char) *k);
  }
  return index_entries (es, e);
}

/* The last entry for KEY (lower case), or NULL: the last of KEY's run in
 * the index. */
static const struct entry *
find (const struct entries *es, const char *key)
{
  size_t lo = 0, hi = es->n;

  while (lo < hi) {             /* the first entry whose key sorts after */
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp (es->by_key[mid]->key, key) <= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo > 0 && strcmp (es->by_key[lo - 1]->key, key) == 0 ?
    es->by_key[lo - 1] : NULL;
}

static const char *
value (const struct entries *es, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

static const char *
value (const struct entries *es, const char *fmt, ...)
{
  char key[128];
  va_list ap;
  const struct entry *x;

  va_start (ap, fmt);
  vsnprintf (key, sizeof key, fmt, ap);
  va_end (ap);
  x = find (es, key);
  return x ? x->value : NULL;
}

static bool
is_true (const char *v)
{
  return v && strcasecmp (v, "true") == 0;
}

/* KEY as a whole number in [1, MAX]; 0 when absent. */
static int
number (const struct entries *es, const char *key, uint64_t max,
        const char *name, uint64_t *out, struct v2_error *e)
{
  const struct entry *x = find (es, key);
  char *end;

  *out = 0;
  if (x == NULL)
    return 0;
  errno = 0;
  *out = strtoull (x->value, &end, 10);
  if (errno || end == x->value || *end || *out < 1 || *out > max)
    return v2_err (e, EINVAL, "%s: line %d: %s = \"%s\": not a number from 1 "
                   "to %" PRIu64, name, x->line, key, x->value, max);
  return 0;
}

struct found_disk {
  int kind;                      /* boot order: 0 scsi, 1 sata, 2 nvme, 3 ide */
  unsigned ctrl, unit;
  enum vm_controller type;
  const char *file;
};

static const char *const kinds[] = { "scsi", "sata", "nvme", "ide" };

static int
disk_cmp (const void *a, const void *b)
{
  const struct found_disk *x = a, *y = b;

  if (x->kind != y->kind)
    return x->kind - y->kind;
  if (x->ctrl != y->ctrl)
    return x->ctrl < y->ctrl ? -1 : 1;
  return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static enum vm_controller
scsi_type (const char *dev)
{
  if (dev == NULL || strcasecmp (dev, "lsilogic") == 0)
    return VM_CTRL_LSILOGIC;
  if (strcasecmp (dev, "lsisas1068") == 0)
    return VM_CTRL_LSILOGICSAS;
  if (strcasecmp (dev, "pvscsi") == 0)
    return VM_CTRL_PVSCSI;
  if (strcasecmp (dev, "buslogic") == 0)
    return VM_CTRL_BUSLOGIC;
  return VM_CTRL_LSILOGIC;
}

/* The present hard disks: KIND C:U.fileName, in boot order. */
static int
find_disks (const struct entries *es, struct vmx *v, struct v2_error *e)
{
  struct found_disk *d = calloc (es->n + 1, sizeof *d);
  size_t n = 0, i;

  if (d == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  for (i = 0; i < es->n; i++) {
    const char *key = es->e[i].key, *type;
    unsigned c, u;
    int k, used = 0;
    for (k = 0; k < 4; k++) {
      size_t l = strlen (kinds[k]);
      if (strncmp (key, kinds[k], l) == 0 &&
          sscanf (key + l, "%u:%u.filename%n", &c, &u, &used) == 2 &&
          key[l + (size_t) used] == '\0' && c < 64 && u < 256)
        break;
    }
    if (k == 4 || find (es, key) != &es->e[i])      /* not a disk, or repeated */
      continue;
    type = value (es, "%s%u:%u.devicetype", kinds[k], c, u);
    if (type && (strcasestr (type, "cdrom") || strcasestr (type, "atapi"))) {
      if (is_true (value (es, "%s%u:%u.present", kinds[k], c, u)) &&
          v->vm.n_cdroms < 4)
        v->vm.n_cdroms++;
      continue;
    }
    if (!is_true (value (es, "%s%u:%u.present", kinds[k], c, u)) ||
        (value (es, "%s%u.present", kinds[k], c) &&
         !is_true (value (es, "%s%u.present", kinds[k], c))) ||
        strlen (es->e[i].value) < 5 ||
        strcasecmp (es->e[i].value + strlen (es->e[i].value) - 5, ".vmdk") != 0)
      continue;
    d[n++] = (struct found_disk) {
      .kind = k, .ctrl = c, .unit = u, .file = es->e[i].value,
      .type = k == 0 ? scsi_type (value (es, "scsi%u.virtualdev", c)) :
              k == 1 ? VM_CTRL_SATA : k == 2 ? VM_CTRL_NVME : VM_CTRL_IDE,
    };
  }
  qsort (d, n, sizeof *d, disk_cmp);
  v->files = calloc (n + 1, sizeof *v->files);
  v->vm.disks = calloc (n + 1, sizeof *v->vm.disks);
  if (v->files == NULL || v->vm.disks == NULL) {
    free (d);
    return v2_err (e, ENOMEM, "out of memory");
  }
  for (i = 0; i < n; i++) {
    if ((v->files[i] = strdup (d[i].file)) == NULL) {
      free (d);
      return v2_err (e, ENOMEM, "out of memory");
    }
    v->vm.disks[i] = (struct vm_disk) { .disk = i, .ctrl = d[i].type,
                                        .bus = d[i].ctrl, .unit = d[i].unit };
    v->n_files = v->vm.n_disks = i + 1;
  }
  free (d);
  return 0;
}

/* ethernetN, N = 0, 1, ...: present ones, with the MAC their addressType
 * says to use. */
static int
find_nics (const struct entries *es, struct vmx *v, struct v2_error *e)
{
  unsigned n;

  for (n = 0; n < 32; n++) {
    const char *type, *mac, *net, *dev;
    struct vm_nic *nic;
    if (!is_true (value (es, "ethernet%u.present", n)))
      continue;
    nic = grow_one (v->vm.nics, v->vm.n_nics, sizeof *nic);
    if (nic == NULL)
      return v2_err (e, ENOMEM, "out of memory");
    v->vm.nics = nic;
    nic = &v->vm.nics[v->vm.n_nics++];
    memset (nic, 0, sizeof *nic);
    /* "static" uses .address; "generated" and "vpx" (vCenter) use
     * .generatedAddress.  A MAC that does not parse is left to libvirt. */
    type = value (es, "ethernet%u.addresstype", n);
    mac = type && strcasecmp (type, "static") == 0 ?
      value (es, "ethernet%u.address", n) :
      value (es, "ethernet%u.generatedaddress", n);
    if (mac == NULL || vm_parse_mac (mac, nic->mac) == -1)
      nic->mac[0] = '\0';
    net = value (es, "ethernet%u.networkname", n);
    dev = value (es, "ethernet%u.virtualdev", n);
    if ((net && (nic->network = strdup (net)) == NULL) ||
        (dev && (nic->model = strdup (dev)) == NULL))
      return v2_err (e, ENOMEM, "out of memory");
  }
  return 0;
}

int
vmx_parse (const char *text, size_t len, const char *name, struct vmx *v,
           struct v2_error *e)
{
  /* The switches for a vTPM and for virtualization-based security, as
   * vSphere and Workstation write them: VBS itself, then "Expose
   * hardware assisted virtualization" and "Enable IOMMU". */
  const struct { const char *key; bool *on; } switches[] = {
    { "vtpm.present", &v->vm.vtpm },
    { "windows.vbs.enabled", &v->vm.vbs },
    { "vhv.enable", &v->vm.nested_hv },
    { "vvtd.enable", &v->vm.viommu },
  };
  struct entries es;
  const char *s, *base;
  uint64_t x;
  size_t i;
  int r = -1;

  memset (v, 0, sizeof *v);
  if (read_entries (text, len, name, &es, e) == -1)
    goto out;
  if (find (&es, "config.version") == NULL && find (&es, "virtualhw.version") == NULL) {
    v2_err (e, EINVAL, "%s: neither config.version nor virtualHW.version: "
            "not a .vmx file", name);
    goto out;
  }
  base = strrchr (name, '/') ? strrchr (name, '/') + 1 : name;
  s = value (&es, "displayname");
  if (s && *s)
    v->vm.name = strdup (s);
  else if ((v->vm.name = strdup (base)) != NULL && strlen (v->vm.name) > 4 &&
           strcasecmp (v->vm.name + strlen (v->vm.name) - 4, ".vmx") == 0)
    v->vm.name[strlen (v->vm.name) - 4] = '\0';
  if (v->vm.name == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    goto out;
  }
  if (number (&es, "numvcpus", VM_MAX_VCPUS, name, &x, e) == -1)
    goto out;
  v->vm.vcpus = (unsigned) x;
  if (number (&es, "cpuid.corespersocket", VM_MAX_VCPUS, name, &x, e) == -1)
    goto out;
  v->vm.cores_per_socket = (unsigned) x;
  if (number (&es, "memsize", VM_MAX_MEMORY >> 20, name, &x, e) == -1)
    goto out;
  v->vm.memory = x << 20;
  s = value (&es, "firmware");
  v->vm.firmware = s && strcasecmp (s, "efi") == 0 ? VM_FIRMWARE_EFI
                                                  : VM_FIRMWARE_BIOS;
  v->vm.secure_boot = v->vm.firmware == VM_FIRMWARE_EFI &&
    is_true (value (&es, "uefi.secureboot.enabled"));
  for (i = 0; i < sizeof switches / sizeof *switches; i++)
    *switches[i].on = is_true (value (&es, "%s", switches[i].key));
  if ((s = value (&es, "guestos")) && (v->vm.os_type = strdup (s)) == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    goto out;
  }
  if (find_disks (&es, v, e) == -1 || find_nics (&es, v, e) == -1)
    goto out;
  /* A VM with no hard disk present is no error: see ovf.c. */
  if (vm_finish (&v->vm) == -1) {
    v2_err (e, errno, "%s: %s", name, errno == ENOMEM ? "out of memory" :
            "impossible CPU or memory values");
    goto out;
  }
  r = 0;
 out:
  entries_free (&es);
  if (r == -1)
    vmx_free (v);
  return r;
}

void
vmx_free (struct vmx *v)
{
  size_t i;

  for (i = 0; i < v->n_files; i++)
    free (v->files[i]);
  free (v->files);
  vm_free (&v->vm);
  memset (v, 0, sizeof *v);
}
