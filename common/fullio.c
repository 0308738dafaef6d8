#include <config.h>

#include <errno.h>
#include <unistd.h>

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
