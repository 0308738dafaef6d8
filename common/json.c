/* See json.h.  The reader is recursive descent over a cursor; every
 * error names the file and the byte offset where the text stopped making
 * sense. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "strbuf.h"

struct reader {
  const char *p, *end, *start;
  const char *name;
  struct v2_error *e;
};

static int
bad (struct reader *r, const char *what)
{
  return v2_err (r->e, EINVAL, "%s: JSON at offset %zu: %s", r->name,
                 (size_t) (r->p - r->start), what);
}

static void
skip_space (struct reader *r)
{
  while (r->p < r->end &&
         (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
    r->p++;
}

/* Append code point CP to OUT (room for 4 bytes is there) as UTF-8. */
static size_t
put_utf8 (char *out, uint32_t cp)
{
  if (cp < 0x80) {
    out[0] = (char) cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char) (0xc0 | (cp >> 6));
    out[1] = (char) (0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char) (0xe0 | (cp >> 12));
    out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char) (0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char) (0xf0 | (cp >> 18));
  out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char) (0x80 | (cp & 0x3f));
  return 4;
}

static int
hex4 (struct reader *r, uint32_t *v)
{
  int i;

  *v = 0;
  if (r->end - r->p < 4)
    return bad (r, "short \\u escape");
  for (i = 0; i < 4; i++) {
    char c = *r->p++;
    *v <<= 4;
    if (c >= '0' && c <= '9')
      *v |= (uint32_t) (c - '0');
    else if (c >= 'a' && c <= 'f')
      *v |= (uint32_t) (c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      *v |= (uint32_t) (c - 'A' + 10);
    else {
      r->p--;
      return bad (r, "bad \\u escape");
    }
  }
  return 0;
}

/* A string; r->p is at its opening quote.  The result never holds a NUL
 * (\u0000 is refused): every string is a C string. */
static char *
read_string (struct reader *r)
{
  /* The decoded text is never longer than the source text. */
  const char *q = r->p + 1;
  char *out, *o;

  while (q < r->end && *q != '"')
    q += *q == '\\' && q + 1 < r->end ? 2 : 1;
  if (q >= r->end) {
    bad (r, "unterminated string");
    return NULL;
  }
  if ((out = o = malloc ((size_t) (q - r->p))) == NULL) {
    v2_err (r->e, ENOMEM, "out of memory");
    return NULL;
  }
  r->p++;
  while (*r->p != '"') {
    unsigned char c = (unsigned char) *r->p;
    uint32_t cp, lo;
    if (c < 0x20) {
      bad (r, "control character in a string");
      goto fail;
    }
    if (c != '\\') {
      *o++ = *r->p++;
      continue;
    }
    r->p++;
    switch (*r->p++) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '/': *o++ = '/'; break;
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u':
      if (hex4 (r, &cp) == -1)
        goto fail;
      if (cp >= 0xd800 && cp < 0xdc00) {
        if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u') {
          bad (r, "lone surrogate in a \\u escape");
          goto fail;
        }
        r->p += 2;
        if (hex4 (r, &lo) == -1)
          goto fail;
        if (lo < 0xdc00 || lo >= 0xe000) {
          bad (r, "bad surrogate pair in a \\u escape");
          goto fail;
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      }
      else if ((cp >= 0xdc00 && cp < 0xe000) || cp == 0) {
        bad (r, cp ? "lone surrogate in a \\u escape" : "\\u0000 in a string");
        goto fail;
      }
      /* "\uXXXX" is 6 bytes and gives at most 3; a pair is 12 for 4. */
      o += put_utf8 (o, cp);
      break;
    default:
      r->p--;
      bad (r, "bad escape in a string");
      goto fail;
    }
  }
  r->p++;
  *o = '\0';
  return out;
 fail:
  free (out);
  return NULL;
}

/* Past the digits at r->p; how many there were. */
static size_t
skip_digits (struct reader *r)
{
  const char *d = r->p;

  while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
    r->p++;
  return (size_t) (r->p - d);
}

static int
read_number (struct reader *r, struct json *j)
{
  const char *s = r->p;
  size_t n;

  if (r->p < r->end && *r->p == '-')
    r->p++;
  /* No leading zeros (RFC 8259 section 6). */
  if ((n = skip_digits (r)) == 0 || (n > 1 && r->p[-(ptrdiff_t) n] == '0'))
    goto bad_number;
  if (r->p < r->end && *r->p == '.') {
    r->p++;
    if (skip_digits (r) == 0)
      goto bad_number;
  }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
    r->p++;
    if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
      r->p++;
    if (skip_digits (r) == 0)
      goto bad_number;
  }
  j->type = JSON_NUMBER;
  if ((j->str = strndup (s, (size_t) (r->p - s))) == NULL)
    return v2_err (r->e, ENOMEM, "out of memory");
  return 0;
 bad_number:
  /* The offset of the number, not of where it went wrong. */
  r->p = s;
  return bad (r, "bad number");
}

