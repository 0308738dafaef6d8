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

#include "cleanup.h"
#include "edit.h"
#include "edit-lines.h"
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
msg_addv (struct edit_msgs *m, const char *fmt, va_list ap)
{
  char **v = realloc (m->v, (m->n + 1) * sizeof *v);

  if (v == NULL)
    return -1;
  m->v = v;
  if (vasprintf (&v[m->n], fmt, ap) == -1)
    return -1;
  m->n++;
  return 0;
}

int
edit_msg_add (struct edit_msgs *m, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = msg_addv (m, fmt, ap);
  va_end (ap);
  return r;
}

static void
msgs_free (struct edit_msgs *m)
{
  size_t i;

  for (i = 0; i < m->n; i++)
    free (m->v[i]);
  free (m->v);
  memset (m, 0, sizeof *m);
}

void
edit_log_free (struct edit_log *log)
{
  msgs_free (&log->changes);
  msgs_free (&log->notes);
}

/* The next line of *P (advanced past it): its text and length without
 * the line ending, and the ending ("", "\n" or "\r\n").  False at the
 * end of the text. */
bool
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

size_t
skip_blanks (const char *s, size_t i, size_t len)
{
  while (i < len && (s[i] == ' ' || s[i] == '\t'))
    i++;
  return i;
}

size_t
skip_word (const char *s, size_t i, size_t len)
{
  while (i < len && s[i] != ' ' && s[i] != '\t')
    i++;
  return i;
}

/* ---- The line walk ---------------------------------------------------- */

int
edit_lines (const char *in, line_rule rule, void *ctx, struct edit_log *log,
            char **out)
{
  struct strbuf b = { 0 };
  struct line l = { .out = &b, .log = log };
  const char *p = in;
  bool changed = false;

  while (next_line (&p, &l.s, &l.len, &l.eol)) {
    l.no++;
    if (rule (&l, ctx))
      changed = true;
    else
      keep_line (&b, l.s, l.len, l.eol);
  }
  return sb_finish (&b, changed, out);
}

/* Log the change the rule made to line L ("line N: " and FMT); true, for
 * the rule to return. */
bool
logged (struct line *l, const char *fmt, ...)
{
  CLEANUP_FREE char *msg = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (r == -1 || edit_msg_add (&l->log->changes, "line %u: %s", l->no, msg) == -1) {
    if (r == -1)
      msg = NULL;
    l->out->failed = true;
  }
  return true;
}

/* L with its bytes [FROM, TO) replaced by WITH. */
void
replace (struct line *l, size_t from, size_t to, const char *with)
{
  replace_in_line (l->out, l->s, l->len, l->eol, from, to, with);
}

/* L as a comment saying WHY. */
void
comment_out (struct line *l, const char *why)
{
  strbuf_str (l->out, "# v2vfs-fix (");
  strbuf_str (l->out, why);
  strbuf_str (l->out, "): ");
  keep_line (l->out, l->s, l->len, l->eol);
}

/* A copy of the bytes [FROM, TO) of L, or NULL (and L's edit fails). */
char *
part (struct line *l, size_t from, size_t to)
{
  char *r = strndup (l->s + from, to - from);

  if (r == NULL)
    l->out->failed = true;
  return r;
}

/* ---- Device names --------------------------------------------------- */

/* A decimal number of at most MAX at *P (no sign, no leading zero
 * unless ZERO allows it), advanced past it; -1 if there is none. */
static long
parse_number (const char **p, unsigned long max, bool zero)
{
  char *end;
  unsigned long v;

  if (**p < '0' || **p > '9' || (!zero && **p == '0'))
    return -1;
  errno = 0;
  v = strtoul (*p, &end, 10);
  if (errno || v > max)
    return -1;
  *p = end;
  return (long) v;
}

/* An NVMe namespace, /dev/nvmeCnN, or its partition, /dev/nvmeCnNpP. */
static int
parse_nvme_name (const char *p, size_t *disk, unsigned *part)
{
  /* Caps far above any VM's: VMware has 4 controllers of 64
   * namespaces; a partition table, 128 entries as a rule. */
  long ctrl, ns, pn = 0;

  if ((ctrl = parse_number (&p, 1024, true)) == -1 || *p++ != 'n' ||
      (ns = parse_number (&p, 1024, false)) == -1)
    return -1;
  if (*p == 'p' && (p++, (pn = parse_number (&p, 1024, false)) == -1))
    return -1;
  if (*p)
    return -1;
  *disk = (size_t) ns - 1;
  *part = (unsigned) pn;
  /* VMware's first NVMe controller numbers its disks' namespaces from 1
   * in their order, which is domain.xml's; another controller's
   * namespace 1 is the first disk of that controller, which is the VM's
   * first only when the VM has one disk. */
  return ctrl == 0 ? 0 : 1;
}

