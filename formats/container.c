/* See container.h. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "grow.h"
#include "input-limits.h"
#include "container.h"
#include "names.h"

/* ovftool writes chunks as NAME.000000000 upward (DSP0243 chunkSize). */
#define CHUNK_DIGITS 9

/* A container with nothing open yet. */
static struct container *
container_new (const char *path, const struct gz_config *cfg,
               struct v2_error *e)
{
  struct container *c = calloc (1, sizeof *c);

  if (c == NULL || (c->gz = calloc (1, sizeof *c->gz)) == NULL)
    goto enomem;
  c->dirfd = -1;
  if (cfg) {
    c->gz->cfg = *cfg;
    if (cfg->index_dir &&
        (c->gz->cfg.index_dir = c->gz->index_dir = strdup (cfg->index_dir)) == NULL)
      goto enomem;
  }
  return c;

 enomem:
  container_free (c);
  v2_err (e, ENOMEM, "%s: out of memory", path);
  return NULL;
}

struct container *
container_dir_of (const char *file, const struct gz_config *cfg,
                  struct v2_error *e)
{
  CLEANUP_FREE char *copy = strdup (file);
  struct container *c = container_new (file, cfg, e);
  const char *dir;

  if (c == NULL)
    return NULL;
  if (copy == NULL) {
    container_free (c);
    v2_err (e, ENOMEM, "%s: out of memory", file);
    return NULL;
  }
  dir = dirname (copy);
  c->path = strdup (dir);
  c->dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->path == NULL || c->dirfd == -1) {
    v2_err (e, errno, "%s: %s", dir, strerror (errno));
    container_free (c);
    return NULL;
  }
  return c;
}

struct container *
container_open_ova (const char *path, const struct gz_config *cfg,
                    struct v2_error *e)
{
  struct container *c = container_new (path, cfg, e);
  int fd;

  if (c == NULL)
    return NULL;
  c->path = strdup (path);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) {
    v2_err (e, errno, "%s: %s", path, strerror (errno));
    container_free (c);
    return NULL;
  }
  /* The tar index walks every header, so a gzip'd archive is inflated to
   * its end here anyway: settling it costs nothing more. */
  c->tar = source_from_fd (path, fd, e);
  if (c->tar == NULL ||
      (c->tar = container_gunzip (c, c->tar, e)) == NULL ||
      source_settle (c->tar, e) == -1 ||
      tar_read_index (c->tar, &c->idx, e) == -1) {
    container_free (c);
    return NULL;
  }
  return c;
}

struct source *
container_gunzip (const struct container *c, struct source *stored,
                  struct v2_error *e)
{
  struct container_gz *cg = c->gz;
  CLEANUP_FREE char *name = NULL;
  struct gz **v, *gz;
  struct source *s;