static void
free_members (struct json *j)
{
  size_t i;

  for (i = 0; i < j->n; i++) {
    free_members (&j->items[i]);
    if (j->keys)
      free (j->keys[i]);
  }
  free (j->items);
  free (j->keys);
  free (j->str);
}

static int read_value (struct reader *r, struct json *j, unsigned depth);

/* The items of an array or object; r->p is past the opening bracket. */
static int
read_items (struct reader *r, struct json *j, unsigned depth)
{
  const bool object = j->type == JSON_OBJECT;
  const char close = object ? '}' : ']';
  size_t cap = 0;

  skip_space (r);
  if (r->p < r->end && *r->p == close) {
    r->p++;
    return 0;
  }
  for (;;) {
    char *key = NULL;
    if (j->n == cap) {
      size_t ncap = cap ? cap * 2 : 4;
      struct json *items = realloc (j->items, ncap * sizeof *items);
      char **keys;
      if (items == NULL)
        return v2_err (r->e, ENOMEM, "out of memory");
      j->items = items;
      if (object) {
        if ((keys = realloc (j->keys, ncap * sizeof *keys)) == NULL)
          return v2_err (r->e, ENOMEM, "out of memory");
        j->keys = keys;
      }
      cap = ncap;
    }
    skip_space (r);
    if (object) {
      if (r->p >= r->end || *r->p != '"')
        return bad (r, "expected a key");
      if ((key = read_string (r)) == NULL)
        return -1;
      skip_space (r);
      if (r->p >= r->end || *r->p != ':') {
        free (key);
        return bad (r, "expected ':'");
      }
      r->p++;
    }
    memset (&j->items[j->n], 0, sizeof j->items[j->n]);
    if (object)
      j->keys[j->n] = key;
    j->n++;
    if (read_value (r, &j->items[j->n - 1], depth + 1) == -1)
      return -1;
    skip_space (r);
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      continue;
    }
    if (r->p < r->end && *r->p == close) {
      r->p++;
      return 0;
    }
    return bad (r, object ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static int
read_word (struct reader *r, const char *word, enum json_type t,
           struct json *j)
{
  size_t n = strlen (word);

  if ((size_t) (r->end - r->p) < n || memcmp (r->p, word, n) != 0)
    return bad (r, "unexpected text");
  r->p += n;
  j->type = t;
  return 0;
}

static int
read_value (struct reader *r, struct json *j, unsigned depth)
{
  skip_space (r);
  if (r->p >= r->end)
    return bad (r, "unexpected end");
  if (depth >= JSON_MAX_DEPTH)
    return bad (r, "nested too deeply");
  switch (*r->p) {
  case '{':
  case '[':
    j->type = *r->p == '{' ? JSON_OBJECT : JSON_ARRAY;
    r->p++;
    return read_items (r, j, depth);
  case '"':
    j->type = JSON_STRING;
    return (j->str = read_string (r)) ? 0 : -1;
  case 't': return read_word (r, "true", JSON_TRUE, j);
  case 'f': return read_word (r, "false", JSON_FALSE, j);
  case 'n': return read_word (r, "null", JSON_NULL, j);
  default: return read_number (r, j);
  }
}

struct json *
json_parse (const char *text, size_t len, const char *name, struct v2_error *e)
{
  struct reader r = { .p = text, .end = text + len, .start = text,
                      .name = name, .e = e };
  struct json *j = calloc (1, sizeof *j);

  if (j == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  if (read_value (&r, j, 0) == -1)
    goto fail;
  skip_space (&r);
  if (r.p != r.end) {
    bad (&r, "text after the value");
    goto fail;
  }
  return j;
 fail:
  json_free (j);
  return NULL;
}

void
json_free (struct json *j)
{
  if (j) {
    free_members (j);
    free (j);
  }
}

const struct json *
json_get (const struct json *obj, const char *key)
{
  size_t i;

  if (obj == NULL || obj->type != JSON_OBJECT)
    return NULL;
  for (i = 0; i < obj->n; i++)
    if (strcmp (obj->keys[i], key) == 0)
      return &obj->items[i];
  return NULL;
}

const char *
json_get_str (const struct json *obj, const char *key)
{
  const struct json *v = json_get (obj, key);

  return v && v->type == JSON_STRING ? v->str : NULL;
}

/* ---- The writer ----------------------------------------------------- */

static void
put (struct json_writer *w, const char *s, size_t n)
{
  strbuf_put (&w->b, s, n);
}

static void
putf (struct json_writer *w, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

static void
putf (struct json_writer *w, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  strbuf_vprintf (&w->b, fmt, ap);
  va_end (ap);
}

static void
newline (struct json_writer *w)
{
  unsigned i;

  put (w, "\n", 1);
  for (i = 0; i < w->depth; i++)
    put (w, "  ", 2);
}

/* Before a value or a key: the comma and the line break. */
static void
separate (struct json_writer *w)
{
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (w->depth == 0)
    return;
  if (!w->first)
    put (w, ",", 1);
  w->first = false;
  newline (w);
}

static void
begin (struct json_writer *w, const char *open)
{
  separate (w);
  put (w, open, 1);
  w->depth++;
  w->first = true;
}

static void
end (struct json_writer *w, const char *close)
{
  bool empty = w->first;

  w->depth--;
  if (!empty)
    newline (w);
  put (w, close, 1);
  w->first = false;
}

void json_begin_object (struct json_writer *w) { begin (w, "{"); }
void json_end_object (struct json_writer *w) { end (w, "}"); }
void json_begin_array (struct json_writer *w) { begin (w, "["); }
void json_end_array (struct json_writer *w) { end (w, "]"); }

/* Length of the UTF-8 sequence at S (N bytes left), or 0 if invalid. */
static size_t
utf8_len (const unsigned char *s, size_t n)
{
  size_t len, i;
  uint32_t cp;

  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] < 0xe0)
    len = 2, cp = s[0] & 0x1f;
  else if (s[0] >= 0xe0 && s[0] < 0xf0)
    len = 3, cp = s[0] & 0x0f;
  else if (s[0] >= 0xf0 && s[0] < 0xf5)
    len = 4, cp = s[0] & 0x07;
  else
    return 0;
  if (n < len)
    return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  /* Overlong forms, surrogates and code points past U+10FFFF. */
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff)
    return 0;
  return len;
}

static void
put_string (struct json_writer *w, const char *s)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t n = strlen (s);

  put (w, "\"", 1);
  while (n > 0) {
    size_t k;
    if (*p == '"' || *p == '\\') {
      put (w, "\\", 1);
      put (w, (const char *) p, 1);
      k = 1;
    }
    else if (*p == '\n') {
      put (w, "\\n", 2);
      k = 1;
    }
    else if (*p == '\t') {
      put (w, "\\t", 2);
      k = 1;
    }
    else if (*p < 0x20 || *p == 0x7f) {
      putf (w, "\\u%04x", *p);
      k = 1;
    }
    else if ((k = utf8_len (p, n)) == 0) {
      put (w, "\\ufffd", 6);
      k = 1;
    }
    else
      put (w, (const char *) p, k);
    p += k;
    n -= k;
  }
  put (w, "\"", 1);
}

