/* See bundle.h. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "grow.h"
#include "input-limits.h"
#include "bundle.h"
#include "names.h"
#include "ovf.h"
#include "vmx.h"


static bool
has_suffix (const char *s, const char *suffix)
{
  size_t l = strlen (s), ls = strlen (suffix);

  return l >= ls && strcasecmp (s + l - ls, suffix) == 0;
}

/* An OVA, or an OVA gzip'd whole. */
static bool
is_archive (const char *path)
{
  return has_suffix (path, ".ova") || has_suffix (path, ".ova.gz") ||
    has_suffix (path, ".tgz");
}

static const char *
base_name (const char *p)
{
  const char *s = strrchr (p, '/');
  return s ? s + 1 : p;
}

static int
add_container (struct bundle *b, struct container *c, struct v2_error *e)
{
  struct container **n;

  if (c == NULL)
    return -1;
  n = grow_one (b->containers, b->n_containers, sizeof *n);
  if (n == NULL) {
    container_free (c);
    return v2_err (e, ENOMEM, "out of memory");
  }
  b->containers = n;
  b->containers[b->n_containers++] = c;
  return 0;
}

/* Add IMG under a name no other disk has (a second "disk" becomes
 * "disk-2").  FROM names who named it, for messages; FILE is the OVF
 * File's href it was read from, or NULL. */
static int
add_disk (struct bundle *b, struct image *img, const char *from,
          const char *file, struct v2_error *e)
{
  struct image **n;
  char **files;
  size_t i, k;
  const char *why;
  CLEANUP_FREE char *base = NULL;

  if (img == NULL)
    return -1;
  if ((base = strdup (img->name)) == NULL)
    goto enomem;
  /* The parsers check each name where they can say its line; this is
   * the last gate before a name becomes disks/NAME.raw and an overlay
   * file, so nothing reaches those unchecked. */
  if ((why = name_fault (img->name)) != NULL) {
    v2_err (e, EINVAL, "%s: disk name '%s' %s", from, img->name, why);
    image_free (img);
    return -1;
  }
  for (k = 2; ; k++) {
    for (i = 0; i < b->n_disks; i++)
      if (strcmp (b->disks[i]->name, img->name) == 0)
        break;
    if (i == b->n_disks)
      break;
    free (img->name);
    if (asprintf (&img->name, "%s-%zu", base, k) == -1) {
      img->name = NULL;
      goto enomem;
    }
  }
  n = grow_one (b->disks, b->n_disks, sizeof *n);
  if (n == NULL)
    goto enomem;
  b->disks = n;
  files = grow_one (b->disk_files, b->n_disks, sizeof *files);
  if (files == NULL)
    goto enomem;
  b->disk_files = files;
  b->disk_files[b->n_disks] = NULL;
  if (file && (b->disk_files[b->n_disks] = strdup (file)) == NULL)
    goto enomem;
  b->disks[b->n_disks++] = img;
  return 0;

 enomem:
  image_free (img);
  return v2_err (e, ENOMEM, "out of memory");
}

static int
add_file (struct bundle *b, const char *name, struct source *src,
          struct v2_error *e)
{
  struct bundle_file *n;
  char *copy;

  if (src == NULL)
    return -1;
  copy = strdup (base_name (name));
  n = grow_one (b->files, b->n_files, sizeof *n);
  if (copy == NULL || n == NULL) {
    free (copy);
    source_free (src);
    return v2_err (e, ENOMEM, "out of memory");
  }
  b->files = n;
  b->files[b->n_files++] = (struct bundle_file) { .name = copy, .src = src };
  return 0;
}