  if (!gz_sniff (stored))
    return stored;
  if (asprintf (&name, "%s (inflated)", stored->name) == -1) {
    source_free (stored);
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  v = grow_one (cg->v, cg->n, sizeof *v);
  if (v == NULL) {
    source_free (stored);
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  cg->v = v;
  if ((gz = gz_open (stored, stored->name, &cg->cfg, e)) == NULL)
    return NULL;
  cg->v[cg->n++] = gz;
  s = source_from_gz (name, gz, e);
  return s;
}

void
container_start_indexing (const struct container *c)
{
  for (size_t i = 0; i < c->gz->n; i++)
    gz_start (c->gz->v[i]);
}

void
container_free (struct container *c)
{
  if (c == NULL)
    return;
  if (c->dirfd >= 0)
    close (c->dirfd);
  tar_index_free (&c->idx);
  source_free (c->tar);
  /* Last opened first: a member's stream reads through the archive's. */
  if (c->gz) {
    while (c->gz->n > 0)
      gz_free (c->gz->v[--c->gz->n]);
    free (c->gz->v);
    free (c->gz->index_dir);
    free (c->gz);
  }
  free (c->path);
  free (c);
}

/* Lexical checks first, so the message says why: the escapes by name,
 * then the rest of the one rule for paths (common/names.h). */
static int
check_name (const char *name, const char *ref, struct v2_error *e)
{
  const char *p, *why;

  if (name[0] == '\0')
    return v2_err (e, EINVAL, "%s is empty", ref);
  if (strstr (name, "://"))
    return v2_err (e, EINVAL, "%s '%s' is a URL; only files inside the "
                   "source can be used", ref, name);
  if (name[0] == '/' || name[0] == '\\')
    return v2_err (e, EPERM, "%s '%s' escapes the source directory "
                   "(absolute path or device)", ref, name);
  for (p = name; *p; ) {
    size_t n = strcspn (p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return v2_err (e, EPERM, "%s '%s' escapes the source directory",
                     ref, name);
    p += n;
    while (*p == '/')
      p++;
  }
  if ((why = path_fault (name)) != NULL)
    return v2_err (e, EINVAL, "%s '%s' %s", ref, name, why);
  return 0;
}

/* Open NAME beneath the directory for reading.  openat2 RESOLVE_BENEATH
 * refuses any symlink or ".." that would leave it (Linux 5.6).  The name
 * is first resolved with O_PATH, which opens nothing, so a device or FIFO
 * is refused before any real open could have side effects.  Returns -1
 * with errno set (ENODEV: not a regular file). */
static int
open_beneath (const struct container *c, const char *name)
{
  struct open_how how = {
    .flags = O_PATH | O_CLOEXEC,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
  };
  char proc[64];
  struct stat st;
  int path_fd, fd;

  path_fd = (int) syscall (SYS_openat2, c->dirfd, name, &how, sizeof how);
  if (path_fd == -1)
    return -1;
  if (fstat (path_fd, &st) == -1 || !S_ISREG (st.st_mode)) {
    close (path_fd);
    errno = ENODEV;
    return -1;
  }
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", path_fd);
  fd = open (proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  close (path_fd);
  return fd;
}

/* One file, no chunk logic.  Returns NULL with errno ENOENT (and no
 * message) when it does not exist, so the caller can try chunks. */
static struct source *
open_one (const struct container *c, const char *name, const char *ref,
          struct v2_error *e)
{
  CLEANUP_FREE char *label = NULL;

  if (c->tar) {
    const struct tar_member *m = tar_find (&c->idx, name);
    if (m == NULL) {
      errno = ENOENT;
      return NULL;
    }
    if (asprintf (&label, "%s:%s", c->path, name) == -1) {
      v2_err (e, ENOMEM, "out of memory");
      return NULL;
    }
    return source_window (c->tar, label, m->offset, m->size, e);
  }
  else {
    int fd = open_beneath (c, name);
    if (fd == -1) {
      if (errno == ENOENT) {
        errno = ENOENT;
        return NULL;
      }
      if (errno == EXDEV || errno == ELOOP)
        v2_err (e, EPERM, "%s '%s' escapes the source directory "
                "(through a symlink)", ref, name);
      else if (errno == ENODEV)
        v2_err (e, EINVAL, "%s '%s': not a regular file", ref, name);
      else
        v2_err (e, errno, "%s '%s': %s", ref, name, strerror (errno));
      errno = 0;
      return NULL;
    }
    if (strcmp (c->path, ".") == 0)
      label = strdup (name);
    else if (asprintf (&label, "%s/%s", c->path, name) == -1)
      label = NULL;
    if (label == NULL) {
      close (fd);
      v2_err (e, ENOMEM, "out of memory");
      return NULL;
    }
    return source_from_fd (label, fd, e);
  }
}

static void
chunk_name (char *buf, size_t len, const char *name, unsigned i)
{
  snprintf (buf, len, "%s.%0*u", name, CHUNK_DIGITS, i);
}

struct source *
container_open (const struct container *c, const char *name, const char *ref,
                struct v2_error *e)
{
  struct source *s, **parts = NULL;
  size_t n = 0;
  size_t blen = strlen (name) + CHUNK_DIGITS + 2;
  CLEANUP_FREE char *buf = malloc (blen);

  if (buf == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  if (check_name (name, ref, e) == -1)
    return NULL;
  s = open_one (c, name, ref, e);
  if (s || errno != ENOENT)
    return s;

  for (;;) {
    struct source **np;

    chunk_name (buf, blen, name, (unsigned) n);
    s = open_one (c, buf, ref, e);
    if (s == NULL) {
      if (errno != ENOENT)
        goto err;
      break;
    }
    if (n >= LIMIT_CHUNKS) {
      source_free (s);
      v2_err (e, EFBIG, "%s '%s': more than %d chunks", ref, name,
              LIMIT_CHUNKS);
      goto err;
    }
    np = grow_one (parts, n, sizeof *np);
    if (np == NULL) {
      source_free (s);
      v2_err (e, ENOMEM, "out of memory");
      goto err;
    }
    parts = np;
    parts[n++] = s;
  }
  if (n == 0) {
    v2_err (e, ENOENT, "%s '%s': no such file in %s", ref, name, c->path);
    return NULL;
  }
  {
    CLEANUP_FREE char *label = NULL;
    if (asprintf (&label, "%s%s%s", c->path, c->tar ? ":" : "/", name) == -1) {
      v2_err (e, ENOMEM, "out of memory");
      goto err;
    }
    s = source_concat (label, parts, n, e);
    free (parts);
    return s;
  }

 err:
  while (n > 0)
    source_free (parts[--n]);
  free (parts);
  return NULL;
}

int
container_exists (const struct container *c, const char *name)
{
  struct v2_error e;
  struct source *s = container_open (c, name, "file", &e);

  source_free (s);
  return s != NULL;
}

char *
container_disk_name (const char *file)
{
  const char *base = strrchr (file, '/');
  char *name = strdup (base ? base + 1 : file);
  size_t len;

  if (name == NULL)
    return NULL;
  len = strlen (name);
  if (len > CHUNK_DIGITS + 1 && name[len - CHUNK_DIGITS - 1] == '.' &&
      strspn (name + len - CHUNK_DIGITS, "0123456789") == CHUNK_DIGITS) {
    len -= CHUNK_DIGITS + 1;
    name[len] = '\0';
  }
  if (len > 3 && strcasecmp (name + len - 3, ".gz") == 0)
    name[len -= 3] = '\0';
  if (len > 5 && strcasecmp (name + len - 5, ".vmdk") == 0)
    name[len - 5] = '\0';
  return name;
}
