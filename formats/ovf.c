/* See ovf.h.  Elements are matched by namespace URI and local name, never
 * by prefix: VMware writes <Envelope>, vCloud writes <ovf:Envelope>. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "checked.h"
#include "grow.h"
#include "input-limits.h"
#include "cleanup.h"
#include "names.h"
#include "ovf.h"
#include "xmlread.h"

static const char *const ovf_ns[] = {
  "http://schemas.dmtf.org/ovf/envelope/1",
  "http://schemas.dmtf.org/ovf/envelope/2",
  "http://www.vmware.com/schema/ovf/1/envelope",       /* OVF 0.9 */
};

static bool
is_ovf (const xmlNode *n, const char *local)
{
  size_t i;

  if (n->type != XML_ELEMENT_NODE || strcmp ((const char *) n->name, local))
    return false;
  if (n->ns == NULL || n->ns->href == NULL)
    return true;
  for (i = 0; i < sizeof ovf_ns / sizeof *ovf_ns; i++)
    if (strcmp ((const char *) n->ns->href, ovf_ns[i]) == 0)
      return true;
  return false;
}

/* The first child of N that MATCHES names LOCAL. */
static const xmlNode *
find_child (const xmlNode *n, const char *local,
            bool (*matches) (const xmlNode *, const char *))
{
  for (n = n ? n->children : NULL; n; n = n->next)
    if (matches (n, local))
      return n;
  return NULL;
}

/* A child in the OVF namespace. */
static const xmlNode *
child (const xmlNode *n, const char *local)
{
  return find_child (n, local, is_ovf);
}

/* An attribute in the OVF namespace (ovf:href), or unqualified. */
static char *
attr (const xmlNode *n, const char *local)
{
  const xmlAttr *a;

  for (a = n->properties; a; a = a->next) {
    size_t i;
    if (strcmp ((const char *) a->name, local))
      continue;
    if (a->ns)
      for (i = 0; i < sizeof ovf_ns / sizeof *ovf_ns; i++)
        if (strcmp ((const char *) a->ns->href, ovf_ns[i]) == 0)
          break;
    if (a->ns == NULL || i < sizeof ovf_ns / sizeof *ovf_ns) {
      xmlChar *v = xmlNodeGetContent ((const xmlNode *) a);
      char *r = v ? strdup ((const char *) v) : NULL;
      xmlFree (v);
      return r;
    }
  }
  return NULL;
}

int
ovf_parse_units (const char *s, uint64_t *mult)
{
  static const struct { const char *name; uint64_t m; } named[] = {
    { "byte", 1 }, { "bytes", 1 }, { "KB", 1 << 10 }, { "KiloBytes", 1 << 10 },
    { "MB", 1 << 20 }, { "MegaBytes", 1 << 20 }, { "GB", 1 << 30 },
    { "GigaBytes", 1 << 30 }, { "TB", UINT64_C (1) << 40 },
    { "TeraBytes", UINT64_C (1) << 40 },
  };
  uint64_t m = 1;
  size_t i;

  while (isspace ((unsigned char) *s))
    s++;
  for (i = 0; i < sizeof named / sizeof *named; i++) {
    size_t l = strlen (named[i].name);
    if (strncasecmp (s, named[i].name, l) == 0 &&
        (s[l] == '\0' || isspace ((unsigned char) s[l]) || s[l] == '*')) {
      m = named[i].m;
      s += l;
      break;
    }
  }
  if (i == sizeof named / sizeof *named)
    return -1;
  /* DSP0004 programmatic units: byte [* base [^ exponent]]... */
  for (;;) {
    uint64_t base, exp = 1, f = 1;
    char *end;

    while (isspace ((unsigned char) *s))
      s++;
    if (*s == '\0')
      break;
    if (*s++ != '*')
      return -1;
    while (isspace ((unsigned char) *s))
      s++;
    if (!isdigit ((unsigned char) *s))
      return -1;
    base = strtoull (s, &end, 10);
    s = end;
    while (isspace ((unsigned char) *s))
      s++;
    if (*s == '^') {
      s++;
      while (isspace ((unsigned char) *s))
        s++;
      if (!isdigit ((unsigned char) *s))
        return -1;
      exp = strtoull (s, &end, 10);
      s = end;
    }
    while (exp--)
      if (MUL_OVERFLOW (f, base, &f) || exp > 64)
        return -1;
    if (MUL_OVERFLOW (m, f, &m))
      return -1;
  }
  *mult = m;
  return 0;
}

