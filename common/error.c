/* See error.h.  Messages are truncated, never overflowed. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

int
v2_err (struct v2_error *e, int errnum, const char *fmt, ...)
{
  va_list ap;

  e->errnum = errnum ? errnum : EIO;
  va_start (ap, fmt);
  vsnprintf (e->msg, sizeof e->msg, fmt, ap);
  va_end (ap);
  return -1;
}

int
v2_err_prefix (struct v2_error *e, const char *fmt, ...)
{
  char prefix[512];
  size_t plen, keep;
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (prefix, sizeof prefix - 2, fmt, ap);
  va_end (ap);
  strcat (prefix, ": ");
  plen = strlen (prefix);
  /* Shift the old message right, dropping its tail if it must. */
  keep = strnlen (e->msg, sizeof e->msg - 1);
  if (keep > sizeof e->msg - 1 - plen)
    keep = sizeof e->msg - 1 - plen;
  memmove (e->msg + plen, e->msg, keep);
  memcpy (e->msg, prefix, plen);
  e->msg[plen + keep] = '\0';
  return -1;
}
