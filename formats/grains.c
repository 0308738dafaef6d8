/* See grains.h: which format a file is, and the one way to open it. */
#include <config.h>

#include <errno.h>

#include "byteorder.h"
#include "grains.h"

static const struct {
  const char *name;
  struct grain_map *(*open) (const struct source *, struct v2_error *);
} formats[] = {
  [GRAINS_HOSTED] = { "hosted sparse (KDMV)", vmdk_sparse_open },
  [GRAINS_COWD] = { "COWD (vmfsSparse)", cowd_open },
  [GRAINS_SESPARSE] = { "SEsparse", sesparse_open },
};

enum grain_format
grain_format_probe (const void *head, size_t len)
{
  if (len >= 4 && le32_at (head, 0) == KDMV_MAGIC)
    return GRAINS_HOSTED;
  if (len >= 4 && le32_at (head, 0) == COWD_MAGIC)
    return GRAINS_COWD;
  if (len >= 8 && le64_at (head, 0) == SESPARSE_MAGIC)
    return GRAINS_SESPARSE;
  return GRAINS_ANY;
}

const char *
grain_format_name (enum grain_format f)
{
  return f == GRAINS_ANY ? "not sparse" : formats[f].name;
}

struct grain_map *
grain_map_open (const struct source *src, enum grain_format want,
                struct v2_error *e)
{
  unsigned char h[8] = { 0 };
  enum grain_format got;

  if (source_pread (src, h, src->size < 8 ? src->size : 8, 0, "header",
                    e) == -1)
    return NULL;
  got = grain_format_probe (h, src->size < 8 ? src->size : 8);
  if (want == GRAINS_ANY)
    want = got;
  if (want == GRAINS_ANY) {
    v2_err (e, EINVAL, "%s: header at offset 0: no sparse magic", src->name);
    return NULL;
  }
  /* Without a magic, the opener says what is wrong with its header. */
  if (got != want && got != GRAINS_ANY) {
    v2_err (e, EINVAL, "%s: header at offset 0: the descriptor says %s, the "
            "file is %s", src->name, formats[want].name,
            grain_format_name (got));
    return NULL;
  }
  return formats[want].open (src, e);
}

void
grain_map_free (struct grain_map *m)
{
  if (m)
    m->ops->free (m);
}
