/* Appending to an array one element at a time, in O(1) amortized. */
#ifndef V2V_GROW_H
#define V2V_GROW_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The array P holds N elements of SIZE bytes and has only ever grown
 * through grow_one, one element at a time: make room for element N.
 * Capacities go 8, 16, 32 and on (the capacity of N elements is known
 * from N), so N appends copy O(N) bytes where a realloc to N + 1 each
 * time copies O(N^2): 65536 extent lines took a mount a minute.  Returns
 * the array, maybe moved, or NULL with errno ENOMEM and P untouched. */
static inline void *
grow_one (void *p, size_t n, size_t size)
{
  size_t cap;

  if (n > 0 && (n < 8 || (n & (n - 1)) != 0))
    return p;                   /* N is not a capacity: there is room */
  cap = n == 0 ? 8 : 2 * n;
  if (cap > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc (p, cap * size);
}

#endif