/* ovf:capacity may be "${key}", resolved through a ProductSection
 * Property's default value. */
static char *
resolve_property (const xmlNode *env, const char *cap)
{
  size_t l = strlen (cap);
  const xmlNode *vs, *ps, *p;

  if (l < 4 || cap[0] != '$' || cap[1] != '{' || cap[l - 1] != '}')
    return strdup (cap);
  vs = child (env, "VirtualSystem");
  for (ps = vs ? vs->children : NULL; ps; ps = ps->next) {
    if (!is_ovf (ps, "ProductSection"))
      continue;
    for (p = ps->children; p; p = p->next) {
      char *key, *val;
      if (!is_ovf (p, "Property") || (key = attr (p, "key")) == NULL)
        continue;
      if (strlen (key) == l - 3 && strncmp (key, cap + 2, l - 3) == 0) {
        free (key);
        if ((val = attr (p, "value")) != NULL)
          return val;
        return NULL;
      }
      free (key);
    }
  }
  return NULL;
}

static int
parse_disk (const xmlNode *env, const xmlNode *n, const char *name,
            struct ovf_disk *d, struct v2_error *e)
{
  char *cap = attr (n, "capacity"), *units = attr (n, "capacityAllocationUnits");
  char *val = NULL, *end;
  const char *why;
  uint64_t v, mult = 1;
  int r = -1;

  d->id = attr (n, "diskId");
  d->file_ref = attr (n, "fileRef");
  if (d->id == NULL || cap == NULL) {
    v2_err (e, EINVAL, "%s: Disk at line %d: missing ovf:diskId or "
            "ovf:capacity", name, n->line);
    goto out;
  }
  /* A Disk without a fileRef is served under its diskId: disks/ID.raw,
   * and the overlay's ID.data and ID.map. */
  if ((why = name_fault (d->id)) != NULL) {
    v2_err (e, EINVAL, "%s: Disk at line %d: ovf:diskId '%s' %s", name,
            n->line, d->id, why);
    goto out;
  }
  val = resolve_property (env, cap);
  if (val == NULL) {
    v2_err (e, EINVAL, "%s: Disk '%s' at line %d: capacity '%s' names no "
            "property with a value", name, d->id, n->line, cap);
    goto out;
  }
  errno = 0;
  v = strtoull (val, &end, 10);
  if (errno || end == val || *end || !isdigit ((unsigned char) *val) ||
      (units && ovf_parse_units (units, &mult) == -1)) {
    /* A disk with a file has the file's own size: a capacity that does
     * not parse (templates carry placeholders such as "+SIZE+") counts
     * as 0, "no more than the file".  A disk without one needs it. */
    if (d->file_ref) {
      d->capacity = 0;
      r = 0;
      goto out;
    }
    v2_err (e, EINVAL, "%s: Disk '%s' at line %d: bad capacity '%s'%s%s%s",
            name, d->id, n->line, val, units ? " (units '" : "",
            units ? units : "", units ? "')" : "");
    goto out;
  }
  if (MUL_OVERFLOW (v, mult, &d->capacity) || d->capacity > (UINT64_C (1) << 50)) {
    v2_err (e, EFBIG, "%s: Disk '%s' at line %d: capacity %s x %s overflows",
            name, d->id, n->line, val, units ? units : "byte");
    goto out;
  }
  r = 0;
 out:
  free (cap);
  free (units);
  free (val);
  return r;
}

