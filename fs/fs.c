/* See fs.h: the FUSE operations.  They are thin: look up the node, call
 * image_* (which holds all the format logic) and map its error to an
 * errno, logging the message first.  Attributes and entries never change,
 * so the kernel may cache them as long as it likes.  The tree they serve
 * is built in tree.c. */
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

/* The tree is immutable: cache entries and attributes for a day. */
#define FS_TIMEOUT 86400.0

static struct fs_node *
node_of (fuse_req_t req, fuse_ino_t ino)
{
  struct fs *fs = fuse_req_userdata (req);

  return ino >= 1 && ino <= fs->n_nodes ? &fs->nodes[ino - 1] : NULL;
}

/* An open .qcow2 view with --overlay: the layout it reads; an open
 * domain.xml that follows a report: the text it reads. */
struct fs_handle {
  struct fs_layout *layout;
  bool cached;                   /* through the kernel's cache */
  struct fs_text *text;
};

static struct fs_handle *
handle_of (const struct fuse_file_info *fi)
{
  return fi ? (struct fs_handle *) (uintptr_t) fi->fh : NULL;
}

/* Whether node N is a text that changes: a domain.xml that follows its
 * guest-fix report, or verify.status. */
static bool
text_changes (const struct fs_node *n)
{
  return n->report || n->status;
}

/* Whether node N's content changes after mount: such a text, or a .qcow2
 * view with --overlay, whose layout changes with the disk.  Its content
 * is pinned to each open file and brought up to date by node_refresh. */
static bool
changes (const struct fs *fs, const struct fs_node *n)
{
  return text_changes (n) || (n->layout && fs->store);
}

/* Bring such a node up to date; its lock held. */
static int
node_refresh (const struct fs *fs, struct fs_node *n, struct v2_error *e)
{
  return n->status ? status_refresh (fs, n, e) :
    n->report ? domain_refresh (fs, n, e) : layout_refresh (n, e);
}

/* With --overlay, a disk's size or allocation changes with every write,
 * and domain.xml with its report; verify.status changes as the pass goes
 * on: let the kernel cache nothing of their attributes, so that each
 * stat, and each read past the size it knew, asks again. */
static double
attr_timeout (const struct fs *fs, const struct fs_node *n)
{
  return n->status || (fs->store && (n->img || n->report)) ? 0.0 : FS_TIMEOUT;
}

/* The attributes of node INO; for a qcow2 view, those of the layout the
 * open file FI reads, or else the newest. */
static int
stat_node (struct fs *fs, fuse_ino_t ino, const struct fuse_file_info *fi,
           struct stat *st, struct v2_error *e)
{
  struct fs_node *n = &fs->nodes[ino - 1];
  uint64_t size = n->size, alloc = n->alloc;

  if (n->ov)
    alloc = overlay_allocated (n->ov);
  else if (changes (fs, n)) {
    const struct fs_handle *h = handle_of (fi);
    pthread_mutex_lock (&n->lock);
    if (h == NULL && node_refresh (fs, n, e) == -1) {
      pthread_mutex_unlock (&n->lock);
      return -1;
    }
    if (text_changes (n))
      size = alloc = (h ? h->text : n->text)->len;
    else {
      const struct qcow2 *q = (h ? h->layout : n->layout)->q;
      size = q->file_size;
      alloc = q->allocated;
    }
    pthread_mutex_unlock (&n->lock);
  }
  memset (st, 0, sizeof *st);
  st->st_ino = ino;
  st->st_mode = n->mode;
  st->st_nlink = S_ISDIR (n->mode) ? 2 : 1;
  st->st_uid = fs->uid;
  st->st_gid = fs->gid;
  st->st_size = (off_t) size;
  st->st_blocks = (blkcnt_t) DIV_ROUND_UP (alloc, 512);
  st->st_blksize = 65536;
  st->st_atim = st->st_mtim = st->st_ctim = fs->time;
  return 0;
}

