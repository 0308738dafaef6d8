/* Test helper: the domain XML that a mount of an OVF or VMX would show,
 * without mounting (the samples in tests/samples/ovf come without their
 * disks).
 *
 *   dump-domxml FILE.ovf|FILE.vmx MOUNTPOINT [--network-map MAP]...
 *
 * prints one XML document per VM, in order, with each disk at
 * MOUNTPOINT/disks/NAME.raw; or the error line and exit 1. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container.h"
#include "domxml.h"
#include "ovf.h"
#include "vmx.h"

int
main (int argc, char **argv)
{
  struct domxml_net_map maps[8];
  struct v2_error e;
  struct ovf o = { 0 };
  struct vmx v = { 0 };
  const char *base;
  CLEANUP_FREE char *xml = NULL;
  char **paths;
  size_t i, n_maps = 0, n_paths = 0;
  FILE *f;
  long len;
  int r = 1, a;
  enum domxml_disk_bus disk_bus = DOMXML_DISK_SATA;
  bool virtio_net = false;

  if (argc < 3) {
    fprintf (stderr, "usage: dump-domxml FILE.ovf MOUNTPOINT [--network-map MAP]... "
             "[--virtio blk|scsi|net|blk,net|scsi,net]\n");
    return 2;
  }
  for (a = 3; a + 1 < argc && n_maps < 8; a += 2) {
    if (strcmp (argv[a], "--virtio") == 0) {
      /* As a guest-fix report's result would set it. */
      disk_bus = strstr (argv[a + 1], "blk") ? DOMXML_DISK_VIRTIO_BLK :
                 strstr (argv[a + 1], "scsi") ? DOMXML_DISK_VIRTIO_SCSI :
                 DOMXML_DISK_SATA;
      virtio_net = strstr (argv[a + 1], "net") != NULL;
      continue;
    }
    if (strcmp (argv[a], "--network-map") != 0 ||
        domxml_parse_net_map (argv[a + 1], &maps[n_maps++], &e) == -1) {
      fprintf (stderr, "dump-domxml: %s\n", e.msg);
      return 1;
    }
  }
  if ((f = fopen (argv[1], "rb")) == NULL || fseek (f, 0, SEEK_END) == -1 ||
      (len = ftell (f)) < 0 || fseek (f, 0, SEEK_SET) == -1 ||
      (xml = malloc ((size_t) len + 1)) == NULL ||
      fread (xml, 1, (size_t) len, f) != (size_t) len) {
    perror (argv[1]);
    return 1;
  }
  fclose (f);
  base = strrchr (argv[1], '/') ? strrchr (argv[1], '/') + 1 : argv[1];
  if (strlen (base) > 4 && strcmp (base + strlen (base) - 4, ".vmx") == 0) {
    if (vmx_parse (xml, (size_t) len, base, &v, &e) == -1) {
      fprintf (stderr, "dump-domxml: %s\n", e.msg);
      return 1;
    }
    o.vms = &v.vm;
    o.n_vms = 1;
    n_paths = v.n_files;
  }
  else if (ovf_parse (xml, (size_t) len, base, &o, &e) == -1) {
    fprintf (stderr, "dump-domxml: %s\n", e.msg);
    return 1;
  }
  else
    n_paths = o.n_disks;
  paths = calloc (n_paths + 1, sizeof *paths);
  for (i = 0; paths && i < n_paths; i++) {
    const struct ovf_file *file = v.files || o.disks[i].file_ref == NULL ? NULL :
      ovf_find_file (&o, o.disks[i].file_ref);
    CLEANUP_FREE char *name = container_disk_name (v.files ? v.files[i] :
                                                   file ? file->href : o.disks[i].id);
    if (name == NULL || asprintf (&paths[i], "%s/disks/%s.raw", argv[2], name) == -1)
      goto out;
  }
  for (i = 0; paths && i < o.n_vms; i++) {
    struct domxml_opts opts = { .disk_paths = paths, .n_disk_paths = n_paths,
                                .maps = maps, .n_maps = n_maps,
                                .disk_bus = disk_bus,
                                .virtio_net = virtio_net };
    CLEANUP_FREE char *dom = domxml_generate (&o.vms[i], &opts, &e);
    if (dom == NULL) {
      fprintf (stderr, "dump-domxml: %s\n", e.msg);
      goto out;
    }
    fputs (dom, stdout);
  }
  r = 0;
 out:
  for (i = 0; paths && i < n_paths; i++)
    free (paths[i]);
  free (paths);
  for (i = 0; i < n_maps; i++)
    domxml_net_map_free (&maps[i]);
  if (v.files) {
    o.vms = NULL;
    o.n_vms = 0;
    vmx_free (&v);
  }
  ovf_free (&o);
  return r;
}
