/* The line walk that every edit of edit.c and edit-nics.c is made of,
 * and its small helpers.  Internal to the edits; users take edit.h. */
#ifndef V2V_EDIT_LINES_H
#define V2V_EDIT_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "edit.h"
#include "strbuf.h"

/* An edit hands each line of its input to a rule.  The rule either writes
 * the line to l->out, changed, and returns true, or writes nothing and
 * returns false, and the line is kept as it was.  Out of memory, a rule
 * sets l->out->failed; the edit then fails as a whole. */
struct line {
  const char *s;                 /* the text, without its ending */
  size_t len;
  const char *eol;               /* "", "\n" or "\r\n" */
  unsigned no;                   /* from 1 */
  struct strbuf *out;
  struct edit_log *log;
};

typedef bool (*line_rule) (struct line *l, void *ctx);

/* Run RULE over each line of IN; *OUT is the result when a line changed
 * (else NULL).  0, or -1 when out of memory. */
int edit_lines (const char *in, line_rule rule, void *ctx,
                struct edit_log *log, char **out);
/* The next line of *P (advanced past it): its text and length without
 * the line ending, and the ending ("", "\n" or "\r\n").  False at the
 * end of the text. */
bool next_line (const char **p, const char **line, size_t *len,
                const char **eol);
/* The first index from I (< LEN) that is not a blank, or not a word
 * byte (a blank ends a word). */
size_t skip_blanks (const char *s, size_t i, size_t len);
size_t skip_word (const char *s, size_t i, size_t len);
/* Log the change the rule made to line L ("line N: " and FMT); true, for
 * the rule to return. */
bool logged (struct line *l, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));
/* L with its bytes [FROM, TO) replaced by WITH. */
void replace (struct line *l, size_t from, size_t to, const char *with);
/* L as a comment saying WHY. */
void comment_out (struct line *l, const char *why);
/* A copy of the bytes [FROM, TO) of L, or NULL (and L's edit fails). */
char *part (struct line *l, size_t from, size_t to);

struct resolver {
  edit_resolve_fn fn;
  void *opaque;
};

/* The stable name of the unstable device DEV that line L names as USE
 * (expecting FSTYPE), or NULL, with a note saying why it stays. */
char *stable_of (struct line *l, const struct resolver *r, const char *dev,
                 const char *use, const char *fstype);

#endif
