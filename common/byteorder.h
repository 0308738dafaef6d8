/* Decode little-endian integers from untrusted byte buffers without
 * casting structs over them (alignment and packing stay out of it). */
#ifndef V2V_BYTEORDER_H
#define V2V_BYTEORDER_H

#include <stdint.h>
#include <string.h>
#include <endian.h>

static inline uint16_t
le16_at (const void *p, size_t off)
{
  uint16_t v;
  memcpy (&v, (const char *) p + off, sizeof v);
  return le16toh (v);
}

static inline uint32_t
le32_at (const void *p, size_t off)
{
  uint32_t v;
  memcpy (&v, (const char *) p + off, sizeof v);
  return le32toh (v);
}

static inline uint64_t
le64_at (const void *p, size_t off)
{
  uint64_t v;
  memcpy (&v, (const char *) p + off, sizeof v);
  return le64toh (v);
}

static inline void
put_be16 (void *p, size_t off, uint16_t v)
{
  v = htobe16 (v);
  memcpy ((char *) p + off, &v, sizeof v);
}

static inline void
put_be32 (void *p, size_t off, uint32_t v)
{
  v = htobe32 (v);
  memcpy ((char *) p + off, &v, sizeof v);
}

static inline void
put_be64 (void *p, size_t off, uint64_t v)
{
  v = htobe64 (v);
  memcpy ((char *) p + off, &v, sizeof v);
}

static inline void
put_le32 (void *p, size_t off, uint32_t v)
{
  v = htole32 (v);
  memcpy ((char *) p + off, &v, sizeof v);
}

static inline void
put_le64 (void *p, size_t off, uint64_t v)
{
  v = htole64 (v);
  memcpy ((char *) p + off, &v, sizeof v);
}

#endif
