/* See fs.h: building the mount tree from a bundle (its nodes, the QCOW2
 * layouts and domain.xml texts they serve, kept fresh when an overlay or
 * a fix report changes them) and tearing it down.  The FUSE operations
 * that serve the tree are in fs.c. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "checked.h"
#include "grow.h"
#include "cleanup.h"
#include "fs.h"
#include "mountinfo.h"

void
fs_log (const struct fs *fs, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  if (fs->foreground) {
    fputs ("v2vfs: ", stderr);
    vfprintf (stderr, fmt, ap);
    fputc ('\n', stderr);
  }
  else
    vsyslog (LOG_ERR, fmt, ap);
  va_end (ap);
}

static int
add_node (struct fs *fs, fuse_ino_t parent, const char *name, mode_t mode,
          struct v2_error *e)
{
  struct fs_node *n = grow_one (fs->nodes, fs->n_nodes, sizeof *n);

  if (n == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  fs->nodes = n;
  n = &fs->nodes[fs->n_nodes];
  memset (n, 0, sizeof *n);
  n->parent = parent;
  n->mode = mode;
  pthread_mutex_init (&n->lock, NULL);
  if ((n->name = strdup (name)) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  fs->n_nodes++;
  return 0;
}

static int
add_disk_node (struct fs *fs, const struct image *img, const char *ext,
               mode_t perm, struct v2_error *e)
{
  CLEANUP_FREE char *name = NULL;

  if (asprintf (&name, "%s.%s", img->name, ext) == -1)
    return v2_err (e, ENOMEM, "out of memory");
  return add_node (fs, FS_DISKS_INO, name, S_IFREG | perm, e);
}

/* The qcow2 view reads the raw one's disk: the image, or the image
 * merged with its overlay. */
static int64_t
disk_seek (void *img, uint64_t off, bool data)
{
  return image_seek (img, off, data);
}

static int
disk_pread (void *img, void *buf, size_t len, uint64_t off, struct v2_error *e)
{
  return image_pread (img, buf, len, off, e);
}

static int64_t
merged_seek (void *ov, uint64_t off, bool data)
{
  return overlay_seek (ov, off, data);
}

static int
merged_pread (void *ov, void *buf, size_t len, uint64_t off,
              struct v2_error *e)
{
  return overlay_pread (ov, buf, len, off, e);
}

