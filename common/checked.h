/* Overflow-checked arithmetic.  Every size or offset computed from bytes
 * that came from a file goes through these: each returns true on overflow,
 * so callers read as `if (ADD_OVERFLOW (a, b, &r)) error ...`. */
#ifndef V2V_CHECKED_H
#define V2V_CHECKED_H

#include <stdbool.h>
#include <stdint.h>

#define ADD_OVERFLOW(a, b, r) __builtin_add_overflow ((a), (b), (r))
#define MUL_OVERFLOW(a, b, r) __builtin_mul_overflow ((a), (b), (r))

static inline bool
is_power_of_2 (uint64_t v)
{
  return v != 0 && (v & (v - 1)) == 0;
}

#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
