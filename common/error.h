/* Errors with context.  Library code never prints or exits: it fills a
 * struct v2_error with an errno and a one-line message that names the
 * file, the object and the offset, and returns -1 (or NULL).  Callers may
 * prefix more context; main() prints the message once. */
#ifndef V2V_ERROR_H
#define V2V_ERROR_H

#include <stdarg.h>

struct v2_error {
  int errnum;            /* an errno value fit to hand to FUSE */
  char msg[1024];
};

/* Set the error and return -1, so callers can `return v2_err (...)`. */
int v2_err (struct v2_error *e, int errnum, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));

/* Put "PREFIX: " in front of the message already held. Returns -1. */
int v2_err_prefix (struct v2_error *e, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

#endif
