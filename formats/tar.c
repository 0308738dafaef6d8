/* See tar.h.  The header layout is POSIX.1-1988 ustar: name[100] @0,
 * size[12] @124, chksum[8] @148, typeflag @156, magic[6] @257,
 * prefix[155] @345 (POSIX only; GNU tar keeps other fields there).
 * pax records are "LEN key=value\n" (POSIX.1-2001). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "grow.h"
#include "input-limits.h"
#include "cleanup.h"
#include "iszero.h"
#include "tar.h"

#define BLOCK 512

/* Parse a numeric header field: octal digits padded with spaces or NULs,
 * or GNU base-256 (top bit of the first byte set). */
static int
parse_number (const unsigned char *f, size_t n, uint64_t *out)
{
  uint64_t v = 0;
  size_t i = 0;

  if (f[0] & 0x80) {
    if (f[0] & 0x40)
      return -1;                /* negative */
    v = f[0] & 0x3f;
    for (i = 1; i < n; i++) {
      if (v > (UINT64_MAX >> 8))
        return -1;
      v = (v << 8) | f[i];
    }
    *out = v;
    return 0;
  }
  while (i < n && f[i] == ' ')
    i++;
  if (i == n || f[i] < '0' || f[i] > '7')
    return -1;
  for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
    if (v > (UINT64_MAX >> 3))
      return -1;
    v = (v << 3) | (uint64_t) (f[i] - '0');
  }
  for (; i < n; i++)
    if (f[i] != ' ' && f[i] != '\0')
      return -1;
  *out = v;
  return 0;
}

static char *
field_string (const unsigned char *f, size_t n)
{
  size_t len = strnlen ((const char *) f, n);
  char *s = malloc (len + 1);

  if (s) {
    memcpy (s, f, len);
    s[len] = '\0';
  }
  return s;
}

/* Apply the pax records in BUF (LEN bytes) to *NAME and *SIZE. */
static int
parse_pax (const struct source *s, uint64_t at, char *buf, size_t len,
           char **name, uint64_t *size, bool *have_size, struct v2_error *e)
{
  size_t pos = 0;

  while (pos < len) {
    char *end, *eq;
    unsigned long rec = strtoul (buf + pos, &end, 10);

    if (end == buf + pos || *end != ' ' || rec == 0 || rec > len - pos ||
        buf[pos + rec - 1] != '\n')
      return v2_err (e, EINVAL, "%s: pax header at offset %" PRIu64
                     ": malformed record at byte %zu", s->name, at, pos);
    buf[pos + rec - 1] = '\0';
    eq = strchr (end + 1, '=');
    if (eq == NULL)
      return v2_err (e, EINVAL, "%s: pax header at offset %" PRIu64
                     ": record without '=' at byte %zu", s->name, at, pos);
    *eq = '\0';
    if (strcmp (end + 1, "path") == 0) {
      free (*name);
      *name = strdup (eq + 1);
      if (*name == NULL)
        return v2_err (e, ENOMEM, "%s: out of memory", s->name);
    }
    else if (strcmp (end + 1, "size") == 0) {
      char *vend;
      errno = 0;
      *size = strtoull (eq + 1, &vend, 10);
      if (errno || !isdigit ((unsigned char) eq[1]) || *vend)
        return v2_err (e, EINVAL, "%s: pax header at offset %" PRIu64
                       ": bad size '%s'", s->name, at, eq + 1);
      *have_size = true;
    }
    pos += rec;
  }
  return 0;
}

static int
by_name_cmp (const void *a, const void *b, void *members)
{
  const struct tar_member *m = members;
  size_t i = *(const size_t *) a, j = *(const size_t *) b;
  int c = strcmp (m[i].name, m[j].name);

  return c ? c : (i > j) - (i < j);
}

/* Fill idx->by_name: 0 or -1 (ENOMEM). */
static int
sort_by_name (struct tar_index *idx)
{
  size_t i;

  idx->by_name = malloc ((idx->n ? idx->n : 1) * sizeof *idx->by_name);
  if (idx->by_name == NULL)
    return -1;
  for (i = 0; i < idx->n; i++)
    idx->by_name[i] = i;
  qsort_r (idx->by_name, idx->n, sizeof *idx->by_name, by_name_cmp,
           idx->members);
  return 0;
}

int
tar_read_index (const struct source *s, struct tar_index *idx,
                struct v2_error *e)
{
  unsigned char h[BLOCK];
  uint64_t off = 0;
  CLEANUP_FREE char *next_name = NULL;    /* from pax path= or GNU 'L' */
  uint64_t next_size = 0;
  bool have_next_size = false;

