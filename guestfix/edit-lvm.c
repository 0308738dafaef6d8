/* See edit.h: lvm.conf's device filters, built on edit-lines.h.
 *
 * lvm.conf(5): devices/filter and devices/global_filter are lists of
 * regular expressions, each "a" (accept) or "r" (reject) and a
 * delimiter ("a|^/dev/sda.*|"); LVM takes the first that matches a
 * device's path.  A guest that accepts only /dev/sd* sees no PV once its
 * disks are /dev/vd*, and its root never appears.  The list may span
 * lines, so the walk remembers that a "[" is still open; a value may be
 * one string rather than a list.  Strings keep their quotes and escapes
 * (a backslash escapes the next byte, as lvm's config parser reads it).
 * "/dev/sd" and "/dev/vd" have the same length, so a line is rewritten
 * in place. */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "edit.h"
#include "edit-lines.h"

struct lvm_filter {
  bool open;                     /* in the [ ... ] of a filter's list */
  const char *key;               /* "filter" or "global_filter" */
};

/* Whether L's text from *I is "filter =" or "global_filter =": *I moves
 * past the '='. */
static bool
filter_key (const struct line *l, size_t *i, const char **key)
{
  static const char *const keys[] = { "global_filter", "filter" };
  size_t k, n, j;

  for (k = 0; k < sizeof keys / sizeof *keys; k++) {
    n = strlen (keys[k]);
    if (l->len - *i < n || strncmp (l->s + *i, keys[k], n) != 0)
      continue;
    j = skip_blanks (l->s, *i + n, l->len);
    if (j < l->len && l->s[j] == '=') {
      *key = keys[k];
      *i = j + 1;
      return true;
    }
  }
  return false;
}

static bool
lvm_filter_rule (struct line *l, void *ctx)
{
  struct lvm_filter *st = ctx;
  size_t i = skip_blanks (l->s, 0, l->len), start, k;
  CLEANUP_FREE char *copy = NULL;
  bool single = false, changed = false;

  if (!st->open) {
    if (!filter_key (l, &i, &st->key))
      return false;
    i = skip_blanks (l->s, i, l->len);
    if (i < l->len && l->s[i] == '[') {
      st->open = true;
      i++;
    }
    else
      single = true;
  }
  while (i < l->len && l->s[i] != '#') {
    if (l->s[i] == ']') {
      st->open = false;
      break;
    }
    if (l->s[i++] != '"')
      continue;
    start = i;
    while (i < l->len && l->s[i] != '"')
      i += l->s[i] == '\\' && i + 1 < l->len ? 2 : 1;
    for (k = start; k + 7 <= i; k++) {
      if (strncmp (l->s + k, "/dev/sd", 7) != 0)
        continue;
      if (copy == NULL && (copy = part (l, 0, l->len)) == NULL)
        return false;
      copy[k + 5] = 'v';
    }
    if (copy && strncmp (copy + start, l->s + start, i - start) != 0) {
      changed = true;
      logged (l, "%s \"%.*s\" -> \"%.*s\" (the disks are virtio now)", st->key,
              (int) (i - start), l->s + start, (int) (i - start), copy + start);
    }
    i++;
    if (single)
      break;
  }
  if (!changed)
    return false;
  replace (l, 0, l->len, copy);
  return true;
}

int
edit_lvm_filter (const char *in, char **out, struct edit_log *log)
{
  struct lvm_filter st = { false, NULL };

  return edit_lines (in, lvm_filter_rule, &st, log, out);
}
