/* See edit.h: shell-variable files (SUSE's /etc/sysconfig), built on
 * edit-lines.h.  A value keeps its quotes; an unquoted one gets double
 * quotes once it holds more than one word. */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "edit.h"
#include "edit-lines.h"
#include "strbuf.h"

struct list_add {
  const char *key;
  const char *const *words;
  bool found;
};

/* Whether the blank-separated list S (N bytes) holds WORD. */
static bool
listed (const char *s, size_t n, const char *word)
{
  size_t i = 0, w = strlen (word), e;

  while ((i = skip_blanks (s, i, n)) < n) {
    e = skip_word (s, i, n);
    if (e - i == w && strncmp (s + i, word, w) == 0)
      return true;
    i = e;
  }
  return false;
}

static bool
list_add_rule (struct line *l, void *ctx)
{
  struct list_add *a = ctx;
  size_t i = skip_blanks (l->s, 0, l->len), k = strlen (a->key), v, ve, j;
  struct strbuf add = { 0 };
  char q = '\0';

  if (l->len - i <= k || strncmp (l->s + i, a->key, k) != 0 || l->s[i + k] != '=')
    return false;
  a->found = true;
  v = ve = i + k + 1;
  if (v < l->len && (l->s[v] == '"' || l->s[v] == '\'')) {
    q = l->s[v++];
    for (ve = v; ve < l->len && l->s[ve] != q; ve++)
      ;
  }
  else
    ve = skip_word (l->s, v, l->len);
  for (j = 0; a->words[j]; j++)
    if (!listed (l->s + v, ve - v, a->words[j]) &&
        !listed (add.s ? add.s : "", add.len, a->words[j])) {
      if (ve > v || add.len)
        strbuf_str (&add, " ");
      strbuf_str (&add, a->words[j]);
    }
  if (add.len == 0 || add.failed) {
    l->out->failed |= add.failed;
    free (add.s);
    return false;
  }
  strbuf_put (l->out, l->s, q ? ve : v);
  if (!q)
    strbuf_str (l->out, "\"");
  if (!q)
    strbuf_put (l->out, l->s + v, ve - v);
  strbuf_str (l->out, add.s);
  if (!q)
    strbuf_str (l->out, "\"");
  strbuf_put (l->out, l->s + ve, l->len - ve);
  strbuf_str (l->out, l->eol);
  logged (l, "%s: added %s", a->key, add.s + (add.s[0] == ' '));
  free (add.s);
  return true;
}

int
edit_shell_list_add (const char *in, const char *key, const char *const *words,
                     char **out, struct edit_log *log)
{
  struct list_add a = { key, words, false };
  struct strbuf b = { 0 }, line = { 0 };
  size_t j, n = strlen (in);

  if (edit_lines (in, list_add_rule, &a, log, out) == -1)
    return -1;
  if (a.found)
    return 0;
  /* No such line: one at the end. */
  strbuf_str (&line, key);
  strbuf_str (&line, "=\"");
  for (j = 0; words[j]; j++) {
    strbuf_str (&line, j ? " " : "");
    strbuf_str (&line, words[j]);
  }
  strbuf_str (&line, "\"");
  strbuf_str (&b, in);
  if (n > 0 && in[n - 1] != '\n')
    strbuf_str (&b, "\n");
  strbuf_str (&b, line.s ? line.s : "");
  strbuf_str (&b, "\n");
  if (b.failed || line.failed || edit_msg_add (&log->changes, "added %s", line.s) == -1) {
    free (b.s);
    free (line.s);
    errno = ENOMEM;
    return -1;
  }
  free (line.s);
  *out = b.s;
  return 0;
}
