#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fullio.h"

ssize_t
pread_full (int fd, void *buf, size_t len, uint64_t off)
{
  size_t done = 0;

  while (done < len) {
    ssize_t r = pread (fd, (char *) buf + done, len - done, (off_t) (off + done));
    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (r == 0)
      break;
    done += (size_t) r;
  }
  return (ssize_t) done;
}

int
pwrite_full (int fd, const void *buf, size_t len, uint64_t off)
{
  size_t done = 0;

  while (done < len) {
    ssize_t r = pwrite (fd, (const char *) buf + done, len - done,
                        (off_t) (off + done));
    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    done += (size_t) r;
  }
  return 0;
}

int
fdatasync_eintr (int fd)
{
  int r;

  while ((r = fdatasync (fd)) == -1 && errno == EINTR)
    ;
  return r;
}

char *
read_small_file (const char *path, size_t max, size_t *len)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  size_t cap = 4096, n = 0;
  char *buf = NULL, *nb;
  ssize_t r;
  struct stat st;

  if (fd == -1)
    return NULL;
  if (fstat (fd, &st) == -1)
    goto fail;
  if (!S_ISREG (st.st_mode)) {
    errno = EINVAL;
    goto fail;
  }
  /* Read to the end, not to st_size: a generated file may change. */
  for (;;) {
    if (n + 1 >= cap || buf == NULL) {
      if (buf)
        cap *= 2;
      if ((nb = realloc (buf, cap)) == NULL)
        goto fail;
      buf = nb;
    }
    r = read (fd, buf + n, cap - n - 1);
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1)
      goto fail;
    if (r == 0)
      break;
    n += (size_t) r;
    if (n > max) {
      errno = EFBIG;
      goto fail;
    }
  }
  close (fd);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
 fail:
  r = errno;
  free (buf);
  close (fd);
  errno = (int) r;
  return NULL;
}

int
replace_file (const char *path, const void *data, size_t len, struct v2_error *e)
{
  CLEANUP_FREE char *tmp = NULL, *dir = NULL;
  CLEANUP_CLOSE int fd = -1, dfd = -1;
  char *slash;

  if (asprintf (&tmp, "%s.tmpXXXXXX", path) == -1 || (dir = strdup (path)) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  slash = strrchr (dir, '/');
  if (slash == NULL)
    strcpy (dir, ".");
  else if (slash == dir)
    slash[1] = '\0';
  else
    *slash = '\0';
  if ((fd = mkostemp (tmp, O_CLOEXEC)) == -1)
    return v2_err (e, errno, "%s: %s", tmp, strerror (errno));
  if (fchmod (fd, 0644) == -1 || pwrite_full (fd, data, len, 0) == -1 ||
      fsync (fd) == -1 || rename (tmp, path) == -1) {
    int err = errno;
    unlink (tmp);
    return v2_err (e, err, "%s: %s", path, strerror (err));
  }
  /* The rename is durable once the directory is. */
  if ((dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 || fsync (dfd) == -1)
    return v2_err (e, errno, "%s: %s", dir, strerror (errno));
  return 0;
}