/* Log why a request failed, and answer it with a fitting errno. */
static void
reply_error (fuse_req_t req, const struct fs_node *n, const char *what,
             const struct v2_error *e)
{
  fs_log (fuse_req_userdata (req), "%s%s: %s: %s", n->img ? "disks/" : "",
          n->name, what, e->msg);
  fuse_reply_err (req, e->errnum == ENOMEM || e->errnum == ENOSPC ?
                  e->errnum : EIO);
}

static void
fs_init (void *userdata, struct fuse_conn_info *conn)
{
  (void) userdata;
  conn->max_readahead = FS_MAX_READ;
  conn->max_read = FS_MAX_READ;
  conn->max_write = FS_MAX_READ;
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
      struct v2_error e;
      memset (&ep, 0, sizeof ep);
      ep.ino = i + 1;
      ep.entry_timeout = FS_TIMEOUT;
      ep.attr_timeout = attr_timeout (fs, &fs->nodes[i]);
      if (stat_node (fs, ep.ino, NULL, &ep.attr, &e) == -1)
        reply_error (req, &fs->nodes[i], "stat", &e);
      else
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
  const struct fs_node *n = node_of (req, ino);
  struct v2_error e;
  struct stat st;

  if (n == NULL)
    fuse_reply_err (req, ENOENT);
  else if (stat_node (fs, ino, fi, &st, &e) == -1)
    reply_error (req, n, "stat", &e);
  else
    fuse_reply_attr (req, &st, attr_timeout (fs, n));
}

static void
fs_setattr (fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
            struct fuse_file_info *fi)
{
  struct fs *fs = fuse_req_userdata (req);
  const struct fs_node *n = node_of (req, ino);

  if (n == NULL) {
    fuse_reply_err (req, ENOENT);
    return;
  }
  /* A disk keeps its size: writing a view with `dd` needs conv=notrunc,
   * as a block device would.  Times are taken and ignored: every node
   * shows the source's. */
  if ((to_set & FUSE_SET_ATTR_SIZE) && (uint64_t) attr->st_size != n->size) {
    fs_log (fs, "disks/%s: cannot change the size to %jd bytes: it is a "
            "disk of %" PRIu64, n->name, (intmax_t) attr->st_size, n->size);
    fuse_reply_err (req, n->ov ? EPERM : EROFS);
    return;
  }
  if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
    fuse_reply_err (req, EPERM);
    return;
  }
  fs_getattr (req, ino, fi);
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

/* Pin the newest layout of .qcow2 view N to the open file H; N's lock
 * held.  The kernel's cache holds the pages of one layout: the first open
 * through it of a new layout drops the old pages (keep_cache off), and an
 * open of a new layout while files of the old one still read through the
 * cache bypasses it. */
static void
pin_layout (struct fs_node *n, struct fs_handle *h, struct fuse_file_info *fi)
{
  h->layout = n->layout;
  h->layout->refs++;
  h->cached = n->n_cached == 0 || n->cached == n->layout;
  if (h->cached) {
    fi->keep_cache = n->cached == n->layout;
    if (n->cached != n->layout) {
      layout_put (n->cached);
      n->cached = n->layout;
      n->cached->refs++;
    }
    n->n_cached++;
  }
  else
    fi->direct_io = 1;
}

/* Pin the newest text of domain.xml or verify.status N to H, and let the
 * kernel drop what it cached of an older one; N's lock held. */
static void
pin_text (struct fs_node *n, struct fs_handle *h, struct fuse_file_info *fi)
{
  h->text = n->text;
  h->text->refs++;
  fi->keep_cache = 0;
}

/* Open a node whose content follows the overlay (see changes): what it
 * reads now is pinned to the file until it is released. */
static void
open_pinned (fuse_req_t req, const struct fs *fs, struct fs_node *n,
             struct fuse_file_info *fi)
{
  struct fs_handle *h = calloc (1, sizeof *h);
  struct v2_error e;

  if (h == NULL) {
    fuse_reply_err (req, ENOMEM);
    return;
  }
  pthread_mutex_lock (&n->lock);
  if (node_refresh (fs, n, &e) == -1) {
    pthread_mutex_unlock (&n->lock);
    free (h);
    reply_error (req, n, "open", &e);
    return;
  }
  if (text_changes (n))
    pin_text (n, h, fi);
  else
    pin_layout (n, h, fi);
  pthread_mutex_unlock (&n->lock);
  fi->fh = (uintptr_t) h;
  fuse_reply_open (req, fi);
}

