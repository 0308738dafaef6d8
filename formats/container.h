/* Where the names in a descriptor resolve: a directory (an OVF or a VMDK
 * descriptor beside its files) or the members of an OVA.  This is the one
 * place that turns an untrusted name into an open file, so the sandbox
 * lives here: a name may not be absolute, may not climb out with "..",
 * may not be a URL or a device, and a symlink may not lead outside. */
#ifndef V2V_CONTAINER_H
#define V2V_CONTAINER_H

#include "error.h"
#include "gz.h"
#include "source.h"
#include "tar.h"

/* The gzip streams read through a container, which owns them: gzip'd
 * members (ovf:compression="gzip") and a gzip'd archive (vm.ova.gz).
 * Sources borrow them, like the archive's descriptor. */
struct container_gz {
  struct gz_config cfg;
  char *index_dir;          /* cfg.index_dir's copy */
  struct gz **v;            /* in the order opened */
  size_t n;
};

struct container {
  char *path;               /* the directory or the .ova, for messages */
  int dirfd;                /* a directory: O_PATH fd; -1 for a tar */
  struct source *tar;       /* an OVA: the archive ... */
  struct tar_index idx;     /* ... and its members */
  struct container_gz *gz;  /* grows as members are opened */
};

/* The directory holding FILE (a path given by the user).  CFG (may be
 * NULL: defaults, no index directory) is for gzip'd files.  Caller frees
 * with container_free. */
struct container *container_dir_of (const char *file,
                                    const struct gz_config *cfg,
                                    struct v2_error *e);

/* An OVA: opens it and reads its tar index.  An archive that is itself
 * gzip'd (vm.ova.gz, .tgz) is inflated once, to the end, to read the
 * index and complete its checkpoints, unless CFG's index directory
 * already holds them. */
struct container *container_open_ova (const char *path,
                                      const struct gz_config *cfg,
                                      struct v2_error *e);

/* The inflated bytes of STORED (taken) when it is gzip data, else STORED
 * itself.  The container keeps the stream. */
struct source *container_gunzip (const struct container *c,
                                  struct source *stored, struct v2_error *e);

/* Complete, each in a thread of its own, the checkpoints of the gzip
 * streams opened so far.  Call after daemonizing. */
void container_start_indexing (const struct container *c);

void container_free (struct container *c);

/* Open NAME, or its chunks NAME.000000000, NAME.000000001, ... joined in
 * order, as stored (gzip data stays compressed: see container_gunzip).  REF says who named it, for messages ("vm.ovf: File 'file1'
 * href").  The source borrows the container's fds for an OVA, so the
 * container must outlive it.  Caller frees with source_free. */
struct source *container_open (const struct container *c, const char *name,
                               const char *ref, struct v2_error *e);

/* True if NAME exists (as itself or as chunk 0). */
int container_exists (const struct container *c, const char *name);

/* Strip ".gz", ".vmdk" and a chunk suffix ".NNNNNNNNN" and any directory from a
 * file name, giving the disk's NAME in the mount tree.  Caller frees. */
char *container_disk_name (const char *file);

#endif