/* A layout of RAW's disk as it is now, with one reference. */
static struct fs_layout *
layout_build (const struct fs_node *raw, const char *name, struct v2_error *e)
{
  struct fs_layout *l = calloc (1, sizeof *l);
  struct qcow2_disk d = { .opaque = raw->img, .size = raw->img->size,
                          .seek = disk_seek, .pread = disk_pread };
  int tries;

  if (l == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  if (raw->ov)
    d = (struct qcow2_disk) { .opaque = raw->ov, .size = raw->img->size,
                              .seek = merged_seek, .pread = merged_pread };
  /* A write racing the build can make the map look inconsistent; a build
   * that saw no write is final. */
  for (tries = 0; tries < 3; tries++) {
    l->gen = raw->ov ? overlay_generation (raw->ov) : 0;
    l->q = qcow2_build (&d, name, e);
    if (l->q || raw->ov == NULL || overlay_generation (raw->ov) == l->gen)
      break;
  }
  if (l->q == NULL) {
    free (l);
    return NULL;
  }
  l->refs = 1;
  return l;
}

void
layout_put (struct fs_layout *l)
{
  if (l && --l->refs == 0) {
    qcow2_free (l->q);
    free (l);
  }
}

/* Rebuild qcow2 node Q's layout if the overlay changed since; Q's lock
 * held. */
int
layout_refresh (struct fs_node *q, struct v2_error *e)
{
  const struct fs_node *raw = q - 1;    /* fs_build adds the pair together */
  struct fs_layout *l;

  if (raw->ov == NULL || q->layout->gen == overlay_generation (raw->ov))
    return 0;
  if ((l = layout_build (raw, q->name, e)) == NULL)
    return -1;
  layout_put (q->layout);
  q->layout = l;
  q->size = l->q->file_size;
  q->alloc = l->q->allocated;
  return 0;
}

/* A directory name for a VM: its name (plain: vm_finish), with a suffix
 * when another VM or a file of the tree has it already. */
static char *
vm_dir_name (const struct fs *fs, const char *name, size_t k)
{
  char *r;
  size_t i;

  for (i = 0; i < fs->n_nodes; i++)
    if (fs->nodes[i].parent == FS_ROOT_INO && strcmp (fs->nodes[i].name, name) == 0)
      break;
  if (i == fs->n_nodes)
    return strdup (name);
  return asprintf (&r, "%s-vm%zu", name, k + 1) == -1 ? NULL : r;
}

void
text_put (struct fs_text *t)
{
  if (t && --t->refs == 0) {
    free (t->s);
    free (t);
  }
}

struct fs_text *
text_new (char *s, struct v2_error *e)
{
  struct fs_text *t = calloc (1, sizeof *t);

  if (t == NULL) {
    free (s);
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  t->s = s;
  t->len = strlen (s);
  t->refs = 1;
  return t;
}

void
node_set_text (struct fs_node *n, struct fs_text *t)
{
  text_put (n->text);
  n->text = t;
  n->size = n->alloc = t->len;
}

/* Whether two stats are of the same file, unchanged.  A missing report
 * has st_ino 0. */
static bool
same_file (const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
    a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The domain XML of VM as its report FIX says, with one reference. */
static struct fs_text *
domain_text (const struct fs *fs, size_t vm, const struct fixreport_result *fix,
             struct v2_error *e)
{
  const struct domxml_opts o = {
    .disk_paths = fs->disk_paths, .n_disk_paths = fs->bundle->n_disks,
    .maps = fs->maps, .n_maps = fs->n_maps,
    .disk_bus = fix->disk_bus, .virtio_net = fix->virtio_net,
  };
  char *s = domxml_generate (&fs->bundle->vms[vm], &o, e);

  return s ? text_new (s, e) : NULL;
}

/* Make domain.xml node N follow its report: regenerate the text if the
 * report file changed since.  N's lock held.  Renaming a new report into
 * place (what v2vfs-fix does) changes the inode, so a report is never
 * seen half-written. */
int
domain_refresh (const struct fs *fs, struct fs_node *n, struct v2_error *e)
{
  struct fixreport_result fix;
  struct fs_text *t;
  struct stat st = { 0 };

  if (n->report == NULL)
    return 0;
  if (stat (n->report, &st) == -1) {
    if (errno != ENOENT)
      return v2_err (e, errno, "%s: %s", n->report, strerror (errno));
    memset (&st, 0, sizeof st);
  }
  if (n->text && same_file (&st, &n->report_st))
    return 0;
  if (fixreport_read (n->report, &fix, e) == -1 ||
      (t = domain_text (fs, n->vm, &fix, e)) == NULL)
    return -1;
  node_set_text (n, t);
  n->report_st = st;
  return 0;
}

/* domain.xml for each VM of B. */
static int
add_domains (struct fs *fs, struct bundle *b, struct v2_error *e)
{
  const struct fixreport_result unfixed = { 0 };
  size_t i;

  if ((fs->disk_paths = calloc (b->n_disks + 1, sizeof *fs->disk_paths)) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  for (i = 0; i < b->n_disks; i++)
    if (asprintf (&fs->disk_paths[i], "%s/disks/%s.raw", fs->mnt,
                  b->disks[i]->name) == -1) {
      fs->disk_paths[i] = NULL;
      return v2_err (e, ENOMEM, "out of memory");
    }
  for (i = 0; i < b->n_vms; i++) {
    fuse_ino_t parent = FS_ROOT_INO;
    struct fs_node *n;
    if (b->n_vms > 1) {
      CLEANUP_FREE char *dir = vm_dir_name (fs, b->vms[i].name, i);
      if (dir == NULL)
        return v2_err (e, ENOMEM, "out of memory");
      if (add_node (fs, FS_ROOT_INO, dir, S_IFDIR | 0555, e) == -1)
        return -1;
      parent = fs->n_nodes;
    }
    if (add_node (fs, parent, "domain.xml", S_IFREG | 0444, e) == -1)
      return -1;
    n = &fs->nodes[fs->n_nodes - 1];
    n->vm = i;
    if (fs->overlay_dir) {
      if ((n->report = fixreport_path (fs->overlay_dir, i, b->n_vms)) == NULL)
        return v2_err (e, ENOMEM, "out of memory");
      if (domain_refresh (fs, n, e) == -1)
        return -1;
    }
    else {
      struct fs_text *t = domain_text (fs, i, &unfixed, e);
      if (t == NULL)
        return -1;
      node_set_text (n, t);
    }
  }
  return 0;
}

/* verify.status, when the source has a manifest. */
static int
add_status (struct fs *fs, struct bundle *b, struct v2_error *e)
{
  const struct bundle_file *mf = verify_manifest_of (b);
  struct fs_node *n;

  if (mf == NULL)
    return 0;
  if ((fs->verify = verify_new (b, mf, e)) == NULL ||
      add_node (fs, FS_ROOT_INO, "verify.status", S_IFREG | 0444, e) == -1)
    return -1;
  n = &fs->nodes[fs->n_nodes - 1];
  n->status = true;
  return status_refresh (fs, n, e);
}

int
fs_build (struct fs *fs, struct bundle *b, struct overlay_store *store,
          const struct timespec *mtime, struct v2_error *e)
{
  mode_t raw_mode = store ? 0644 : 0444;
  size_t i;

  fs->bundle = b;
  fs->store = store;
  fs->uid = getuid ();
  fs->gid = getgid ();
  fs->time = *mtime;
  if (pthread_key_create (&fs->buf_key, free) != 0)
    return v2_err (e, ENOMEM, "out of memory");
  fs->buf_key_made = true;
  /* Inode numbers follow from the bundle's order, so they are the same
   * on every mount of the same source. */
  if (add_node (fs, FS_ROOT_INO, "", S_IFDIR | 0555, e) == -1 ||
      add_node (fs, FS_ROOT_INO, "disks", S_IFDIR | 0555, e) == -1)
    return -1;
  for (i = 0; i < b->n_files; i++) {
    if (add_node (fs, FS_ROOT_INO, b->files[i].name, S_IFREG | 0444, e) == -1)
      return -1;
    fs->nodes[fs->n_nodes - 1].file = b->files[i].src;
    fs->nodes[fs->n_nodes - 1].size = b->files[i].src->size;
    fs->nodes[fs->n_nodes - 1].alloc = b->files[i].src->size;
  }
  for (i = 0; i < b->n_disks; i++) {
    struct image *img = b->disks[i];
    struct fs_node *n;
    if (add_disk_node (fs, img, "raw", raw_mode, e) == -1)
      return -1;
    n = &fs->nodes[fs->n_nodes - 1];
    n->img = img;
    n->size = img->size;
    n->alloc = img->allocated;
    n->qcow2_ino = fs->n_nodes + 1;
    if (store && (n->ov = overlay_open (store, img, e)) == NULL)
      return -1;

    if (add_disk_node (fs, img, "qcow2", 0444, e) == -1)
      return -1;
    n = &fs->nodes[fs->n_nodes - 1];
    n->img = img;
    if ((n->layout = layout_build (n - 1, n->name, e)) == NULL)
      return -1;
    n->size = n->layout->q->file_size;
    n->alloc = n->layout->q->allocated;

    /* A snapshot chain: what its deltas change above the base. */
    if (img->parent) {
      char *s = image_changes_json (img, e);
      struct fs_text *t = s ? text_new (s, e) : NULL;
      if (t == NULL)
        return -1;
      if (add_disk_node (fs, img, "changed", 0444, e) == -1) {
        text_put (t);
        return -1;
      }
      n = &fs->nodes[fs->n_nodes - 1];
      node_set_text (n, t);
    }
  }
  if (add_status (fs, b, e) == -1)
    return -1;
  return add_domains (fs, b, e);
}

void
fs_tune_readahead (const struct fs *fs, const char *mnt)
{
  CLEANUP_FREE char *real = realpath (mnt, NULL);
  char dev[64], path[128];
  FILE *f;

  /* The last mount there is ours. */
  if (real == NULL || !mountinfo_find (real, "fuse.v2vfs", dev, sizeof dev))
    return;
  snprintf (path, sizeof path, "/sys/class/bdi/%s/read_ahead_kb", dev);
  f = fopen (path, "we");
  if (f == NULL)
    return;                      /* not root: keep the kernel's default */
  if (fprintf (f, "%d\n", FS_MAX_READ / 1024) < 0 || fclose (f) == EOF) {
    if (fs->foreground)
      fs_log (fs, "%s: cannot raise readahead (%s)", path, strerror (errno));
    return;
  }
}

int
fs_free (struct fs *fs)
{
  struct v2_error e;
  size_t i;
  int ret = 0;

  fs_verify_stop (fs);
  verify_free (fs->verify);
  for (i = 0; i < fs->n_nodes; i++) {
    struct fs_node *n = &fs->nodes[i];
    if (n->ov && overlay_close (n->ov, &e) == -1) {
      fs_log (fs, "%s", e.msg);
      ret = -1;
    }
    free (n->name);
    text_put (n->text);
    free (n->report);
    free (n->refused);
    layout_put (n->layout);
    layout_put (n->cached);
    pthread_mutex_destroy (&n->lock);
  }
  free (fs->nodes);
  for (i = 0; fs->disk_paths && fs->disk_paths[i]; i++)
    free (fs->disk_paths[i]);
  free (fs->disk_paths);
  overlay_store_close (fs->store);
  if (fs->buf_key_made) {
    free (pthread_getspecific (fs->buf_key));
    pthread_key_delete (fs->buf_key);
  }
  return ret;
}