/* ---- VirtualSystem: the VM model. */

/* An element by local name, whatever its namespace: an Item's fields are
 * rasd:, sasd: or epasd: (OVF 2), and the vmw: and vbox: parts are told
 * apart from OVF's own by their names. */
static bool
is_named (const xmlNode *n, const char *local)
{
  return n->type == XML_ELEMENT_NODE &&
    strcmp ((const char *) n->name, local) == 0;
}

static const xmlNode *
child_named (const xmlNode *n, const char *local)
{
  return find_child (n, local, is_named);
}

/* The text of N's child LOCAL, trimmed; NULL when there is none. */
static char *
field (const xmlNode *n, const char *local)
{
  xmlChar *v;
  char *r, *p;
  size_t l;

  n = child_named (n, local);
  if (n == NULL || (v = xmlNodeGetContent (n)) == NULL)
    return NULL;
  for (p = (char *) v; isspace ((unsigned char) *p); p++)
    ;
  r = strdup (p);
  xmlFree (v);
  if (r)
    for (l = strlen (r); l && isspace ((unsigned char) r[l - 1]); )
      r[--l] = '\0';
  return r;
}

/* An attribute by local name, whatever its namespace (vmw:key). */
static char *
attr_any (const xmlNode *n, const char *local)
{
  xmlChar *v = NULL;
  const xmlAttr *a;
  char *r;

  for (a = n->properties; a && v == NULL; a = a->next)
    if (strcmp ((const char *) a->name, local) == 0)
      v = xmlNodeGetContent ((const xmlNode *) a);
  if (v == NULL)
    return NULL;
  r = strdup ((const char *) v);
  xmlFree (v);
  return r;
}

/* A whole number in a field: -1 when absent, -2 when not a number. */
static int64_t
field_number (const xmlNode *n, const char *local)
{
  CLEANUP_FREE char *v = field (n, local);
  char *end;
  long long x;

  if (v == NULL)
    return -1;
  errno = 0;
  x = strtoll (v, &end, 10);
  if (errno || end == v || *end || x < 0)
    return -2;
  return x;
}

struct ovf_ctrl {
  char *id;                      /* InstanceID */
  enum vm_controller type;
  unsigned bus;
};

static enum vm_controller
controller_type (int64_t rt, const char *sub)
{
  static const struct { const char *sub; enum vm_controller c; } scsi[] = {
    { "lsilogic", VM_CTRL_LSILOGIC }, { "lsilogicsas", VM_CTRL_LSILOGICSAS },
    { "VirtualSCSI", VM_CTRL_PVSCSI }, { "pvscsi", VM_CTRL_PVSCSI },
    { "buslogic", VM_CTRL_BUSLOGIC },
  };
  size_t i;

  if (rt == 5)
    return VM_CTRL_IDE;
  if (rt == 6) {
    for (i = 0; sub && i < sizeof scsi / sizeof *scsi; i++)
      if (strcasecmp (sub, scsi[i].sub) == 0)
        return scsi[i].c;
    return VM_CTRL_LSILOGIC;     /* VMware's default SCSI controller */
  }
  if (rt == 20 && sub && (strcasestr (sub, "ahci") || strcasestr (sub, "sata")))
    return VM_CTRL_SATA;
  if (rt == 20 && sub && strcasestr (sub, "nvme"))
    return VM_CTRL_NVME;
  return VM_CTRL_UNKNOWN;
}

static bool
is_item (const xmlNode *n)
{
  return is_ovf (n, "Item") || is_ovf (n, "StorageItem") ||
    is_ovf (n, "EthernetPortItem");
}

/* "ovf:/disk/ID" or "/disk/ID" to the index of Disk ID. */
static int
disk_index (const struct ovf *o, const char *res, size_t *idx)
{
  const char *id;
  size_t i;

  if (strncmp (res, "ovf:", 4) == 0)
    res += 4;
  if (strncmp (res, "/disk/", 6) != 0)
    return -1;
  id = res + 6;
  for (i = 0; i < o->n_disks; i++)
    if (strcmp (o->disks[i].id, id) == 0) {
      *idx = i;
      return 0;
    }
  return -1;
}

