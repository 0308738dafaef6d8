/* See fs.h.  The ops are thin: look up the node, call image_* (which
 * holds all the format logic) and map its error to an errno, logging the
 * message first.  Attributes and entries never change, so the kernel may
 * cache them as long as it likes. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "checked.h"
#include "cleanup.h"
#include "fs.h"

/* The tree is immutable: cache entries and attributes for a day. */
#define FS_TIMEOUT 86400.0

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
  struct fs_node *n = realloc (fs->nodes, (fs->n_nodes + 1) * sizeof *n);

  if (n == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  fs->nodes = n;
  n = &fs->nodes[fs->n_nodes];
  memset (n, 0, sizeof *n);
  n->parent = parent;
  n->mode = mode;
  if ((n->name = strdup (name)) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  fs->n_nodes++;
  return 0;
}

static int
add_disk_node (struct fs *fs, const struct image *img, const char *ext,
               struct v2_error *e)
{
  CLEANUP_FREE char *name = NULL;

  if (asprintf (&name, "%s.%s", img->name, ext) == -1)
    return v2_err (e, ENOMEM, "out of memory");
  return add_node (fs, FS_DISKS_INO, name, S_IFREG | 0444, e);
}

/* The qcow2 view reads the raw one's disk. */
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

int
fs_build (struct fs *fs, struct bundle *b, const struct timespec *mtime,
          struct v2_error *e)
{
  size_t i;

  fs->bundle = b;
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
    if (add_disk_node (fs, img, "raw", e) == -1)
      return -1;
    n = &fs->nodes[fs->n_nodes - 1];
    n->img = img;
    n->size = img->size;
    n->alloc = img->allocated;

    if (add_disk_node (fs, img, "qcow2", e) == -1)
      return -1;
    n = &fs->nodes[fs->n_nodes - 1];
    n->qcow2 = qcow2_build (&(struct qcow2_disk) {
        .opaque = img, .size = img->size,
        .seek = disk_seek, .pread = disk_pread }, n->name, e);
    if (n->qcow2 == NULL)
      return -1;
    n->size = n->qcow2->file_size;
    n->alloc = n->qcow2->allocated;
  }
  return 0;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape_mountinfo (char *s)
{
  char *d = s;

  for (; *s; s++) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
        s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
      *d++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 3;
    }
    else
      *d++ = *s;
  }
  *d = '\0';
}

