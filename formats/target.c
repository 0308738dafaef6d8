/* See target.h.  The edits work on libxml2's tree rather than on text,
 * so that a domain the user wrote (other attributes, comments, another
 * order) is changed only where it must be. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byteorder.h"
#include "cleanup.h"
#include "fullio.h"
#include "target.h"
#include "xmlread.h"

/* QCOW2's header (docs/interop/qcow2.txt in QEMU): the magic at 0, and
 * the offset of the backing file's name at 8 (0: none). */
#define QCOW2_MAGIC "QFI\xfb"
#define QCOW2_BACKING_OFFSET 8

/* ARG made absolute from the working directory, without resolving
 * links (realpath would turn /dev/VG/LV into a /dev/dm-N that another
 * boot may number differently). */
static char *
absolute (const char *arg)
{
  CLEANUP_FREE char *cwd = NULL;
  char *r;

  if (arg[0] == '/')
    return strdup (arg);
  while (arg[0] == '.' && arg[1] == '/')
    for (arg += 2; arg[0] == '/'; arg++)
      ;
  if ((cwd = getcwd (NULL, 0)) == NULL)
    return NULL;
  return asprintf (&r, "%s%s%s", cwd, strcmp (cwd, "/") ? "/" : "", arg) == -1 ?
    NULL : r;
}

int
target_probe (const char *arg, bool rw, struct target *t, struct v2_error *e)
{
  CLEANUP_CLOSE int fd = -1;
  unsigned char hdr[16] = { 0 };
  struct stat st;
  ssize_t n;

  memset (t, 0, sizeof *t);
  if ((fd = open (arg, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY)) == -1)
    return v2_err (e, errno, "%s: %s", arg, strerror (errno));
  if (fstat (fd, &st) == -1)
    return v2_err (e, errno, "%s: %s", arg, strerror (errno));
  if (!S_ISREG (st.st_mode) && !S_ISBLK (st.st_mode))
    return v2_err (e, EINVAL, "%s: neither a regular file nor a block device", arg);
  if ((n = pread_full (fd, hdr, sizeof hdr, 0)) == -1)
    return v2_err (e, errno, "%s: cannot read its first bytes: %s", arg,
                   strerror (errno));
  /* Shorter than a QCOW2 header: raw (and too small for a guest). */
  t->format = (size_t) n == sizeof hdr && memcmp (hdr, QCOW2_MAGIC, 4) == 0 ?
    "qcow2" : "raw";
  if (strcmp (t->format, "qcow2") == 0 && be64_at (hdr, QCOW2_BACKING_OFFSET) != 0)
    return v2_err (e, EINVAL, "%s: a qcow2 image with a backing file: give a "
                   "standalone image (qemu-img convert -O qcow2)", arg);
  t->block = S_ISBLK (st.st_mode);
  if ((t->path = absolute (arg)) == NULL)
    return v2_err (e, errno ? errno : ENOMEM, "%s: %s", arg,
                   strerror (errno ? errno : ENOMEM));
  return 0;
}

void
target_free (struct target *t)
{
  free (t->path);
  t->path = NULL;
}

static bool
is_elem (const xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0;
}

/* Whether N's attribute NAME is VALUE. */
static bool
prop_is (xmlNode *n, const char *name, const char *value)
{
  xmlChar *v = xmlGetProp (n, BAD_CAST name);
  bool r = v && strcmp ((const char *) v, value) == 0;

  xmlFree (v);
  return r;
}

/* Whether N is a <disk> of DEVICE ("disk" is libvirt's default). */
static bool
is_device (xmlNode *n, const char *device)
{
  return is_elem (n, "disk") &&
    (prop_is (n, "device", device) ||
     (strcmp (device, "disk") == 0 && !xmlHasProp (n, BAD_CAST "device")));
}

/* DOC's disks of DEVICE, in order. */
static xmlNode **
disks_of (xmlDoc *doc, const char *device, size_t *n)
{
  xmlNode *devs = xml_child (xmlDocGetRootElement (doc), "devices"), *d;
  xmlNode **v;
  size_t i = 0;

  *n = 0;
  for (d = devs ? devs->children : NULL; d; d = d->next)
    if (is_device (d, device))
      (*n)++;
  if (*n == 0)
    return NULL;
  if ((v = calloc (*n, sizeof *v)) == NULL) {
    *n = 1;
    return NULL;
  }
  for (d = devs->children; d; d = d->next)
    if (is_device (d, device))
      v[i++] = d;
  return v;
}

xmlNode **
target_domain_disks (xmlDoc *doc, size_t *n)
{
  return disks_of (doc, "disk", n);
}

/* An empty child NAME of N, the one there is or a new one; NULL on
 * ENOMEM. */
static xmlNode *
ensure (xmlNode *n, const char *name)
{
  xmlNode *c = xml_child (n, name);

  return c ? c : xmlNewChild (n, NULL, BAD_CAST name, NULL);
}