static int
vm_add_disk (struct vm *vm, struct vm_disk d)
{
  struct vm_disk *n = grow_one (vm->disks, vm->n_disks, sizeof *n);

  if (n == NULL)
    return -1;
  vm->disks = n;
  vm->disks[vm->n_disks++] = d;
  return 0;
}

/* One hardware Item: CPU, memory, disk or NIC.  Controllers were taken
 * in a first pass. */
static int
parse_item (const struct ovf *o, const xmlNode *it,
            const struct ovf_ctrl *ctrls, size_t n_ctrls, struct vm *vm,
            const char *name, struct v2_error *e)
{
  int64_t rt = field_number (it, "ResourceType"), q;
  CLEANUP_FREE char *units = NULL, *res = NULL, *parent = NULL, *mac = NULL;
  uint64_t mult;
  size_t i;

  if (rt == -2)
    return v2_err (e, EINVAL, "%s: Item at line %d: ResourceType is not a "
                   "number", name, it->line);
  switch (rt) {
  case 1:                        /* other: vSphere's vTPM is one */
    /* <rasd:ResourceSubType>vmware.vtpm</rasd:ResourceSubType>, as
     * vSphere exports it and govmomi's ovf package names it
     * (ResourceSubTypeVTPM). */
    res = field (it, "ResourceSubType");
    if (res && strcasecmp (res, "vmware.vtpm") == 0)
      vm->vtpm = true;
    return 0;
  case 3:                        /* processors */
    q = field_number (it, "VirtualQuantity");
    if (q < 1 || q > VM_MAX_VCPUS)
      return v2_err (e, EINVAL, "%s: Item at line %d: %s CPU count (1 to %d)",
                     name, it->line, q == -1 ? "no" : "impossible",
                     VM_MAX_VCPUS);
    vm->vcpus = (unsigned) q;
    q = field_number (it, "CoresPerSocket");
    vm->cores_per_socket = q > 0 && q <= VM_MAX_VCPUS ? (unsigned) q : 0;
    return 0;
  case 4:                        /* memory */
    q = field_number (it, "VirtualQuantity");
    units = field (it, "AllocationUnits");
    /* DSP0243: memory without units is in megabytes. */
    if (units == NULL)
      mult = UINT64_C (1) << 20;
    else if (ovf_parse_units (units, &mult) == -1)
      return v2_err (e, EINVAL, "%s: Item at line %d: unknown memory units "
                     "'%s'", name, it->line, units);
    if (q < 1 || MUL_OVERFLOW ((uint64_t) q, mult, &vm->memory) ||
        vm->memory > VM_MAX_MEMORY)
      return v2_err (e, EINVAL, "%s: Item at line %d: %s memory size", name,
                     it->line, q == -1 ? "no" : "impossible");
    return 0;
  case 17: {                     /* disk drive */
    struct vm_disk d = { 0 };
    res = field (it, "HostResource");
    if (res == NULL)
      return 0;                  /* a drive with no disk: nothing to attach */
    if (disk_index (o, res, &d.disk) == -1)
      return v2_err (e, EINVAL, "%s: Item at line %d: HostResource '%s' names "
                     "no Disk in DiskSection", name, it->line, res);
    parent = field (it, "Parent");
    for (i = 0; parent && i < n_ctrls; i++)
      if (strcmp (ctrls[i].id, parent) == 0) {
        d.ctrl = ctrls[i].type;
        d.bus = ctrls[i].bus;
        break;
      }
    q = field_number (it, "AddressOnParent");
    d.unit = q >= 0 && q < 64 ? (unsigned) q : 0;
    for (i = 0; i < vm->n_disks; i++)
      if (vm->disks[i].disk == d.disk)
        return v2_err (e, EINVAL, "%s: Item at line %d: Disk '%s' is attached "
                       "twice", name, it->line, o->disks[d.disk].id);
    return vm_add_disk (vm, d) == -1 ? v2_err (e, ENOMEM, "out of memory") : 0;
  }
  case 15:                       /* CD drive */
  case 16:                       /* DVD drive */
    if (vm->n_cdroms < 4)
      vm->n_cdroms++;
    return 0;
  case 10: {                     /* ethernet adapter */
    struct vm_nic *n = grow_one (vm->nics, vm->n_nics, sizeof *n);
    if (n == NULL)
      return v2_err (e, ENOMEM, "out of memory");
    vm->nics = n;
    n = &vm->nics[vm->n_nics++];
    memset (n, 0, sizeof *n);
    /* A MAC that does not parse is dropped: libvirt makes one up. */
    mac = field (it, "Address");
    if (mac == NULL || vm_parse_mac (mac, n->mac) == -1)
      n->mac[0] = '\0';
    n->network = field (it, "Connection");
    n->model = field (it, "ResourceSubType");
    return 0;
  }
  default:
    return 0;
  }
}

