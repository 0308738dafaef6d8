/* See bitmap.h. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "bitmap.h"
#include "checked.h"

int
bm_init (struct bitmap *bm, uint64_t n)
{
  size_t chunks;

  bm->n = n;
  bm->n_words = (size_t) DIV_ROUND_UP (n, 64);
  chunks = DIV_ROUND_UP (bm->n_words, CHUNK_WORDS);
  /* calloc of a large map is a fresh mapping: pages of it that no write
   * touches cost no memory. */
  bm->w = calloc (bm->n_words ? bm->n_words : 1, sizeof *bm->w);
  bm->any = calloc (DIV_ROUND_UP (chunks, 64) + 1, sizeof *bm->any);
  bm->full = calloc (DIV_ROUND_UP (chunks, 64) + 1, sizeof *bm->full);
  return bm->w && bm->any && bm->full ? 0 : -1;
}

void
bm_free (struct bitmap *bm)
{
  free (bm->w);
  free (bm->any);
  free (bm->full);
}

void
summary_set (uint64_t *sum, size_t c)
{
  __atomic_fetch_or (&sum[c / 64], UINT64_C (1) << (c % 64), __ATOMIC_RELEASE);
}

/* Mark chunk C full if all its bits are set. */
void
bm_check_full (struct bitmap *bm, size_t c)
{
  size_t i;

  if ((c + 1) * CHUNK_WORDS > bm->n_words)
    return;                      /* the last chunk has bits past the end */
  for (i = c * CHUNK_WORDS; i < (c + 1) * CHUNK_WORDS; i++)
    if (bm_load (&bm->w[i]) != UINT64_MAX)
      return;
  summary_set (bm->full, c);
}

/* Set bits FIRST .. FIRST + N - 1 (N > 0), with release order.  The
 * summaries stay conservative for lock-free readers: a chunk is marked
 * as having bits before its bits are set, and as full only after. */
void
bm_set (struct bitmap *bm, uint64_t first, uint64_t n)
{
  size_t c, c0 = (size_t) (first / 64 / CHUNK_WORDS);
  size_t c1 = (size_t) ((first + n - 1) / 64 / CHUNK_WORDS);
  uint64_t b = first, end = first + n;

  for (c = c0; c <= c1; c++)
    summary_set (bm->any, c);
  while (b < end) {
    unsigned lo = b % 64, cnt = (unsigned) MIN (64 - lo, end - b);
    uint64_t mask = (cnt == 64 ? UINT64_MAX : ((UINT64_C (1) << cnt) - 1)) << lo;
    __atomic_fetch_or (&bm->w[b / 64], mask, __ATOMIC_RELEASE);
    b += cnt;
  }
  for (c = c0; c <= c1; c++)
    bm_check_full (bm, c);
}

/* The first bit >= B (and < LIMIT) that is set (WANT) or clear; LIMIT
 * when there is none. */
uint64_t
bm_next (const struct bitmap *bm, uint64_t b, bool want, uint64_t limit)
{
  const uint64_t *sum = want ? bm->any : bm->full;
  const uint64_t skip = want ? 0 : UINT64_MAX;   /* a summary bit meaning "no" */

  limit = MIN (limit, bm->n);
  while (b < limit) {
    uint64_t w = b / 64, word;
    if (b % (64 * CHUNK_WORDS) == 0) {
      uint64_t c = w / CHUNK_WORDS;
      /* A whole summary word (1 GiB of 4 KiB blocks) with nothing. */
      if (c % 64 == 0 && bm_load (&sum[c / 64]) == skip) {
        b += UINT64_C (64) * 64 * CHUNK_WORDS;
        continue;
      }
      if ((bm_load (&sum[c / 64]) >> (c % 64) & 1) == (skip & 1)) {
        b += 64 * CHUNK_WORDS;
        continue;
      }
    }
    word = bm_load (&bm->w[w]);
    if (!want)
      word = ~word;
    word &= UINT64_MAX << (b % 64);
    if (word)
      return MIN (w * 64 + (uint64_t) __builtin_ctzll (word), limit);
    b = (w + 1) * 64;
  }
  return limit;
}
