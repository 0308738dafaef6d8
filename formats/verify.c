/* See verify.h.  The outcomes live under one lock, which only the
 * verifying thread and readers of the status take: the disks' read path
 * never does (a strict mount learns of a bad file through the callback,
 * once).  The digests are nettle's, through its generic hash table, so
 * the three algorithms share one loop. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/nettle-meta.h>

#include "checked.h"
#include "cleanup.h"
#include "grow.h"
#include "input-limits.h"
#include "manifest.h"
#include "ovf.h"
#include "strbuf.h"
#include "verify.h"

enum outcome { PENDING, OK, DIFFERS, MISSING, UNREADABLE };

struct verify {
  /* Set by verify_new, then read-only: */
  const struct container *c;
  const char *mf_name, *cert_name;     /* the bundle's */
  struct manifest m;
  /* Why nothing can be checked (the manifest does not parse, or the
   * pass could not start), or NULL; set before the pass, or instead of it
   * under the lock. */
  char *fatal;
  char **unlisted;                     /* sorted, each once */
  size_t n_unlisted;
  bool cancel;                         /* atomic */

  pthread_mutex_t lock;                /* guards the fields below */
  enum verify_state state;
  uint64_t gen;
  uint64_t done, total;                /* bytes hashed, of all entries' */
  enum outcome *outcome;               /* one per manifest entry */
  char **error;                        /* UNREADABLE's message */
};

/* Indexed by enum manifest_algo. */
static const struct nettle_hash *const hashes[] = {
  &nettle_sha1, &nettle_sha256, &nettle_sha512,
};

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t l = strlen (s), ls = strlen (suffix);

  return l >= ls && strcasecmp (s + l - ls, suffix) == 0;
}

static const struct bundle_file *
file_with_suffix (const struct bundle *b, const char *suffix)
{
  for (size_t i = 0; i < b->n_files; i++)
    if (has_suffix (b->files[i].name, suffix))
      return &b->files[i];
  return NULL;
}

const struct bundle_file *
verify_manifest_of (const struct bundle *b)
{
  return file_with_suffix (b, ".mf");
}

/* ovftool names chunks NAME.000000000 upward; the length of NAME when
 * FILE is one, else 0. */
static size_t
chunk_base (const char *file)
{
  size_t l = strlen (file);

  if (l > 10 && file[l - 10] == '.' && strspn (file + l - 9, "0123456789") == 9)
    return l - 10;
  return 0;
}

bool
verify_part_of (const char *file, const char *stored)
{
  size_t base = chunk_base (file);

  return strcmp (file, stored) == 0 ||
    (base > 0 && base == strlen (stored) && strncmp (file, stored, base) == 0);
}

/* Whether an entry covers FILE: its own, or its chunked file's. */
static bool
covered (const struct manifest *m, const char *file)
{
  size_t base = chunk_base (file);
  CLEANUP_FREE char *whole = NULL;

  if (manifest_find (m, file))
    return true;
  return base && (whole = strndup (file, base)) != NULL &&
    manifest_find (m, whole);
}

static int
add_unlisted (struct verify *v, const char *file, struct v2_error *e)
{
  char **n;

  if (covered (&v->m, file))
    return 0;
  n = grow_one (v->unlisted, v->n_unlisted, sizeof *n);
  if (n == NULL || (n[v->n_unlisted] = strdup (file)) == NULL) {
    if (n)
      v->unlisted = n;
    return v2_err (e, ENOMEM, "out of memory");
  }
  v->unlisted = n;
  v->n_unlisted++;
  return 0;
}

/* An OVF's href HREF in a directory: the file, or its chunks. */
static int
list_href (struct verify *v, const char *href, struct v2_error *e)
{
  char chunk[PATH_MAX];
  unsigned i;

  for (i = 0; i < LIMIT_CHUNKS; i++) {
    snprintf (chunk, sizeof chunk, "%s.%09u", href, i);
    if (!container_exists (v->c, chunk))
      break;
    if (add_unlisted (v, chunk, e) == -1)
      return -1;
  }
  if (i == 0 && container_exists (v->c, href))
    return add_unlisted (v, href, e);
  return 0;
}