/* vmw:Config key/value pairs of the hardware section: the firmware,
 * and the switches, spelled as vSphere 7 and 8 export them (the names
 * of VirtualMachineConfigSpec and its VirtualMachineFlagInfo "flags"). */
static void
parse_vmw_config (const xmlNode *vhs, struct vm *vm)
{
  const struct { const char *key; bool *on; } switches[] = {
    { "bootOptions.efiSecureBootEnabled", &vm->secure_boot },
    { "flags.vbsEnabled", &vm->vbs },
    { "nestedHVEnabled", &vm->nested_hv },
    { "flags.vvtdEnabled", &vm->viommu },
  };
  const xmlNode *n;
  size_t i;

  for (n = vhs->children; n; n = n->next) {
    CLEANUP_FREE char *key = NULL, *value = NULL;
    if (!is_named (n, "Config") || (key = attr_any (n, "key")) == NULL ||
        (value = attr_any (n, "value")) == NULL)
      continue;
    if (strcmp (key, "firmware") == 0)
      vm->firmware = strcasecmp (value, "efi") == 0 ? VM_FIRMWARE_EFI
                                                    : VM_FIRMWARE_BIOS;
    for (i = 0; i < sizeof switches / sizeof *switches; i++)
      if (strcmp (key, switches[i].key) == 0)
        *switches[i].on = strcasecmp (value, "true") == 0;
  }
}

/* VirtualBox keeps what OVF lacks in vbox:Machine: the firmware, and the
 * MACs of the enabled adapters, in slot order, which are the NIC Items'
 * order. */
static void
parse_vbox_machine (const xmlNode *m, struct vm *vm)
{
  const xmlNode *hw = child_named (m, "Hardware"), *n;
  const xmlNode *fw = child_named (hw, "Firmware");
  const xmlNode *net = child_named (hw, "Network");
  size_t nic = 0;

  if (fw) {
    CLEANUP_FREE char *type = attr_any (fw, "type");
    if (type && strncasecmp (type, "EFI", 3) == 0)
      vm->firmware = VM_FIRMWARE_EFI;
  }
  for (n = net ? net->children : NULL; n; n = n->next) {
    CLEANUP_FREE char *enabled = NULL, *mac = NULL;
    if (!is_named (n, "Adapter"))
      continue;
    enabled = attr_any (n, "enabled");
    if (enabled == NULL || strcmp (enabled, "true") != 0)
      continue;
    mac = attr_any (n, "MACAddress");
    if (nic < vm->n_nics && vm->nics[nic].mac[0] == '\0' && mac)
      vm_parse_mac (mac, vm->nics[nic].mac);
    nic++;
  }
  if (vm->os_type == NULL)
    vm->os_type = attr_any (m, "OSType");
}