int
edit_parse_disk_name (const char *dev, size_t *disk, unsigned *part)
{
  static const char *const prefixes[] = { "/dev/sd", "/dev/hd", "/dev/vd",
                                          "/dev/xvd" };
  const char *p = NULL;
  size_t i, n = 0, letters = 0;
  long pn = 0;

  if (strncmp (dev, "/dev/nvme", 9) == 0)
    return parse_nvme_name (dev + 9, disk, part);
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
  if (*p && ((pn = parse_number (&p, 1024, false)) == -1 || *p))
    return -1;
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

  if (edit_parse_disk_name (dev, &disk, &part) >= 0)
    return true;
  if (strncmp (dev, "/dev/disk/by-path/", 18) == 0)
    return true;
  if (strncmp (dev, "/dev/disk/by-id/", 16) == 0)
    for (i = 0; i < sizeof by_id_bus / sizeof *by_id_bus; i++)
      if (strncmp (dev + 16, by_id_bus[i], strlen (by_id_bus[i])) == 0)
        return true;
  return false;
}

/* What resolving devices takes: the resolver and its argument. */
/* The stable name of the unstable device DEV that line L names as USE
 * (expecting FSTYPE), or NULL, with a note saying why it stays. */
char *
stable_of (struct line *l, const struct resolver *r, const char *dev,
           const char *use, const char *fstype)
{
  char *why = NULL;
  char *name = r->fn (r->opaque, dev, use, fstype, &why);

  if (name == NULL && edit_msg_add (&l->log->notes, "line %u: %s left as it is: %s",
                                    l->no, dev, why ? why : "no stable name") == -1)
    l->out->failed = true;
  free (why);
  return name;
}

/* A table (fstab, crypttab): field FIELD (0-based) of each entry is
 * rewritten when it is an unstable device.  USE_FIELD is the field that
 * says what the device is for (fstab: the mount point; -1: USE itself),
 * TYPE_FIELD the file system type (-1: none). */
struct table {
  struct resolver r;
  int field, use_field, type_field;
  const char *use;
};

static bool
table_rule (struct line *l, void *ctx)
{
  const struct table *t = ctx;
  size_t start[8], end[8], i = 0;
  CLEANUP_FREE char *dev = NULL, *use = NULL, *type = NULL, *stable = NULL;
  const char *what;
  int n = 0;

  while (n < 8 && (i = skip_blanks (l->s, i, l->len)) < l->len) {
    start[n] = i;
    i = skip_word (l->s, i, l->len);
    end[n++] = i;
  }
  if (n <= t->field || l->s[start[0]] == '#' ||
      (dev = part (l, start[t->field], end[t->field])) == NULL ||
      !edit_is_unstable_device (dev))
    return false;
  if (t->use_field >= 0 && n > t->use_field &&
      (use = part (l, start[t->use_field], end[t->use_field])) == NULL)
    return false;
  if (t->type_field >= 0 && n > t->type_field &&
      (type = part (l, start[t->type_field], end[t->type_field])) == NULL)
    return false;
  /* fstab's swap entries have "none" or "swap" for a mount point. */
  what = type && strcmp (type, "swap") == 0 ? "swap" : use ? use : t->use;
  if ((stable = stable_of (l, &t->r, dev, what, type)) == NULL)
    return false;
  replace (l, start[t->field], end[t->field], stable);
  return logged (l, "%s -> %s", dev, stable);
}

int
edit_fstab (const char *in, edit_resolve_fn resolve, void *opaque, char **out,
            struct edit_log *log)
{
  struct table t = { { resolve, opaque }, 0, 1, 2, NULL };

  return edit_lines (in, table_rule, &t, log, out);
}