static int
str_cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The package's files that no entry covers, into v->unlisted. */
static int
list_unlisted (struct verify *v, const struct bundle *b, struct v2_error *e)
{
  size_t i, k;

  if (v->c->tar) {
    for (i = 0; i < v->c->idx.n; i++) {
      const char *name = v->c->idx.members[i].name;
      const char *base = strrchr (name, '/');
      /* macOS AppleDouble members ("._vm.ovf") are metadata the mount
       * does not serve, as bundle.c says. */
      if (strncmp (base ? base + 1 : name, "._", 2) == 0 ||
          has_suffix (name, ".mf") || has_suffix (name, ".cert"))
        continue;
      if (add_unlisted (v, name, e) == -1)
        return -1;
    }
  }
  else {
    const struct bundle_file *f = file_with_suffix (b, ".ovf");
    CLEANUP_FREE char *xml = NULL;
    struct ovf o;
    int r = 0;

    if (f == NULL)
      return 0;
    if (add_unlisted (v, f->name, e) == -1)
      return -1;
    xml = source_slurp (f->src, LIMIT_DESCRIPTOR_FILE_BYTES, "OVF", e);
    if (xml == NULL || ovf_parse (xml, f->src->size, f->src->name, &o, e) == -1)
      return -1;
    for (i = 0; i < o.n_files && r == 0; i++)
      r = list_href (v, o.files[i].href, e);
    ovf_free (&o);
    if (r == -1)
      return -1;
  }
  /* A name twice in an archive is listed once. */
  if (v->n_unlisted > 0)
    qsort (v->unlisted, v->n_unlisted, sizeof *v->unlisted, str_cmp);
  for (i = k = 0; i < v->n_unlisted; i++) {
    if (k > 0 && strcmp (v->unlisted[k - 1], v->unlisted[i]) == 0)
      free (v->unlisted[i]);
    else
      v->unlisted[k++] = v->unlisted[i];
  }
  v->n_unlisted = k;
  return 0;
}

struct verify *
verify_new (const struct bundle *b, const struct bundle_file *mf,
            struct v2_error *e)
{
  struct verify *v = calloc (1, sizeof *v);
  const struct bundle_file *cert = file_with_suffix (b, ".cert");
  CLEANUP_FREE char *text = NULL;
  struct v2_error pe;

  if (v == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    return NULL;
  }
  pthread_mutex_init (&v->lock, NULL);
  v->c = b->containers[0];
  v->mf_name = mf->name;
  v->cert_name = cert ? cert->name : NULL;
  text = source_slurp (mf->src, LIMIT_MANIFEST_BYTES, "manifest", &pe);
  if (text == NULL ||
      manifest_parse (text, mf->src->size, mf->name, &v->m, &pe) == -1) {
    manifest_free (&v->m);
    if ((v->fatal = strdup (pe.msg)) == NULL) {
      v2_err (e, ENOMEM, "out of memory");
      goto err;
    }
    return v;
  }
  v->outcome = calloc (v->m.n + 1, sizeof *v->outcome);
  v->error = calloc (v->m.n + 1, sizeof *v->error);
  if (v->outcome == NULL || v->error == NULL) {
    v2_err (e, ENOMEM, "out of memory");
    goto err;
  }
  if (list_unlisted (v, b, e) == -1)
    goto err;
  return v;

 err:
  verify_free (v);
  return NULL;
}

void
verify_free (struct verify *v)
{
  size_t i;

  if (v == NULL)
    return;
  for (i = 0; i < v->n_unlisted; i++)
    free (v->unlisted[i]);
  free (v->unlisted);
  for (i = 0; v->error && i < v->m.n; i++)
    free (v->error[i]);
  free (v->error);
  free (v->outcome);
  manifest_free (&v->m);
  free (v->fatal);
  pthread_mutex_destroy (&v->lock);
  free (v);
}

bool
verify_begin (struct verify *v)
{
  bool r;

  pthread_mutex_lock (&v->lock);
  r = v->state == VERIFY_IDLE;
  if (r) {
    v->state = VERIFY_PENDING;
    v->gen++;
  }
  pthread_mutex_unlock (&v->lock);
  return r;
}

void
verify_abandon (struct verify *v, const char *why)
{
  pthread_mutex_lock (&v->lock);
  if (v->fatal == NULL)
    v->fatal = strdup (why);    /* NULL out of memory: left unsaid */
  v->state = VERIFY_ERROR;
  v->gen++;
  pthread_mutex_unlock (&v->lock);
}

void
verify_cancel (struct verify *v)
{
  __atomic_store_n (&v->cancel, true, __ATOMIC_RELEASE);
}

bool
verify_cancelled (struct verify *v)
{
  return __atomic_load_n (&v->cancel, __ATOMIC_ACQUIRE);
}

