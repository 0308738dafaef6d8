/* The FUSE side: a static tree built once from a bundle, and the
 * low-level ops that serve it.  The tree never changes after mount, so
 * the ops read it without locks. */
#ifndef V2V_FS_H
#define V2V_FS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bundle.h"
#include "qcow2.h"

#define FS_ROOT_INO 1
#define FS_DISKS_INO 2

struct fs_node {
  fuse_ino_t parent;
  char *name;
  mode_t mode;
  uint64_t size;
  uint64_t alloc;                /* bytes allocated, for st_blocks */
  struct image *img;             /* a raw disk view, or ... */
  struct qcow2 *qcow2;           /* ... a qcow2 one (owned), or ... */
  const struct source *file;     /* ... a descriptor file */
};

struct fs {
  struct bundle *bundle;
  size_t n_nodes;
  struct fs_node *nodes;         /* inode N is nodes[N - 1] */
  uid_t uid;
  gid_t gid;
  struct timespec time;          /* the source's mtime, for every node */
  bool foreground;
  pthread_key_t buf_key;         /* each worker's FS_MAX_READ read buffer */
  bool buf_key_made;
};

/* Reads are up to 1 MiB (the most FUSE sends in one request), so a
 * sequential copy makes few round trips. */
#define FS_MAX_READ (1 << 20)
#define FS_MAX_READ_STR "1048576"

/* Build the tree for B; every node carries MTIME (the source's). */
int fs_build (struct fs *fs, struct bundle *b, const struct timespec *mtime,
              struct v2_error *e);
/* The kernel caps FUSE readahead at its default (128 KiB) whatever the
 * filesystem asks, unless the mount's bdi allows more: raise it to
 * FS_MAX_READ.  Call after mounting and before serving, so the INIT reply
 * sees it.  Needs root; otherwise the default stays. */
void fs_tune_readahead (const struct fs *fs, const char *mnt);
void fs_free (struct fs *fs);
void fs_log (const struct fs *fs, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

extern const struct fuse_lowlevel_ops fs_ops;

#endif