  memset (idx, 0, sizeof *idx);
  while (off < s->size) {
    uint64_t stored, sum = 0, size, data, padded, end;
    unsigned char type;
    size_t i;

    if (s->size - off < BLOCK)
      goto err_truncated;
    if (source_pread (s, h, BLOCK, off, "tar header", e) == -1)
      goto err;
    if (is_zero (h, BLOCK))
      break;                    /* end-of-archive marker */

    for (i = 0; i < BLOCK; i++)
      sum += (i >= 148 && i < 156) ? ' ' : h[i];
    if (parse_number (h + 148, 8, &stored) == -1 || stored != sum) {
      v2_err (e, EINVAL, "%s: tar header at offset %" PRIu64 ": bad checksum "
              "(not a tar archive, or corrupt)", s->name, off);
      goto err;
    }
    if (parse_number (h + 124, 12, &size) == -1) {
      v2_err (e, EINVAL, "%s: tar header at offset %" PRIu64
              ": bad size field", s->name, off);
      goto err;
    }
    type = h[156];
    if (have_next_size && (type == '0' || type == '\0' || type == '7'))
      size = next_size;
    data = off + BLOCK;
    if (ADD_OVERFLOW (size, (uint64_t) BLOCK - 1, &padded) ||
        ADD_OVERFLOW (data, padded & ~(uint64_t) (BLOCK - 1), &end) ||
        size > s->size - data) {
      v2_err (e, EINVAL, "%s: tar header at offset %" PRIu64 ": member of "
              "%" PRIu64 " bytes extends past the end of the archive "
              "(%" PRIu64 " bytes)", s->name, off, size, s->size);
      goto err;
    }

    switch (type) {
    case 'x': case 'L': {       /* pax extended header, GNU long name */
      CLEANUP_FREE char *buf = NULL;
      if (size > LIMIT_TAR_META_BYTES) {
        v2_err (e, EINVAL, "%s: tar header at offset %" PRIu64 ": %s of "
                "%" PRIu64 " bytes is over the %d-byte limit", s->name, off,
                type == 'x' ? "pax header" : "long name", size, LIMIT_TAR_META_BYTES);
        goto err;
      }
      buf = malloc (size + 1);
      if (buf == NULL) {
        v2_err (e, ENOMEM, "%s: out of memory", s->name);
        goto err;
      }
      if (source_pread (s, buf, size, data, "tar extended header", e) == -1)
        goto err;
      buf[size] = '\0';
      if (type == 'L') {
        free (next_name);
        next_name = strdup (buf);
        if (next_name == NULL) {
          v2_err (e, ENOMEM, "%s: out of memory", s->name);
          goto err;
        }
      }
      else if (parse_pax (s, off, buf, size, &next_name, &next_size,
                          &have_next_size, e) == -1)
        goto err;
      off = end;
      continue;
    }
    case 'S':
      v2_err (e, ENOTSUP, "%s: tar header at offset %" PRIu64 ": GNU sparse "
              "members cannot be served in place", s->name, off);
      goto err;
    case '0': case '\0': case '7': {
      struct tar_member m = { .offset = data, .size = size, .header_offset = off };
      struct tar_member *nm;
      char *name = TAKE (next_name);

      if (name == NULL) {
        bool posix = memcmp (h + 257, "ustar\0", 6) == 0;
        CLEANUP_FREE char *base = field_string (h, 100);
        CLEANUP_FREE char *prefix = posix ? field_string (h + 345, 155) : NULL;
        if (base == NULL || (posix && prefix == NULL)) {
          v2_err (e, ENOMEM, "%s: out of memory", s->name);
          goto err;
        }
        if (prefix && prefix[0]) {
          if (asprintf (&name, "%s/%s", prefix, base) == -1)
            name = NULL;
        }
        else
          name = TAKE (base);
        if (name == NULL) {
          v2_err (e, ENOMEM, "%s: out of memory", s->name);
          goto err;
        }
      }
      while (strncmp (name, "./", 2) == 0)
        memmove (name, name + 2, strlen (name + 2) + 1);
      m.name = name;
      if (idx->n >= LIMIT_TAR_MEMBERS) {
        free (name);
        v2_err (e, EFBIG, "%s: tar header at offset %" PRIu64
                ": more than %d members", s->name, off, LIMIT_TAR_MEMBERS);
        goto err;
      }
      nm = grow_one (idx->members, idx->n, sizeof *nm);
      if (nm == NULL) {
        free (name);
        v2_err (e, ENOMEM, "%s: out of memory", s->name);
        goto err;
      }
      idx->members = nm;
      idx->members[idx->n++] = m;
      break;
    }
    default:                    /* directories, links, devices, 'g' */
      break;
    }
    free (next_name);
    next_name = NULL;
    have_next_size = false;
    off = end;
  }
  if (sort_by_name (idx) == -1) {
    v2_err (e, ENOMEM, "%s: out of memory", s->name);
    goto err;
  }
  return 0;

 err_truncated:
  v2_err (e, EINVAL, "%s: tar header at offset %" PRIu64 ": archive is "
          "truncated", s->name, off);
 err:
  tar_index_free (idx);
  return -1;
}

void
tar_index_free (struct tar_index *idx)
{
  size_t i;

  for (i = 0; i < idx->n; i++)
    free (idx->members[i].name);
  free (idx->members);
  free (idx->by_name);
  idx->members = NULL;
  idx->by_name = NULL;
  idx->n = 0;
}

/* The first member named NAME in archive order, by a binary search of
 * by_name: a disk in 65536 chunks is 65536 look-ups. */
const struct tar_member *
tar_find (const struct tar_index *idx, const char *name)
{
  size_t lo = 0, hi = idx->n;

  while (lo < hi) {             /* the first entry not below NAME */
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp (idx->members[idx->by_name[mid]].name, name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < idx->n && strcmp (idx->members[idx->by_name[lo]].name, name) == 0)
    return &idx->members[idx->by_name[lo]];
  return NULL;
}
