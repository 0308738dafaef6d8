/* Scope-bound cleanup for owning locals (GCC/Clang cleanup attribute).
 * A local declared CLEANUP_FREE is freed on every return path, which keeps
 * error handling to one `out:` label or none at all. */
#ifndef V2V_CLEANUP_H
#define V2V_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>

static inline void
cleanup_free (void *ptr)
{
  free (*(void **) ptr);
}

static inline void
cleanup_close (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

#define CLEANUP_FREE __attribute__((cleanup (cleanup_free)))
#define CLEANUP_CLOSE __attribute__((cleanup (cleanup_close)))

/* Hand ownership out of a CLEANUP_ variable: returns it and clears it. */
#define TAKE(p) ({ __typeof__ (p) take_tmp_ = (p); (p) = NULL; take_tmp_; })
#define TAKE_FD(fd) ({ int take_fd_ = (fd); (fd) = -1; take_fd_; })

#endif
