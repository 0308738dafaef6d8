/* See ovf.h.  Elements are matched by namespace URI and local name, never
 * by prefix: VMware writes <Envelope>, vCloud writes <ovf:Envelope>. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "checked.h"
#include "ovf.h"

static const char *const ovf_ns[] = {
  "http://schemas.dmtf.org/ovf/envelope/1",
  "http://schemas.dmtf.org/ovf/envelope/2",
  "http://www.vmware.com/schema/ovf/1/envelope",       /* OVF 0.9 */
};

static bool
is_ovf (const xmlNode *n, const char *local)
{
  size_t i;

  if (n->type != XML_ELEMENT_NODE || strcmp ((const char *) n->name, local))
    return false;
  if (n->ns == NULL || n->ns->href == NULL)
    return true;
  for (i = 0; i < sizeof ovf_ns / sizeof *ovf_ns; i++)
    if (strcmp ((const char *) n->ns->href, ovf_ns[i]) == 0)
      return true;
  return false;
}

static const xmlNode *
child (const xmlNode *n, const char *local)
{
  for (n = n ? n->children : NULL; n; n = n->next)
    if (is_ovf (n, local))
      return n;
  return NULL;
}

/* An attribute in the OVF namespace (ovf:href), or unqualified. */
static char *
attr (const xmlNode *n, const char *local)
{
  const xmlAttr *a;

  for (a = n->properties; a; a = a->next) {
    size_t i;
    if (strcmp ((const char *) a->name, local))
      continue;
    if (a->ns)
      for (i = 0; i < sizeof ovf_ns / sizeof *ovf_ns; i++)
        if (strcmp ((const char *) a->ns->href, ovf_ns[i]) == 0)
          break;
    if (a->ns == NULL || i < sizeof ovf_ns / sizeof *ovf_ns) {
      xmlChar *v = xmlNodeGetContent ((const xmlNode *) a);
      char *r = v ? strdup ((const char *) v) : NULL;
      xmlFree (v);
      return r;
    }
  }
  return NULL;
}

int
ovf_parse_units (const char *s, uint64_t *mult)
{
  static const struct { const char *name; uint64_t m; } named[] = {
    { "byte", 1 }, { "bytes", 1 }, { "KB", 1 << 10 }, { "KiloBytes", 1 << 10 },
    { "MB", 1 << 20 }, { "MegaBytes", 1 << 20 }, { "GB", 1 << 30 },
    { "GigaBytes", 1 << 30 }, { "TB", UINT64_C (1) << 40 },
    { "TeraBytes", UINT64_C (1) << 40 },
  };
  uint64_t m = 1;
  size_t i;

  while (isspace ((unsigned char) *s))
    s++;
  for (i = 0; i < sizeof named / sizeof *named; i++) {
    size_t l = strlen (named[i].name);
    if (strncasecmp (s, named[i].name, l) == 0 &&
        (s[l] == '\0' || isspace ((unsigned char) s[l]) || s[l] == '*')) {
      m = named[i].m;
      s += l;
      break;
    }
  }
  if (i == sizeof named / sizeof *named)
    return -1;
  /* DSP0004 programmatic units: byte [* base [^ exponent]]... */
  for (;;) {
    uint64_t base, exp = 1, f = 1;
    char *end;

    while (isspace ((unsigned char) *s))
      s++;
    if (*s == '\0')
      break;
    if (*s++ != '*')
      return -1;
    while (isspace ((unsigned char) *s))
      s++;
    if (!isdigit ((unsigned char) *s))
      return -1;
    base = strtoull (s, &end, 10);
    s = end;
    while (isspace ((unsigned char) *s))
      s++;
    if (*s == '^') {
      s++;
      while (isspace ((unsigned char) *s))
        s++;
      if (!isdigit ((unsigned char) *s))
        return -1;
      exp = strtoull (s, &end, 10);
      s = end;
    }
    while (exp--)
      if (MUL_OVERFLOW (f, base, &f) || exp > 64)
        return -1;
    if (MUL_OVERFLOW (m, f, &m))
      return -1;
  }
  *mult = m;
  return 0;
}

/* ovf:capacity may be "${key}", resolved through a ProductSection
 * Property's default value. */
static char *
resolve_property (const xmlNode *env, const char *cap)
{
  size_t l = strlen (cap);
  const xmlNode *vs, *ps, *p;

  if (l < 4 || cap[0] != '$' || cap[1] != '{' || cap[l - 1] != '}')
    return strdup (cap);
  vs = child (env, "VirtualSystem");
  for (ps = vs ? vs->children : NULL; ps; ps = ps->next) {
    if (!is_ovf (ps, "ProductSection"))
      continue;
    for (p = ps->children; p; p = p->next) {
      char *key, *val;
      if (!is_ovf (p, "Property") || (key = attr (p, "key")) == NULL)
        continue;
      if (strlen (key) == l - 3 && strncmp (key, cap + 2, l - 3) == 0) {
        free (key);
        if ((val = attr (p, "value")) != NULL)
          return val;
        return NULL;
      }
      free (key);
    }
  }
  return NULL;
}

static int
parse_disk (const xmlNode *env, const xmlNode *n, const char *name,
            struct ovf_disk *d, struct v2_error *e)
{
  char *cap = attr (n, "capacity"), *units = attr (n, "capacityAllocationUnits");
  char *val = NULL, *end;
  uint64_t v, mult = 1;
  int r = -1;