void
fs_tune_readahead (const struct fs *fs, const char *mnt)
{
  CLEANUP_FREE char *real = realpath (mnt, NULL), *line = NULL;
  char dev[64] = "", path[128];
  size_t cap = 0;
  FILE *f;

  if (real == NULL || (f = fopen ("/proc/self/mountinfo", "re")) == NULL)
    return;
  /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..."; the last match is ours. */
  while (getline (&line, &cap, f) > 0) {
    char d[64], mp[4096];
    if (sscanf (line, "%*s %*s %63s %*s %4095s", d, mp) != 2)
      continue;
    unescape_mountinfo (mp);
    if (strcmp (mp, real) == 0 && strstr (line, " - fuse.v2vfs "))
      snprintf (dev, sizeof dev, "%s", d);
  }
  fclose (f);
  if (dev[0] == '\0')
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

void
fs_free (struct fs *fs)
{
  size_t i;

  for (i = 0; i < fs->n_nodes; i++) {
    free (fs->nodes[i].name);
    qcow2_free (fs->nodes[i].qcow2);
  }
  free (fs->nodes);
  if (fs->buf_key_made) {
    free (pthread_getspecific (fs->buf_key));
    pthread_key_delete (fs->buf_key);
  }
}

static struct fs_node *
node_of (fuse_req_t req, fuse_ino_t ino)
{
  struct fs *fs = fuse_req_userdata (req);

  return ino >= 1 && ino <= fs->n_nodes ? &fs->nodes[ino - 1] : NULL;
}

static void
fill_stat (const struct fs *fs, fuse_ino_t ino, struct stat *st)
{
  const struct fs_node *n = &fs->nodes[ino - 1];

  memset (st, 0, sizeof *st);
  st->st_ino = ino;
  st->st_mode = n->mode;
  st->st_nlink = S_ISDIR (n->mode) ? 2 : 1;
  st->st_uid = fs->uid;
  st->st_gid = fs->gid;
  st->st_size = (off_t) n->size;
  st->st_blocks = (blkcnt_t) DIV_ROUND_UP (n->alloc, 512);
  st->st_blksize = 65536;
  st->st_atim = st->st_mtim = st->st_ctim = fs->time;
}

static void
fs_init (void *userdata, struct fuse_conn_info *conn)
{
  (void) userdata;
  conn->max_readahead = FS_MAX_READ;
  conn->max_read = FS_MAX_READ;
  /* Enough requests in flight for the kernel's readahead to keep both
   * cores inflating grains. */
  conn->max_background = 64;
  conn->congestion_threshold = 48;
  /* No splice: replies are copied from a buffer each thread reuses.
   * Measured on a 2 GB monolithicSparse convert, that takes 0.92 s
   * against 1.03 s for splice (which also needs pipes larger than
   * pipe-max-size allows unprivileged) and 6.5 s for libfuse's fallback,
   * which maps a fresh buffer for every reply. */
  if (conn->capable & FUSE_CAP_ASYNC_READ)
    conn->want |= FUSE_CAP_ASYNC_READ;
}

static void
fs_lookup (fuse_req_t req, fuse_ino_t parent, const char *name)
{
  struct fs *fs = fuse_req_userdata (req);
  struct fuse_entry_param ep;
  size_t i;

  /* The tree holds a handful of nodes: a scan is the fastest lookup. */
  for (i = 1; i < fs->n_nodes; i++) {
    if (fs->nodes[i].parent == parent && strcmp (fs->nodes[i].name, name) == 0) {
      memset (&ep, 0, sizeof ep);
      ep.ino = i + 1;
      ep.attr_timeout = ep.entry_timeout = FS_TIMEOUT;
      fill_stat (fs, ep.ino, &ep.attr);
      fuse_reply_entry (req, &ep);
      return;
    }
  }
  fuse_reply_err (req, ENOENT);
}

static void
fs_getattr (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct fs *fs = fuse_req_userdata (req);
  struct stat st;

  (void) fi;
  if (node_of (req, ino) == NULL) {
    fuse_reply_err (req, ENOENT);
    return;
  }
  fill_stat (fs, ino, &st);
  fuse_reply_attr (req, &st, FS_TIMEOUT);
}

static void
fs_readdir (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
            struct fuse_file_info *fi)
{
  struct fs *fs = fuse_req_userdata (req);
  const struct fs_node *dir = node_of (req, ino);
  CLEANUP_FREE char *buf = NULL;
  size_t used = 0, i;
  off_t pos = 0;

  (void) fi;
  if (dir == NULL || !S_ISDIR (dir->mode)) {
    fuse_reply_err (req, dir ? ENOTDIR : ENOENT);
    return;
  }
  buf = malloc (size);
  if (buf == NULL) {
    fuse_reply_err (req, ENOMEM);
    return;
  }
  /* Entry k has offset k + 1: ".", "..", then the children in order. */
  for (i = 0; i < fs->n_nodes + 2; i++) {
    struct stat st = { 0 };
    const char *name;
    fuse_ino_t child;
    size_t len;

    if (i == 0) { name = "."; child = ino; }
    else if (i == 1) { name = ".."; child = dir->parent; }
    else {
      if (i - 2 == 0 || fs->nodes[i - 2].parent != ino)
        continue;
      name = fs->nodes[i - 2].name;
      child = i - 1;
    }
    pos++;
    if (pos <= off)
      continue;
    st.st_ino = child;
    st.st_mode = fs->nodes[child - 1].mode;
    len = fuse_add_direntry (req, buf + used, size - used, name, &st, pos);
    if (len > size - used)
      break;
    used += len;
  }
  fuse_reply_buf (req, buf, used);
}

static void
fs_open (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  const struct fs_node *n = node_of (req, ino);

  if (n == NULL || S_ISDIR (n->mode)) {
    fuse_reply_err (req, n ? EISDIR : ENOENT);
    return;
  }
  if ((fi->flags & O_ACCMODE) != O_RDONLY) {
    fuse_reply_err (req, EROFS);
    return;
  }
  /* The content never changes: keep the page cache across opens. */
  fi->keep_cache = 1;
  fuse_reply_open (req, fi);
}

/* This worker thread's read buffer.  Allocated once per thread and
 * reused: a fresh 1 MiB malloc per request is an mmap, 256 page faults
 * and a munmap with TLB shootdowns, which cost more than the copy. */
static char *
thread_buffer (struct fs *fs)
{
  char *buf = pthread_getspecific (fs->buf_key);

  if (buf == NULL) {
    buf = malloc (FS_MAX_READ);
    if (buf && pthread_setspecific (fs->buf_key, buf) != 0) {
      free (buf);
      buf = NULL;
    }
  }
  return buf;
}

static void
fs_read (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
         struct fuse_file_info *fi)
{
  struct fs *fs = fuse_req_userdata (req);
  const struct fs_node *n = node_of (req, ino);
  char *buf;
  struct v2_error e;
  int r;

  (void) fi;
  if (n == NULL || S_ISDIR (n->mode)) {
    fuse_reply_err (req, n ? EISDIR : ENOENT);
    return;
  }
  /* Short reads at end of file. */
  if (off < 0 || (uint64_t) off >= n->size) {
    fuse_reply_buf (req, NULL, 0);
    return;
  }
  size = (size_t) MIN ((uint64_t) size, n->size - (uint64_t) off);
  size = MIN (size, (size_t) FS_MAX_READ);
  buf = thread_buffer (fs);
  if (buf == NULL) {
    fuse_reply_err (req, ENOMEM);
    return;
  }
  if (n->img)
    r = image_pread (n->img, buf, size, (uint64_t) off, &e);
  else if (n->qcow2)
    r = qcow2_pread (n->qcow2, buf, size, (uint64_t) off, &e);
  else
    r = source_pread (n->file, buf, size, (uint64_t) off, "data", &e);
  if (r == -1) {
    fs_log (fs, "%s%s: read of %zu bytes at offset %" PRIu64 ": %s",
            n->file ? "" : "disks/", n->name, size, (uint64_t) off, e.msg);
    fuse_reply_err (req, e.errnum == ENOMEM ? ENOMEM : EIO);
    return;
  }
  fuse_reply_buf (req, buf, size);
}

static void
fs_lseek (fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
          struct fuse_file_info *fi)
{
  const struct fs_node *n = node_of (req, ino);
  int64_t r;

  (void) fi;
  if (n == NULL || S_ISDIR (n->mode)) {
    fuse_reply_err (req, n ? EISDIR : ENOENT);
    return;
  }
  if (whence != SEEK_DATA && whence != SEEK_HOLE) {
    fuse_reply_err (req, EINVAL);
    return;
  }
  if (off < 0 || (uint64_t) off >= n->size) {
    fuse_reply_err (req, ENXIO);
    return;
  }
  if (n->img)
    r = image_seek (n->img, (uint64_t) off, whence == SEEK_DATA);
  else if (n->qcow2)
    r = qcow2_seek (n->qcow2, (uint64_t) off, whence == SEEK_DATA);
  else
    r = whence == SEEK_DATA ? off : (int64_t) n->size;
  if (r == -1) {
    int err = errno;
    if (err != ENXIO)
      fs_log (fuse_req_userdata (req), "disks/%s: lseek from offset %jd: %s",
              n->name, (intmax_t) off, strerror (err));
    fuse_reply_err (req, err);
    return;
  }
  fuse_reply_lseek (req, r);
}

static void
fs_statfs (fuse_req_t req, fuse_ino_t ino)
{
  struct fs *fs = fuse_req_userdata (req);
  struct statvfs sv = { 0 };
  size_t i;

  (void) ino;
  sv.f_bsize = sv.f_frsize = 512;
  for (i = 0; i < fs->n_nodes; i++)
    sv.f_blocks += DIV_ROUND_UP (fs->nodes[i].alloc, 512);
  sv.f_files = fs->n_nodes;
  sv.f_namemax = 255;
  fuse_reply_statfs (req, &sv);
}

const struct fuse_lowlevel_ops fs_ops = {
  .init = fs_init,
  .lookup = fs_lookup,
  .getattr = fs_getattr,
  .readdir = fs_readdir,
  .open = fs_open,
  .read = fs_read,
  .lseek = fs_lseek,
  .statfs = fs_statfs,
};
