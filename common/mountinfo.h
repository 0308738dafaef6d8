/* /proc/self/mountinfo writes a space, tab, newline or backslash in a
 * path as an octal escape (\040 for a space); undo that in place. */
#ifndef V2V_MOUNTINFO_H
#define V2V_MOUNTINFO_H

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

#endif
