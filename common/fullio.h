/* pread that retries on EINTR and on short reads.  Only pread: the read
 * path never shares or moves a file offset between threads. */
#ifndef V2V_FULLIO_H
#define V2V_FULLIO_H

#include <stdint.h>
#include <sys/types.h>

/* Read up to LEN bytes at OFF.  Returns the bytes read, which is less than
 * LEN only at end of file, or -1 with errno set. */
ssize_t pread_full (int fd, void *buf, size_t len, uint64_t off);

#endif
