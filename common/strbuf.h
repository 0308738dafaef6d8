/* A growing NUL-terminated string.  Appending never fails visibly: out
 * of memory, the buffer marks itself failed and ignores what follows, so
 * a writer appends freely and checks once, at the end. */
#ifndef V2V_STRBUF_H
#define V2V_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct strbuf {
  char *s;                       /* NULL until something is appended */
  size_t len, cap;
  bool failed;
};

static inline void
strbuf_put (struct strbuf *b, const char *p, size_t n)
{
  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    char *s;
    while (cap < b->len + n + 1)
      cap *= 2;
    if ((s = realloc (b->s, cap)) == NULL) {
      b->failed = true;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
  memcpy (b->s + b->len, p, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static inline void
strbuf_str (struct strbuf *b, const char *s)
{
  strbuf_put (b, s, strlen (s));
}

static inline void
strbuf_vprintf (struct strbuf *b, const char *fmt, va_list ap)
  __attribute__((format (printf, 2, 0)));

/* Append FMT's output, whatever its length. */
static inline void
strbuf_vprintf (struct strbuf *b, const char *fmt, va_list ap)
{
  char *s;
  int n;

  if (b->failed)
    return;
  if ((n = vasprintf (&s, fmt, ap)) == -1) {
    b->failed = true;
    return;
  }
  strbuf_put (b, s, (size_t) n);
  free (s);
}

static inline void
strbuf_printf (struct strbuf *b, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

static inline void
strbuf_printf (struct strbuf *b, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  strbuf_vprintf (b, fmt, ap);
  va_end (ap);
}

#endif