  d->id = attr (n, "diskId");
  d->file_ref = attr (n, "fileRef");
  if (d->id == NULL || cap == NULL) {
    v2_err (e, EINVAL, "%s: Disk at line %d: missing ovf:diskId or "
            "ovf:capacity", name, n->line);
    goto out;
  }
  val = resolve_property (env, cap);
  if (val == NULL) {
    v2_err (e, EINVAL, "%s: Disk '%s' at line %d: capacity '%s' names no "
            "property with a value", name, d->id, n->line, cap);
    goto out;
  }
  errno = 0;
  v = strtoull (val, &end, 10);
  if (errno || end == val || *end || !isdigit ((unsigned char) *val)) {
    v2_err (e, EINVAL, "%s: Disk '%s' at line %d: bad capacity '%s'", name,
            d->id, n->line, val);
    goto out;
  }
  if (units && ovf_parse_units (units, &mult) == -1) {
    v2_err (e, EINVAL, "%s: Disk '%s' at line %d: unknown capacity units '%s'",
            name, d->id, n->line, units);
    goto out;
  }
  if (MUL_OVERFLOW (v, mult, &d->capacity) || d->capacity > (UINT64_C (1) << 50)) {
    v2_err (e, EFBIG, "%s: Disk '%s' at line %d: capacity %s x %s overflows",
            name, d->id, n->line, val, units ? units : "byte");
    goto out;
  }
  r = 0;
 out:
  free (cap);
  free (units);
  free (val);
  return r;
}

int
ovf_parse (const char *xml, size_t len, const char *name, struct ovf *o,
           struct v2_error *e)
{
  xmlDoc *doc;
  const xmlNode *env, *refs, *ds, *n;
  int r = -1;

  memset (o, 0, sizeof *o);
  if (len > INT32_MAX)
    return v2_err (e, EFBIG, "%s: too large", name);
  /* No network, no entity substitution (XML_PARSE_NOENT is not given),
   * and no DTD loading; a document with a DOCTYPE is refused below. */
  doc = xmlReadMemory (xml, (int) len, name, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR |
                       XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
  if (doc == NULL) {
    const xmlError *err = xmlGetLastError ();
    char msg[256] = "parse error";
    if (err && err->message) {
      size_t l;
      char *p;
      snprintf (msg, sizeof msg, "%s", err->message);
      for (p = msg; *p; p++)       /* libxml2 splits some over lines */
        if (isspace ((unsigned char) *p))
          *p = ' ';
      l = strlen (msg);
      while (l && msg[l - 1] == ' ')
        msg[--l] = '\0';
    }
    return v2_err (e, EINVAL, "%s: not a valid XML document: line %d: %s",
                   name, err ? err->line : 0, msg);
  }
  if (doc->intSubset || doc->extSubset) {
    v2_err (e, EINVAL, "%s: has a DOCTYPE (entities and DTDs are refused)",
            name);
    goto out;
  }
  env = xmlDocGetRootElement (doc);
  if (env == NULL || !is_ovf (env, "Envelope")) {
    v2_err (e, EINVAL, "%s: the root element is not an OVF Envelope", name);
    goto out;
  }

  refs = child (env, "References");
  for (n = refs ? refs->children : NULL; n; n = n->next) {
    struct ovf_file *f;
    if (!is_ovf (n, "File"))
      continue;
    f = realloc (o->files, (o->n_files + 1) * sizeof *f);
    if (f == NULL)
      goto enomem;
    o->files = f;
    f = &o->files[o->n_files++];
    memset (f, 0, sizeof *f);
    f->id = attr (n, "id");
    f->href = attr (n, "href");
    f->compression = attr (n, "compression");
    if (f->id == NULL || f->href == NULL) {
      v2_err (e, EINVAL, "%s: File at line %d: missing ovf:id or ovf:href",
              name, n->line);
      goto out;
    }
  }

  ds = child (env, "DiskSection");
  for (n = ds ? ds->children : NULL; n; n = n->next) {
    struct ovf_disk *d;
    if (!is_ovf (n, "Disk"))
      continue;
    d = realloc (o->disks, (o->n_disks + 1) * sizeof *d);
    if (d == NULL)
      goto enomem;
    o->disks = d;
    d = &o->disks[o->n_disks++];
    memset (d, 0, sizeof *d);
    if (parse_disk (env, n, name, d, e) == -1)
      goto out;
    if (d->file_ref && ovf_find_file (o, d->file_ref) == NULL) {
      v2_err (e, EINVAL, "%s: Disk '%s' at line %d: fileRef '%s' names no "
              "File in References", name, d->id, n->line, d->file_ref);
      goto out;
    }
  }
  if (o->n_disks == 0) {
    v2_err (e, EINVAL, "%s: no DiskSection/Disk: the OVF describes no disks",
            name);
    goto out;
  }
  r = 0;
  goto out;

 enomem:
  v2_err (e, ENOMEM, "%s: out of memory", name);
 out:
  xmlFreeDoc (doc);
  if (r == -1)
    ovf_free (o);
  return r;
}

void
ovf_free (struct ovf *o)
{
  size_t i;

  for (i = 0; i < o->n_files; i++) {
    free (o->files[i].id);
    free (o->files[i].href);
    free (o->files[i].compression);
  }
  for (i = 0; i < o->n_disks; i++) {
    free (o->disks[i].id);
    free (o->disks[i].file_ref);
  }
  free (o->files);
  free (o->disks);
  memset (o, 0, sizeof *o);
}

const struct ovf_file *
ovf_find_file (const struct ovf *o, const char *id)
{
  size_t i;

  for (i = 0; i < o->n_files; i++)
    if (strcmp (o->files[i].id, id) == 0)
      return &o->files[i];
  return NULL;
}