int
edit_crypttab (const char *in, edit_resolve_fn resolve, void *opaque,
               char **out, struct edit_log *log)
{
  struct table t = { { resolve, opaque }, 1, -1, -1, "crypttab" };

  return edit_lines (in, table_rule, &t, log, out);
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
  case EDIT_KERNEL_CMDLINE:
    return i < len && line[i] == '#' ? len : i;
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

struct cmdlines {
  struct resolver r;
  enum edit_cmdline_kind kind;
};

/* Each unstable root= and resume= value of the line's command line gets
 * its stable name; the text between them is copied as it is. */
static bool
cmdline_rule (struct line *l, void *ctx)
{
  const struct cmdlines *c = ctx;
  size_t i = cmdline_start (l->s, l->len, c->kind), copied = 0, key_end, vend;
  const char *use;

  while (i < l->len && next_root_arg (l->s, l->len, &i, &key_end, &vend, &use)) {
    CLEANUP_FREE char *dev = part (l, key_end, vend), *stable = NULL;
    i = vend;
    if (dev == NULL || !edit_is_unstable_device (dev) ||
        (stable = stable_of (l, &c->r, dev, use, NULL)) == NULL)
      continue;
    strbuf_put (l->out, l->s + copied, key_end - copied);
    strbuf_str (l->out, stable);
    copied = vend;
    logged (l, "%s=%s -> %s=%s", use, dev, use, stable);
  }
  if (copied == 0)
    return false;
  keep_line (l->out, l->s + copied, l->len - copied, l->eol);
  return true;
}

int
edit_cmdlines (const char *in, enum edit_cmdline_kind kind,
               edit_resolve_fn resolve, void *opaque, char **out,
               struct edit_log *log)
{
  struct cmdlines c = { { resolve, opaque }, kind };

  return edit_lines (in, cmdline_rule, &c, log, out);
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

char **
edit_unstable_args (const char *in, enum edit_cmdline_kind kind)
{
  const char *p = in, *line, *eol, *use;
  size_t len, n = 0, j;
  char **v = calloc (1, sizeof *v);

  while (v && next_line (&p, &line, &len, &eol)) {
    size_t i = cmdline_start (line, len, kind), key_end, vend;
    while (v && i < len && next_root_arg (line, len, &i, &key_end, &vend, &use)) {
      const size_t start = key_end - strlen (use) - 1;
      char *arg = strndup (line + start, vend - start), **nv;
      i = vend;
      if (arg == NULL) {
        edit_free_strv (v);
        return NULL;
      }
      for (j = 0; j < n && strcmp (v[j], arg) != 0; j++)
        ;
      if (j < n || !edit_is_unstable_device (arg + strlen (use) + 1)) {
        free (arg);
        continue;
      }
      if ((nv = realloc (v, (n + 2) * sizeof *v)) == NULL) {
        free (arg);
        edit_free_strv (v);
        return NULL;
      }
      v = nv;
      v[n++] = arg;
      v[n] = NULL;
    }
  }
  return v;
}

void
edit_free_strv (char **v)
{
  size_t i;

  for (i = 0; v && v[i]; i++)
    free (v[i]);
  free (v);
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

static bool
grub_default_rule (struct line *l, void *ctx)
{
  static const char key[] = "GRUB_DISABLE_LINUX_UUID=";
  size_t i = skip_blanks (l->s, 0, l->len), v, ve;

  (void) ctx;
  if (l->len - i < sizeof key - 1 || strncmp (l->s + i, key, sizeof key - 1) != 0)
    return false;
  v = ve = i + sizeof key - 1;
  while (ve < l->len && l->s[ve] != '#')
    ve++;
  if (!shell_value_is (l->s + v, ve - v, "true"))
    return false;
  /* A comment after the value stays, a blank before it. */
  replace (l, v, ve, ve < l->len ? "false " : "false");
  return logged (l, "%.*s -> %sfalse (name root by UUID)", (int) (ve - i), l->s + i,
                 key);
}

int
edit_grub_default (const char *in, char **out, struct edit_log *log)
{
  return edit_lines (in, grub_default_rule, NULL, log, out);
}

static bool
device_map_rule (struct line *l, void *ctx)
{
  size_t i = skip_blanks (l->s, 0, l->len), w, d, de;
  CLEANUP_FREE char *dev = NULL;
  char letters[8], vd[16], *end;
  unsigned long bios;

  (void) ctx;
  w = skip_word (l->s, i, l->len);
  d = skip_blanks (l->s, w, l->len);
  de = skip_word (l->s, d, l->len);
  if (w - i <= 4 || strncmp (l->s + i, "(hd", 3) != 0 || l->s[w - 1] != ')' ||
      de == d || (dev = part (l, d, de)) == NULL)
    return false;
  errno = 0;
  bios = strtoul (l->s + i + 3, &end, 10);
  if (errno || end != l->s + w - 1 || end == l->s + i + 3 || bios >= 1000 ||
      !edit_is_unstable_device (dev) || strncmp (dev, "/dev/vd", 7) == 0)
    return false;
  edit_disk_letters (bios, letters);
  snprintf (vd, sizeof vd, "/dev/vd%s", letters);
  replace (l, d, de, vd);
  return logged (l, "(hd%lu) %s -> %s", bios, dev, vd);
}

int
edit_device_map (const char *in, char **out, struct edit_log *log)
{
  return edit_lines (in, device_map_rule, NULL, log, out);
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

static bool
modprobe_rule (struct line *l, void *ctx)
{
  const bool bare = *(const bool *) ctx;
  const char *s = l->s, *to = NULL;
  size_t w0 = skip_blanks (s, 0, l->len), e0 = skip_word (s, w0, l->len);
  size_t w1 = skip_blanks (s, e0, l->len), e1 = skip_word (s, w1, l->len);
  size_t w2 = skip_blanks (s, e1, l->len), e2 = skip_word (s, w2, l->len);

  if (w0 == l->len || s[w0] == '#')
    return false;
  if (bare) {
    if (!is_vmware_module (s + w0, e0 - w0))
      return false;
    comment_out (l, "a VMware driver");
    return logged (l, "stopped loading %.*s", (int) (e0 - w0), s + w0);
  }
  if (e0 - w0 != 5 || strncmp (s + w0, "alias", 5) != 0 || e2 == w2)
    return false;
  if (e1 - w1 >= 16 && strncmp (s + w1, "scsi_hostadapter", 16) == 0 &&
      !(e2 - w2 >= 6 && strncmp (s + w2, "virtio", 6) == 0))
    to = "virtio_blk";
  else if (e1 - w1 > 3 && strncmp (s + w1, "eth", 3) == 0 &&
           is_emulated_nic (s + w2, e2 - w2))
    to = "virtio_net";
  if (to) {
    replace (l, w2, e2, to);
    return logged (l, "alias %.*s %.*s -> %s", (int) (e1 - w1), s + w1,
                   (int) (e2 - w2), s + w2, to);
  }
  if (!is_vmware_module (s + w2, e2 - w2))
    return false;
  comment_out (l, "a VMware driver");
  return logged (l, "dropped alias %.*s %.*s", (int) (e1 - w1), s + w1,
                 (int) (e2 - w2), s + w2);
}

int
edit_modprobe (const char *in, bool bare, char **out, struct edit_log *log)
{
  return edit_lines (in, modprobe_rule, &bare, log, out);
}

static bool
xorg_rule (struct line *l, void *ctx)
{
  static const struct { const char *from, *to; } drivers[] = {
    { "vmware", "modesetting" }, { "vmwgfx", "modesetting" },
    { "vmmouse", "mouse" },
  };
  size_t w0 = skip_blanks (l->s, 0, l->len), e0 = skip_word (l->s, w0, l->len);
  size_t w1 = skip_blanks (l->s, e0, l->len), k, n;
  const char *q;

  (void) ctx;
  if (e0 - w0 != 6 || strncasecmp (l->s + w0, "Driver", 6) != 0 ||
      w1 == l->len || l->s[w1] != '"' ||
      (q = memchr (l->s + w1 + 1, '"', l->len - w1 - 1)) == NULL)
    return false;
  n = (size_t) (q - (l->s + w1 + 1));
  for (k = 0; k < sizeof drivers / sizeof *drivers; k++)
    if (strlen (drivers[k].from) == n &&
        strncasecmp (l->s + w1 + 1, drivers[k].from, n) == 0) {
      replace (l, w1 + 1, (size_t) (q - l->s), drivers[k].to);
      return logged (l, "Driver \"%.*s\" -> \"%s\"", (int) n, l->s + w1 + 1,
                     drivers[k].to);
    }
  return false;
}

int
edit_xorg (const char *in, char **out, struct edit_log *log)
{
  return edit_lines (in, xorg_rule, NULL, log, out);
}
