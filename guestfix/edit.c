/* See edit.h.  Every edit walks its input a line at a time (the line
 * ending, LF or CRLF, is kept apart and put back), copies the lines it
 * has no business with, and rebuilds the ones it changes from their
 * untouched parts. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "edit.h"
#include "strbuf.h"

/* ---- Growing strings and the log ------------------------------------ */

/* LINE (LEN bytes) and its ending EOL, unchanged. */
static void
keep_line (struct strbuf *b, const char *line, size_t len, const char *eol)
{
  strbuf_put (b, line, len);
  strbuf_str (b, eol);
}

/* LINE with its bytes [FROM, TO) replaced by WITH, and its ending. */
static void
replace_in_line (struct strbuf *b, const char *line, size_t len,
                 const char *eol, size_t from, size_t to, const char *with)
{
  strbuf_put (b, line, from);
  strbuf_str (b, with);
  keep_line (b, line + to, len - to, eol);
}

/* Finish B as an edit's result: *OUT is the text if CHANGED, else NULL. */
static int
sb_finish (struct strbuf *b, bool changed, char **out)
{
  *out = NULL;
  if (b->failed) {
    free (b->s);
    errno = ENOMEM;
    return -1;
  }
  if (changed) {
    *out = b->s ? b->s : strdup ("");
    return *out ? 0 : -1;
  }
  free (b->s);
  return 0;
}

static int
vec_addv (char ***v, size_t *n, const char *fmt, va_list ap)
{
  char **m = realloc (*v, (*n + 1) * sizeof *m);

  if (m == NULL)
    return -1;
  *v = m;
  if (vasprintf (&m[*n], fmt, ap) == -1)
    return -1;
  ++*n;
  return 0;
}

int
edit_log_add (struct edit_log *log, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vec_addv (&log->msgs, &log->n, fmt, ap);
  va_end (ap);
  return r;
}

int
edit_log_note (struct edit_log *log, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vec_addv (&log->notes, &log->n_notes, fmt, ap);
  va_end (ap);
  return r;
}

void
edit_log_free (struct edit_log *log)
{
  size_t i;

  for (i = 0; i < log->n; i++)
    free (log->msgs[i]);
  for (i = 0; i < log->n_notes; i++)
    free (log->notes[i]);
  free (log->msgs);
  free (log->notes);
  memset (log, 0, sizeof *log);
}

/* The next line of *P (advanced past it): its text and length without
 * the line ending, and the ending ("", "\n" or "\r\n").  False at the
 * end of the text. */
static bool
next_line (const char **p, const char **line, size_t *len, const char **eol)
{
  const char *nl;

  if (**p == '\0')
    return false;
  *line = *p;
  nl = strchr (*p, '\n');
  if (nl == NULL) {
    *len = strlen (*p);
    *eol = "";
    *p += *len;
    return true;
  }
  *len = (size_t) (nl - *p);
  *eol = "\n";
  if (*len > 0 && nl[-1] == '\r') {
    --*len;
    *eol = "\r\n";
  }
  *p = nl + 1;
  return true;
}

static size_t
skip_blanks (const char *s, size_t i, size_t len)
{
  while (i < len && (s[i] == ' ' || s[i] == '\t'))
    i++;
  return i;
}

static size_t
skip_word (const char *s, size_t i, size_t len)
{
  while (i < len && s[i] != ' ' && s[i] != '\t')
    i++;
  return i;
}

/* ---- Device names --------------------------------------------------- */

int
edit_parse_disk_name (const char *dev, size_t *disk, unsigned *part)
{
  static const char *const prefixes[] = { "/dev/sd", "/dev/hd", "/dev/vd",
                                          "/dev/xvd" };
  const char *p = NULL;
  size_t i, n = 0, letters = 0;
  unsigned long pn = 0;

  for (i = 0; i < sizeof prefixes / sizeof *prefixes && p == NULL; i++)
    if (strncmp (dev, prefixes[i], strlen (prefixes[i])) == 0)
      p = dev + strlen (prefixes[i]);
  if (p == NULL)
    return -1;
  /* Four letters name 475254 disks: more is no disk name. */
  for (; *p >= 'a' && *p <= 'z' && letters < 4; p++, letters++)
    n = n * 26 + (size_t) (*p - 'a' + 1);
  if (letters == 0)
    return -1;
  if (*p) {
    char *end;
    if (*p < '1' || *p > '9')
      return -1;
    errno = 0;
    pn = strtoul (p, &end, 10);
    if (errno || *end || pn > 1024)
      return -1;
  }
  *disk = n - 1;
  *part = (unsigned) pn;
  return 0;
}

