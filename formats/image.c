/* See image.h.  The extent list is sorted and gapless, so every lookup is
 * a binary search; the read path is one short loop over extents and,
 * inside a sparse extent, over grains (the shape of nbdkit's regions). */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
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

#define COWD_MAGIC 0x44574f43U
#define SESPARSE_MAGIC UINT64_C (0x00000000cafebabe)

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
    vmdk_sparse_free (x.sp);
    return 0;
  }
  if (ADD_OVERFLOW (img->size, x.len, &x.start) || x.start > MAX_DISK_BYTES) {
    vmdk_sparse_free (x.sp);
    return v2_err (e, EFBIG, "%s: virtual size overflows (over 2^50 bytes)",
                   img->name);
  }
  x.start = img->size;
  n = grow_one (img->extents, img->n_extents, sizeof *n);
  if (n == NULL) {
    vmdk_sparse_free (x.sp);
    return v2_err (e, ENOMEM, "%s: out of memory", img->name);
  }
  img->extents = n;
  img->extents[img->n_extents++] = x;
  img->size += x.len;
  return 0;
}

/* A hosted sparse file as one SPARSE extent of SECTORS (0: its capacity). */
static int
add_sparse (struct image *img, const struct source *src, uint64_t sectors,
            const char *ref, const struct vmdk_sparse **out, struct v2_error *e)
{
  struct vmdk_sparse *sp = vmdk_sparse_open (src, e);

  if (sp == NULL)
    return -1;
  if (sectors == 0)
    sectors = sp->capacity;
  if (sectors > sp->capacity) {
    vmdk_sparse_free (sp);
    return v2_err (e, EINVAL, "%s: sparse extent '%s' holds %" PRIu64
                   " sectors, the descriptor says %" PRIu64, ref, src->name,
                   sp->capacity, sectors);
  }
  img->max_grain = MAX (img->max_grain, sp->grain_bytes);
  if (out)
    *out = sp;
  return add_extent (img, (struct image_extent) {
      .kind = IMAGE_SPARSE, .len = sectors * SECTOR, .src = src, .sp = sp }, e);
}

static int
check_parent (const struct vmdk_desc *d, const char *name, struct v2_error *e)
{
  if (d->parent_cid == VMDK_NO_PARENT)
    return 0;
  return v2_err (e, ENOTSUP, "%s: descriptor: parentCID %08" PRIx32
                 " names a parent disk ('%s'): snapshot chains are not "
                 "supported yet", name, d->parent_cid,
                 d->parent_hint ? d->parent_hint : "");
}

/* The extents of a descriptor file DESC_NAME, resolved in C. */
static int
add_described (struct image *img, const struct container *c,
               const char *desc_name, const struct vmdk_desc *d,
               struct v2_error *e)
{
  size_t i;

