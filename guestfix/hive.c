/* See hive.h. */
#include <config.h>

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hivex.h>

#include "cleanup.h"
#include "hive.h"

struct hive {
  hive_h *h;
  char *name;
  bool changed;
};

struct hive *
hive_open (const char *file, const char *name, bool write, struct v2_error *e)
{
  struct hive *h = calloc (1, sizeof *h);

  if (h == NULL || (h->name = strdup (name)) == NULL) {
    free (h);
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  if ((h->h = hivex_open (file, write ? HIVEX_OPEN_WRITE : 0)) == NULL) {
    v2_err (e, errno, "%s (%s): not a registry hive: %s", name, file,
            strerror (errno));
    free (h->name);
    free (h);
    return NULL;
  }
  return h;
}

void
hive_close (struct hive *h)
{
  if (h == NULL)
    return;
  hivex_close (h->h);
  free (h->name);
  free (h);
}

bool
hive_changed (const struct hive *h)
{
  return h->changed;
}

/* The node at PATH, or 0.  With CREATE, the missing keys are added (and
 * 0 means an error). */
static hive_node_h
walk (struct hive *h, const char *path, bool create)
{
  hive_node_h node = hivex_root (h->h);
  CLEANUP_FREE char *copy = strdup (path);
  char *part, *save = NULL;

  if (copy == NULL)
    return 0;
  for (part = strtok_r (copy, "\\", &save); part && node;
       part = strtok_r (NULL, "\\", &save)) {
    hive_node_h child = hivex_node_get_child (h->h, node, part);
    if (child == 0 && create) {
      child = hivex_node_add_child (h->h, node, part);
      h->changed |= child != 0;
    }
    node = child;
  }
  return node;
}

bool
hive_has_key (struct hive *h, const char *path)
{
  return walk (h, path, false) != 0;
}

char **
hive_subkeys (struct hive *h, const char *path)
{
  hive_node_h node = walk (h, path, false);
  CLEANUP_FREE hive_node_h *kids = node ? hivex_node_children (h->h, node) : NULL;
  size_t n = 0, i;
  char **v;

  while (kids && kids[n])
    n++;
  if ((v = calloc (n + 1, sizeof *v)) == NULL)
    return NULL;
  for (i = 0; i < n; i++)
    if ((v[i] = hivex_node_name (h->h, kids[i])) == NULL) {
      while (i > 0)
        free (v[--i]);
      free (v);
      return NULL;
    }
  return v;
}

static hive_value_h
value (struct hive *h, const char *path, const char *key)
{
  hive_node_h node = walk (h, path, false);

  return node ? hivex_node_get_value (h->h, node, key) : 0;
}

char *
hive_get_string (struct hive *h, const char *path, const char *key)
{
  hive_value_h v = value (h, path, key);
  hive_type t;
  size_t len;

  if (v == 0 || hivex_value_type (h->h, v, &t, &len) == -1 ||
      (t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ))
    return NULL;
  return hivex_value_string (h->h, v);
}

int
hive_get_dword (struct hive *h, const char *path, const char *key, uint32_t *out)
{
  hive_value_h v = value (h, path, key);
  hive_type t;
  size_t len;

  if (v == 0 || hivex_value_type (h->h, v, &t, &len) == -1 ||
      t != hive_t_REG_DWORD || len != 4)
    return -1;
  *out = (uint32_t) hivex_value_dword (h->h, v);
  return 0;
}

char **
hive_get_multi (struct hive *h, const char *path, const char *key)
{
  hive_value_h v = value (h, path, key);
  hive_type t;
  size_t len;

  if (v == 0 || hivex_value_type (h->h, v, &t, &len) == -1)
    return NULL;
  if (t == hive_t_REG_MULTI_SZ) {
    /* libhivex counts the empty string that ends the list: drop it. */
    char **r = hivex_value_multiple_strings (h->h, v);
    size_t n = 0;
    while (r && r[n])
      n++;
    while (n > 0 && r[n - 1][0] == '\0') {
      free (r[--n]);
      r[n] = NULL;
    }
    return r;
  }
  if (t == hive_t_REG_SZ || t == hive_t_REG_EXPAND_SZ) {
    char **r = calloc (2, sizeof *r);
    if (r && (r[0] = hivex_value_string (h->h, v)) == NULL) {
      free (r);
      r = NULL;
    }
    return r;
  }
  return NULL;
}

/* Append S, UTF-8, to BUF (*LEN bytes used of CAP) as UTF-16LE with its
 * terminating NUL. */
static int
utf16 (const char *s, char **buf, size_t *len, size_t *cap)
{
  size_t need = *len + 4 * strlen (s) + 2, in_left = strlen (s), out_left;
  char *in = (char *) s, *out;
  iconv_t cd;
  size_t r;

  if (need > *cap) {
    char *p = realloc (*buf, need);
    if (p == NULL)
      return -1;
    *buf = p;
    *cap = need;
  }
  if ((cd = iconv_open ("UTF-16LE", "UTF-8")) == (iconv_t) -1)
    return -1;
  out = *buf + *len;
  out_left = *cap - *len - 2;
  r = iconv (cd, &in, &in_left, &out, &out_left);
  iconv_close (cd);
  if (r == (size_t) -1)
    return -1;
  out[0] = out[1] = '\0';
  *len = (size_t) (out - *buf) + 2;
  return 0;
}

/* Set the raw value unless it is already that; SHOWN is how the change
 * line prints it. */
static int
set_raw (struct hive *h, const char *path, const char *key, hive_type t,
         const char *data, size_t len, const char *shown, struct edit_log *log,
         struct v2_error *e)
{
  hive_value_h old = value (h, path, key);
  hive_node_h node;
  hive_set_value sv = { (char *) key, t, len, (char *) data };

  if (old) {
    hive_type ot;
    size_t olen;
    CLEANUP_FREE char *od = hivex_value_value (h->h, old, &ot, &olen);
    if (od && ot == t && olen == len && memcmp (od, data, len) == 0)
      return 0;
  }
  if ((node = walk (h, path, true)) == 0 ||
      hivex_node_set_value (h->h, node, &sv, 0) == -1)
    return v2_err (e, errno, "%s\\%s: cannot set %s: %s", h->name, path, key,
                   strerror (errno));
  h->changed = true;
  /* The key's default value has no name: regedit calls it @. */
  if (edit_msg_add (&log->changes, "%s\\%s: %s = %s", h->name, path, *key ? key : "@",
                    shown) == -1)
    return v2_err (e, ENOMEM, "out of memory");
  return 1;
}

int
hive_set_dword (struct hive *h, const char *path, const char *key, uint32_t v,
                struct edit_log *log, struct v2_error *e)
{
  char data[4] = { (char) (v & 0xff), (char) ((v >> 8) & 0xff),
                   (char) ((v >> 16) & 0xff), (char) (v >> 24) };
  char shown[32];

  snprintf (shown, sizeof shown, "%u (REG_DWORD)", v);
  return set_raw (h, path, key, hive_t_REG_DWORD, data, 4, shown, log, e);
}

int
hive_set_string (struct hive *h, const char *path, const char *key,
                 const char *v, bool expand, struct edit_log *log,
                 struct v2_error *e)
{
  CLEANUP_FREE char *data = NULL, *shown = NULL;
  size_t len = 0, cap = 0;

  if (utf16 (v, &data, &len, &cap) == -1)
    return v2_err (e, EINVAL, "%s\\%s: %s: cannot encode \"%s\"", h->name, path,
                   key, v);
  if (asprintf (&shown, "\"%s\" (%s)", v, expand ? "REG_EXPAND_SZ" : "REG_SZ") == -1)
    return v2_err (e, ENOMEM, "out of memory");
  return set_raw (h, path, key, expand ? hive_t_REG_EXPAND_SZ : hive_t_REG_SZ,
                  data, len, shown, log, e);
}

int
hive_set_multi (struct hive *h, const char *path, const char *key,
                const char *const *v, struct edit_log *log, struct v2_error *e)
{
  CLEANUP_FREE char *data = NULL, *shown = NULL;
  size_t len = 0, cap = 0, i, slen = 0;

  for (i = 0; v[i]; i++) {
    if (utf16 (v[i], &data, &len, &cap) == -1)
      return v2_err (e, EINVAL, "%s\\%s: %s: cannot encode \"%s\"", h->name, path,
                     key, v[i]);
    slen += strlen (v[i]) + 3;
  }
  /* The list ends with an empty string. */
  if (utf16 ("", &data, &len, &cap) == -1 || (shown = malloc (slen + 16)) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  shown[0] = '\0';
  for (i = 0; v[i]; i++)
    sprintf (shown + strlen (shown), "%s\"%s\"", i ? ", " : "", v[i]);
  strcat (shown, " (REG_MULTI_SZ)");
  return set_raw (h, path, key, hive_t_REG_MULTI_SZ, data, len, shown, log, e);
}

int
hive_set_binary (struct hive *h, const char *path, const char *key, const void *v,
                 size_t len, struct edit_log *log, struct v2_error *e)
{
  CLEANUP_FREE char *shown = malloc (3 * len + 16);
  const unsigned char *b = v;
  size_t i;

  if (shown == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  shown[0] = '\0';
  for (i = 0; i < len; i++)
    sprintf (shown + strlen (shown), "%s%02x", i ? " " : "", b[i]);
  strcat (shown, i ? " (REG_BINARY)" : "(REG_BINARY)");
  return set_raw (h, path, key, hive_t_REG_BINARY, v, len, shown, log, e);
}

int
hive_commit (struct hive *h, const char *file, struct v2_error *e)
{
  if (hivex_commit (h->h, file, 0) == -1)
    return v2_err (e, errno, "%s: cannot write %s: %s", h->name, file,
                   strerror (errno));
  return 0;
}
