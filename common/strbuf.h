/* A growing NUL-terminated string.  Appending never fails visibly: out
 * of memory, the buffer marks itself failed and ignores what follows, so
 * a writer appends freely and checks once, at the end. */
#ifndef V2V_STRBUF_H
#define V2V_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
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

#endif