void
edit_disk_letters (size_t index, char out[8])
{
  char tmp[8];
  size_t n = 0, i;

  index++;
  while (index > 0 && n < 7) {
    index--;
    tmp[n++] = (char) ('a' + index % 26);
    index /= 26;
  }
  for (i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  out[n] = '\0';
}

bool
edit_is_unstable_device (const char *dev)
{
  static const char *const by_id_bus[] = { "scsi-", "ata-", "wwn-", "nvme-",
                                           "virtio-", "usb-" };
  size_t disk, i;
  unsigned part;

  if (edit_parse_disk_name (dev, &disk, &part) == 0)
    return true;
  if (strncmp (dev, "/dev/disk/by-path/", 18) == 0)
    return true;
  if (strncmp (dev, "/dev/disk/by-id/", 16) == 0)
    for (i = 0; i < sizeof by_id_bus / sizeof *by_id_bus; i++)
      if (strncmp (dev + 16, by_id_bus[i], strlen (by_id_bus[i])) == 0)
        return true;
  return false;
}

/* Ask RESOLVE for a stable name for DEV; log why not when it has none. */
static char *
resolve_logged (edit_resolve_fn resolve, void *opaque, const char *dev,
                const char *use, const char *fstype, unsigned lineno,
                struct edit_log *log, bool *failed)
{
  char *why = NULL;
  char *r = resolve (opaque, dev, use, fstype, &why);

  if (r == NULL && edit_log_note (log, "line %u: %s left as it is: %s", lineno,
                                  dev, why ? why : "no stable name") == -1)
    *failed = true;
  free (why);
  return r;
}

/* A table (fstab, crypttab): replace field FIELD (0-based) of each entry
 * when it is an unstable device.  USE_FIELD is the field that says what
 * the device is for (fstab: the mount point; -1: USE itself), TYPE_FIELD
 * the file system type (-1: none). */
static int
edit_table (const char *in, int field, int use_field, const char *use,
            int type_field, edit_resolve_fn resolve, void *opaque,
            char **out, struct edit_log *log)
{
  struct strbuf b = { 0 };
  const char *p = in, *line, *eol;
  size_t len;
  unsigned lineno = 0;
  bool changed = false;

  while (next_line (&p, &line, &len, &eol)) {
    size_t start[8], end[8], i = 0;
    int n = 0;
    lineno++;
    while (n < 8) {
      i = skip_blanks (line, i, len);
      if (i == len)
        break;
      start[n] = i;
      i = skip_word (line, i, len);
      end[n++] = i;
    }
    if (n > field && line[start[0]] != '#') {
      char *dev = strndup (line + start[field], end[field] - start[field]);
      char *u = use_field >= 0 && n > use_field ?
        strndup (line + start[use_field], end[use_field] - start[use_field]) : NULL;
      char *t = type_field >= 0 && n > type_field ?
        strndup (line + start[type_field], end[type_field] - start[type_field]) : NULL;
      char *stable = NULL;
      if (dev == NULL || (use_field >= 0 && n > use_field && u == NULL))
        b.failed = true;
      else if (edit_is_unstable_device (dev)) {
        const char *what = u ? u : use;
        /* fstab's swap entries have "none" or "swap" for a mount point. */
        if (t && strcmp (t, "swap") == 0)
          what = "swap";
        stable = resolve_logged (resolve, opaque, dev, what, t, lineno, log,
                                 &b.failed);
      }
      if (stable) {
        replace_in_line (&b, line, len, eol, start[field], end[field], stable);
        if (edit_log_add (log, "line %u: %s -> %s", lineno, dev, stable) == -1)
          b.failed = true;
        changed = true;
      }
      free (dev);
      free (u);
      free (t);
      if (stable) {
        free (stable);
        continue;
      }
    }
    keep_line (&b, line, len, eol);
  }
  return sb_finish (&b, changed, out);
}

int
edit_fstab (const char *in, edit_resolve_fn resolve, void *opaque, char **out,
            struct edit_log *log)
{
  return edit_table (in, 0, 1, NULL, 2, resolve, opaque, out, log);
}

int
edit_crypttab (const char *in, edit_resolve_fn resolve, void *opaque,
               char **out, struct edit_log *log)
{
  return edit_table (in, 1, -1, "crypttab", -1, resolve, opaque, out, log);
}

/* ---- Kernel command lines ------------------------------------------- */

/* Where the command line of LINE (LEN bytes) starts for KIND, or LEN if
 * the line holds none. */
static size_t
cmdline_start (const char *line, size_t len, enum edit_cmdline_kind kind)
{
  size_t i = skip_blanks (line, 0, len), w;

  switch (kind) {
  case EDIT_GRUB_DEFAULT:
    if (len - i > 6 && strncmp (line + i, "export", 6) == 0 &&
        (line[i + 6] == ' ' || line[i + 6] == '\t'))
      i = skip_blanks (line, i + 6, len);
    if (len - i >= 19 && strncmp (line + i, "GRUB_CMDLINE_LINUX=", 19) == 0)
      return i + 19;
    if (len - i >= 27 && strncmp (line + i, "GRUB_CMDLINE_LINUX_DEFAULT=", 27) == 0)
      return i + 27;
    return len;
  case EDIT_GRUB_CFG:
    w = skip_word (line, i, len);
    if ((w - i == 5 && strncmp (line + i, "linux", 5) == 0) ||
        (w - i == 7 && strncmp (line + i, "linux16", 7) == 0) ||
        (w - i == 8 && strncmp (line + i, "linuxefi", 8) == 0))
      return w;
    return len;
  case EDIT_MENU_LST:
    w = skip_word (line, i, len);
    if (w - i == 6 && strncmp (line + i, "kernel", 6) == 0)
      return w;
    /* Debian's legacy update-grub keeps the options in "# kopt=..." and
     * "# kopt_2_6=..." comments, and rewrites the kernel lines from them. */
    if (i < len && line[i] == '#') {
      i = skip_blanks (line, i + 1, len);
      if (len - i > 4 && strncmp (line + i, "kopt", 4) == 0) {
        const char *eq = memchr (line + i, '=', len - i);
        if (eq)
          return (size_t) (eq - line) + 1;
      }
    }
    return len;
  case EDIT_BLS:
    w = skip_word (line, i, len);
    return w - i == 7 && strncmp (line + i, "options", 7) == 0 ? w : len;
  case EDIT_GRUBENV:
    return len - i >= 11 && strncmp (line + i, "kernelopts=", 11) == 0 ? i + 11 : len;
  }
  return len;
}

/* The next root= or resume= on LINE at or after *I, up to LEN: sets
 * *KEY_END (past the '=') and *VEND (the value's end).  A key starts a
 * word: after a blank, a quote or an '=' (kopt=root=...). */
static bool
next_root_arg (const char *line, size_t len, size_t *i, size_t *key_end,
               size_t *vend, const char **use)
{
  for (; *i < len; ++*i) {
    size_t j = *i;
    const char *k = NULL;
    if (j > 0 && !strchr (" \t\"'=", line[j - 1]))
      continue;
    if (len - j >= 5 && strncmp (line + j, "root=", 5) == 0)
      k = "root";
    else if (len - j >= 7 && strncmp (line + j, "resume=", 7) == 0)
      k = "resume";
    if (k == NULL)
      continue;
    *key_end = j + strlen (k) + 1;
    *vend = *key_end;
    while (*vend < len && !strchr (" \t\"'", line[*vend]))
      ++*vend;
    *use = k;
    return true;
  }
  return false;
}

int
edit_cmdlines (const char *in, enum edit_cmdline_kind kind,
               edit_resolve_fn resolve, void *opaque, char **out,
               struct edit_log *log)
{
  struct strbuf b = { 0 };
  const char *p = in, *line, *eol, *use;
  size_t len;
  unsigned lineno = 0;
  bool changed = false;

  while (next_line (&p, &line, &len, &eol)) {
    size_t i = cmdline_start (line, len, kind), copied = 0, key_end, vend;
    lineno++;
    while (i < len && next_root_arg (line, len, &i, &key_end, &vend, &use)) {
      char *dev = strndup (line + key_end, vend - key_end), *stable = NULL;
      if (dev == NULL)
        b.failed = true;
      else if (edit_is_unstable_device (dev))
        stable = resolve_logged (resolve, opaque, dev, use, NULL, lineno, log,
                                 &b.failed);
      if (stable) {
        strbuf_put (&b, line + copied, key_end - copied);
        strbuf_str (&b, stable);
        copied = vend;
        changed = true;
        if (edit_log_add (log, "line %u: %s=%s -> %s=%s", lineno, use, dev,
                          use, stable) == -1)
          b.failed = true;
      }
      free (dev);
      free (stable);
      i = vend;
    }
    keep_line (&b, line + copied, len - copied, eol);
  }
  return sb_finish (&b, changed, out);
}

size_t
edit_count_unstable (const char *in, enum edit_cmdline_kind kind)
{
  const char *p = in, *line, *eol, *use;
  size_t len, n = 0;

  while (next_line (&p, &line, &len, &eol)) {
    size_t i = cmdline_start (line, len, kind), key_end, vend;
    while (i < len && next_root_arg (line, len, &i, &key_end, &vend, &use)) {
      char *dev = strndup (line + key_end, vend - key_end);
      if (dev && edit_is_unstable_device (dev))
        n++;
      free (dev);
      i = vend;
    }
  }
  return n;
}

/* ---- Small line rules ----------------------------------------------- */

/* The value of a shell assignment VALUE (LEN bytes), quotes removed, is
 * WANT. */
static bool
shell_value_is (const char *value, size_t len, const char *want)
{
  size_t n = strlen (want);

  while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
    len--;
  if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0]) {
    value++;
    len -= 2;
  }
  return len == n && strncmp (value, want, n) == 0;
}

