/* See error.h.  Messages are truncated, never overflowed. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/* Messages quote names and lines from untrusted files: a newline or an
 * escape sequence in one must not break the one-line error or the
 * terminal.  Control bytes become \n, \t or \xNN (truncating at SIZE). */
static void
escape_controls (char *msg, size_t size)
{
  char out[sizeof ((struct v2_error *) 0)->msg];
  size_t i, o = 0;

  for (i = 0; msg[i] && o + 5 < sizeof out; i++) {
    unsigned char c = (unsigned char) msg[i];
    if (c >= 0x20 && c != 0x7f)
      out[o++] = (char) c;
    else if (c == '\n' || c == '\t') {
      out[o++] = '\\';
      out[o++] = c == '\n' ? 'n' : 't';
    }
    else
      o += (size_t) snprintf (out + o, sizeof out - o, "\\x%02x", c);
  }
  out[o] = '\0';
  snprintf (msg, size, "%s", out);
}

int
v2_err (struct v2_error *e, int errnum, const char *fmt, ...)
{
  va_list ap;

  e->errnum = errnum ? errnum : EIO;
  va_start (ap, fmt);
  vsnprintf (e->msg, sizeof e->msg, fmt, ap);
  va_end (ap);
  escape_controls (e->msg, sizeof e->msg);
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
