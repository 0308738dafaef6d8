/* See image.h: opening a disk.  A VMDK is a descriptor naming extents,
 * or a single sparse file; a snapshot delta names its parent, which opens
 * the same way, down to the base.  Every name a descriptor gives (extent
 * files, parents) resolves in the container, relative to the descriptor's
 * directory, through container_open and its one check. */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "input-limits.h"
#include "checked.h"
#include "cleanup.h"
#include "image.h"

/* The grain cache holds this many bytes of inflated grains per disk.  It
 * serves reads smaller than a grain (a guest's 4 KiB reads); reads of
 * whole grains, the sequential copy, inflate straight into the caller's
 * buffer and bypass it. */
#define GRAIN_CACHE_BYTES (64 << 20)
#define MAX_DISK_BYTES (VMDK_MAX_SECTORS * SECTOR)

/* What a layer's descriptor says of its parent. */
struct link {
  bool described;               /* a descriptor was read: cid is known */
  uint32_t cid, parent_cid;
  char *hint;                   /* parentFileNameHint, or NULL */
};

static int
add_source (struct image *img, struct source *s, struct v2_error *e)
{
  struct source **n = grow_one (img->sources, img->n_sources, sizeof *n);

  if (n == NULL) {
    source_free (s);
    return v2_err (e, ENOMEM, "%s: out of memory", img->name);
  }
  img->sources = n;
  img->sources[img->n_sources++] = s;
  return 0;
}

static int
add_extent (struct image *img, struct image_extent x, struct v2_error *e)
{
  struct image_extent *n;

  if (x.len == 0) {
    grain_map_free (x.gm);
    return 0;
  }
  if (ADD_OVERFLOW (img->size, x.len, &x.start) || x.start > MAX_DISK_BYTES) {
    grain_map_free (x.gm);
    return v2_err (e, EFBIG, "%s: virtual size overflows (over 2^50 bytes)",
                   img->name);
  }
  x.start = img->size;
  n = grow_one (img->extents, img->n_extents, sizeof *n);
  if (n == NULL) {
    grain_map_free (x.gm);
    return v2_err (e, ENOMEM, "%s: out of memory", img->name);
  }
  img->extents = n;
  img->extents[img->n_extents++] = x;
  img->size += x.len;
  return 0;
}

/* A grain-mapped file of format WANT as one GRAINS extent of SECTORS (0:
 * its capacity). */
static int
add_grains (struct image *img, const struct source *src, enum grain_format want,
            uint64_t sectors, const char *ref, const struct grain_map **out,
            struct v2_error *e)
{
  struct grain_map *gm = grain_map_open (src, want, e);

  if (gm == NULL)
    return -1;
  if (sectors == 0)
    sectors = gm->capacity;
  if (sectors > gm->capacity) {
    v2_err (e, EINVAL, "%s: %s extent '%s' holds %" PRIu64 " sectors, the "
            "descriptor says %" PRIu64, ref, gm->ops->name, src->name,
            gm->capacity, sectors);
    grain_map_free (gm);
    return -1;
  }
  if (gm->ops->inflate)                 /* the cache is for inflated grains */
    img->max_grain = MAX (img->max_grain, gm->grain_bytes);
  if (out)
    *out = gm;
  return add_extent (img, (struct image_extent) {
      .kind = IMAGE_GRAINS, .len = sectors * SECTOR, .src = src, .gm = gm }, e);
}

/* NAME as the descriptor at DESC (a path in the container) means it: in
 * DESC's directory.  Caller frees. */
static char *
beside (const char *desc, const char *name)
{
  const char *slash = strrchr (desc, '/');
  char *p;

  if (slash == NULL)
    return strdup (name);
  if (asprintf (&p, "%.*s/%s", (int) (slash - desc), desc, name) == -1)
    return NULL;
  return p;
}

static const enum grain_format grains_of[] = {
  [VMDK_SPARSE] = GRAINS_HOSTED, [VMDK_VMFSSPARSE] = GRAINS_COWD,
  [VMDK_SESPARSE] = GRAINS_SESPARSE,
};