int
edit_grub_default (const char *in, char **out, struct edit_log *log)
{
  static const char key[] = "GRUB_DISABLE_LINUX_UUID=";
  struct strbuf b = { 0 };
  const char *p = in, *line, *eol;
  size_t len;
  unsigned lineno = 0;
  bool changed = false;

  while (next_line (&p, &line, &len, &eol)) {
    size_t i = skip_blanks (line, 0, len);
    lineno++;
    if (len - i >= sizeof key - 1 && strncmp (line + i, key, sizeof key - 1) == 0) {
      size_t v = i + sizeof key - 1, ve = v;
      while (ve < len && line[ve] != '#')
        ve++;
      if (shell_value_is (line + v, ve - v, "true")) {
        /* A comment after the value stays, a blank before it. */
        replace_in_line (&b, line, len, eol, v, ve, ve < len ? "false " : "false");
        changed = true;
        if (edit_log_add (log, "line %u: %.*s -> %sfalse (name root by UUID)",
                          lineno, (int) (ve - i), line + i, key) == -1)
          b.failed = true;
        continue;
      }
    }
    keep_line (&b, line, len, eol);
  }
  return sb_finish (&b, changed, out);
}

int
edit_device_map (const char *in, char **out, struct edit_log *log)
{
  struct strbuf b = { 0 };
  const char *p = in, *line, *eol;
  size_t len;
  unsigned lineno = 0;
  bool changed = false;

  while (next_line (&p, &line, &len, &eol)) {
    size_t i = skip_blanks (line, 0, len), w, d, de;
    lineno++;
    w = skip_word (line, i, len);
    d = skip_blanks (line, w, len);
    de = skip_word (line, d, len);
    if (w - i > 4 && strncmp (line + i, "(hd", 3) == 0 && line[w - 1] == ')' && de > d) {
      char *dev = strndup (line + d, de - d), *end;
      unsigned long bios;
      errno = 0;
      bios = strtoul (line + i + 3, &end, 10);
      if (dev && !errno && end == line + w - 1 && end > line + i + 3 &&
          bios < 1000 && edit_is_unstable_device (dev) &&
          strncmp (dev, "/dev/vd", 7) != 0) {
        char letters[8], vd[16];
        edit_disk_letters (bios, letters);
        snprintf (vd, sizeof vd, "/dev/vd%s", letters);
        replace_in_line (&b, line, len, eol, d, de, vd);
        changed = true;
        if (edit_log_add (log, "line %u: (hd%lu) %s -> /dev/vd%s", lineno, bios,
                          dev, letters) == -1)
          b.failed = true;
        free (dev);
        continue;
      }
      if (dev == NULL)
        b.failed = true;
      free (dev);
    }
    keep_line (&b, line, len, eol);
  }
  return sb_finish (&b, changed, out);
}