/* The disks of the OVF held in OVF_SRC, resolved in container C. */
static int
open_ovf_disks (struct bundle *b, const struct container *c,
                const struct source *ovf_src, struct v2_error *e)
{
  CLEANUP_FREE char *xml = source_slurp (ovf_src, LIMIT_DESCRIPTOR_FILE_BYTES, "OVF", e);
  struct ovf o;
  size_t i;
  int r = -1;

  if (xml == NULL || ovf_parse (xml, ovf_src->size, ovf_src->name, &o, e) == -1)
    return -1;
  for (i = 0; i < o.n_disks; i++) {
    const struct ovf_disk *d = &o.disks[i];
    const struct ovf_file *f = d->file_ref ? ovf_find_file (&o, d->file_ref) : NULL;
    CLEANUP_FREE char *name = NULL, *ref = NULL;

    if (f == NULL) {
      if (add_disk (b, image_open_blank (d->id, d->capacity, e),
                    ovf_src->name, NULL, e) == -1)
        goto out;
      continue;
    }
    /* gzip'd files are recognized by their bytes (ovftool keeps the
     * plain name, other tools add .gz); the attribute only has to name a
     * compression that is served. */
    if (f->compression && strcmp (f->compression, "identity") != 0 &&
        strcmp (f->compression, "gzip") != 0) {
      v2_err (e, ENOTSUP, "%s: File '%s' at line %d: compression '%s' is "
              "not supported (only gzip and identity)", ovf_src->name, f->id,
              f->line, f->compression);
      goto out;
    }
    name = container_disk_name (f->href);
    if (name == NULL ||
        asprintf (&ref, "%s: File '%s' at line %d: href", ovf_src->name,
                  f->id, f->line) == -1) {
      v2_err (e, ENOMEM, "out of memory");
      goto out;
    }
    if (add_disk (b, image_open_vmdk (c, f->href, ref, name, d->capacity,
                                      b->image_flags, e),
                  ref, f->href, e) == -1)
      goto out;
  }
  /* Each OVF disk became one disk, in order: the models' disk indexes
   * hold for b->disks. */
  b->vms = TAKE (o.vms);
  b->n_vms = o.n_vms;
  o.n_vms = 0;
  r = 0;
 out:
  ovf_free (&o);
  return r;
}

