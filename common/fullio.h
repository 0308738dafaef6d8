/* pread, pwrite and fdatasync that retry on EINTR (and on short
 * transfers).  Only positioned I/O: no path shares or moves a file
 * offset between threads.  And, for small files read once (descriptors,
 * reports), a whole-file read. */
#ifndef V2V_FULLIO_H
#define V2V_FULLIO_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Read up to LEN bytes at OFF.  Returns the bytes read, which is less than
 * LEN only at end of file, or -1 with errno set. */
ssize_t pread_full (int fd, void *buf, size_t len, uint64_t off);

/* Write all LEN bytes at OFF.  Returns 0, or -1 with errno set. */
int pwrite_full (int fd, const void *buf, size_t len, uint64_t off);

/* fdatasync FD, again as long as a signal interrupts it (EINTR: it did
 * not finish, which says nothing of the data, unlike EIO).  Returns 0,
 * or -1 with errno set. */
int fdatasync_eintr (int fd);

/* The whole of the regular file PATH, NUL-terminated, in a buffer the
 * caller frees; *LEN (if not NULL) is its length.  NULL with errno set
 * on failure, EFBIG past MAX bytes, EINVAL if it is not a regular file. */
char *read_small_file (const char *path, size_t max, size_t *len);

/* Replace PATH with the LEN bytes of DATA, mode 0644, atomically and
 * durably: a new file beside it, synced, renamed over it, and the
 * directory synced.  -1 with "FILE: why" in E (and no new file left). */
int replace_file (const char *path, const void *data, size_t len,
                  struct v2_error *e);

#endif