/* VMware's own guest drivers: nothing of them works on KVM. */
static const char *const vmware_modules[] = {
  "vmxnet", "vmxnet3", "vmw_pvscsi", "pvscsi", "vmhgfs", "vmmemctl",
  "vmw_balloon", "vmci", "vmw_vmci", "vmblock", "vmsync",
  "vmw_vsock_vmci_transport", "vmwgfx",
};

static bool
is_vmware_module (const char *s, size_t n)
{
  size_t i;

  for (i = 0; i < sizeof vmware_modules / sizeof *vmware_modules; i++)
    if (strlen (vmware_modules[i]) == n && strncmp (vmware_modules[i], s, n) == 0)
      return true;
  return false;
}

/* Emulated NIC drivers an "alias ethN" of an old guest may force. */
static bool
is_emulated_nic (const char *s, size_t n)
{
  static const char *const nics[] = { "vmxnet", "vmxnet3", "e1000", "e1000e",
                                      "pcnet32", "tulip" };
  size_t i;

  for (i = 0; i < sizeof nics / sizeof *nics; i++)
    if (strlen (nics[i]) == n && strncmp (nics[i], s, n) == 0)
      return true;
  return false;
}

static void
comment_out (struct strbuf *b, const char *line, size_t len, const char *eol,
             const char *why)
{
  strbuf_str (b, "# v2vfs-fix (");
  strbuf_str (b, why);
  strbuf_str (b, "): ");
  keep_line (b, line, len, eol);
}

