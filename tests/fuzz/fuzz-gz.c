/* Fuzz random access into gzip data (formats/gz.c): a gzip file in
 * memory, with a checkpoint every 4 KiB of output and room for 4 windows
 * (so the index thins itself often).
 *
 * The oracle is zlib alone, inflating the whole input from its start, a
 * member after another, as gzip(1) reads it: members back to back, then
 * nothing but zeros.  Where it succeeds, gz must give the same size and
 * the same bytes at every offset it is asked for, before and after its
 * index is complete; where it fails, gz's pass to the end must fail too,
 * with one line naming the file. */
#include <config.h>

#include <inttypes.h>
#include <zlib.h>

#include "gz.h"
#include "iszero.h"
#include "source.h"

#include "fuzz.h"

/* Deflate reaches 1032:1; libFuzzer's inputs are a few KiB. */
#define OUT_MAX (16u << 20)

/* Inflate DATA like gzip -d.  Returns the output length, -1 for bad
 * data, or -2 past OUT_MAX. */
static ssize_t
oracle (const uint8_t *data, size_t size, unsigned char *out)
{
  z_stream z = { 0 };
  size_t at = 0;
  int r;

  if (inflateInit2 (&z, 31) != Z_OK)
    return -1;
  z.next_in = (unsigned char *) data;
  z.avail_in = (uInt) size;
  for (;;) {
    z.next_out = out + at;
    z.avail_out = (uInt) (OUT_MAX - at);
    r = inflate (&z, Z_NO_FLUSH);
    at = OUT_MAX - z.avail_out;
    if (r == Z_STREAM_END) {
      if (z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
        inflateReset (&z);
        continue;
      }
      if (!is_zero (z.next_in, z.avail_in))
        at = (size_t) -1;
      break;
    }
    if (z.avail_out == 0) {
      at = (size_t) -2;
      break;
    }
    if (r != Z_OK) {                    /* bad or truncated */
      at = (size_t) -1;
      break;
    }
  }
  inflateEnd (&z);
  return (ssize_t) at;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static unsigned char want[OUT_MAX], got[65536];
  struct gz_config cfg = { .spacing = 4096, .memory = 4 * GZ_WINDOW };
  struct v2_error e = { 0 };
  struct source *s;
  struct gz *gz;
  ssize_t n = oracle (data, size, want);
  uint64_t len, offs[4];
  int pass;

  s = source_from_mem ("fuzz.gz", data, size, &e);
  FUZZ_CHECK (s != NULL, "%s", e.msg);
  gz = gz_open (s, "fuzz.gz", &cfg, &e);
  FUZZ_CHECK (gz != NULL, "%s", e.msg);
  if (n == -2) {
    gz_free (gz);
    return 0;
  }
  if (n <= 0) {
    /* Empty output is fine for both; otherwise both refuse. */
    if (n == -1) {
      FUZZ_CHECK (gz_finish (gz, &e) == -1, "zlib refuses, gz does not");
      fuzz_check_error (&e, "fuzz.gz");
    }
    gz_free (gz);
    return 0;
  }
  offs[0] = (uint64_t) n / 2;
  offs[1] = (uint64_t) n - 1;
  offs[2] = 0;
  offs[3] = (uint64_t) n / 3;
  for (pass = 0; pass < 2; pass++) {
    for (int i = 0; i < 4; i++) {
      len = (uint64_t) n - offs[i] < sizeof got ? (uint64_t) n - offs[i] : sizeof got;
      FUZZ_CHECK (gz_pread (gz, got, len, offs[i], "data", &e) == 0,
                  "read of %" PRIu64 " at %" PRIu64 ": %s", len, offs[i], e.msg);
      FUZZ_CHECK (memcmp (got, want + offs[i], len) == 0,
                  "bytes differ at %" PRIu64, offs[i]);
    }
    if (pass == 0)
      FUZZ_CHECK (gz_finish (gz, &e) == 0, "%s", e.msg);
  }
  FUZZ_CHECK (gz_size (gz, &len) && len == (uint64_t) n,
              "size %" PRIu64 ", zlib says %zd", len, n);
  FUZZ_CHECK (gz_pread (gz, got, 1, (uint64_t) n, "data", &e) == -1,
              "a read past the end succeeded");
  gz_free (gz);
  return 0;
}
