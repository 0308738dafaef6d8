/* Fuzz the QCOW2 view (formats/qcow2.c): qcow2_build over an allocation
 * map decoded from the input, then the independent checker of
 * tests/qcow2-check.c (written from the QCOW2 specification) over what
 * qcow2_pread and qcow2_seek return.
 *
 * The input is read as
 *
 *   bytes 0..6        the disk's size: for b = byte 0 % 64 up to 42,
 *                     2^b plus the next 6 bytes' worth below that (up
 *                     to 8 TiB, whose L1 table takes 2 clusters); for b
 *                     from 43 to 62, the 6 bytes' low 43 bits; for 63,
 *                     more than the view's limit of 2^50 bytes, which
 *                     must be refused.  (Views of a petabyte work too,
 *                     but their 16 MiB L1 table takes a second to check.)
 *   bytes 7..9        the stride of the whole-file read-back: 512 bytes
 *                     to 1 MiB
 *   then, per run     a unit byte (the gap's unit in its low 2 bits: 1,
 *                     512, 64 KiB or 512 MiB; the length's in the next 2:
 *                     1, 512, 4 KiB or 64 KiB), a 16-bit gap and an 8-bit
 *                     length, each counted in its unit
 *
 * Runs are kept apart by at least one byte (a disk's allocation map
 * never shows two touching runs) and cut at the disk's end, and the map
 * stops at MAX_RUNS runs or MAX_DATA bytes, so each input is checked in
 * a few milliseconds. */
#include <config.h>

#include <inttypes.h>

#include "checked.h"
#include "qcow2.h"
#include "qcow2-check.h"

#include "fuzz.h"

#define MAX_RUNS 512
#define MAX_DATA (UINT64_C (2) << 20)
#define MAX_SIZE (UINT64_C (1) << 50)

struct input {
  const uint8_t *p;
  size_t n;
};

/* The next N bytes, big-endian; zeros once the input is used up. */
static uint64_t
take (struct input *in, size_t n)
{
  uint64_t v = 0;

  while (n--) {
    v = v << 8 | (in->n ? *in->p : 0);
    if (in->n) {
      in->p++;
      in->n--;
    }
  }
  return v;
}

static size_t
decode_runs (struct input *in, uint64_t size, struct synth_run *runs)
{
  static const uint64_t gap_unit[] = { 1, 512, UINT64_C (1) << 16,
                                       UINT64_C (1) << 29 };
  static const uint64_t len_unit[] = { 1, 512, 4096, UINT64_C (1) << 16 };
  uint64_t end = 0, data = 0;
  size_t n = 0;

  while (in->n >= 4 && n < MAX_RUNS && data < MAX_DATA) {
    uint64_t u = take (in, 1), gap = take (in, 2), len = take (in, 1) + 1;
    uint64_t start = end + (n > 0) + gap * gap_unit[u & 3];
    len *= len_unit[(u >> 2) & 3];
    if (start >= size)
      break;
    len = MIN (len, MIN (size - start, MAX_DATA - data));
    runs[n++] = (struct synth_run) { start, start + len };
    end = start + len;
    data += len;
  }
  return n;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static struct synth_run runs[MAX_RUNS];
  struct input in = { data, size };
  struct synth_disk d = { .runs = runs };
  struct v2_error e = { 0 };
  struct qcow2 *q;
  unsigned b = (unsigned) take (&in, 1) % 64;
  uint64_t low = take (&in, 6);
  size_t stride;
  int64_t n;

  if (b <= 42)
    d.size = (UINT64_C (1) << b) | (low & ((UINT64_C (1) << b) - 1));
  else if (b < 63)
    d.size = low & ((UINT64_C (1) << 43) - 1);
  else
    d.size = MAX_SIZE + 1 + (low & 0xffffff);
  stride = 512 + (size_t) (take (&in, 3) % (1 << 20));
  d.n = decode_runs (&in, MIN (d.size, MAX_SIZE), runs);

  q = synth_view (&d, &e);
  if (d.size > MAX_SIZE) {
    FUZZ_CHECK (q == NULL && e.errnum == EFBIG, "a view of %" PRIu64
                " bytes: %s", d.size, q ? "built" : e.msg);
    return 0;
  }
  FUZZ_CHECK (q != NULL, "a view of %" PRIu64 " bytes: %s", d.size, e.msg);
  n = qcheck (q, &d, &(struct qcheck_opts) { .all_content = true,
                                             .stride = stride }, "fuzz", &e);
  FUZZ_CHECK (n >= 0, "%s", e.msg);
  qcow2_free (q);
  return 0;
}