  for (i = 0; i < d->n_extents; i++) {
    const struct vmdk_extent_line *x = &d->extents[i];
    CLEANUP_FREE char *ref = NULL;
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
    switch (x->type) {
    case VMDK_FLAT: case VMDK_VMFS:
      s = container_open (c, x->file, ref, e);
      if (s == NULL || add_source (img, s, e) == -1)
        return -1;
      if (end > s->size)
        return v2_err (e, EINVAL, "%s: descriptor line %u: extent file '%s' "
                       "is %" PRIu64 " bytes, too short for %" PRIu64
                       " sectors at sector %" PRIu64, desc_name, x->lineno,
                       x->file, s->size, x->sectors, x->offset);
      if (add_extent (img, (struct image_extent) {
            .kind = IMAGE_FLAT, .len = bytes, .src = s, .src_off = off }, e) == -1)
        return -1;
      break;
    case VMDK_SPARSE:
      s = container_open (c, x->file, ref, e);
      if (s == NULL || add_source (img, s, e) == -1 ||
          add_sparse (img, s, x->sectors, ref, NULL, e) == -1)
        return -1;
      break;
    case VMDK_VMFSRDM: case VMDK_VMFSRAW:
      return v2_err (e, ENOTSUP, "%s: descriptor line %u: %s extents map a "
                     "raw device, which cannot be served", desc_name,
                     x->lineno, vmdk_extent_type_name (x->type));
    default:
      return v2_err (e, ENOTSUP, "%s: descriptor line %u: %s extents are not "
                     "supported yet", desc_name, x->lineno,
                     vmdk_extent_type_name (x->type));
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

static int
open_any (struct image *img, const struct container *c, const char *file,
          const char *ref, struct v2_error *e)
{
  unsigned char h[SECTOR] = { 0 };
  struct source *src = container_open (c, file, ref, e);
  struct vmdk_desc d;
  size_t hlen;

  if (src == NULL || add_source (img, src, e) == -1)
    return -1;
  hlen = (size_t) MIN ((uint64_t) SECTOR, src->size);
  if (source_pread (src, h, hlen, 0, "header", e) == -1)
    return -1;

  if (vmdk_is_sparse (h, hlen)) {
    const struct vmdk_extent_line *x;
    const struct vmdk_sparse *sp;
    if (add_sparse (img, src, 0, src->name, &sp, e) == -1)
      return -1;
    /* The embedded descriptor matters only for a parent link; its extent
     * file name is often wrong (ovftool: "generated-stream.vmdk"), and a
     * single-file sparse disk is this file whatever it says. */
    if (sp->desc_offset && sp->desc_size) {
      CLEANUP_FREE char *text = malloc (sp->desc_size * SECTOR);
      if (text == NULL)
        return v2_err (e, ENOMEM, "out of memory");
      if (source_pread (src, text, sp->desc_size * SECTOR,
                        sp->desc_offset * SECTOR, "embedded descriptor",
                        e) == -1)
        return -1;
      if (vmdk_desc_parse (text, sp->desc_size * SECTOR, src->name, &d,
                           e) == -1)
        return v2_err_prefix (e, "embedded descriptor");
      x = &d.extents[0];
      if (d.n_extents > 1 || x->type != VMDK_SPARSE) {
        v2_err (e, ENOTSUP, "%s: embedded descriptor line %u: a sparse file "
                "must describe one SPARSE extent", src->name, x->lineno);
        vmdk_desc_free (&d);
        return -1;
      }
      if (check_parent (&d, src->name, e) == -1) {
        vmdk_desc_free (&d);
        return -1;
      }
      vmdk_desc_free (&d);
    }
    return 0;
  }
  if (hlen >= 4 && (le32_at (h, 0) == COWD_MAGIC ||
                    (hlen >= 8 && le64_at (h, 0) == SESPARSE_MAGIC)))
    return v2_err (e, ENOTSUP, "%s: header at offset 0: %s snapshot extents "
                   "are not supported yet", src->name,
                   le32_at (h, 0) == COWD_MAGIC ? "COWD (vmfsSparse)"
                   : "SEsparse");
  if (!looks_like_text ((const char *) h, hlen))
    return v2_err (e, EINVAL, "%s: header at offset 0: not a VMDK (no sparse "
                   "magic, and not a descriptor)", src->name);
  {
    CLEANUP_FREE char *text = source_slurp (src, LIMIT_DESCRIPTOR_BYTES,
                                            "descriptor", e);
    int r;
    if (text == NULL)
      return -1;
    if (!looks_like_text (text, src->size))
      return v2_err (e, EINVAL, "%s: not a VMDK (no sparse magic, and not a "
                     "descriptor)", src->name);
    if (vmdk_desc_parse (text, src->size, src->name, &d, e) == -1)
      return -1;
    r = check_parent (&d, src->name, e);
    if (r == 0)
      r = add_described (img, c, src->name, &d, e);
    vmdk_desc_free (&d);
    return r;
  }
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

struct image *
image_open_vmdk (const struct container *c, const char *file, const char *ref,
                 const char *name, uint64_t min_size, struct v2_error *e)
{
  struct image *img = image_new (name, e);
  size_t i;

  if (img == NULL)
    return NULL;
  if (open_any (img, c, file, ref, e) == -1)
    goto err;
  if (min_size > img->size &&
      add_extent (img, (struct image_extent) {
          .kind = IMAGE_ZERO, .len = min_size - img->size }, e) == -1)
    goto err;

  for (i = 0; i < img->n_extents; i++) {
    const struct image_extent *x = &img->extents[i];
    if (x->kind == IMAGE_FLAT)
      img->allocated += source_allocated (x->src, x->src_off, x->len);
    else if (x->kind == IMAGE_SPARSE)
      img->allocated += MIN (x->len, x->sp->allocated_grains * x->sp->grain_bytes);
  }
  if (img->max_grain) {
    img->n_slots = MAX (1, GRAIN_CACHE_BYTES / img->max_grain);
    img->slots = calloc (img->n_slots, sizeof *img->slots);
    if (img->slots == NULL) {
      img->n_slots = 0;
      v2_err (e, ENOMEM, "%s: out of memory", name);
      goto err;
    }
    for (i = 0; i < img->n_slots; i++) {
      pthread_mutex_init (&img->slots[i].lock, NULL);
      img->slots[i].key = UINT64_MAX;
    }
  }
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
  for (i = 0; i < img->n_slots; i++) {
    pthread_mutex_destroy (&img->slots[i].lock);
    free (img->slots[i].data);
  }
  free (img->slots);
  for (i = 0; i < img->n_extents; i++)
    vmdk_sparse_free (img->extents[i].sp);
  free (img->extents);
  for (i = 0; i < img->n_sources; i++)
    source_free (img->sources[i]);
  free (img->sources);
  free (img->name);
  free (img);
}

static size_t
find_extent (const struct image *img, uint64_t off)
{
  size_t lo = 0, hi = img->n_extents;

  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (img->extents[mid].start <= off)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

/* Copy grain G of extent X (index XI) from byte IN, N bytes, through the
 * cache.  A miss inflates into a fresh buffer outside the lock and swaps
 * it into the slot, so a slot is locked only for a pointer swap or a
 * copy out. */
static int
cached_grain (struct image *img, size_t xi, const struct vmdk_sparse *sp,
              uint64_t g, void *buf, uint64_t in, size_t n, struct v2_error *e)
{
  uint64_t key = ((uint64_t) xi << 44) | g;
  struct grain_slot *slot = &img->slots[(key * UINT64_C (0x9e3779b97f4a7c15)) %
                                        img->n_slots];
  unsigned char *fresh;

  pthread_mutex_lock (&slot->lock);
  if (slot->key == key) {
    memcpy (buf, slot->data + in, n);
    pthread_mutex_unlock (&slot->lock);
    return 0;
  }
  pthread_mutex_unlock (&slot->lock);

  fresh = malloc (img->max_grain);
  if (fresh == NULL)
    return v2_err (e, ENOMEM, "%s: out of memory", img->name);
  if (vmdk_read_compressed_grain (sp, g, fresh, e) == -1) {
    free (fresh);
    return -1;
  }
  memcpy (buf, fresh + in, n);
  pthread_mutex_lock (&slot->lock);
  unsigned char *old = slot->data;
  slot->data = fresh;
  slot->key = key;
  pthread_mutex_unlock (&slot->lock);
  free (old);
  return 0;
}

static int
read_sparse (struct image *img, size_t xi, unsigned char *buf, size_t len,
             uint64_t xoff, struct v2_error *e)
{
  const struct image_extent *x = &img->extents[xi];
  const struct vmdk_sparse *sp = x->sp;
  const uint64_t gb = sp->grain_bytes;

  while (len > 0) {
    uint64_t g = xoff / gb, in = xoff % gb;
    size_t n = (size_t) MIN ((uint64_t) len, gb - in);
    uint32_t gte = vmdk_sparse_gte (sp, g);

    if (!vmdk_gte_has_data (sp, gte))
      memset (buf, 0, n);
    else if (!sp->compressed) {
      /* Grains adjacent in the file are read with one pread. */
      uint64_t file_off = (uint64_t) gte * SECTOR + in;
      while (n < len) {
        uint32_t next = vmdk_sparse_gte (sp, g + 1);
        if (!vmdk_gte_has_data (sp, next) ||
            (uint64_t) next * SECTOR != (uint64_t) gte * SECTOR + gb)
          break;
        g++;
        gte = next;
        n += (size_t) MIN ((uint64_t) len - n, gb);
      }
      if (source_pread (x->src, buf, n, file_off, "grain", e) == -1)
        return -1;
    }
    else if (in == 0 && n == gb) {
      if (vmdk_read_compressed_grain (sp, g, buf, e) == -1)
        return -1;
    }
    else if (cached_grain (img, xi, sp, g, buf, in, n, e) == -1)
      return -1;
    buf += n;
    xoff += n;
    len -= n;
  }
  return 0;
}

int
image_pread (struct image *img, void *buf, size_t len, uint64_t off,
             struct v2_error *e)
{
  unsigned char *p = buf;
  size_t xi;

  if (len == 0)
    return 0;
  for (xi = find_extent (img, off); len > 0; xi++) {
    const struct image_extent *x = &img->extents[xi];
    uint64_t xoff = off - x->start;
    size_t n = (size_t) MIN ((uint64_t) len, x->len - xoff);

    switch (x->kind) {
    case IMAGE_ZERO:
      memset (p, 0, n);
      break;
    case IMAGE_FLAT:
      if (source_pread (x->src, p, n, x->src_off + xoff, "extent data", e) == -1)
        return -1;
      break;
    case IMAGE_SPARSE:
      if (read_sparse (img, xi, p, n, xoff, e) == -1)
        return -1;
      break;
    }
    p += n;
    off += n;
    len -= n;
  }
  return 0;
}

/* In a sparse extent, the first byte at or after XOFF whose allocation
 * is DATA; X->len if none. */
static uint64_t
sparse_seek (const struct image_extent *x, uint64_t xoff, bool data)
{
  const struct vmdk_sparse *sp = x->sp;
  uint64_t g = xoff / sp->grain_bytes;
  uint64_t n_grains = DIV_ROUND_UP (x->len, sp->grain_bytes);

  while (g < n_grains) {
    if (sp->gt[g / sp->gtes_per_gt] == NULL) {
      if (!data)
        break;
      g = (g / sp->gtes_per_gt + 1) * sp->gtes_per_gt;   /* skip the table */
      continue;
    }
    if (vmdk_gte_has_data (sp, vmdk_sparse_gte (sp, g)) == data)
      break;
    g++;
  }
  return g >= n_grains ? x->len : MAX (xoff, g * sp->grain_bytes);
}

int64_t
image_seek (const struct image *img, uint64_t off, bool data)
{
  size_t xi;

  for (xi = find_extent (img, off); xi < img->n_extents; xi++) {
    const struct image_extent *x = &img->extents[xi];
    uint64_t from = MAX (off, x->start) - x->start, at;

    switch (x->kind) {
    case IMAGE_ZERO:  at = data ? x->len : from; break;
    case IMAGE_FLAT:
      at = MIN (source_seek (x->src, x->src_off + from, data) - x->src_off,
                x->len);
      break;
    default:          at = sparse_seek (x, from, data); break;
    }
    if (at < x->len)
      return (int64_t) (x->start + at);
  }
  if (data) {
    errno = ENXIO;
    return -1;
  }
  return (int64_t) img->size;
}
