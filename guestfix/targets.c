/* See targets.h.  Everything about the targets is checked before the
 * appliance starts (a minute under TCG): that each exists and opens as
 * the run needs it, that no disk is given twice (two drives of the
 * appliance writing one file would corrupt it), and that their number is
 * the domain's. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "domxml.h"
#include "fullio.h"
#include "targets.h"
#include "xmlread.h"

/* Whether A and B are the same disk. */
static bool
same_disk (const struct stat *a, const struct stat *b)
{
  if (S_ISBLK (a->st_mode) && S_ISBLK (b->st_mode))
    return a->st_rdev == b->st_rdev;
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int
fix_targets_open (struct fix_targets *ft, char *const *args, size_t n,
                  bool dry_run)
{
  CLEANUP_FREE struct stat *st = NULL;
  CLEANUP_FREE char *xml = NULL;
  struct v2_error e;
  size_t i, j, len;

  ft->n = 0;
  ft->t = calloc (n, sizeof *ft->t);
  ft->paths = calloc (n + 1, sizeof *ft->paths);
  ft->formats = calloc (n + 1, sizeof *ft->formats);
  if ((st = calloc (n, sizeof *st)) == NULL || ft->t == NULL || ft->paths == NULL ||
      ft->formats == NULL) {
    fprintf (stderr, "v2vfs-fix: out of memory\n");
    return -1;
  }
  for (i = 0; i < n; i++) {
    if (target_probe (args[i], !dry_run, &ft->t[i], &e) == -1) {
      fprintf (stderr, "v2vfs-fix: -a %s\n", e.msg);
      return -1;
    }
    ft->n++;
    if (stat (args[i], &st[i]) == -1) {
      fprintf (stderr, "v2vfs-fix: -a %s: %s\n", args[i], strerror (errno));
      return -1;
    }
    ft->paths[i] = ft->t[i].path;
    ft->formats[i] = ft->t[i].format;
    for (j = 0; j < i; j++)
      if (same_disk (&st[j], &st[i])) {
        fprintf (stderr, "v2vfs-fix: -a %s: the same disk as -a %s\n", args[i],
                 args[j]);
        return -1;
      }
  }
  if ((xml = read_small_file (ft->domxml, DOMXML_MAX_BYTES, &len)) == NULL) {
    fprintf (stderr, "v2vfs-fix: %s: %s\n", ft->domxml, strerror (errno));
    return -1;
  }
  if ((ft->doc = xml_read_untrusted (xml, len, ft->domxml, &e)) == NULL ||
      target_point_domain (ft->doc, ft->domxml, ft->t, ft->n, &e) == -1) {
    fprintf (stderr, "v2vfs-fix: %s\n", e.msg);
    return -1;
  }
  return 0;
}

int
fix_targets_write_xml (const struct fix_targets *ft, struct report *r,
                       const struct report_result *res)
{
  CLEANUP_FREE char *text = NULL;
  struct v2_error e;
  enum domxml_disk_bus bus = res->virtio_blk ? DOMXML_DISK_VIRTIO_BLK :
    res->virtio_scsi ? DOMXML_DISK_VIRTIO_SCSI : DOMXML_DISK_SATA;

  if (ft->output == NULL)
    return 0;
  /* A failed run may have left the guest half fixed: no domain then
   * says how it boots. */
  if (r->error || r->dry_run) {
    report_progress (r, "%s not written: %s", ft->output,
                     r->error ? "the fix failed" : "a dry run");
    return 0;
  }
  if (target_set_devices (ft->doc, bus, res->virtio_net, &e) == -1 ||
      (text = target_domain_text (ft->doc)) == NULL ||
      replace_file (ft->output, text, strlen (text), &e) == -1) {
    fprintf (stderr, "v2vfs-fix: cannot write the domain: %s\n",
             text ? e.msg : "out of memory");
    return -1;
  }
  report_progress (r, "the fixed targets' domain written to %s", ft->output);
  return 0;
}

void
fix_targets_free (struct fix_targets *ft)
{
  size_t i;

  for (i = 0; i < ft->n; i++)
    target_free (&ft->t[i]);
  free (ft->t);
  free (ft->paths);
  free (ft->formats);
  if (ft->doc)
    xmlFreeDoc (ft->doc);
  memset (ft, 0, sizeof *ft);
}