int
edit_modprobe (const char *in, bool bare, char **out, struct edit_log *log)
{
  struct strbuf b = { 0 };
  const char *p = in, *line, *eol;
  size_t len;
  unsigned lineno = 0;
  bool changed = false;

  while (next_line (&p, &line, &len, &eol)) {
    size_t w0 = skip_blanks (line, 0, len), e0 = skip_word (line, w0, len);
    size_t w1 = skip_blanks (line, e0, len), e1 = skip_word (line, w1, len);
    size_t w2 = skip_blanks (line, e1, len), e2 = skip_word (line, w2, len);
    lineno++;
    if (w0 == len || line[w0] == '#') {
      keep_line (&b, line, len, eol);
      continue;
    }
    if (bare && is_vmware_module (line + w0, e0 - w0)) {
      comment_out (&b, line, len, eol, "a VMware driver");
      changed = true;
      if (edit_log_add (log, "line %u: stopped loading %.*s", lineno,
                        (int) (e0 - w0), line + w0) == -1)
        b.failed = true;
      continue;
    }
    if (!bare && e0 - w0 == 5 && strncmp (line + w0, "alias", 5) == 0 && e2 > w2) {
      const char *to = NULL;
      if (e1 - w1 >= 16 && strncmp (line + w1, "scsi_hostadapter", 16) == 0 &&
          !(e2 - w2 >= 6 && strncmp (line + w2, "virtio", 6) == 0))
        to = "virtio_blk";
      else if (e1 - w1 > 3 && strncmp (line + w1, "eth", 3) == 0 &&
               is_emulated_nic (line + w2, e2 - w2))
        to = "virtio_net";
      if (to) {
        replace_in_line (&b, line, len, eol, w2, e2, to);
        changed = true;
        if (edit_log_add (log, "line %u: alias %.*s %.*s -> %s", lineno,
                          (int) (e1 - w1), line + w1, (int) (e2 - w2), line + w2,
                          to) == -1)
          b.failed = true;
        continue;
      }
      if (is_vmware_module (line + w2, e2 - w2)) {
        comment_out (&b, line, len, eol, "a VMware driver");
        changed = true;
        if (edit_log_add (log, "line %u: dropped alias %.*s %.*s", lineno,
                          (int) (e1 - w1), line + w1, (int) (e2 - w2),
                          line + w2) == -1)
          b.failed = true;
        continue;
      }
    }
    keep_line (&b, line, len, eol);
  }
  return sb_finish (&b, changed, out);
}

int
edit_xorg (const char *in, char **out, struct edit_log *log)
{
  static const struct { const char *from, *to; } drivers[] = {
    { "vmware", "modesetting" }, { "vmwgfx", "modesetting" },
    { "vmmouse", "mouse" },
  };
  struct strbuf b = { 0 };
  const char *p = in, *line, *eol;
  size_t len;
  unsigned lineno = 0;
  bool changed = false;

  while (next_line (&p, &line, &len, &eol)) {
    size_t w0 = skip_blanks (line, 0, len), e0 = skip_word (line, w0, len);
    size_t w1 = skip_blanks (line, e0, len), k;
    lineno++;
    if (e0 - w0 == 6 && strncasecmp (line + w0, "Driver", 6) == 0 &&
        w1 < len && line[w1] == '"') {
      const char *q = memchr (line + w1 + 1, '"', len - w1 - 1);
      size_t n = q ? (size_t) (q - (line + w1 + 1)) : 0;
      for (k = 0; q && k < sizeof drivers / sizeof *drivers; k++)
        if (strlen (drivers[k].from) == n &&
            strncasecmp (line + w1 + 1, drivers[k].from, n) == 0)
          break;
      if (q && k < sizeof drivers / sizeof *drivers) {
        replace_in_line (&b, line, len, eol, w1 + 1, (size_t) (q - line), drivers[k].to);
        changed = true;
        if (edit_log_add (log, "line %u: Driver \"%.*s\" -> \"%s\"", lineno,
                          (int) n, line + w1 + 1, drivers[k].to) == -1)
          b.failed = true;
        continue;
      }
    }
    keep_line (&b, line, len, eol);
  }
  return sb_finish (&b, changed, out);
}

