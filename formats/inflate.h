/* Inflate one zlib stream (RFC 1950) into a bounded buffer.  libdeflate
 * when configured (about 2.5x zlib per core on 64 KiB grains), else zlib.
 * Stateless and lock-free: each call uses its own decompressor, so grains
 * inflate in parallel on every FUSE worker thread. */
#ifndef V2V_INFLATE_H
#define V2V_INFLATE_H

#include <stddef.h>

enum inflate_result {
  INFLATE_OK,
  INFLATE_TOO_BIG,     /* the output would pass OUTCAP */
  INFLATE_BAD_DATA,    /* not a valid zlib stream */
  INFLATE_NOMEM,
};

enum inflate_result inflate_zlib (const void *in, size_t inlen,
                                  void *out, size_t outcap, size_t *outlen);

/* "libdeflate" or "zlib", for --version and the benchmark. */
const char *inflate_backend (void);

#endif
