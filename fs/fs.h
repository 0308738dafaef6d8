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
#include "verify.h"

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
  struct fs_text *text;          /* ... generated text (domain.xml,
                                  * verify.status), or ... */
  size_t vm;                     /* (the bundle's VM it describes) */
  char *report;                  /* (with --overlay: its guest-fix report) */
  struct stat report_st;         /* (the report the text was made from) */
  bool status;                   /* (it is verify.status) */
  uint64_t status_gen;           /* (the verification its text shows) */
  struct image *img;             /* ... a raw disk view, or ... */
  struct overlay *ov;            /* (its overlay, owned, with --overlay) */
  fuse_ino_t qcow2_ino;          /* (its qcow2 view) */
  /* (atomic: why --verify=strict refuses reads of both views, once the
   * disk's stored file is known bad; owned) */
  char *refused;
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
  bool verify_strict;            /* --verify=strict */

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
  struct verify *verify;         /* when the source has a manifest */
  /* The thread that runs it: the one caller that sets verify_started
   * (atomic) starts it and sets the others, which fs_verify_stop reads
   * after the workers ended. */
  bool verify_started;
  pthread_t verify_thread;
  bool verify_running;
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
/* A text of S (taken: freed on failure), with one reference. */
struct fs_text *text_new (char *s, struct v2_error *e);
/* Node N shows T from now on (its reference is taken), and has its size. */
void node_set_text (struct fs_node *n, struct fs_text *t);
int domain_refresh (const struct fs *fs, struct fs_node *n,
                    struct v2_error *e);

/* From status.c: verify.status, and the thread that verifies. */
/* Regenerate verify.status node N's text if the verification moved on
 * since; N's lock held. */
int status_refresh (const struct fs *fs, struct fs_node *n, struct v2_error *e);
/* Begin the verification, if it has not begun, and run it on a thread
 * of its own, if none has started.  Call it after fuse_daemonize (a fork
 * keeps no thread).  Returns -1 (logged) when the thread cannot start. */
int fs_verify_start (struct fs *fs);
/* Tell the verification to stop (it notifies the kernel no more); then
 * join its thread (idempotent).  Join before the session is destroyed:
 * the thread invalidates the kernel's cache through it. */
void fs_verify_cancel (struct fs *fs);
void fs_verify_stop (struct fs *fs);
/* The state word VERIFY_XATTR reads as. */
const char *fs_verify_word (struct fs *fs);

extern const struct fuse_lowlevel_ops fs_ops;

#endif
