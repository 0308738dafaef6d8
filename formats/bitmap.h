/* The overlay's block map: a bitmap with summaries, so finding the next
 * set or clear bit skips 4096 blocks (16 MiB of disk) per summary bit,
 * and 1 GiB per summary word, instead of scanning every word of a large,
 * mostly empty map.  Bits are only ever set, with release order, and read
 * without locks with acquire order. */
#ifndef V2V_BITMAP_H
#define V2V_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHUNK_WORDS 64                 /* words per summary bit */

struct bitmap {
  uint64_t n;                    /* bits */
  size_t n_words;
  uint64_t *w;                   /* bit b: word b / 64, bit b % 64 */
  uint64_t *any, *full;          /* per chunk of CHUNK_WORDS words */
};

/* N bits, all clear: 0, or -1 when out of memory. */
int bm_init (struct bitmap *bm, uint64_t n);
void bm_free (struct bitmap *bm);
/* Set bits FIRST .. FIRST + N - 1 (N > 0). */
void bm_set (struct bitmap *bm, uint64_t first, uint64_t n);
/* The first bit >= B (and < LIMIT) that is set (WANT) or clear; LIMIT
 * when there is none. */
uint64_t bm_next (const struct bitmap *bm, uint64_t b, bool want,
                  uint64_t limit);
/* For words set directly (a map loaded from a file): mark chunk C as
 * having set bits, and as full if all its bits are set. */
void summary_set (uint64_t *sum, size_t c);
void bm_check_full (struct bitmap *bm, size_t c);

static inline uint64_t
bm_load (const uint64_t *p)
{
  return __atomic_load_n (p, __ATOMIC_ACQUIRE);
}

static inline bool
bm_test (const struct bitmap *bm, uint64_t b)
{
  return bm_load (&bm->w[b / 64]) >> (b % 64) & 1;
}

#endif
