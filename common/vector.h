/* A typed growable array: DEFINE_VECTOR (int_vec, int) gives
 * struct int_vec { int *ptr; size_t len, cap; } and int_vec_append().
 * Appending fails (returns -1, errno ENOMEM) instead of aborting, so
 * library code can report the failure. */
#ifndef V2V_VECTOR_H
#define V2V_VECTOR_H

#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>

#define DEFINE_VECTOR(name, type)                                        \
  struct name { type *ptr; size_t len, cap; };                          \
  static inline __attribute__((unused)) int                             \
  name##_reserve (struct name *v, size_t n)                             \
  {                                                                      \
    if (n <= v->cap)                                                     \
      return 0;                                                          \
    size_t cap = v->cap ? v->cap : 8;                                   \
    while (cap < n) {                                                    \
      if (cap > SIZE_MAX / 2 / sizeof (type)) { errno = ENOMEM; return -1; } \
      cap *= 2;                                                          \
    }                                                                    \
    type *p = realloc (v->ptr, cap * sizeof (type));                    \
    if (p == NULL)                                                       \
      return -1;                                                         \
    v->ptr = p;                                                          \
    v->cap = cap;                                                        \
    return 0;                                                            \
  }                                                                      \
  static inline __attribute__((unused)) int                             \
  name##_append (struct name *v, type elem)                             \
  {                                                                      \
    if (name##_reserve (v, v->len + 1) == -1)                           \
      return -1;                                                         \
    v->ptr[v->len++] = elem;                                             \
    return 0;                                                            \
  }

#endif