/* The extents of a descriptor file DESC_NAME, resolved in C. */
static int
add_described (struct image *img, const struct container *c,
               const char *desc_name, const char *desc_path,
               const struct vmdk_desc *d, struct v2_error *e)
{
  size_t i;

  for (i = 0; i < d->n_extents; i++) {
    const struct vmdk_extent_line *x = &d->extents[i];
    CLEANUP_FREE char *ref = NULL, *path = NULL;
    struct source *s;
    uint64_t bytes, off, end;

    if (x->sectors > VMDK_MAX_SECTORS || x->offset > VMDK_MAX_SECTORS)
      return v2_err (e, EFBIG, "%s: descriptor line %u: extent %s %" PRIu64
                     " sectors overflows (the limit is %" PRIu64 " sectors, "
                     "1 PiB)", desc_name, x->lineno,
                     x->sectors > VMDK_MAX_SECTORS ? "size" : "offset",
                     x->sectors > VMDK_MAX_SECTORS ? x->sectors : x->offset,
                     VMDK_MAX_SECTORS);
    bytes = x->sectors * SECTOR;
    off = x->offset * SECTOR;
    end = off + bytes;
    if (img->size + bytes > MAX_DISK_BYTES)
      return v2_err (e, EFBIG, "%s: descriptor line %u: the extents add up "
                     "to more than 1 PiB", desc_name, x->lineno);
    if (asprintf (&ref, "%s: descriptor line %u: extent file", desc_name,
                  x->lineno) == -1)
      return v2_err (e, ENOMEM, "out of memory");

    /* NOACCESS extents keep their place and size but read as zeros. */
    if (x->type == VMDK_ZERO || x->access == VMDK_NOACCESS) {
      if (add_extent (img, (struct image_extent) {
            .kind = IMAGE_ZERO, .len = bytes }, e) == -1)
        return -1;
      continue;
    }
    if (x->type == VMDK_VMFSRDM || x->type == VMDK_VMFSRAW)
      return v2_err (e, ENOTSUP, "%s: descriptor line %u: %s extents map a "
                     "raw device, which cannot be served", desc_name,
                     x->lineno, vmdk_extent_type_name (x->type));
    if ((path = beside (desc_path, x->file)) == NULL)
      return v2_err (e, ENOMEM, "out of memory");
    s = container_open (c, path, ref, e);
    if (s == NULL || add_source (img, s, e) == -1)
      return -1;
    switch (x->type) {
    case VMDK_FLAT: case VMDK_VMFS:
      if (end > s->size)
        return v2_err (e, EINVAL, "%s: descriptor line %u: extent file '%s' "
                       "is %" PRIu64 " bytes, too short for %" PRIu64
                       " sectors at sector %" PRIu64, desc_name, x->lineno,
                       x->file, s->size, x->sectors, x->offset);
      if (add_extent (img, (struct image_extent) {
            .kind = IMAGE_FLAT, .len = bytes, .src = s, .src_off = off }, e) == -1)
        return -1;
      break;
    default:                 /* SPARSE, VMFSSPARSE, SESPARSE */
      if (add_grains (img, s, grains_of[x->type], x->sectors, ref, NULL, e) == -1)
        return -1;
      break;
    }
  }
  return 0;
}

