/* Where the names in a descriptor resolve: a directory (an OVF or a VMDK
 * descriptor beside its files) or the members of an OVA.  This is the one
 * place that turns an untrusted name into an open file, so the sandbox
 * lives here: a name may not be absolute, may not climb out with "..",
 * may not be a URL or a device, and a symlink may not lead outside. */
#ifndef V2V_CONTAINER_H
#define V2V_CONTAINER_H

#include "error.h"
#include "source.h"
#include "tar.h"

struct container {
  char *path;               /* the directory or the .ova, for messages */
  int dirfd;                /* a directory: O_PATH fd; -1 for a tar */
  struct source *tar;       /* an OVA: the archive ... */
  struct tar_index idx;     /* ... and its members */
};

/* The directory holding FILE (a path given by the user).  Caller frees
 * with container_free. */
struct container *container_dir_of (const char *file, struct v2_error *e);

/* An OVA: opens it and reads its tar index. */
struct container *container_open_ova (const char *path, struct v2_error *e);

void container_free (struct container *c);

/* Open NAME, or its chunks NAME.000000000, NAME.000000001, ... joined in
 * order.  REF says who named it, for messages ("vm.ovf: File 'file1'
 * href").  The source borrows the container's fds for an OVA, so the
 * container must outlive it.  Caller frees with source_free. */
struct source *container_open (const struct container *c, const char *name,
                               const char *ref, struct v2_error *e);

/* True if NAME exists (as itself or as chunk 0). */
int container_exists (const struct container *c, const char *name);

/* Strip ".vmdk" and a chunk suffix ".NNNNNNNNN" and any directory from a
 * file name, giving the disk's NAME in the mount tree.  Caller frees. */
char *container_disk_name (const char *file);

#endif
