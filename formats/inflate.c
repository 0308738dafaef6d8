/* See inflate.h. */
#include <config.h>

#include <stdint.h>

#include "inflate.h"

#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>

enum inflate_result
inflate_zlib (const void *in, size_t inlen, void *out, size_t outcap,
              size_t *outlen)
{
  /* A decompressor is about 11 KiB with no tables to build; allocating
   * one per grain costs well under 1% of inflating 64 KiB and needs no
   * per-thread state. */
  struct libdeflate_decompressor *d = libdeflate_alloc_decompressor ();
  enum libdeflate_result r;
  size_t used;

  if (d == NULL)
    return INFLATE_NOMEM;
  r = libdeflate_zlib_decompress_ex (d, in, inlen, out, outcap, &used, outlen);
  libdeflate_free_decompressor (d);
  switch (r) {
  case LIBDEFLATE_SUCCESS: return INFLATE_OK;
  case LIBDEFLATE_INSUFFICIENT_SPACE: return INFLATE_TOO_BIG;
  default: return INFLATE_BAD_DATA;
  }
}

const char *
inflate_backend (void)
{
  return "libdeflate";
}

#else
#include <zlib.h>

enum inflate_result
inflate_zlib (const void *in, size_t inlen, void *out, size_t outcap,
              size_t *outlen)
{
  z_stream z = { 0 };
  enum inflate_result res = INFLATE_OK;
  unsigned char extra;
  int r;

  if (inlen > UINT32_MAX || outcap > UINT32_MAX)
    return INFLATE_TOO_BIG;
  if (inflateInit (&z) != Z_OK)
    return INFLATE_NOMEM;
  z.next_in = (unsigned char *) in;
  z.avail_in = (uInt) inlen;
  z.next_out = out;
  z.avail_out = (uInt) outcap;
  r = inflate (&z, Z_FINISH);
  if (r == Z_BUF_ERROR && z.avail_out == 0) {
    /* Full buffer before the end: one more byte tells a stream that ends
     * exactly here from one that would overflow. */
    z.next_out = &extra;
    z.avail_out = 1;
    r = inflate (&z, Z_FINISH);
    if (z.avail_out == 0)
      res = INFLATE_TOO_BIG;
    else if (r != Z_STREAM_END)
      res = INFLATE_BAD_DATA;
  }
  else if (r != Z_STREAM_END)
    res = r == Z_MEM_ERROR ? INFLATE_NOMEM : INFLATE_BAD_DATA;
  *outlen = (size_t) z.total_out;
  inflateEnd (&z);
  return res;
}

const char *
inflate_backend (void)
{
  return "zlib";
}
#endif