/* ---- NICs ----------------------------------------------------------- */

void
edit_nics_free (struct edit_nics *nics)
{
  free (nics->v);
  nics->v = NULL;
  nics->n = 0;
}

/* Add NAME (N bytes) with MAC (or "") unless it is there; a MAC fills in
 * one that was missing.  -1 on ENOMEM. */
static int
nics_add (struct edit_nics *nics, const char *name, size_t n, const char *mac)
{
  struct edit_nic *v;
  size_t i;

  if (n == 0 || n >= sizeof nics->v[0].name)
    return 0;
  for (i = 0; i < nics->n; i++)
    if (strlen (nics->v[i].name) == n && strncmp (nics->v[i].name, name, n) == 0) {
      if (nics->v[i].mac[0] == '\0' && mac[0])
        snprintf (nics->v[i].mac, sizeof nics->v[i].mac, "%s", mac);
      return 0;
    }
  if ((v = realloc (nics->v, (nics->n + 1) * sizeof *v)) == NULL)
    return -1;
  nics->v = v;
  memset (&v[nics->n], 0, sizeof v[nics->n]);
  memcpy (v[nics->n].name, name, n);
  snprintf (v[nics->n].mac, sizeof v[nics->n].mac, "%s", mac);
  nics->n++;
  return 0;
}

/* The value of KEY=="VALUE" or KEY="VALUE" in a udev rule LINE, or
 * NULL; *N is its length. */
static const char *
udev_value (const char *line, size_t len, const char *key, bool match,
            size_t *n)
{
  size_t k = strlen (key), i;

  for (i = 0; i + k < len; i++) {
    const char *v;
    const char *q;
    if (strncmp (line + i, key, k) != 0 || (i > 0 && isalnum ((unsigned char) line[i - 1])))
      continue;
    v = line + i + k;
    if (match && len - i - k >= 3 && strncmp (v, "==\"", 3) == 0)
      v += 3;
    else if (!match && len - i - k >= 2 && strncmp (v, "=\"", 2) == 0)
      v += 2;
    else if (!match && len - i - k >= 3 && strncmp (v, ":=\"", 3) == 0)
      v += 3;
    else
      continue;
    if ((q = memchr (v, '"', (size_t) (line + len - v))) == NULL)
      return NULL;
    *n = (size_t) (q - v);
    return v;
  }
  return NULL;
}

int
edit_persistent_net (const char *in, struct edit_nics *nics, char **out,
                     struct edit_log *log)
{
  struct strbuf b = { 0 };
  const char *p = in, *line, *eol;
  size_t len;
  unsigned lineno = 0;
  bool changed = false;

  while (next_line (&p, &line, &len, &eol)) {
    size_t w = skip_blanks (line, 0, len), mn = 0, nn = 0, i;
    const char *mac = NULL, *name = NULL;
    lineno++;
    if (w < len && line[w] != '#') {
      mac = udev_value (line, len, "ATTR{address}", true, &mn);
      name = udev_value (line, len, "NAME", false, &nn);
    }
    if (mac && name && mn == 17 && nn > 0) {
      char m[18];
      for (i = 0; i < 17; i++)
        m[i] = (char) tolower ((unsigned char) mac[i]);
      m[17] = '\0';
      if (nics_add (nics, name, nn, m) == -1)
        b.failed = true;
      comment_out (&b, line, len, eol, "named by a .link file now");
      changed = true;
      if (edit_log_add (log, "line %u: rule naming %s %.*s commented out",
                        lineno, m, (int) nn, name) == -1)
        b.failed = true;
      continue;
    }
    keep_line (&b, line, len, eol);
  }
  return sb_finish (&b, changed, out);
}