/* Hash S as entry X says into OUT, BUF being VERIFY_BLOCK bytes.
 * Returns 1 when cancelled. */
static int
hash_source (struct verify *v, const struct source *s,
             const struct manifest_entry *x, unsigned char *buf,
             unsigned char *out, struct v2_error *e)
{
  const struct nettle_hash *h = hashes[x->algo];
  CLEANUP_FREE void *ctx = malloc (h->context_size);
  uint64_t off;

  if (ctx == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  h->init (ctx);
  for (off = 0; off < s->size; ) {
    size_t n = (size_t) MIN ((uint64_t) VERIFY_BLOCK, s->size - off);
    if (verify_cancelled (v))
      return 1;
    if (source_pread (s, buf, n, off, "data", e) == -1)
      return -1;
    h->update (ctx, n, buf);
    off += n;
    pthread_mutex_lock (&v->lock);
    v->done += n;
    v->gen++;
    pthread_mutex_unlock (&v->lock);
  }
  h->digest (ctx, h->digest_size, out);
  return 0;
}

static void
settle (struct verify *v, size_t i, enum outcome o, const char *msg)
{
  pthread_mutex_lock (&v->lock);
  v->outcome[i] = o;
  if (msg)
    v->error[i] = strdup (msg);    /* NULL out of memory: left unsaid */
  v->gen++;
  pthread_mutex_unlock (&v->lock);
}

/* Entry I's outcome: hash its file, or find it missing or unreadable.
 * Returns 1 when cancelled. */
static int
check_entry (struct verify *v, size_t i, unsigned char *buf,
             verify_bad_fn bad, void *opaque)
{
  const struct manifest_entry *x = &v->m.entries[i];
  unsigned char got[MANIFEST_DIGEST_MAX];
  struct source *s;
  struct v2_error e;
  CLEANUP_FREE char *why = NULL;
  int r;

  if ((s = container_open (v->c, x->name, v->mf_name, &e)) == NULL) {
    settle (v, i, e.errnum == ENOENT ? MISSING : UNREADABLE, e.msg);
    if (e.errnum != ENOENT)
      bad (opaque, x->name, "could not be read to check it");
    return 0;
  }
  r = hash_source (v, s, x, buf, got, &e);
  source_free (s);
  if (r == 1)
    return 1;
  if (r == -1) {
    settle (v, i, UNREADABLE, e.msg);
    bad (opaque, x->name, "could not be read to check it");
    return 0;
  }
  if (memcmp (got, x->digest, x->digest_len) == 0) {
    settle (v, i, OK, NULL);
    return 0;
  }
  settle (v, i, DIFFERS, NULL);
  if (asprintf (&why, "does not match its %s digest in %s",
                manifest_algo_name (x->algo), v->mf_name) == -1)
    why = NULL;
  bad (opaque, x->name, why ? why : "does not match its digest");
  return 0;
}

void
verify_run (struct verify *v, verify_bad_fn bad, void *opaque)
{
  CLEANUP_FREE unsigned char *buf = NULL;
  CLEANUP_FREE char *why = NULL;
  enum verify_state state = VERIFY_OK;
  uint64_t total = 0;
  size_t i;

  if (v->fatal) {
    if (asprintf (&why, "is not covered: %s does not parse", v->mf_name) == -1)
      why = NULL;
    bad (opaque, NULL, why ? why : "is not covered: the manifest does not "
         "parse");
    state = VERIFY_ERROR;
    goto out;
  }
  if (asprintf (&why, "is not listed in %s", v->mf_name) == -1)
    why = NULL;
  for (i = 0; i < v->n_unlisted; i++)
    bad (opaque, v->unlisted[i], why ? why : "is not listed in the manifest");

  /* The sizes first, for the progress: opening a member or a file costs
   * no reading. */
  for (i = 0; i < v->m.n; i++) {
    struct v2_error e;
    struct source *s = container_open (v->c, v->m.entries[i].name, "", &e);
    if (s && ADD_OVERFLOW (total, s->size, &total))
      total = UINT64_MAX;
    source_free (s);
  }
  pthread_mutex_lock (&v->lock);
  v->total = total;
  v->gen++;
  pthread_mutex_unlock (&v->lock);

  if ((buf = malloc (VERIFY_BLOCK)) == NULL) {
    for (i = 0; i < v->m.n; i++)
      settle (v, i, UNREADABLE, "out of memory");
    state = VERIFY_ERROR;
    goto out;
  }
  for (i = 0; i < v->m.n; i++) {
    if (check_entry (v, i, buf, bad, opaque) == 1)
      return;
    if (v->outcome[i] == UNREADABLE)
      state = VERIFY_ERROR;
    else if (v->outcome[i] != OK && state == VERIFY_OK)
      state = VERIFY_MISMATCH;
  }
  if (v->n_unlisted > 0 && state == VERIFY_OK)
    state = VERIFY_MISMATCH;
 out:
  pthread_mutex_lock (&v->lock);
  v->state = state;
  v->gen++;
  pthread_mutex_unlock (&v->lock);
}

enum verify_state
verify_state (struct verify *v, uint64_t *gen)
{
  enum verify_state s;

  pthread_mutex_lock (&v->lock);
  s = v->state;
  if (gen)
    *gen = v->gen;
  pthread_mutex_unlock (&v->lock);
  return s;
}

/* A name from the package, its control bytes escaped as v2_err does, so
 * that each problem stays one line. */
static void
put_name (struct strbuf *sb, const char *name)
{
  for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
    char esc[8];
    if (*p >= 0x20 && *p != 0x7f)
      strbuf_put (sb, (const char *) p, 1);
    else {
      snprintf (esc, sizeof esc, "\\x%02x", *p);
      strbuf_str (sb, esc);
    }
  }
}

