/* /proc/self/mountinfo writes a space, tab, newline or backslash in a
 * path as an octal escape (\040 for a space); undo that in place. */
#ifndef V2V_MOUNTINFO_H
#define V2V_MOUNTINFO_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void
mountinfo_unescape (char *s)
{
  char *d = s;

  for (; *s; s++) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
        s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
      *d++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 3;
    }
    else
      *d++ = *s;
  }
  *d = '\0';
}

/* Whether REAL (an absolute path, symlinks resolved) is a mount point of
 * file system type TYPE ("fuse.v2vfs"); the MAJ:MIN of the last such
 * mount, the one that shows there, goes into DEV (LEN bytes). */
static inline bool
mountinfo_find (const char *real, const char *type, char *dev, size_t len)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  char *line = NULL, marker[128];
  size_t cap = 0;
  bool found = false;

  if (f == NULL)
    return false;
  snprintf (marker, sizeof marker, " - %s ", type);
  /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - TYPE SOURCE OPTIONS" */
  while (getline (&line, &cap, f) > 0) {
    char d[64], mp[4096];
    if (sscanf (line, "%*s %*s %63s %*s %4095s", d, mp) != 2)
      continue;
    mountinfo_unescape (mp);
    if (strcmp (mp, real) == 0 && strstr (line, marker)) {
      snprintf (dev, len, "%s", d);
      found = true;
    }
  }
  free (line);
  fclose (f);
  return found;
}

#endif