static int
parse_virtual_system (struct ovf *o, const xmlNode *vs, const char *name,
                      struct v2_error *e)
{
  struct vm *vm, *vms = grow_one (o->vms, o->n_vms, sizeof *vms);
  const xmlNode *vhs = child (vs, "VirtualHardwareSection"), *os, *n;
  struct ovf_ctrl *ctrls = NULL;
  size_t n_ctrls = 0, i;
  int r = -1;

  if (vms == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  o->vms = vms;
  vm = &o->vms[o->n_vms++];
  memset (vm, 0, sizeof *vm);
  if ((vm->name = field (vs, "Name")) == NULL || vm->name[0] == '\0') {
    free (vm->name);
    vm->name = attr (vs, "id");
  }
  if (vm->name == NULL || vm->name[0] == '\0')
    return v2_err (e, EINVAL, "%s: VirtualSystem at line %d has no ovf:id "
                   "and no Name", name, vs->line);
  if ((os = child (vs, "OperatingSystemSection")) != NULL &&
      (vm->os_type = attr_any (os, "osType")) == NULL)
    vm->os_type = field (os, "OSType");

  /* Controllers first: disks name them by InstanceID, before or after.
   * A repeated InstanceID keeps its first Item. */
  for (n = vhs ? vhs->children : NULL; n; n = n->next) {
    CLEANUP_FREE char *sub = NULL;
    struct ovf_ctrl c = { 0 }, *nc;
    int64_t rt, addr;
    if (!is_item (n))
      continue;
    rt = field_number (n, "ResourceType");
    sub = field (n, "ResourceSubType");
    if (rt != 5 && rt != 6 && rt != 20)
      continue;
    c.type = controller_type (rt, sub);
    if (c.type == VM_CTRL_UNKNOWN || (c.id = field (n, "InstanceID")) == NULL)
      continue;
    addr = field_number (n, "Address");
    c.bus = addr >= 0 && addr < 64 ? (unsigned) addr : 0;
    nc = grow_one (ctrls, n_ctrls, sizeof *nc);
    if (nc == NULL) {
      free (c.id);
      v2_err (e, ENOMEM, "out of memory");
      goto out;
    }
    ctrls = nc;
    ctrls[n_ctrls++] = c;
  }
  for (n = vhs ? vhs->children : NULL; n; n = n->next)
    if (is_item (n) && parse_item (o, n, ctrls, n_ctrls, vm, name, e) == -1)
      goto out;
  if (vhs)
    parse_vmw_config (vhs, vm);
  if ((n = child_named (vs, "Machine")) != NULL)
    parse_vbox_machine (n, vm);
  if (vm_finish (vm) == -1) {
    if (errno == ENOMEM)
      v2_err (e, ENOMEM, "out of memory");
    else
      v2_err (e, EINVAL, "%s: VirtualSystem '%s' at line %d: impossible "
              "CPU or memory values", name, vm->name, vs->line);
    goto out;
  }
  r = 0;
 out:
  for (i = 0; i < n_ctrls; i++)
    free (ctrls[i].id);
  free (ctrls);
  return r;
}

/* Every VirtualSystem under N, in document order, through nested
 * VirtualSystemCollections. */
static int
parse_systems (struct ovf *o, const xmlNode *n, const char *name, int depth,
               struct v2_error *e)
{
  if (depth > 8)
    return v2_err (e, EINVAL, "%s: VirtualSystemCollections nested more than "
                   "8 deep", name);
  for (n = n->children; n; n = n->next) {
    if (is_ovf (n, "VirtualSystem") &&
        parse_virtual_system (o, n, name, e) == -1)
      return -1;
    if (is_ovf (n, "VirtualSystemCollection") &&
        parse_systems (o, n, name, depth + 1, e) == -1)
      return -1;
  }
  return 0;
}

/* A lone VM gets the disks no Item attached, after its own: the disks
 * are the export's, so none may go missing. */
static int
attach_loose_disks (struct ovf *o)
{
  size_t i, j;

  if (o->n_vms != 1)
    return 0;
  for (i = 0; i < o->n_disks; i++) {
    for (j = 0; j < o->vms[0].n_disks && o->vms[0].disks[j].disk != i; j++)
      ;
    if (j == o->vms[0].n_disks &&
        vm_add_disk (&o->vms[0], (struct vm_disk) { .disk = i }) == -1)
      return -1;
  }
  return 0;
}

int
ovf_parse (const char *xml, size_t len, const char *name, struct ovf *o,
           struct v2_error *e)
{
  xmlDoc *doc;
  const xmlNode *env, *refs, *ds, *n;
  int r = -1;