/* One line per problem found so far; their number.  V's lock held. */
static size_t
put_problems (struct verify *v, struct strbuf *sb)
{
  size_t i, n = 0;

  for (i = 0; i < v->m.n; i++) {
    const struct manifest_entry *x = &v->m.entries[i];
    if (v->outcome[i] == PENDING || v->outcome[i] == OK)
      continue;
    n++;
    if (sb == NULL)
      continue;
    put_name (sb, x->name);
    if (v->outcome[i] == DIFFERS)
      strbuf_printf (sb, ": does not match its %s digest\n",
                     manifest_algo_name (x->algo));
    else if (v->outcome[i] == MISSING)
      strbuf_printf (sb, ": missing: %s lists it, the package does not hold "
                     "it\n", v->mf_name);
    else
      strbuf_printf (sb, ": unreadable: %s\n", v->error[i] ? v->error[i] : "");
  }
  for (i = 0; i < v->n_unlisted; i++, n++) {
    if (sb == NULL)
      continue;
    put_name (sb, v->unlisted[i]);
    strbuf_printf (sb, ": not listed in %s\n", v->mf_name);
  }
  return n;
}

char *
verify_status (struct verify *v, const char *idle_hint)
{
  struct strbuf sb = { 0 };
  size_t n, unreadable = 0;

  pthread_mutex_lock (&v->lock);
  n = v->fatal ? 0 : put_problems (v, NULL);
  for (size_t i = 0; v->outcome && i < v->m.n; i++)
    unreadable += v->outcome[i] == UNREADABLE;
  switch (v->state) {
  case VERIFY_IDLE:
    strbuf_printf (&sb, "not requested: %s\n", idle_hint);
    break;
  case VERIFY_PENDING:
    strbuf_printf (&sb, "pending: %" PRIu64 " of %" PRIu64 " bytes hashed "
                   "(%d%%)\n", v->done, v->total, v->total ?
                   (int) ((double) v->done * 100 / (double) v->total) : 0);
    break;
  case VERIFY_OK:
    strbuf_printf (&sb, "ok: %zu file%s match%s %s\n", v->m.n,
                   v->m.n == 1 ? "" : "s", v->m.n == 1 ? "es" : "", v->mf_name);
    break;
  case VERIFY_MISMATCH:
    strbuf_printf (&sb, "mismatch: %zu problem%s with %s\n", n,
                   n == 1 ? "" : "s", v->mf_name);
    break;
  case VERIFY_ERROR:
    if (v->fatal)
      strbuf_printf (&sb, "error: %s\n", v->fatal);
    else
      strbuf_printf (&sb, "error: %zu file%s could not be read\n", unreadable,
                     unreadable == 1 ? "" : "s");
    break;
  }
  if (!v->fatal && v->state != VERIFY_IDLE)
    put_problems (v, &sb);
  pthread_mutex_unlock (&v->lock);
  if (v->cert_name) {
    put_name (&sb, v->cert_name);
    strbuf_str (&sb, ": not checked (v2vfs verifies no signature or "
                "certificate)\n");
  }
  if (sb.failed)
    free (sb.s);
  return sb.failed ? NULL : sb.s;
}
