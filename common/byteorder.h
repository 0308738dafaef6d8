/* Encode and decode fixed-width integers in byte buffers without casting
 * structs over them (alignment and packing stay out of it).
 *
 *   le16_at, le32_at, le64_at (P, OFF)       read little-endian at P + OFF
 *   be16_at, be32_at, be64_at (P, OFF)       read big-endian at P + OFF
 *   put_le32, put_le64, put_be16, put_be32,
 *   put_be64 (P, OFF, V)                     write V at P + OFF */
#ifndef V2V_BYTEORDER_H
#define V2V_BYTEORDER_H

#include <stdint.h>
#include <string.h>
#include <endian.h>

#define DEFINE_AT(name, type, to_host)                                  \
  static inline type                                                    \
  name (const void *p, size_t off)                                      \
  {                                                                     \
    type v;                                                             \
    memcpy (&v, (const char *) p + off, sizeof v);                      \
    return to_host (v);                                                 \
  }

#define DEFINE_PUT(name, type, from_host)                               \
  static inline void                                                    \
  name (void *p, size_t off, type v)                                    \
  {                                                                     \
    v = from_host (v);                                                  \
    memcpy ((char *) p + off, &v, sizeof v);                            \
  }

DEFINE_AT (le16_at, uint16_t, le16toh)
DEFINE_AT (le32_at, uint32_t, le32toh)
DEFINE_AT (le64_at, uint64_t, le64toh)
DEFINE_AT (be16_at, uint16_t, be16toh)
DEFINE_AT (be32_at, uint32_t, be32toh)
DEFINE_AT (be64_at, uint64_t, be64toh)
DEFINE_PUT (put_le32, uint32_t, htole32)
DEFINE_PUT (put_le64, uint64_t, htole64)
DEFINE_PUT (put_be16, uint16_t, htobe16)
DEFINE_PUT (put_be32, uint32_t, htobe32)
DEFINE_PUT (put_be64, uint64_t, htobe64)

#undef DEFINE_AT
#undef DEFINE_PUT

#endif