void
json_key (struct json_writer *w, const char *key)
{
  separate (w);
  put_string (w, key);
  put (w, ": ", 2);
  w->after_key = true;
}

void
json_string (struct json_writer *w, const char *s)
{
  separate (w);
  put_string (w, s);
}

void
json_int (struct json_writer *w, int64_t v)
{
  separate (w);
  putf (w, "%" PRId64, v);
}

void
json_fixed (struct json_writer *w, double v, int decimals)
{
  separate (w);
  putf (w, "%.*f", decimals, v);
}

void
json_bool (struct json_writer *w, bool v)
{
  separate (w);
  put (w, v ? "true" : "false", v ? 4 : 5);
}

void
json_value (struct json_writer *w, const struct json *j)
{
  size_t i;

  switch (j->type) {
  case JSON_NULL: separate (w); put (w, "null", 4); break;
  case JSON_FALSE: json_bool (w, false); break;
  case JSON_TRUE: json_bool (w, true); break;
  case JSON_NUMBER: separate (w); put (w, j->str, strlen (j->str)); break;
  case JSON_STRING: json_string (w, j->str); break;
  case JSON_ARRAY:
    json_begin_array (w);
    for (i = 0; i < j->n; i++)
      json_value (w, &j->items[i]);
    json_end_array (w);
    break;
  case JSON_OBJECT:
    json_begin_object (w);
    for (i = 0; i < j->n; i++) {
      json_key (w, j->keys[i]);
      json_value (w, &j->items[i]);
    }
    json_end_object (w);
    break;
  }
}

char *
json_writer_finish (struct json_writer *w)
{
  char *r;

  put (w, "\n", 1);
  r = w->b.failed ? NULL : w->b.s;
  if (r == NULL)
    free (w->b.s);
  memset (w, 0, sizeof *w);
  if (r == NULL)
    errno = ENOMEM;
  return r;
}
