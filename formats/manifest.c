/* See manifest.h.  A line is ALGO, optional blanks, "(", the name, ")",
 * optional blanks, "=", optional blanks, the hex digest.  The name runs
 * to the last ")" before the last "=", so a name may itself hold "(",
 * ")" or "=" (a digest never holds "="). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "grow.h"
#include "input-limits.h"
#include "manifest.h"
#include "names.h"

static const struct {
  const char *name;
  enum manifest_algo algo;
  size_t len;                    /* digest bytes */
} algos[] = {
  { "SHA1", MANIFEST_SHA1, 20 },
  { "SHA256", MANIFEST_SHA256, 32 },
  { "SHA512", MANIFEST_SHA512, 64 },
};

const char *
manifest_algo_name (enum manifest_algo a)
{
  return algos[a].name;
}

/* The error of line LINE (quoted at the end, cut to 100 bytes). */
static int
bad_line (struct v2_error *e, const char *mf, int line, const char *text,
          const char *fmt, ...)
  __attribute__((format (printf, 5, 6)));

static int
bad_line (struct v2_error *e, const char *mf, int line, const char *text,
          const char *fmt, ...)
{
  char why[512];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (why, sizeof why, fmt, ap);
  va_end (ap);
  return v2_err (e, EINVAL, "%s: line %d: %s: '%.100s'", mf, line, why, text);
}

static bool
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char) tolower ((unsigned char) c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parse the digest line S (trimmed, not empty) into X; X->name is
 * allocated. */
static int
parse_line (const char *s, const char *mf, int line,
            struct manifest_entry *x, struct v2_error *e)
{
  size_t alen = strspn (s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  const char *open = s + alen, *eq = strrchr (s, '='), *close, *hex, *name;
  const char *why;
  size_t i, nlen, hlen;

  while (is_blank (*open))
    open++;
  if (alen == 0 || *open != '(' || eq == NULL || eq < open)
    return bad_line (e, mf, line, s, "not a digest line (ALGO(FILE)= HEX)");
  for (close = eq; close > open && is_blank (close[-1]); close--)
    ;
  if (close - 1 <= open || close[-1] != ')')
    return bad_line (e, mf, line, s, "not a digest line (ALGO(FILE)= HEX)");
  close--;
  for (i = 0; i < sizeof algos / sizeof *algos; i++)
    if (strlen (algos[i].name) == alen && strncmp (s, algos[i].name, alen) == 0)
      break;
  if (i == sizeof algos / sizeof *algos)
    return bad_line (e, mf, line, s, "unknown digest algorithm '%.*s' "
                     "(SHA1, SHA256 and SHA512 are known)", (int) alen, s);
  x->algo = algos[i].algo;
  x->digest_len = algos[i].len;

  for (hex = eq + 1; is_blank (*hex); hex++)
    ;
  hlen = strlen (hex);
  if (hlen != 2 * x->digest_len)
    return bad_line (e, mf, line, s, "a %s digest has %zu hex digits, not %zu",
                     algos[i].name, 2 * x->digest_len, hlen);
  for (i = 0; i < x->digest_len; i++) {
    int hi = hex_value (hex[2 * i]), lo = hex_value (hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return bad_line (e, mf, line, s, "the digest is not hexadecimal");
    x->digest[i] = (unsigned char) (hi << 4 | lo);
  }

  /* The names a package's files are found by hold no "./". */
  name = open + 1;
  nlen = (size_t) (close - name);
  if (nlen > 2 && strncmp (name, "./", 2) == 0) {
    name += 2;
    nlen -= 2;
  }
  if ((x->name = strndup (name, nlen)) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  if ((why = path_fault (x->name)) != NULL)
    return v2_err (e, EINVAL, "%s: line %d: file name '%s' %s", mf, line,
                   x->name, why);
  return 0;
}

static int
by_name_cmp (const void *a, const void *b, void *arg)
{
  const struct manifest *m = arg;
  const struct manifest_entry *x = &m->entries[*(const size_t *) a];
  const struct manifest_entry *y = &m->entries[*(const size_t *) b];
  int c = strcmp (x->name, y->name);

  return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Index the entries by name; a name twice is an error. */
static int
index_entries (struct manifest *m, const char *mf, struct v2_error *e)
{
  size_t i;

  if ((m->by_name = malloc ((m->n + 1) * sizeof *m->by_name)) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  for (i = 0; i < m->n; i++)
    m->by_name[i] = i;
  qsort_r (m->by_name, m->n, sizeof *m->by_name, by_name_cmp, m);
  for (i = 1; i < m->n; i++) {
    const struct manifest_entry *x = &m->entries[m->by_name[i - 1]];
    const struct manifest_entry *y = &m->entries[m->by_name[i]];
    if (strcmp (x->name, y->name) == 0)
      return v2_err (e, EINVAL, "%s: line %d: a second digest for '%s' (the "
                     "first is on line %d)", mf, y->line, y->name, x->line);
  }
  return 0;
}

int
manifest_parse (const char *text, size_t len, const char *name,
                struct manifest *m, struct v2_error *e)
{
  size_t pos = 0;
  int line = 0;

  memset (m, 0, sizeof *m);
  while (pos < len) {
    const char *start = text + pos, *nl = memchr (start, '\n', len - pos);
    size_t l = nl ? (size_t) (nl - start) : len - pos;
    CLEANUP_FREE char *copy = strndup (start, l);
    char *s, *end;
    struct manifest_entry *x;

    pos += l + (nl != NULL);
    if (copy == NULL)
      return v2_err (e, ENOMEM, "out of memory");
    if (++line > LIMIT_MANIFEST_LINES)
      return v2_err (e, EFBIG, "%s: more than %d lines: not a manifest",
                     name, LIMIT_MANIFEST_LINES);
    if (memchr (start, '\0', l))
      return v2_err (e, EINVAL, "%s: line %d: a NUL byte: not a manifest",
                     name, line);
    /* CRLF, and blanks on either side. */
    for (s = copy; isspace ((unsigned char) *s); s++)
      ;
    for (end = s + strlen (s); end > s && isspace ((unsigned char) end[-1]); )
      *--end = '\0';
    if (*s == '\0')
      continue;
    x = grow_one (m->entries, m->n, sizeof *x);
    if (x == NULL)
      return v2_err (e, ENOMEM, "out of memory");
    m->entries = x;
    x = &m->entries[m->n++];
    memset (x, 0, sizeof *x);
    x->line = line;
    if (parse_line (s, name, line, x, e) == -1)
      return -1;
  }
  return index_entries (m, name, e);
}

void
manifest_free (struct manifest *m)
{
  size_t i;

  for (i = 0; i < m->n; i++)
    free (m->entries[i].name);
  free (m->entries);
  free (m->by_name);
  memset (m, 0, sizeof *m);
}

const struct manifest_entry *
manifest_find (const struct manifest *m, const char *name)
{
  size_t lo = 0, hi = m->n;

  if (m->by_name == NULL)
    return NULL;
  while (lo < hi) {             /* the first entry not below NAME */
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp (m->entries[m->by_name[mid]].name, name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < m->n && strcmp (m->entries[m->by_name[lo]].name, name) == 0)
    return &m->entries[m->by_name[lo]];
  return NULL;
}
