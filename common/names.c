/* See names.h. */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

#define STR(x) #x
#define XSTR(x) STR (x)

static bool
is_control (unsigned char c)
{
  return c < 0x20 || c == 0x7f;
}

/* The length of the UTF-8 character at S (1 to 4), or 0 when the bytes
 * there are not one (RFC 3629: no overlong forms, no surrogates, nothing
 * past U+10FFFF). */
static size_t
utf8_char (const unsigned char *s)
{
  unsigned char c = s[0];
  size_t n, i;
  unsigned long cp;

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4, cp = c & 0x07;
  else
    return 0;
  for (i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

/* Whether the N-byte character at S is U+FFFE or U+FFFF: UTF-8, but not
 * a character XML 1.0 can hold (its Char production), and names end up
 * in domain.xml, where libxml2's writer would copy them unchecked. */
static bool
is_xml_nonchar (const unsigned char *s, size_t n)
{
  return n == 3 && s[0] == 0xef && s[1] == 0xbf && (s[2] & 0xfe) == 0xbe;
}

/* Why the LEN bytes at S are not a plain name, or NULL. */
static const char *
fault (const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t i, n;

  if (len == 0)
    return "is empty";
  if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
    return "is '.' or '..'";
  if (len > NAME_BYTES_MAX)
    return "is longer than " XSTR (NAME_BYTES_MAX) " bytes";
  for (i = 0; i < len; i += n) {
    if (p[i] == '/')
      return "contains a '/'";
    if (is_control (p[i]))
      return "contains a control character";
    if ((n = utf8_char (p + i)) == 0 || i + n > len)
      return "is not valid UTF-8";
    if (is_xml_nonchar (p + i, n))
      return "contains U+FFFE or U+FFFF, which XML cannot hold";
  }
  return NULL;
}

const char *
name_fault (const char *name)
{
  return fault (name, strlen (name));
}

const char *
path_fault (const char *path)
{
  const char *p = path, *why;

  if (strlen (path) > PATH_BYTES_MAX)
    return "is longer than " XSTR (PATH_BYTES_MAX) " bytes";
  if (path[0] == '/')
    return "is absolute";
  if (strncmp (p, "./", 2) == 0)
    p += 2;
  for (;;) {
    size_t n = strcspn (p, "/");
    if ((why = fault (p, n)) != NULL)
      return why;
    if (p[n] == '\0')
      return NULL;
    p += n + 1;
  }
}

char *
name_map (const char *name)
{
  const unsigned char *p = (const unsigned char *) name;
  char *r = malloc (NAME_BYTES_MAX + 1);
  size_t i = 0, o = 0, n;

  if (r == NULL)
    return NULL;
  while (p[i] != '\0') {
    n = utf8_char (p + i);
    if (n == 0 || is_control (p[i]) || p[i] == '/' ||
        is_xml_nonchar (p + i, n)) {
      n = 1;
      if (o + 1 > NAME_BYTES_MAX)
        break;
      r[o++] = '_';
    }
    else {
      if (o + n > NAME_BYTES_MAX)
        break;
      memcpy (r + o, p + i, n);
      o += n;
    }
    i += n;
  }
  r[o] = '\0';
  if (fault (r, o) != NULL)
    strcpy (r, "vm");
  return r;
}
