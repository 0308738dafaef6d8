/* The FUSE side: a tree built once from a bundle, and the low-level ops
 * that serve it.  The tree's shape never changes after mount, so the ops
 * find nodes without locks.
 *
 * With --overlay, disks/NAME.raw is writable and both views show the
 * disk merged with its overlay.  A .qcow2 view's layout then changes
 * with the disk: it is rebuilt when stale (at open and stat), and each
 * open file keeps the layout it opened with, so a reader never mixes two
 * layouts.  The kernel's cache of the file holds one layout at a time:
 * an open that would need a second one while the first is still open
 * reads past the cache (direct I/O). */
#ifndef V2V_FS_H
#define V2V_FS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "bundle.h"
#include "domxml.h"
#include "fixreport.h"
#include "overlay.h"
#include "qcow2.h"

#define FS_ROOT_INO 1
#define FS_DISKS_INO 2

/* A qcow2 layout, shared by the node (while current) and the files
 * opened with it. */
struct fs_layout {
  struct qcow2 *q;
  uint64_t gen;                  /* the overlay generation it was built at */
  unsigned refs;                 /* under the node's lock */
};

/* A generated text (domain.xml), shared by the node (while current) and
 * the files opened with it, so a reader never sees two versions. */
struct fs_text {
  char *s;
  size_t len;
  unsigned refs;                 /* under the node's lock */
};

struct fs_node {
  fuse_ino_t parent;
  char *name;
  mode_t mode;
  uint64_t size;
  uint64_t alloc;                /* bytes allocated, for st_blocks */
  const struct source *file;     /* a descriptor file, or ... */
  struct fs_text *text;          /* ... generated text (domain.xml), or ... */
  size_t vm;                     /* (the bundle's VM it describes) */
  char *report;                  /* (with --overlay: its guest-fix report) */
  struct stat report_st;         /* (the report the text was made from) */
  struct image *img;             /* ... a raw disk view, or ... */
  struct overlay *ov;            /* (its overlay, owned, with --overlay) */
  fuse_ino_t qcow2_ino;          /* (its qcow2 view) */
  /* ... a qcow2 view of img (through ov when there is one). */
  pthread_mutex_t lock;          /* guards the fields below */
  struct fs_layout *layout;      /* the newest */
  struct fs_layout *cached;      /* the one the kernel's cache holds */
  unsigned n_cached;             /* files open through the cache */
  bool cache_filled;             /* atomic: read since the last invalidation */
};

struct fs {
  /* Set before fs_build: */
  const char *mnt;               /* the mount point, absolute */
  const char *overlay_dir;       /* --overlay DIR, absolute, or NULL */
  const struct domxml_net_map *maps;   /* --network-map */
  size_t n_maps;
  bool foreground;

  struct bundle *bundle;
  char **disk_paths;             /* MNT/disks/NAME.raw, for domain.xml */
  struct overlay_store *store;   /* with --overlay */
  struct fuse_session *se;       /* for cache invalidation */
  size_t n_nodes;
  struct fs_node *nodes;         /* inode N is nodes[N - 1] */
  uid_t uid;
  gid_t gid;
  struct timespec time;          /* the source's mtime, for every node */
  pthread_key_t buf_key;         /* each worker's FS_MAX_READ read buffer */
  bool buf_key_made;
};

/* Reads are up to 1 MiB (the most FUSE sends in one request), so a
 * sequential copy makes few round trips. */
#define FS_MAX_READ (1 << 20)
#define FS_MAX_READ_STR "1048576"

/* Build the tree for B; every node carries MTIME (the source's).  With
 * STORE (owned by fs from here on), every disk gets its overlay.  Each
 * VM's domain.xml names the disks under fs->mnt: at the top for one VM,
 * in a directory per VM for several.  With an overlay, domain.xml
 * follows the VM's guest-fix report in fs->overlay_dir, read now and
 * again whenever the report file changes; its path is domain.xml's
 * extended attribute FIXREPORT_XATTR. */
int fs_build (struct fs *fs, struct bundle *b, struct overlay_store *store,
              const struct timespec *mtime, struct v2_error *e);
/* The kernel caps FUSE readahead at its default (128 KiB) whatever the
 * filesystem asks, unless the mount's bdi allows more: raise it to
 * FS_MAX_READ.  Call after mounting and before serving, so the INIT reply
 * sees it.  Needs root; otherwise the default stays. */
void fs_tune_readahead (const struct fs *fs, const char *mnt);
/* Flush and close every overlay, and free the tree.  Returns -1 when a
 * flush failed (logged). */
int fs_free (struct fs *fs);
void fs_log (const struct fs *fs, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

/* For fs.c's operations, from tree.c: drop a reference to a QCOW2
 * layout or a text; rebuild qcow2 node Q's layout if its overlay changed
 * since (Q's lock held); regenerate domain.xml node N's text if the fix
 * report changed since (N's lock held). */
void layout_put (struct fs_layout *l);
int layout_refresh (struct fs_node *q, struct v2_error *e);
void text_put (struct fs_text *t);
int domain_refresh (const struct fs *fs, struct fs_node *n,
                    struct v2_error *e);

extern const struct fuse_lowlevel_ops fs_ops;

#endif
