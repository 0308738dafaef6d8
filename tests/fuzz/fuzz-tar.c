/* Fuzz the tar index (formats/tar.c): an OVA in memory.
 *
 * A parsed index must describe members that lie inside the archive, on
 * block boundaries, after their headers, each readable as a window.
 *
 * A header whose checksum is wrong stops the parser at once, and random
 * mutations almost never keep a checksum right; so the custom mutator
 * rewrites the checksum of every header it finds after each mutation,
 * and the mutated inputs stay real tar files that reach the rest of the
 * parser.  Inputs are kept as they are (the harness changes nothing),
 * so a crash file reproduces by itself. */
#include <config.h>

#include <inttypes.h>

#include "iszero.h"
#include "source.h"
#include "tar.h"

#include "fuzz.h"

#define BLOCK 512

/* Walk the headers as a tar reader does, loosely (octal sizes only; a
 * header it cannot size ends the walk), and set each one's checksum:
 * the sum of its bytes with the checksum field as spaces (POSIX ustar). */
static void
fix_checksums (uint8_t *p, size_t size)
{
  size_t off = 0;

  while (off < size && size - off >= BLOCK && !is_zero (p + off, BLOCK)) {
    uint8_t *h = p + off;
    unsigned sum = 0;
    uint64_t len = 0;
    size_t i;

    memset (h + 148, ' ', 8);
    for (i = 0; i < BLOCK; i++)
      sum += h[i];
    snprintf ((char *) h + 148, 8, "%06o", sum & 0777777);
    for (i = 124; i < 136 && h[i] == ' '; i++)
      ;
    for (; i < 136 && h[i] >= '0' && h[i] <= '7'; i++)
      len = len * 8 + (uint64_t) (h[i] - '0');
    if (len > size - off - BLOCK)
      break;
    off += BLOCK + (size_t) (len + BLOCK - 1) / BLOCK * BLOCK;
  }
}

size_t
LLVMFuzzerCustomMutator (uint8_t *data, size_t size, size_t max_size,
                         unsigned int seed)
{
  (void) seed;
  size = LLVMFuzzerMutate (data, size, max_size);
  fix_checksums (data, size);
  return size;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct v2_error e = { 0 };
  struct source *s = source_from_mem ("fuzz.ova", data, size, &e);
  struct tar_index idx;
  size_t i;

  FUZZ_CHECK (s != NULL, "%s", e.msg);
  if (tar_read_index (s, &idx, &e) == -1) {
    fuzz_check_error (&e, "fuzz.ova");
    source_free (s);
    return 0;
  }
  for (i = 0; i < idx.n; i++) {
    const struct tar_member *m = &idx.members[i];
    struct source *w;
    unsigned char b[2];

    FUZZ_CHECK (m->name != NULL, "member %zu has no name", i);
    FUZZ_CHECK (m->offset % BLOCK == 0 && m->offset > m->header_offset &&
                m->offset <= size && m->size <= size - m->offset,
                "member '%s': %" PRIu64 " bytes at %" PRIu64 " (header at %"
                PRIu64 ") in %zu", m->name, m->size, m->offset,
                m->header_offset, size);
    FUZZ_CHECK (strncmp (m->name, "./", 2) != 0, "name '%s'", m->name);
    FUZZ_CHECK (tar_find (&idx, m->name) != NULL, "'%s' not found", m->name);
    w = source_window (s, m->name, m->offset, m->size, &e);
    FUZZ_CHECK (w != NULL, "%s", e.msg);
    if (m->size > 0)
      FUZZ_CHECK (source_pread (w, b, 1, 0, "first byte", &e) == 0 &&
                  source_pread (w, b + 1, 1, m->size - 1, "last byte", &e) == 0 &&
                  b[0] == data[m->offset] &&
                  b[1] == data[m->offset + m->size - 1], "member '%s'", m->name);
    source_free (w);
  }
  tar_index_free (&idx);
  source_free (s);
  return 0;
}
