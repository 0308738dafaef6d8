/* A bundle is what the user named on the command line, opened: one OVA,
 * one OVF with its files beside it, or one or more VMDKs.  It yields the
 * disks, in the order the OVF gives (or the command line's), and the
 * original descriptor files to show beside them. */
#ifndef V2V_BUNDLE_H
#define V2V_BUNDLE_H

#include "container.h"
#include "error.h"
#include "image.h"
#include "source.h"

struct bundle_file {
  char *name;               /* as shown at the mount's top level */
  struct source *src;
};

struct bundle {
  size_t n_containers, n_disks, n_files;
  struct container **containers;
  struct image **disks;
  struct bundle_file *files;
};

/* Open PATHS (N of them).  Everything is read and checked here, before
 * any mount: metadata only, never the data.  Free with bundle_free. */
struct bundle *bundle_open (char *const *paths, size_t n, struct v2_error *e);
void bundle_free (struct bundle *b);

#endif