static void
fs_open (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct fs *fs = fuse_req_userdata (req);
  struct fs_node *n = node_of (req, ino);

  if (n == NULL || S_ISDIR (n->mode)) {
    fuse_reply_err (req, n ? EISDIR : ENOENT);
    return;
  }
  if ((fi->flags & O_ACCMODE) != O_RDONLY && n->ov == NULL) {
    fuse_reply_err (req, EROFS);
    return;
  }
  if (changes (fs, n)) {
    open_pinned (req, fs, n, fi);
    return;
  }
  /* Only this mount changes the content, and the kernel keeps its cache
   * right through writes: keep it across opens. */
  fi->keep_cache = 1;
  fuse_reply_open (req, fi);
}

static void
fs_release (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct fs_node *n = node_of (req, ino);
  struct fs_handle *h = handle_of (fi);

  if (n && h) {
    pthread_mutex_lock (&n->lock);
    if (h->cached)
      n->n_cached--;
    if (h->layout)
      layout_put (h->layout);
    text_put (h->text);
    pthread_mutex_unlock (&n->lock);
    free (h);
  }
  fuse_reply_err (req, 0);
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

/* With --verify=strict, a read of either view of a disk whose stored
 * file is known bad fails: say which file, and why. */
static bool
refused (fuse_req_t req, const struct fs_node *n)
{
  const struct fs_node *raw = n->qcow2_ino ? n : n - 1;  /* see tree.c */
  const char *why;

  if (n->img == NULL ||
      (why = __atomic_load_n (&raw->refused, __ATOMIC_ACQUIRE)) == NULL)
    return false;
  fs_log (fuse_req_userdata (req), "disks/%s: read refused by "
          "--verify=strict: %s", n->name, why);
  fuse_reply_err (req, EIO);
  return true;
}

static void
fs_read (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
         struct fuse_file_info *fi)
{
  struct fs *fs = fuse_req_userdata (req);
  struct fs_node *n = node_of (req, ino);
  const struct fs_handle *h = handle_of (fi);
  const struct qcow2 *q = h && h->layout ? h->layout->q :
    n && n->layout ? n->layout->q : NULL;
  const struct fs_text *text = h && h->text ? h->text : n ? n->text : NULL;
  uint64_t end;
  char *buf;
  struct v2_error e;
  int r;

  if (n == NULL || S_ISDIR (n->mode)) {
    fuse_reply_err (req, n ? EISDIR : ENOENT);
    return;
  }
  if (refused (req, n))
    return;
  end = q ? q->file_size : text ? text->len : n->size;
  /* Short reads at end of file. */
  if (off < 0 || (uint64_t) off >= end) {
    fuse_reply_buf (req, NULL, 0);
    return;
  }
  size = (size_t) MIN ((uint64_t) size, end - (uint64_t) off);
  size = MIN (size, (size_t) FS_MAX_READ);
  buf = thread_buffer (fs);
  if (buf == NULL) {
    fuse_reply_err (req, ENOMEM);
    return;
  }
  /* Before the read, so a write racing it invalidates what it caches. */
  if (h && h->cached)
    __atomic_store_n (&n->cache_filled, true, __ATOMIC_RELEASE);
  if (q)
    r = qcow2_pread (q, buf, size, (uint64_t) off, &e);
  else if (n->ov)
    r = overlay_pread (n->ov, buf, size, (uint64_t) off, &e);
  else if (n->img)
    r = image_pread (n->img, buf, size, (uint64_t) off, &e);
  else if (text) {
    memcpy (buf, text->s + off, size);
    r = 0;
  }
  else
    r = source_pread (n->file, buf, size, (uint64_t) off, "data", &e);
  if (r == -1) {
    fs_log (fs, "%s%s: read of %zu bytes at offset %" PRIu64 ": %s",
            n->img ? "disks/" : "", n->name, size, (uint64_t) off, e.msg);
    fuse_reply_err (req, e.errnum == ENOMEM ? ENOMEM : EIO);
    return;
  }
  fuse_reply_buf (req, buf, size);
}

/* RAW's disk changed: drop what the kernel caches of its qcow2 view,
 * whose data clusters, and maybe layout, are now stale. */
static void
disk_changed (struct fs *fs, const struct fs_node *raw)
{
  struct fs_node *q = &fs->nodes[raw->qcow2_ino - 1];

  if (__atomic_exchange_n (&q->cache_filled, false, __ATOMIC_ACQ_REL))
    fuse_lowlevel_notify_inval_inode (fs->se, raw->qcow2_ino, 0, 0);
}

static void
fs_write (fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
          off_t off, struct fuse_file_info *fi)
{
  struct fs *fs = fuse_req_userdata (req);
  const struct fs_node *n = node_of (req, ino);
  struct v2_error e;

  (void) fi;
  if (n == NULL || n->ov == NULL) {
    fuse_reply_err (req, n ? EROFS : ENOENT);
    return;
  }
  /* A disk does not grow: a write past its end is out of space. */
  if (off < 0 || (uint64_t) off >= n->size) {
    if (size == 0)
      fuse_reply_write (req, 0);
    else
      fuse_reply_err (req, ENOSPC);
    return;
  }
  size = (size_t) MIN ((uint64_t) size, n->size - (uint64_t) off);
  if (overlay_pwrite (n->ov, buf, size, (uint64_t) off, &e) == -1) {
    disk_changed (fs, n);
    reply_error (req, n, "write", &e);
    return;
  }
  disk_changed (fs, n);
  fuse_reply_write (req, size);
}

static void
fs_fallocate (fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
              struct fuse_file_info *fi)
{
  struct fs *fs = fuse_req_userdata (req);
  const struct fs_node *n = node_of (req, ino);
  const int zero = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
  struct v2_error e;
  uint64_t end;

  (void) fi;
  if (n == NULL || n->ov == NULL) {
    fuse_reply_err (req, n ? EROFS : ENOENT);
    return;
  }
  if (off < 0 || len <= 0 || ADD_OVERFLOW ((uint64_t) off, (uint64_t) len, &end)) {
    fuse_reply_err (req, EINVAL);
    return;
  }
  if (mode & ~(FALLOC_FL_KEEP_SIZE | zero)) {
    fuse_reply_err (req, EOPNOTSUPP);
    return;
  }
  /* Preallocation: every byte of a disk is already there, and it does
   * not grow. */
  if (!(mode & zero)) {
    fuse_reply_err (req, end > n->size && !(mode & FALLOC_FL_KEEP_SIZE) ?
                    EFBIG : 0);
    return;
  }
  end = MIN (end, n->size);
  if ((uint64_t) off < end) {
    int r = overlay_zero (n->ov, end - (uint64_t) off, (uint64_t) off, &e);
    disk_changed (fs, n);
    if (r == -1) {
      reply_error (req, n, "discard", &e);
      return;
    }
  }
  fuse_reply_err (req, 0);
}

/* fsync and flush (every close) both make the disk's writes durable. */
static void
flush_node (fuse_req_t req, fuse_ino_t ino)
{
  const struct fs_node *n = node_of (req, ino);
  struct v2_error e;

  if (n && n->ov && overlay_flush (n->ov, &e) == -1)
    reply_error (req, n, "flush", &e);
  else
    fuse_reply_err (req, 0);
}

static void
fs_flush (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  (void) fi;
  flush_node (req, ino);
}

static void
fs_fsync (fuse_req_t req, fuse_ino_t ino, int datasync,
          struct fuse_file_info *fi)
{
  (void) datasync;
  (void) fi;
  flush_node (req, ino);
}

static void
fs_lseek (fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
          struct fuse_file_info *fi)
{
  struct fs_node *n = node_of (req, ino);
  const struct fs_handle *h = handle_of (fi);
  const struct qcow2 *q = h && h->layout ? h->layout->q :
    n && n->layout ? n->layout->q : NULL;
  uint64_t end;
  int64_t r;

  if (n == NULL || S_ISDIR (n->mode)) {
    fuse_reply_err (req, n ? EISDIR : ENOENT);
    return;
  }
  if (whence != SEEK_DATA && whence != SEEK_HOLE) {
    fuse_reply_err (req, EINVAL);
    return;
  }
  end = q ? q->file_size : h && h->text ? h->text->len : n->size;
  if (off < 0 || (uint64_t) off >= end) {
    fuse_reply_err (req, ENXIO);
    return;
  }
  if (q)
    r = qcow2_seek (q, (uint64_t) off, whence == SEEK_DATA);
  else if (n->ov)
    r = overlay_seek (n->ov, (uint64_t) off, whence == SEEK_DATA);
  else if (n->img)
    r = image_seek (n->img, (uint64_t) off, whence == SEEK_DATA);
  else
    r = whence == SEEK_DATA ? off : (int64_t) end;
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
  for (i = 0; i < fs->n_nodes; i++) {
    struct fs_node *n = &fs->nodes[i];
    uint64_t alloc;
    if (n->ov)
      alloc = overlay_allocated (n->ov);
    else {
      pthread_mutex_lock (&n->lock);
      alloc = n->alloc;
      pthread_mutex_unlock (&n->lock);
    }
    sv.f_blocks += DIV_ROUND_UP (alloc, 512);
  }
  sv.f_files = fs->n_nodes;
  sv.f_namemax = 255;
  fuse_reply_statfs (req, &sv);
}

/* domain.xml's FIXREPORT_XATTR: where v2vfs-fix writes the report. */
static const char *
xattr_of (const struct fs_node *n, const char *name)
{
  return n && n->report && strcmp (name, FIXREPORT_XATTR) == 0 ? n->report : NULL;
}

/* SIZE 0 asks for the length; a buffer too small is ERANGE (xattr(7)). */
static void
reply_xattr (fuse_req_t req, const char *value, size_t len, size_t size)
{
  if (size == 0)
    fuse_reply_xattr (req, len);
  else if (size < len)
    fuse_reply_err (req, ERANGE);
  else
    fuse_reply_buf (req, value, len);
}

/* verify.status's VERIFY_XATTR begins the verification (reading it is
 * the trigger: a read-only mount refuses every setxattr in the VFS,
 * before FUSE sees it) and reads as the state's word.  The length asked
 * for first is the longest word's, since the state may move on before
 * the value is read. */
static void
verify_xattr (fuse_req_t req, size_t size)
{
  struct fs *fs = fuse_req_userdata (req);
  const char *w;

  fs_verify_start (fs);
  w = fs_verify_word (fs);
  reply_xattr (req, w, size == 0 ? strlen ("mismatch") : strlen (w), size);
}

static void
fs_getxattr (fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
  const struct fs_node *n = node_of (req, ino);
  const char *v = xattr_of (n, name);

  if (n && n->status && strcmp (name, VERIFY_XATTR) == 0)
    verify_xattr (req, size);
  else if (v == NULL)
    fuse_reply_err (req, ENODATA);
  else
    reply_xattr (req, v, strlen (v), size);
}

static void
fs_listxattr (fuse_req_t req, fuse_ino_t ino, size_t size)
{
  const struct fs_node *n = node_of (req, ino);

  /* The list is the names, each with its NUL. */
  if (n && n->report)
    reply_xattr (req, FIXREPORT_XATTR, sizeof FIXREPORT_XATTR, size);
  else if (n && n->status)
    reply_xattr (req, VERIFY_XATTR, sizeof VERIFY_XATTR, size);
  else
    reply_xattr (req, "", 0, size);
}

const struct fuse_lowlevel_ops fs_ops = {
  .init = fs_init,
  .lookup = fs_lookup,
  .getattr = fs_getattr,
  .setattr = fs_setattr,
  .readdir = fs_readdir,
  .open = fs_open,
  .release = fs_release,
  .read = fs_read,
  .write = fs_write,
  .flush = fs_flush,
  .fsync = fs_fsync,
  .fallocate = fs_fallocate,
  .lseek = fs_lseek,
  .statfs = fs_statfs,
  .getxattr = fs_getxattr,
  .listxattr = fs_listxattr,
};
