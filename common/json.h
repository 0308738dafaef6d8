/* JSON (RFC 8259): a small reader that builds a tree, and a writer that
 * prints one, indented, in the order it is given.  It serves the
 * guest-fix report, which v2vfs-fix writes and the mount reads back, so
 * it has no number arithmetic: numbers keep their literal text.
 *
 * The reader is strict (no comments, no trailing commas, no bare words)
 * and bounded (JSON_MAX_DEPTH), since a report file is as untrusted as
 * any other input.  The writer never fails halfway visibly: an allocation
 * failure makes json_writer_finish return NULL. */
#ifndef V2V_JSON_H
#define V2V_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "strbuf.h"

/* Nesting deeper than this is refused: a report is four levels deep, and
 * the recursive reader must not run off the stack on a hostile file. */
#define JSON_MAX_DEPTH 64

enum json_type {
  JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY,
  JSON_OBJECT,
};

struct json {
  enum json_type type;
  char *str;                     /* STRING: the value; NUMBER: the literal */
  size_t n;                      /* ARRAY, OBJECT: how many items */
  struct json *items;            /* ARRAY, OBJECT: the values, in order */
  char **keys;                   /* OBJECT: the key of each item */
};

/* Parse LEN bytes of TEXT, read from NAME (for messages).  The caller
 * frees the result with json_free. */
struct json *json_parse (const char *text, size_t len, const char *name,
                         struct v2_error *e);
void json_free (struct json *j);

/* The value under KEY in object OBJ (the first, if repeated), or NULL
 * when OBJ is not an object or has no such key. */
const struct json *json_get (const struct json *obj, const char *key);
/* The string under KEY, or NULL when it is missing or not a string. */
const char *json_get_str (const struct json *obj, const char *key);

struct json_writer {
  struct strbuf b;
  unsigned depth;
  bool first;                    /* nothing yet in the open container */
  bool after_key;                /* a key was written; its value is next */
};

void json_begin_object (struct json_writer *w);
void json_end_object (struct json_writer *w);
void json_begin_array (struct json_writer *w);
void json_end_array (struct json_writer *w);
void json_key (struct json_writer *w, const char *key);
/* A string; bytes that are not UTF-8 are written as U+FFFD. */
void json_string (struct json_writer *w, const char *s);
void json_int (struct json_writer *w, int64_t v);
/* A number printed with "%.Nf" (N = DECIMALS). */
void json_fixed (struct json_writer *w, double v, int decimals);
void json_bool (struct json_writer *w, bool v);
/* A value read by json_parse, written back in full. */
void json_value (struct json_writer *w, const struct json *j);
/* The text, ending in a newline; the caller frees it.  NULL (errno
 * ENOMEM) if any step ran out of memory. */
char *json_writer_finish (struct json_writer *w);

#endif