/* eth0, ens192, enp11s0, eno1, em1, p2p1 (and their ":N" aliases). */
static bool
is_nic_name (const char *s, size_t n)
{
  static const char *const prefixes[] = { "eth", "ens", "enp", "eno", "em" };
  size_t i;

  for (i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
    size_t k = strlen (prefixes[i]);
    if (n > k && strncmp (s, prefixes[i], k) == 0 && isdigit ((unsigned char) s[k]))
      return true;
  }
  /* p2p1: port 1 of the NIC in PCI slot 2 (biosdevname). */
  if (n >= 4 && s[0] == 'p' && isdigit ((unsigned char) s[1])) {
    for (i = 1; i < n && isdigit ((unsigned char) s[i]); i++)
      ;
    return i + 1 < n && s[i] == 'p' && isdigit ((unsigned char) s[i + 1]);
  }
  return false;
}

/* Add NAME (N bytes) if it names a NIC: an alias eth0:1 is eth0, a VLAN
 * eth0.100 is carried by eth0. */
static int
nic_name_add (struct edit_nics *nics, const char *name, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (name[i] == ':' || name[i] == '.') {
      n = i;
      break;
    }
  return is_nic_name (name, n) ? nics_add (nics, name, n, "") : 0;
}

/* The value after KEY= on LINE (no quotes), or NULL. */
static const char *
key_value (const char *line, size_t len, const char *key, size_t *n)
{
  size_t i = skip_blanks (line, 0, len), k = strlen (key);
  const char *v;

  if (len - i <= k || strncmp (line + i, key, k) != 0 || line[i + k] != '=')
    return NULL;
  v = line + i + k + 1;
  *n = (size_t) (line + len - v);
  while (*n > 0 && (v[*n - 1] == ' ' || v[*n - 1] == '\t'))
    --*n;
  if (*n >= 2 && (v[0] == '"' || v[0] == '\'') && v[*n - 1] == v[0]) {
    v++;
    *n -= 2;
  }
  return v;
}

int
edit_nic_names (const char *in, enum edit_netcfg kind, const char *file,
                struct edit_nics *nics)
{
  const char *p = in, *line, *eol, *v;
  size_t len, n, eth_indent = 0, key_indent = 0;
  bool in_ethernets = false, in_match = false;

  if (kind == EDIT_NET_IFCFG) {
    /* ifcfg-NAME: DEVICE= says it, else the file's name does. */
    bool found = false;
    while (next_line (&p, &line, &len, &eol))
      if ((v = key_value (line, len, "DEVICE", &n)) != NULL) {
        found = true;
        if (nic_name_add (nics, v, n) == -1)
          return -1;
      }
    if (!found && file) {
      const char *base = strrchr (file, '/') ? strrchr (file, '/') + 1 : file;
      if (strncmp (base, "ifcfg-", 6) == 0)
        return nic_name_add (nics, base + 6, strlen (base + 6));
    }
    return 0;
  }
  while (next_line (&p, &line, &len, &eol)) {
    size_t w0 = skip_blanks (line, 0, len), e0 = skip_word (line, w0, len), i;
    if (w0 == len || line[w0] == '#')
      continue;
    switch (kind) {
    case EDIT_NET_IFUPDOWN:
      /* iface NAME ...; auto A B C; allow-hotplug A B. */
      if (e0 - w0 == 5 && strncmp (line + w0, "iface", 5) == 0) {
        size_t w1 = skip_blanks (line, e0, len);
        if (nic_name_add (nics, line + w1, skip_word (line, w1, len) - w1) == -1)
          return -1;
      }
      else if ((e0 - w0 == 4 && strncmp (line + w0, "auto", 4) == 0) ||
               (e0 - w0 > 6 && strncmp (line + w0, "allow-", 6) == 0))
        for (i = skip_blanks (line, e0, len); i < len;
             i = skip_blanks (line, skip_word (line, i, len), len))
          if (nic_name_add (nics, line + i, skip_word (line, i, len) - i) == -1)
            return -1;
      break;
    case EDIT_NET_NETPLAN:
      /* The keys one level inside "ethernets:". */
      if (e0 - w0 == 10 && strncmp (line + w0, "ethernets:", 10) == 0) {
        in_ethernets = true;
        eth_indent = w0;
        key_indent = 0;
      }
      else if (in_ethernets && w0 <= eth_indent)
        in_ethernets = false;
      else if (in_ethernets && (key_indent == 0 || w0 == key_indent)) {
        key_indent = w0;
        if (line[e0 - 1] == ':' && nic_name_add (nics, line + w0, e0 - w0 - 1) == -1)
          return -1;
      }
      break;
    case EDIT_NET_NETWORKD:
      if (line[w0] == '[')
        in_match = strncmp (line + w0, "[Match]", 7) == 0;
      else if (in_match && (v = key_value (line, len, "Name", &n)) != NULL)
        for (i = 0; i < n; i = skip_blanks (v, skip_word (v, i, n), n)) {
          size_t w = skip_word (v, i, n) - i;
          /* A glob ("en*") matches NICs, it names none. */
          if (!memchr (v + i, '*', w) && !memchr (v + i, '?', w) &&
              !memchr (v + i, '[', w) && nic_name_add (nics, v + i, w) == -1)
            return -1;
        }
      break;
    case EDIT_NET_NM:
      if ((v = key_value (line, len, "interface-name", &n)) != NULL &&
          nic_name_add (nics, v, n) == -1)
        return -1;
      break;
    case EDIT_NET_IFCFG:
      break;
    }
  }
  return 0;
}