/* Text with no control characters but tab, CR and LF (and NUL padding). */
static bool
looks_like_text (const char *p, size_t n)
{
  for (; n && *p; n--, p++)
    if ((unsigned char) *p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n')
      return false;
  return true;
}

/* Keep D's parent link in L (taking the hint). */
static void
take_link (struct vmdk_desc *d, struct link *l)
{
  l->described = true;
  l->cid = d->cid;
  l->parent_cid = d->parent_cid;
  l->hint = d->parent_hint;
  d->parent_hint = NULL;
}

/* A sparse file's embedded descriptor: only its parent link matters; its
 * extent file name is often wrong (ovftool: "generated-stream.vmdk"), and
 * a single-file sparse disk is this file whatever it says. */
static int
embedded_link (const struct source *src, const struct grain_map *gm,
               struct link *l, struct v2_error *e)
{
  CLEANUP_FREE char *text = NULL;
  struct vmdk_desc d;
  const struct vmdk_extent_line *x;
  int r = 0;

  if (gm->desc_offset == 0 || gm->desc_size == 0)
    return 0;
  if ((text = malloc (gm->desc_size * SECTOR)) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  if (source_pread (src, text, gm->desc_size * SECTOR, gm->desc_offset * SECTOR,
                    "embedded descriptor", e) == -1)
    return -1;
  if (vmdk_desc_parse (text, gm->desc_size * SECTOR, src->name, &d, e) == -1)
    return v2_err_prefix (e, "embedded descriptor");
  x = &d.extents[0];
  if (d.n_extents > 1 || x->type != VMDK_SPARSE)
    r = v2_err (e, ENOTSUP, "%s: embedded descriptor line %u: a sparse file "
                "must describe one SPARSE extent", src->name, x->lineno);
  else
    take_link (&d, l);
  vmdk_desc_free (&d);
  return r;
}

/* One layer: the VMDK at PATH in C, its extents into IMG, its parent
 * link into L. */
static int
open_layer (struct image *img, const struct container *c, const char *path,
            const char *ref, struct link *l, struct v2_error *e)
{
  unsigned char h[SECTOR] = { 0 };
  struct source *src = container_open (c, path, ref, e);
  enum grain_format f;
  struct vmdk_desc d;
  size_t hlen;
  int r;

  if (src)
    src = container_gunzip (c, src, e);
  if (src == NULL || add_source (img, src, e) == -1)
    return -1;
  img->file = src;
  hlen = (size_t) MIN ((uint64_t) SECTOR, src->size);
  if (source_pread (src, h, hlen, 0, "header", e) == -1)
    return -1;
  /* A gzip'd VMDK's size is known only at the end of the stream.  An
   * uncompressed sparse file with its grain directory in the header can
   * be served before that (the index grows in the background); a stream,
   * or a descriptor, is inflated to the end now. */
  if (!vmdk_sparse_random_access (h, hlen) && source_settle (src, e) == -1)
    return -1;

  f = grain_format_probe (h, hlen);
  if (f == GRAINS_HOSTED) {
    const struct grain_map *gm;
    if (add_grains (img, src, f, 0, src->name, &gm, e) == -1)
      return -1;
    return embedded_link (src, gm, l, e);
  }
  if (f != GRAINS_ANY)
    return v2_err (e, EINVAL, "%s: header at offset 0: a %s snapshot extent, "
                   "which holds only the changes: open the descriptor that "
                   "names it", src->name, grain_format_name (f));
  if (!looks_like_text ((const char *) h, hlen))
    return v2_err (e, EINVAL, "%s: header at offset 0: not a VMDK (no sparse "
                   "magic, and not a descriptor)", src->name);
  {
    CLEANUP_FREE char *text = source_slurp (src, LIMIT_DESCRIPTOR_BYTES,
                                            "descriptor", e);
    if (text == NULL)
      return -1;
    if (!looks_like_text (text, src->size))
      return v2_err (e, EINVAL, "%s: not a VMDK (no sparse magic, and not a "
                     "descriptor)", src->name);
    if (vmdk_desc_parse (text, src->size, src->name, &d, e) == -1)
      return -1;
    r = add_described (img, c, src->name, path, &d, e);
    take_link (&d, l);
    vmdk_desc_free (&d);
    return r;
  }
}

static int
note (struct image *img, struct v2_error *e, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));

static int
note (struct image *img, struct v2_error *e, const char *fmt, ...)
{
  char **n = grow_one (img->notes, img->n_notes, sizeof *n);
  va_list ap;
  int r;

  if (n == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  img->notes = n;
  va_start (ap, fmt);
  r = vasprintf (&img->notes[img->n_notes], fmt, ap);
  va_end (ap);
  if (r == -1)
    return v2_err (e, ENOMEM, "out of memory");
  img->n_notes++;
  return 0;
}

/* Where the parent of the layer at CHILD (a path in the container) is.
 * A hint is relative to the child's directory; an absolute one (ESXi:
 * "/vmfs/volumes/5f1e.../base.vmdk"; Workstation on Windows: "C:\...")
 * names a place on the VMware host, so its last component is looked for
 * beside the child, and TOP notes it. */
static char *
parent_path (struct image *top, const char *child, const char *child_name,
             const char *hint, struct v2_error *e)
{
  const char *base = hint;
  char *p;

  if (hint[0] == '/' || hint[0] == '\\' ||
      (hint[0] && hint[1] == ':' && (hint[2] == '\\' || hint[2] == '/'))) {
    const char *s1 = strrchr (hint, '/'), *s2 = strrchr (hint, '\\');
    base = (s1 > s2 ? s1 : s2) + 1;
  }
  p = beside (child, base);
  if (p == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  if (base != hint &&
      note (top, e, "%s: parentFileNameHint '%s' is a path on the VMware "
            "host: using '%s' beside it", child_name, hint, p) == -1) {
    free (p);
    return NULL;
  }
  return p;
}

static struct image *
image_new (const char *name, struct v2_error *e)
{
  struct image *img = calloc (1, sizeof *img);

  if (img == NULL || (img->name = strdup (name)) == NULL) {
    free (img);
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  return img;
}

struct image *
image_open_blank (const char *name, uint64_t size, struct v2_error *e)
{
  struct image *img = image_new (name, e);

  if (img && add_extent (img, (struct image_extent) {
        .kind = IMAGE_ZERO, .len = size }, e) == -1) {
    image_free (img);
    return NULL;
  }
  return img;
}

/* Allocation and the grain cache, once IMG's extents are all there. */
static int
finish (struct image *img, struct v2_error *e)
{
  size_t i;

  for (i = 0; i < img->n_extents; i++) {
    const struct image_extent *x = &img->extents[i];
    if (x->kind == IMAGE_FLAT)
      img->allocated += source_allocated (x->src, x->src_off, x->len);
    else if (x->kind == IMAGE_GRAINS)
      img->allocated += MIN (x->len, x->gm->allocated_grains * x->gm->grain_bytes);
  }
  if (img->parent)
    img->allocated = MIN (img->size, img->allocated + img->parent->allocated);
  if (img->max_grain == 0)
    return 0;
  img->n_slots = MAX (1, GRAIN_CACHE_BYTES / img->max_grain);
  img->slots = calloc (img->n_slots, sizeof *img->slots);
  if (img->slots == NULL) {
    img->n_slots = 0;
    return v2_err (e, ENOMEM, "%s: out of memory", img->name);
  }
  for (i = 0; i < img->n_slots; i++) {
    pthread_mutex_init (&img->slots[i].lock, NULL);
    img->slots[i].key = UINT64_MAX;
  }
  return 0;
}

/* The layers from PATH down: each layer's parent opened, its CID checked,
 * loops and depth bounded.  LAYER is empty; TOP collects the notes. */
static int
open_chain (struct image *top, struct image *layer, const struct container *c,
            const char *path, const char *ref, unsigned flags,
            const char **seen, unsigned depth, struct v2_error *e)
{
  struct link l = { 0 };
  CLEANUP_FREE char *ppath = NULL, *pref = NULL;
  const char *child_name;
  unsigned i;
  int r = -1;

  seen[depth] = path;
  if (open_layer (layer, c, path, ref, &l, e) == -1)
    goto out;
  layer->cid = l.cid;
  layer->cid_known = l.described;
  child_name = layer->file->name;
  if (l.parent_cid == VMDK_NO_PARENT || !l.described) {
    r = 0;
    goto out;
  }
  if (l.hint == NULL || l.hint[0] == '\0') {
    v2_err (e, EINVAL, "%s: descriptor: parentCID %08" PRIx32 " but no "
            "parentFileNameHint names the parent", child_name, l.parent_cid);
    goto out;
  }
  if ((ppath = parent_path (top, path, child_name, l.hint, e)) == NULL)
    goto out;
  for (i = 0; i <= depth; i++)
    if (strcmp (seen[i], ppath) == 0) {
      v2_err (e, ELOOP, "%s: descriptor: parentFileNameHint '%s': a loop: "
              "%s is already in the chain", child_name, l.hint, ppath);
      goto out;
    }
  if (depth + 1 >= LIMIT_CHAIN_DEPTH) {
    v2_err (e, ELOOP, "%s: descriptor: parentFileNameHint '%s': the chain is "
            "deeper than %d layers", child_name, l.hint, LIMIT_CHAIN_DEPTH);
    goto out;
  }
  if (asprintf (&pref, "%s: descriptor: parentFileNameHint", child_name) == -1 ||
      (layer->parent = image_new (layer->name, e)) == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    goto out;
  }
  if (open_chain (top, layer->parent, c, ppath, pref, flags, seen, depth + 1,
                  e) == -1 ||
      finish (layer->parent, e) == -1)
    goto out;
  /* A sparse parent without an embedded descriptor has no CID to check. */
  if (layer->parent->cid_known && l.parent_cid != layer->parent->cid &&
      !(flags & IMAGE_IGNORE_CID)) {
    v2_err (e, EINVAL, "%s: descriptor: parentCID %08" PRIx32 " does not "
            "match CID %08" PRIx32 " of its parent %s (--ignore-cid opens "
            "the chain anyway)", child_name, l.parent_cid, layer->parent->cid,
            layer->parent->file->name);
    goto out;
  }
  r = 0;
 out:
  free (l.hint);
  return r;
}

struct image *
image_open_vmdk (const struct container *c, const char *file, const char *ref,
                 const char *name, uint64_t min_size, unsigned flags,
                 struct v2_error *e)
{
  struct image *img = image_new (name, e);
  const char *seen[LIMIT_CHAIN_DEPTH];

  if (img == NULL)
    return NULL;
  if (open_chain (img, img, c, file, ref, flags, seen, 0, e) == -1)
    goto err;
  if (min_size > img->size &&
      add_extent (img, (struct image_extent) {
          .kind = IMAGE_ZERO, .len = min_size - img->size }, e) == -1)
    goto err;
  if (finish (img, e) == -1)
    goto err;
  return img;

 err:
  image_free (img);
  return NULL;
}

void
image_free (struct image *img)
{
  size_t i;

  if (img == NULL)
    return;
  image_free (img->parent);
  for (i = 0; i < img->n_slots; i++) {
    pthread_mutex_destroy (&img->slots[i].lock);
    free (img->slots[i].data);
  }
  free (img->slots);
  for (i = 0; i < img->n_extents; i++)
    grain_map_free (img->extents[i].gm);
  free (img->extents);
  for (i = 0; i < img->n_sources; i++)
    source_free (img->sources[i]);
  free (img->sources);
  for (i = 0; i < img->n_notes; i++)
    free (img->notes[i]);
  free (img->notes);
  free (img->name);
  free (img);
}
