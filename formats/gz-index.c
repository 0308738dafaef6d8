/* See gz-index.h. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "byteorder.h"
#include "checked.h"
#include "cleanup.h"
#include "fullio.h"
#include "gz.h"
#include "gz-index.h"

#define MAGIC "v2vfs gzindex 1\n"
#define MAGIC_LEN 16
/* A chunked member's identity names each chunk: LIMIT_CHUNKS of them at
 * about 80 bytes fit. */
#define IDENTITY_MAX (1024 * 1024)
#define HEAD_FIXED (8 + 8 + 4)         /* after the identity */
#define POINT_FIXED (8 + 8 + 1 + 1 + 4)

void
gz_index_clear (struct gz_index *ix)
{
  for (size_t i = 0; i < ix->n; i++)
    free (ix->points[i].window);
  free (ix->points);
  memset (ix, 0, sizeof *ix);
}

/* DIR/gzindex-HASH: FNV-1a of the identity.  The file holds the whole
 * identity, so two identities with one hash only evict each other. */
static char *
index_path (const char *dir, const char *identity)
{
  uint64_t h = UINT64_C (0xcbf29ce484222325);
  char *path;

  for (const unsigned char *p = (const unsigned char *) identity; *p; p++)
    h = (h ^ *p) * UINT64_C (0x100000001b3);
  if (asprintf (&path, "%s/gzindex-%016" PRIx64, dir, h) == -1)
    return NULL;
  return path;
}

int
gz_index_save (const char *dir, const char *identity,
               const struct gz_index *ix, struct v2_error *e)
{
  CLEANUP_FREE char *path = index_path (dir, identity);
  CLEANUP_FREE unsigned char *buf = NULL;
  size_t idlen = strlen (identity), len = MAGIC_LEN + 4 + idlen + HEAD_FIXED + 4;
  unsigned char *p;

  if (path == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  for (size_t i = 0; i < ix->n; i++)
    len += POINT_FIXED + ix->points[i].wlen;
  if ((buf = malloc (len)) == NULL)
    return v2_err (e, ENOMEM, "%s: out of memory", path);
  p = buf;
  memcpy (p, MAGIC, MAGIC_LEN);
  p += MAGIC_LEN;
  put_le32 (p, 0, (uint32_t) idlen);
  memcpy (p + 4, identity, idlen);
  p += 4 + idlen;
  put_le64 (p, 0, ix->size);
  put_le64 (p, 8, ix->spacing);
  put_le32 (p, 16, (uint32_t) ix->n);
  p += 20;
  for (size_t i = 0; i < ix->n; i++) {
    const struct gz_point *pt = &ix->points[i];
    put_le64 (p, 0, pt->out);
    put_le64 (p, 8, pt->in);
    p[16] = pt->bits;
    p[17] = pt->kind;
    put_le32 (p, 18, pt->wlen);
    if (pt->wlen)
      memcpy (p + POINT_FIXED, pt->window, pt->wlen);
    p += POINT_FIXED + pt->wlen;
  }
  put_le32 (p, 0, (uint32_t) crc32 (0, buf, (uInt) (p - buf)));
  return replace_file (path, buf, len, e);
}

/* Checks one saved checkpoint against the one before it. */
static bool
point_ok (const struct gz_point *pt, const struct gz_point *prev,
          uint64_t in_size)
{
  if (prev == NULL)
    return pt->out == 0 && pt->in == 0 && pt->kind == GZ_POINT_MEMBER;
  /* A block point's bits come from the byte before it; a member's start
   * has neither bits nor window. */
  return pt->out > prev->out && pt->in >= prev->in && pt->in <= in_size &&
    pt->bits <= 7 && pt->wlen <= GZ_WINDOW &&
    ((pt->kind == GZ_POINT_BLOCK && (pt->bits == 0 || pt->in > 0)) ||
     (pt->kind == GZ_POINT_MEMBER && !pt->bits && !pt->wlen));
}

int
gz_index_load (const char *dir, const char *identity, uint64_t in_size,
               size_t max_points, struct gz_index *ix, struct v2_error *e)
{
  CLEANUP_FREE char *path = index_path (dir, identity);
  CLEANUP_FREE char *buf = NULL;
  size_t len, idlen = strlen (identity), max, n, i;
  const unsigned char *p, *end;

  memset (ix, 0, sizeof *ix);
  if (path == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  max = MAGIC_LEN + 4 + IDENTITY_MAX + HEAD_FIXED + 4 +
    max_points * (POINT_FIXED + GZ_WINDOW);
  if ((buf = read_small_file (path, max, &len)) == NULL)
    return errno == ENOMEM ? v2_err (e, ENOMEM, "%s: out of memory", path) : 0;
  p = (const unsigned char *) buf;
  end = p + len;
  if (len < MAGIC_LEN + 4 + HEAD_FIXED + 4 || memcmp (p, MAGIC, MAGIC_LEN) ||
      le32_at (end - 4, 0) != (uint32_t) crc32 (0, p, (uInt) (len - 4)))
    return 0;
  end -= 4;
  p += MAGIC_LEN;
  if (le32_at (p, 0) != idlen || (size_t) (end - p) < 4 + idlen + HEAD_FIXED ||
      memcmp (p + 4, identity, idlen))
    return 0;
  p += 4 + idlen;
  ix->size = le64_at (p, 0);
  ix->spacing = le64_at (p, 8);
  n = le32_at (p, 16);
  p += 20;
  if (n == 0 || n > max_points || ix->spacing == 0)
    return 0;
  if ((ix->points = calloc (n, sizeof *ix->points)) == NULL)
    return v2_err (e, ENOMEM, "%s: out of memory", path);
  ix->cap = n;
  for (i = 0; i < n; i++) {
    struct gz_point *pt = &ix->points[i];
    if ((size_t) (end - p) < POINT_FIXED)
      goto bad;
    *pt = (struct gz_point) {
      .out = le64_at (p, 0), .in = le64_at (p, 8), .bits = p[16],
      .kind = p[17], .wlen = le32_at (p, 18),
    };
    p += POINT_FIXED;
    if (!point_ok (pt, i ? pt - 1 : NULL, in_size) ||
        (size_t) (end - p) < pt->wlen)
      goto bad;
    if (pt->wlen) {
      if ((pt->window = malloc (pt->wlen)) == NULL) {
        gz_index_clear (ix);
        return v2_err (e, ENOMEM, "%s: out of memory", path);
      }
      memcpy (pt->window, p, pt->wlen);
      p += pt->wlen;
    }
    ix->n = i + 1;
  }
  /* The size, too, is a number from the file: no more than deflate can
   * make of the compressed bytes. */
  if (p != end || ix->size < ix->points[n - 1].out ||
      ix->size / GZ_MAX_RATIO > in_size)
    goto bad;
  return 1;

 bad:
  gz_index_clear (ix);
  return 0;
}