/* The default VM of bare VMDKs. */
static int
default_vm (struct bundle *b, struct v2_error *e)
{
  struct vm *vm = calloc (1, sizeof *vm);
  size_t i;

  if (vm == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  b->vms = vm;
  b->n_vms = 1;
  vm->vcpus = BUNDLE_DEFAULT_VCPUS;
  vm->memory = BUNDLE_DEFAULT_MEMORY;
  vm->name = strdup (b->disks[0]->name);
  vm->disks = calloc (b->n_disks, sizeof *vm->disks);
  vm->nics = calloc (1, sizeof *vm->nics);
  if (vm->name == NULL || vm->disks == NULL || vm->nics == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  for (i = 0; i < b->n_disks; i++)
    vm->disks[i].disk = i;
  vm->n_disks = b->n_disks;
  vm->n_nics = 1;
  return vm_finish (vm) == -1 ? v2_err (e, ENOMEM, "out of memory") : 0;
}

static int
open_ova (struct bundle *b, const char *path, struct v2_error *e)
{
  struct container *c;
  const struct tar_member *ovf = NULL;
  size_t i;

  if (add_container (b, container_open_ova (path, b->gz, e), e) == -1)
    return -1;
  c = b->containers[b->n_containers - 1];
  for (i = 0; i < c->idx.n; i++) {
    const struct tar_member *m = &c->idx.members[i];
    /* macOS AppleDouble members ("._vm.ovf") are metadata, not files. */
    if (strncmp (base_name (m->name), "._", 2) == 0)
      continue;
    if (has_suffix (m->name, ".ovf") && ovf == NULL)
      ovf = m;
    if (has_suffix (m->name, ".ovf") || has_suffix (m->name, ".mf") ||
        has_suffix (m->name, ".cert")) {
      if (add_file (b, m->name, container_open (c, m->name, path, e), e) == -1)
        return -1;
    }
  }
  if (ovf == NULL)
    return v2_err (e, EINVAL, "%s: no .ovf descriptor in the archive", path);
  for (i = 0; i < b->n_files; i++)
    if (strcmp (b->files[i].name, base_name (ovf->name)) == 0)
      return open_ovf_disks (b, c, b->files[i].src, e);
  return v2_err (e, EINVAL, "%s: descriptor missing", path);
}

static int
open_ovf (struct bundle *b, const char *path, struct v2_error *e)
{
  struct container *c;
  CLEANUP_FREE char *stem = strdup (base_name (path)), *sib = NULL;
  static const char *const sibs[] = { ".mf", ".cert" };
  size_t i;

  if (stem == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  if (add_container (b, container_dir_of (path, b->gz, e), e) == -1)
    return -1;
  c = b->containers[b->n_containers - 1];
  if (add_file (b, path, container_open (c, base_name (path), path, e), e) == -1)
    return -1;
  stem[strlen (stem) - 4] = '\0';
  for (i = 0; i < sizeof sibs / sizeof *sibs; i++) {
    free (sib);
    if (asprintf (&sib, "%s%s", stem, sibs[i]) == -1)
      return v2_err (e, ENOMEM, "out of memory");
    if (container_exists (c, sib) &&
        add_file (b, sib, container_open (c, sib, path, e), e) == -1)
      return -1;
  }
  return open_ovf_disks (b, c, b->files[0].src, e);
}

/* A .vmx and the VMDKs it names, beside it. */
static int
open_vmx (struct bundle *b, const char *path, struct v2_error *e)
{
  struct container *c;
  CLEANUP_FREE char *text = NULL;
  struct vmx v;
  size_t i;
  int r = -1;

  if (add_container (b, container_dir_of (path, b->gz, e), e) == -1)
    return -1;
  c = b->containers[b->n_containers - 1];
  if (add_file (b, path, container_open (c, base_name (path), path, e), e) == -1)
    return -1;
  text = source_slurp (b->files[b->n_files - 1].src, LIMIT_DESCRIPTOR_FILE_BYTES, "VMX", e);
  if (text == NULL ||
      vmx_parse (text, b->files[b->n_files - 1].src->size, path, &v, e) == -1)
    return -1;
  for (i = 0; i < v.n_files; i++) {
    CLEANUP_FREE char *name = container_disk_name (v.files[i]), *ref = NULL;
    if (name == NULL || asprintf (&ref, "%s: %s", path, v.files[i]) == -1) {
      v2_err (e, ENOMEM, "out of memory");
      goto out;
    }
    if (add_disk (b, image_open_vmdk (c, v.files[i], ref, name, 0,
                                      b->image_flags, e), ref,
                  NULL, e) == -1)
      goto out;
  }
  if ((b->vms = malloc (sizeof *b->vms)) == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    goto out;
  }
  b->vms[0] = v.vm;
  b->n_vms = 1;
  memset (&v.vm, 0, sizeof v.vm);
  r = 0;
 out:
  vmx_free (&v);
  return r;
}

struct bundle *
bundle_open (char *const *paths, size_t n, unsigned image_flags,
             const struct gz_config *gz, struct v2_error *e)
{
  struct bundle *b = calloc (1, sizeof *b);
  size_t i;

  if (b == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  b->image_flags = image_flags;
  b->gz = gz;
  for (i = 0; i < n; i++) {
    struct stat st;
    if (stat (paths[i], &st) == -1) {
      v2_err (e, errno, "%s: %s", paths[i], strerror (errno));
      goto err;
    }
    if (!S_ISREG (st.st_mode)) {
      v2_err (e, EINVAL, "%s: not a regular file", paths[i]);
      goto err;
    }
    if ((is_archive (paths[i]) || has_suffix (paths[i], ".ovf") ||
         has_suffix (paths[i], ".vmx")) && n > 1) {
      v2_err (e, EINVAL, "%s: an OVA, OVF or VMX must be the only source",
              paths[i]);
      goto err;
    }
  }

  if (is_archive (paths[0])) {
    if (open_ova (b, paths[0], e) == -1)
      goto err;
  }
  else if (has_suffix (paths[0], ".ovf")) {
    if (open_ovf (b, paths[0], e) == -1)
      goto err;
  }
  else if (has_suffix (paths[0], ".vmx")) {
    if (open_vmx (b, paths[0], e) == -1)
      goto err;
  }
  else {
    for (i = 0; i < n; i++) {
      CLEANUP_FREE char *name = container_disk_name (paths[i]);
      struct container *c;
      if (name == NULL) {
        v2_err (e, ENOMEM, "out of memory");
        goto err;
      }
      if (add_container (b, container_dir_of (paths[i], b->gz, e), e) == -1)
        goto err;
      c = b->containers[b->n_containers - 1];
      if (add_disk (b, image_open_vmdk (c, base_name (paths[i]), paths[i],
                                        name, 0, b->image_flags, e), paths[i],
                    NULL, e) == -1)
        goto err;
    }
    if (default_vm (b, e) == -1)
      goto err;
  }
  b->gz = NULL;
  return b;

 err:
  bundle_free (b);
  return NULL;
}

void
bundle_start_indexing (const struct bundle *b)
{
  for (size_t i = 0; i < b->n_containers; i++)
    container_start_indexing (b->containers[i]);
}

void
bundle_free (struct bundle *b)
{
  size_t i;

  if (b == NULL)
    return;
  for (i = 0; i < b->n_disks; i++) {
    image_free (b->disks[i]);
    free (b->disk_files[i]);
  }
  free (b->disk_files);
  for (i = 0; i < b->n_files; i++) {
    source_free (b->files[i].src);
    free (b->files[i].name);
  }
  for (i = 0; i < b->n_containers; i++)
    container_free (b->containers[i]);
  for (i = 0; i < b->n_vms; i++)
    vm_free (&b->vms[i]);
  free (b->vms);
  free (b->disks);
  free (b->files);
  free (b->containers);
  free (b);
}
