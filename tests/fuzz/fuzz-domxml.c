/* Fuzz domain.xml generation (formats/domxml.c) from parsed models: the
 * input is an OVF (it starts with '<') or a VMX, parsed as a mount
 * would, and each VM's domain XML is generated.
 *
 * The XML must be well-formed (libxml2 parses it back, with no network
 * and no entities), be a <domain> whose <name> is the VM's name and
 * whose disks are the VM's, in order, at their paths; and generating it
 * twice gives the same bytes.  Disks get their paths as a mount gives
 * them, MOUNT/disks/NAME.raw, where NAME is a plain name or the mount
 * refuses the descriptor. */
#include <config.h>

#include <ctype.h>
#include <stdbool.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cleanup.h"
#include "container.h"
#include "domxml.h"
#include "ovf.h"
#include "vmx.h"

#include "fuzz.h"

#define MOUNT "/run/v2vfs/mnt"

/* The paths of N disk names, NULL when one is not plain. */
static char **
disk_paths (char *const *names, size_t n)
{
  char **paths = calloc (n + 1, sizeof *paths);
  size_t i;

  FUZZ_CHECK (paths != NULL, "out of memory");
  for (i = 0; i < n; i++) {
    CLEANUP_FREE char *name = container_disk_name (names[i]);
    FUZZ_CHECK (name != NULL, "out of memory");
    if (name_fault (name) != NULL ||
        asprintf (&paths[i], MOUNT "/disks/%s.raw", name) == -1) {
      while (i > 0)
        free (paths[--i]);
      free (paths);
      return NULL;
    }
  }
  return paths;
}

static const xmlNode *
child (const xmlNode *n, const char *name)
{
  for (n = n->children; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0)
      return n;
  return NULL;
}

/* XML names the VM and its disks, in order, by PATHS. */
static void
check_xml (const char *xml, const struct vm *vm, char *const *paths)
{
  xmlDoc *doc = xmlReadMemory (xml, (int) strlen (xml), "domain.xml", NULL,
                               XML_PARSE_NONET | XML_PARSE_NOERROR |
                               XML_PARSE_NOWARNING);
  const xmlNode *root, *devs, *n;
  xmlChar *name;
  size_t i = 0;

  if (doc == NULL) {
    const xmlError *err = xmlGetLastError ();
    FUZZ_CHECK (0, "not well-formed: %s\n%s", err ? err->message : "?", xml);
  }
  root = xmlDocGetRootElement (doc);
  FUZZ_CHECK (root && strcmp ((const char *) root->name, "domain") == 0 &&
              child (root, "name") && (devs = child (root, "devices")),
              "not a domain:\n%s", xml);
  name = xmlNodeGetContent (child (root, "name"));
  FUZZ_CHECK (name && strcmp ((const char *) name, vm->name) == 0,
              "<name> is '%s', the VM's '%s'", (const char *) name, vm->name);
  xmlFree (name);
  for (n = devs->children; n; n = n->next) {
    xmlChar *dev, *file;
    if (n->type != XML_ELEMENT_NODE || strcmp ((const char *) n->name, "disk"))
      continue;
    dev = xmlGetProp (n, BAD_CAST "device");
    if (dev && strcmp ((const char *) dev, "disk") == 0) {
      FUZZ_CHECK (i < vm->n_disks && child (n, "source"), "disk %zu", i);
      file = xmlGetProp (child (n, "source"), BAD_CAST "file");
      FUZZ_CHECK (file && strcmp ((const char *) file,
                                  paths[vm->disks[i].disk]) == 0,
                  "disk %zu at '%s', want '%s'", i, (const char *) file,
                  paths[vm->disks[i].disk]);
      xmlFree (file);
      i++;
    }
    xmlFree (dev);
  }
  FUZZ_CHECK (i == vm->n_disks, "%zu disks in the XML, %zu in the VM", i,
              vm->n_disks);
  xmlFreeDoc (doc);
}

static void
generate (const struct vm *vm, char **paths, size_t n_paths, uint8_t flags)
{
  static const struct domxml_net_map maps[] = {
    { .from = (char *) "VM Network", .to = (char *) "br0", .bridge = true },
    { .from = (char *) "nat", .to = (char *) "default", .bridge = false },
  };
  struct domxml_opts o = {
    .disk_paths = paths, .n_disk_paths = n_paths, .maps = maps, .n_maps = 2,
    .disk_bus = (enum domxml_disk_bus) ((flags & 3) % 3),
    .virtio_net = flags & 4,
  };
  struct v2_error e = { 0 };
  CLEANUP_FREE char *xml = domxml_generate (vm, &o, &e);
  CLEANUP_FREE char *again = domxml_generate (vm, &o, &e);

  FUZZ_CHECK (xml != NULL && again != NULL, "%s", e.msg);
  FUZZ_CHECK (strcmp (xml, again) == 0, "two different XMLs of one VM");
  check_xml (xml, vm, paths);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  struct v2_error e = { 0 };
  size_t i, n_paths = 0, skip = 0;
  char **names, **paths = NULL;
  struct ovf o = { 0 };
  struct vmx v = { 0 };
  uint8_t flags = size ? data[size - 1] : 0;

  while (skip < size && isspace (data[skip]))
    skip++;
  if (skip < size && data[skip] == '<') {
    if (ovf_parse (text, size, "fuzz.ovf", &o, &e) == -1)
      return 0;
    names = calloc (o.n_disks + 1, sizeof *names);
    FUZZ_CHECK (names != NULL, "out of memory");
    /* As bundle.c: a disk with a file is named after it, else its id. */
    for (i = 0; i < o.n_disks; i++) {
      const struct ovf_file *f = o.disks[i].file_ref ?
        ovf_find_file (&o, o.disks[i].file_ref) : NULL;
      names[i] = f ? f->href : o.disks[i].id;
    }
    n_paths = o.n_disks;
    paths = disk_paths (names, n_paths);
    free (names);
    for (i = 0; paths && i < o.n_vms; i++)
      generate (&o.vms[i], paths, n_paths, flags);
    ovf_free (&o);
  }
  else {
    if (vmx_parse (text, size, "fuzz.vmx", &v, &e) == -1)
      return 0;
    n_paths = v.n_files;
    paths = disk_paths (v.files, n_paths);
    if (paths)
      generate (&v.vm, paths, n_paths, flags);
    vmx_free (&v);
  }
  for (i = 0; paths && i < n_paths; i++)
    free (paths[i]);
  free (paths);
  return 0;
}
