/* Whether a buffer holds only zero bytes.  Comparing the buffer with
 * itself shifted by one byte lets memcmp's vector loop do the work. */
#ifndef V2V_ISZERO_H
#define V2V_ISZERO_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline bool
is_zero (const void *buf, size_t len)
{
  const unsigned char *p = buf;

  return len == 0 || (p[0] == 0 && memcmp (p, p + 1, len - 1) == 0);
}

#endif