static int
point_disk (xmlNode *disk, const struct target *t)
{
  xmlNode *src = xml_child (disk, "source"), *drv, *fresh;

  xmlSetProp (disk, BAD_CAST "type", BAD_CAST (t->block ? "block" : "file"));
  /* A new <source>: what the old one said (the mount's "do not relabel
   * this FUSE file", a pool's volume) was about the old disk. */
  if ((fresh = xmlNewNode (NULL, BAD_CAST "source")) == NULL)
    return -1;
  xmlSetProp (fresh, BAD_CAST (t->block ? "dev" : "file"), BAD_CAST t->path);
  if (src) {
    xmlReplaceNode (src, fresh);
    xmlFreeNode (src);
  }
  else if ((drv = xml_child (disk, "driver")) != NULL)
    xmlAddNextSibling (drv, fresh);
  else
    xmlAddChild (disk, fresh);
  if ((drv = xml_child (disk, "driver")) == NULL) {
    if ((drv = xmlNewNode (NULL, BAD_CAST "driver")) == NULL)
      return -1;
    xmlAddPrevSibling (fresh, drv);
    xmlSetProp (drv, BAD_CAST "name", BAD_CAST "qemu");
  }
  xmlSetProp (drv, BAD_CAST "type", BAD_CAST t->format);
  xml_drop_children (disk, "backingStore");
  return 0;
}

int
target_point_domain (xmlDoc *doc, const char *name, const struct target *t,
                     size_t n, struct v2_error *e)
{
  size_t n_disks, i;
  CLEANUP_FREE xmlNode **disks = target_domain_disks (doc, &n_disks);

  if (disks == NULL && n_disks == 1)
    return v2_err (e, ENOMEM, "out of memory");
  if (n_disks != n)
    return v2_err (e, EINVAL, "%s has %zu disk%s, but -a gave %zu target%s", name,
                   n_disks, n_disks == 1 ? "" : "s", n, n == 1 ? "" : "s");
  for (i = 0; i < n; i++)
    if (point_disk (disks[i], &t[i]) == -1)
      return v2_err (e, ENOMEM, "out of memory");
  return 0;
}

/* Give disk D the name DEV on bus BUS; an <address> it had was for its
 * old bus. */
static int
set_target (xmlNode *d, const char *dev, const char *bus)
{
  xmlNode *tg = ensure (d, "target");

  if (tg == NULL)
    return -1;
  if (!prop_is (tg, "bus", bus))
    xml_drop_children (d, "address");
  xmlSetProp (tg, BAD_CAST "dev", BAD_CAST dev);
  xmlSetProp (tg, BAD_CAST "bus", BAD_CAST bus);
  return 0;
}

int
target_set_devices (xmlDoc *doc, enum domxml_disk_bus bus, bool virtio_net,
                    struct v2_error *e)
{
  xmlNode *devs = xml_child (xmlDocGetRootElement (doc), "devices"), *n, *c;
  CLEANUP_FREE xmlNode **disks = NULL, **cdroms = NULL;
  size_t n_disks, n_cdroms, i, first;
  const char *prefix, *bus_name;
  char dev[16];

  if (devs == NULL)
    return 0;
  disks = disks_of (doc, "disk", &n_disks);
  cdroms = disks_of (doc, "cdrom", &n_cdroms);
  if ((disks == NULL && n_disks) || (cdroms == NULL && n_cdroms))
    return v2_err (e, ENOMEM, "out of memory");
  domxml_bus_names (bus, &prefix, &bus_name);
  for (i = 0; i < n_disks; i++) {
    domxml_disk_target (dev, sizeof dev, prefix, i);
    if (set_target (disks[i], dev, bus_name) == -1)
      return v2_err (e, ENOMEM, "out of memory");
  }
  /* SATA CD drives follow the disks as domxml.c names them, from sda
   * when the disks are vdX; others are the user's and stay. */
  first = bus == DOMXML_DISK_VIRTIO_BLK ? 0 : n_disks;
  for (i = 0; i < n_cdroms; i++)
    if (prop_is (xml_child (cdroms[i], "target"), "bus", "sata")) {
      domxml_disk_target (dev, sizeof dev, "sd", first + i);
      xmlSetProp (xml_child (cdroms[i], "target"), BAD_CAST "dev", BAD_CAST dev);
    }
  /* Named, or libvirt adds its default SCSI controller (lsilogic on
   * x86), which is not what vioscsi drives. */
  if (bus == DOMXML_DISK_VIRTIO_SCSI && n_disks > 0) {
    for (c = devs->children; c; c = c->next)
      if (is_elem (c, "controller") && prop_is (c, "type", "scsi") &&
          (!xmlHasProp (c, BAD_CAST "index") || prop_is (c, "index", "0")))
        break;
    if (c == NULL && (c = xmlNewChild (devs, NULL, BAD_CAST "controller", NULL)))
      xmlSetProp (c, BAD_CAST "type", BAD_CAST "scsi");
    if (c == NULL)
      return v2_err (e, ENOMEM, "out of memory");
    xmlSetProp (c, BAD_CAST "model", BAD_CAST "virtio-scsi");
  }
  for (n = devs->children; n; n = n->next)
    if (is_elem (n, "interface")) {
      if ((c = ensure (n, "model")) == NULL)
        return v2_err (e, ENOMEM, "out of memory");
      xmlSetProp (c, BAD_CAST "type", BAD_CAST (virtio_net ? "virtio" : "e1000"));
    }
  return 0;
}

char *
target_domain_text (xmlDoc *doc)
{
  xmlChar *out = NULL;
  char *r;
  int len;

  xmlDocDumpFormatMemory (doc, &out, &len, 1);
  r = out ? strdup ((const char *) out) : NULL;
  xmlFree (out);
  return r;
}
