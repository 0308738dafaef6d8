/* See vmdk.h: the descriptor text.  Every number is checked against the
 * named caps before it sizes anything. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "byteorder.h"
#include "grow.h"
#include "input-limits.h"
#include "checked.h"
#include "cleanup.h"
#include "vmdk.h"

/* ---- descriptor ------------------------------------------------------- */

static const char *const type_names[] = {
  [VMDK_FLAT] = "FLAT", [VMDK_SPARSE] = "SPARSE", [VMDK_ZERO] = "ZERO",
  [VMDK_VMFS] = "VMFS", [VMDK_VMFSSPARSE] = "VMFSSPARSE",
  [VMDK_VMFSRDM] = "VMFSRDM", [VMDK_VMFSRAW] = "VMFSRAW",
  [VMDK_SESPARSE] = "SESPARSE",
};

const char *
vmdk_extent_type_name (enum vmdk_extent_type t)
{
  return type_names[t];
}

static char *
skip_space (char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* Next whitespace-separated token of *P, or a "quoted string" (which may
 * hold spaces).  NUL-terminates it in place; NULL when none is left. */
static char *
next_token (char **p, bool *quoted)
{
  char *s = skip_space (*p), *end;

  *quoted = false;
  if (*s == '\0')
    return NULL;
  if (*s == '"') {
    end = strchr (s + 1, '"');
    if (end == NULL)
      return NULL;
    *end = '\0';
    *p = end + 1;
    *quoted = true;
    return s + 1;
  }
  end = s + strcspn (s, " \t");
  if (*end)
    *end++ = '\0';
  *p = end;
  return s;
}

static int
parse_u64 (const char *s, int base, uint64_t *out)
{
  char *end;

  if (!isxdigit ((unsigned char) *s))
    return -1;
  errno = 0;
  *out = strtoull (s, &end, base);
  return errno || *end ? -1 : 0;
}

static int
parse_extent (char *line, const char *orig, unsigned lineno, const char *name,
              struct vmdk_extent_line *x, struct v2_error *e)
{
  char *p = line, *tok;
  bool quoted;
  size_t i;

  memset (x, 0, sizeof *x);
  x->lineno = lineno;
  tok = next_token (&p, &quoted);
  x->access = strcmp (tok, "RW") == 0 ? VMDK_RW
    : strcmp (tok, "RDONLY") == 0 ? VMDK_RDONLY : VMDK_NOACCESS;
  tok = next_token (&p, &quoted);
  if (tok == NULL || parse_u64 (tok, 10, &x->sectors) == -1)
    goto bad;
  tok = next_token (&p, &quoted);
  if (tok == NULL)
    goto bad;
  for (i = 0; i < sizeof type_names / sizeof *type_names; i++)
    if (strcmp (tok, type_names[i]) == 0)
      break;
  if (i == sizeof type_names / sizeof *type_names)
    return v2_err (e, EINVAL, "%s: descriptor line %u: unknown extent type "
                   "'%s' in '%s'", name, lineno, tok, orig);
  x->type = i;
  tok = next_token (&p, &quoted);
  if (tok == NULL) {
    if (x->type != VMDK_ZERO)
      goto bad;
    return 0;
  }
  x->file = strdup (tok);
  if (x->file == NULL)
    return v2_err (e, ENOMEM, "%s: out of memory", name);
  tok = next_token (&p, &quoted);
  if (tok && parse_u64 (tok, 10, &x->offset) == -1)
    goto bad;
  if (next_token (&p, &quoted))
    goto bad;
  return 0;

 bad:
  free (x->file);
  x->file = NULL;
  return v2_err (e, EINVAL, "%s: descriptor line %u: bad extent line '%s'",
                 name, lineno, orig);
}

static int
set_string (char **dst, const char *val, const char *name, struct v2_error *e)
{
  free (*dst);
  *dst = strdup (val);
  return *dst ? 0 : v2_err (e, ENOMEM, "%s: out of memory", name);
}

int
vmdk_desc_parse (const char *text, size_t len, const char *name,
                 struct vmdk_desc *d, struct v2_error *e)
{
  CLEANUP_FREE char *buf = NULL;
  char *line, *next;
  unsigned lineno = 0;

  memset (d, 0, sizeof *d);
  d->parent_cid = VMDK_NO_PARENT;
  len = strnlen (text, len);
  buf = malloc (len + 1);
  if (buf == NULL)
    return v2_err (e, ENOMEM, "%s: out of memory", name);
  memcpy (buf, text, len);
  buf[len] = '\0';

  for (line = buf; line; line = next) {
    char *end, *eq, *key, *val;
    CLEANUP_FREE char *orig = NULL;

    lineno++;
    next = strchr (line, '\n');
    if (next)
      *next++ = '\0';
    /* Real files carry CRLF and trailing spaces (ovftool: "version=1 "). */
    end = line + strlen (line);
    while (end > line && isspace ((unsigned char) end[-1]))
      *--end = '\0';
    line = skip_space (line);
    if (*line == '\0' || *line == '#')
      continue;
    orig = strdup (line);
    if (orig == NULL)
      goto enomem;

    if (strncmp (line, "RW ", 3) == 0 || strncmp (line, "RDONLY ", 7) == 0 ||
        strncmp (line, "NOACCESS ", 9) == 0) {
      struct vmdk_extent_line *nx;
      if (d->n_extents >= LIMIT_EXTENTS) {
        v2_err (e, EINVAL, "%s: descriptor line %u: more than %d extents",
                name, lineno, LIMIT_EXTENTS);
        goto err;
      }
      nx = grow_one (d->extents, d->n_extents, sizeof *nx);
      if (nx == NULL)
        goto enomem;
      d->extents = nx;
      if (parse_extent (line, orig, lineno, name, &d->extents[d->n_extents],
                        e) == -1)
        goto err;
      d->n_extents++;
      continue;
    }

    eq = strchr (line, '=');
    if (eq == NULL) {
      v2_err (e, EINVAL, "%s: descriptor line %u: cannot parse '%s'",
              name, lineno, orig);
      goto err;
    }
    *eq = '\0';
    key = line;
    end = eq;
    while (end > key && isspace ((unsigned char) end[-1]))
      *--end = '\0';
    val = skip_space (eq + 1);
    /* Values are quoted or not (ovftool has written createType bare). */
    if (val[0] == '"') {
      size_t vl = strlen (val);
      if (vl < 2 || val[vl - 1] != '"') {
        v2_err (e, EINVAL, "%s: descriptor line %u: unterminated quote in "
                "'%s'", name, lineno, orig);
        goto err;
      }
      val[vl - 1] = '\0';
      val++;
    }

    if (strcasecmp (key, "version") == 0) {
      uint64_t v;
      if (parse_u64 (val, 10, &v) == -1 || v < 1 || v > 3) {
        v2_err (e, EINVAL, "%s: descriptor line %u: unsupported version in "
                "'%s'", name, lineno, orig);
        goto err;
      }
      d->version = (unsigned) v;
    }
    else if (strcasecmp (key, "CID") == 0 || strcasecmp (key, "parentCID") == 0) {
      uint64_t v;
      if (parse_u64 (val, 16, &v) == -1 || v > UINT32_MAX) {
        v2_err (e, EINVAL, "%s: descriptor line %u: bad content ID in '%s'",
                name, lineno, orig);
        goto err;
      }
      if (strcasecmp (key, "CID") == 0)
        d->cid = (uint32_t) v;
      else
        d->parent_cid = (uint32_t) v;
    }
    else if (strcasecmp (key, "createType") == 0) {
      if (set_string (&d->create_type, val, name, e) == -1)
        goto err;
    }
    else if (strcasecmp (key, "parentFileNameHint") == 0) {
      if (set_string (&d->parent_hint, val, name, e) == -1)
        goto err;
    }
    /* Other keys (encoding, isNativeSnapshot, changeTrackPath, ddb.*)
     * do not affect the disk's content. */
  }

  if (d->n_extents == 0) {
    v2_err (e, EINVAL, "%s: descriptor has no extent lines", name);
    goto err;
  }
  return 0;

 enomem:
  v2_err (e, ENOMEM, "%s: out of memory", name);
 err:
  vmdk_desc_free (d);
  return -1;
}

void
vmdk_desc_free (struct vmdk_desc *d)
{
  size_t i;

  for (i = 0; i < d->n_extents; i++)
    free (d->extents[i].file);
  free (d->extents);
  free (d->create_type);
  free (d->parent_hint);
  memset (d, 0, sizeof *d);
}