  memset (o, 0, sizeof *o);
  doc = xml_read_untrusted (xml, len, name, e);
  if (doc == NULL)
    return -1;
  env = xmlDocGetRootElement (doc);
  if (env == NULL || !is_ovf (env, "Envelope")) {
    v2_err (e, EINVAL, "%s: the root element is not an OVF Envelope", name);
    goto out;
  }

  refs = child (env, "References");
  for (n = refs ? refs->children : NULL; n; n = n->next) {
    struct ovf_file *f;
    if (!is_ovf (n, "File"))
      continue;
    f = grow_one (o->files, o->n_files, sizeof *f);
    if (f == NULL)
      goto enomem;
    o->files = f;
    f = &o->files[o->n_files++];
    memset (f, 0, sizeof *f);
    f->id = attr (n, "id");
    f->href = attr (n, "href");
    f->compression = attr (n, "compression");
    f->line = n->line;
    if (f->id == NULL || f->href == NULL) {
      v2_err (e, EINVAL, "%s: File at line %d: missing ovf:id or ovf:href",
              name, n->line);
      goto out;
    }
  }

  ds = child (env, "DiskSection");
  for (n = ds ? ds->children : NULL; n; n = n->next) {
    struct ovf_disk *d;
    if (!is_ovf (n, "Disk"))
      continue;
    d = grow_one (o->disks, o->n_disks, sizeof *d);
    if (d == NULL)
      goto enomem;
    o->disks = d;
    d = &o->disks[o->n_disks++];
    memset (d, 0, sizeof *d);
    if (parse_disk (env, n, name, d, e) == -1)
      goto out;
    if (d->file_ref && ovf_find_file (o, d->file_ref) == NULL) {
      v2_err (e, EINVAL, "%s: Disk '%s' at line %d: fileRef '%s' names no "
              "File in References", name, d->id, n->line, d->file_ref);
      goto out;
    }
  }
  /* No disks is no error: a VM may have none (exports of VMs with
   * virtualization-based security often come so), and its mount still
   * has a domain.xml, with an empty disks/. */
  if (parse_systems (o, env, name, 0, e) == -1)
    goto out;
  if (o->n_vms == 0) {
    v2_err (e, EINVAL, "%s: no VirtualSystem: the OVF describes no VM", name);
    goto out;
  }
  if (attach_loose_disks (o) == -1)
    goto enomem;
  r = 0;
  goto out;

 enomem:
  v2_err (e, ENOMEM, "%s: out of memory", name);
 out:
  xmlFreeDoc (doc);
  if (r == -1)
    ovf_free (o);
  return r;
}

void
ovf_free (struct ovf *o)
{
  size_t i;

  for (i = 0; i < o->n_files; i++) {
    free (o->files[i].id);
    free (o->files[i].href);
    free (o->files[i].compression);
  }
  for (i = 0; i < o->n_disks; i++) {
    free (o->disks[i].id);
    free (o->disks[i].file_ref);
  }
  for (i = 0; i < o->n_vms; i++)
    vm_free (&o->vms[i]);
  free (o->files);
  free (o->disks);
  free (o->vms);
  memset (o, 0, sizeof *o);
}

const struct ovf_file *
ovf_find_file (const struct ovf *o, const char *id)
{
  size_t i;

  for (i = 0; i < o->n_files; i++)
    if (strcmp (o->files[i].id, id) == 0)
      return &o->files[i];
  return NULL;
}