/* Where VMware puts the NIC called NAME: its number (eth0 -> 0, ens192 ->
 * 192, enp11s0 -> 11000); names with no number go last. */
static unsigned long
nic_rank (const char *name)
{
  const char *p = name;
  unsigned long bus, slot;
  char *end;

  while (*p && !isdigit ((unsigned char) *p))
    p++;
  if (*p == '\0')
    return (unsigned long) -1;
  bus = strtoul (p, &end, 10);
  if (*end == 's' && isdigit ((unsigned char) end[1])) {
    slot = strtoul (end + 1, NULL, 10);
    return bus * 1000 + slot;
  }
  return bus;
}

static int
nic_cmp (const void *a, const void *b)
{
  const struct edit_nic *x = a, *y = b;
  unsigned long rx = nic_rank (x->name), ry = nic_rank (y->name);
  int c = strncmp (x->name, y->name, 2);

  /* eth* and en* apart, each in number order. */
  if (c != 0)
    return c;
  if (rx != ry)
    return rx < ry ? -1 : 1;
  return strcmp (x->name, y->name);
}

void
edit_nics_sort (struct edit_nics *nics)
{
  if (nics->n > 1)
    qsort (nics->v, nics->n, sizeof *nics->v, nic_cmp);
}

char *
edit_link_file (const char *name, const char *mac)
{
  char *s;

  if (asprintf (&s,
                "# Written by v2vfs-fix: this NIC keeps the name it had on VMware\n"
                "# now that it is virtio-net, so its configuration still applies.\n"
                "[Match]\n"
                "MACAddress=%s\n"
                "\n"
                "[Link]\n"
                "Name=%s\n", mac, name) == -1)
    return NULL;
  return s;
}

char *
edit_udev_rule (const char *name, const char *mac)
{
  char *s;

  if (asprintf (&s, "SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"%s\", "
                "NAME=\"%s\"\n", mac, name) == -1)
    return NULL;
  return s;
}

char *
edit_shell_value (const char *text, const char *key)
{
  const char *p = text, *line, *eol, *v, *last = NULL;
  size_t len, n, last_n = 0;

  while (next_line (&p, &line, &len, &eol))
    if ((v = key_value (line, len, key, &n)) != NULL) {
      last = v;
      last_n = n;
    }
  return last ? strndup (last, last_n) : NULL;
}

bool
edit_selinux_enabled (const char *config)
{
  char *v = edit_shell_value (config, "SELINUX");
  bool on = v && (strcmp (v, "enforcing") == 0 || strcmp (v, "permissive") == 0);

  free (v);
  return on;
}

int
edit_resume_conf (const char *in, edit_resolve_fn resolve, void *opaque,
                  char **out, struct edit_log *log)
{
  struct strbuf b = { 0 };
  const char *p = in, *line, *eol, *v;
  size_t len, n;
  unsigned lineno = 0;
  bool changed = false;

  while (next_line (&p, &line, &len, &eol)) {
    lineno++;
    if ((v = key_value (line, len, "RESUME", &n)) != NULL) {
      char *dev = strndup (v, n), *stable = NULL;
      if (dev == NULL)
        b.failed = true;
      else if (edit_is_unstable_device (dev))
        stable = resolve_logged (resolve, opaque, dev, "resume", "swap", lineno,
                                 log, &b.failed);
      if (stable) {
        replace_in_line (&b, line, len, eol, (size_t) (v - line),
                         (size_t) (v + n - line), stable);
        changed = true;
        if (edit_log_add (log, "line %u: RESUME=%s -> RESUME=%s", lineno, dev,
                          stable) == -1)
          b.failed = true;
        free (dev);
        free (stable);
        continue;
      }
      free (dev);
    }
    keep_line (&b, line, len, eol);
  }
  return sb_finish (&b, changed, out);
}
