/* See report.h.  Entries are kept in the order the run made them, which
 * is the order of the steps, so two runs on the same guest print the
 * same report. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fixreport.h"
#include "fullio.h"
#include "json.h"
#include "report.h"
#include "monotonic.h"

void
report_init (struct report *r, const char *vm, bool dry_run)
{
  time_t t = time (NULL);
  struct tm tm;

  memset (r, 0, sizeof *r);
  r->t0 = monotonic_seconds ();
  r->dry_run = dry_run;
  if ((r->vm = strdup (vm)) == NULL)
    r->oom = true;
  if (gmtime_r (&t, &tm))
    strftime (r->started, sizeof r->started, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
list_free (struct report_list *l)
{
  size_t i;

  for (i = 0; i < l->n; i++) {
    free (l->v[i].a);
    free (l->v[i].b);
  }
  free (l->v);
}

void
report_free (struct report *r)
{
  char **strs[] = { &r->vm, &r->product, &r->distro, &r->version, &r->arch,
                    &r->root, &r->root_name, &r->package_format, &r->firmware,
                    &r->initramfs, &r->bootloader, &r->edition, &r->systemroot,
                    &r->controlset, &r->error };
  size_t i;

  for (i = 0; i < sizeof strs / sizeof *strs; i++)
    free (*strs[i]);
  for (i = 0; i < r->n_kernels; i++)
    free (r->kernels[i]);
  free (r->kernels);
  for (i = 0; i < r->n_warnings; i++)
    free (r->warnings[i]);
  free (r->warnings);
  for (i = 0; i < r->n_steps; i++)
    free (r->steps[i].name);
  free (r->steps);
  list_free (&r->changes);
  list_free (&r->removed);
  list_free (&r->skipped);
  list_free (&r->drivers);
  list_free (&r->firstboot);
  memset (r, 0, sizeof *r);
}

double
report_now (const struct report *r)
{
  return monotonic_seconds () - r->t0;
}

void
report_step (struct report *r, const char *name, double seconds)
{
  struct report_step *v = realloc (r->steps, (r->n_steps + 1) * sizeof *v);

  if (v == NULL || (v[r->n_steps].name = strdup (name)) == NULL) {
    if (v)
      r->steps = v;
    r->oom = true;
    return;
  }
  r->steps = v;
  v[r->n_steps++].seconds = seconds;
}

void
report_progress (struct report *r, const char *fmt, ...)
{
  va_list ap;

  fprintf (stderr, "v2vfs-fix: [%6.1f s] ", monotonic_seconds () - r->t0);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

static void
add (struct report *r, struct report_list *l, const char *a, const char *fmt,
     va_list ap)
{
  struct report_entry *v = realloc (l->v, (l->n + 1) * sizeof *v);

  if (v == NULL) {
    r->oom = true;
    return;
  }
  l->v = v;
  v[l->n].a = strdup (a);
  if (v[l->n].a == NULL || vasprintf (&v[l->n].b, fmt, ap) == -1) {
    free (v[l->n].a);
    r->oom = true;
    return;
  }
  l->n++;
}

/* The public adders, each to its list. */
#define ADDER(name, list)                                               \
  void                                                                  \
  name (struct report *r, const char *a, const char *fmt, ...)          \
  {                                                                     \
    va_list ap;                                                         \
                                                                        \
    va_start (ap, fmt);                                                 \
    add (r, &r->list, a, fmt, ap);                                      \
    va_end (ap);                                                        \
  }
ADDER (report_change, changes)
ADDER (report_skip, skipped)
ADDER (report_driver, drivers)
ADDER (report_firstboot, firstboot)

static void
add_str (struct report *r, struct report_list *l, const char *a, const char *fmt, ...)
  __attribute__((format (printf, 4, 5)));

static void
add_str (struct report *r, struct report_list *l, const char *a, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  add (r, l, a, fmt, ap);
  va_end (ap);
}

void
report_removed (struct report *r, const char *kind, const char *name)
{
  add_str (r, &r->removed, kind, "%s", name);
}

void
report_warn (struct report *r, const char *fmt, ...)
{
  char **w = realloc (r->warnings, (r->n_warnings + 1) * sizeof *w);
  va_list ap;
  int n;

  if (w == NULL) {
    r->oom = true;
    return;
  }
  r->warnings = w;
  va_start (ap, fmt);
  n = vasprintf (&w[r->n_warnings], fmt, ap);
  va_end (ap);
  if (n == -1)
    r->oom = true;
  else
    r->n_warnings++;
}

void
report_fail (struct report *r, const char *fmt, ...)
{
  va_list ap;

  if (r->error)
    return;
  va_start (ap, fmt);
  if (vasprintf (&r->error, fmt, ap) == -1) {
    r->error = NULL;
    r->oom = true;
  }
  va_end (ap);
}

void
report_mark (const struct report *r, struct report_mark *m)
{
  *m = (struct report_mark) { r->changes.n, r->removed.n, r->skipped.n,
                              r->drivers.n, r->firstboot.n, r->n_warnings,
                              r->n_steps };
}

static void
list_truncate (struct report_list *l, size_t n)
{
  for (; l->n > n; l->n--) {
    free (l->v[l->n - 1].a);
    free (l->v[l->n - 1].b);
  }
}

void
report_rewind (struct report *r, const struct report_mark *m)
{
  list_truncate (&r->changes, m->changes);
  list_truncate (&r->removed, m->removed);
  list_truncate (&r->skipped, m->skipped);
  list_truncate (&r->drivers, m->drivers);
  list_truncate (&r->firstboot, m->firstboot);
  for (; r->n_warnings > m->warnings; r->n_warnings--)
    free (r->warnings[r->n_warnings - 1]);
  for (; r->n_steps > m->steps; r->n_steps--)
    free (r->steps[r->n_steps - 1].name);
}

bool
report_changed (const struct report *r)
{
  return r->changes.n > 0 || r->removed.n > 0;
}

static const char *
status (const struct report *r)
{
  if (r->error)
    return "failed";
  if (r->dry_run)
    return report_changed (r) ? "would change" : "nothing to do";
  return report_changed (r) ? "fixed" : "nothing to do";
}

static const char *
or_unknown (const char *s)
{
  return s && *s ? s : "unknown";
}

void
report_print (const struct report *r, FILE *f)
{
  size_t i, w = 0;

  fprintf (f, "\n%s: %s\n", r->vm, r->error ? "the fix failed" :
           !report_changed (r) ? "nothing left to do, the guest is already fixed" :
           r->dry_run ? "what v2vfs-fix would change (dry run)" : "fixed");
  if (r->product) {
    fprintf (f, "  Guest:     %s (%s %s, %s)\n", r->product, or_unknown (r->distro),
             or_unknown (r->version), or_unknown (r->arch));
    fprintf (f, "  Root:      %s%s%s%s\n", or_unknown (r->root),
             r->root_name ? " (" : "", r->root_name ? r->root_name : "",
             r->root_name ? ")" : "");
    if (r->systemroot)
      fprintf (f, "  Windows:   %s, edition %s, control set %s\n", r->systemroot,
               or_unknown (r->edition), or_unknown (r->controlset));
    else {
      fprintf (f, "  Boot:      %s, %s; initramfs by %s\n", or_unknown (r->firmware),
               or_unknown (r->bootloader), or_unknown (r->initramfs));
      fprintf (f, "  Kernels:  ");
      for (i = 0; i < r->n_kernels; i++)
        fprintf (f, " %s", r->kernels[i]);
      fprintf (f, "%s\n", r->n_kernels ? "" : " none found");
    }
  }
  if (r->drivers.n)
    fprintf (f, "  Drivers:\n");
  for (i = 0; i < r->drivers.n; i++)
    fprintf (f, "    %-10s %s\n", r->drivers.v[i].a, r->drivers.v[i].b);
  /* Aligned, but a long name (a registry key) does not push every
   * change far to the right. */
  for (i = 0; i < r->changes.n; i++)
    if (strlen (r->changes.v[i].a) > w && strlen (r->changes.v[i].a) <= 48)
      w = strlen (r->changes.v[i].a);
  if (r->changes.n)
    fprintf (f, "  %s:\n", r->dry_run ? "Would change" : "Changed");
  for (i = 0; i < r->changes.n; i++)
    fprintf (f, "    %-*s  %s\n", (int) w, r->changes.v[i].a, r->changes.v[i].b);
  if (r->removed.n)
    fprintf (f, "  %s:\n", r->dry_run ? "Would remove" : "Removed");
  for (i = 0; i < r->removed.n; i++)
    fprintf (f, "    %s %s\n", r->removed.v[i].a, r->removed.v[i].b);
  if (r->skipped.n)
    fprintf (f, "  Skipped:\n");
  for (i = 0; i < r->skipped.n; i++)
    fprintf (f, "    %s: %s\n", r->skipped.v[i].a, r->skipped.v[i].b);
  if (r->firstboot.n)
    fprintf (f, "  %s at first boot:\n", r->dry_run ? "Would queue" : "Queued");
  for (i = 0; i < r->firstboot.n; i++)
    fprintf (f, "    %s: %s\n", r->firstboot.v[i].a, r->firstboot.v[i].b);
  if (r->n_warnings)
    fprintf (f, "  Warnings:\n");
  for (i = 0; i < r->n_warnings; i++)
    fprintf (f, "    %s\n", r->warnings[i]);
  if (r->error)
    fprintf (f, "  Error:     %s\n", r->error);
  else
    fprintf (f, "  Result:    disks on %s, NICs %s\n",
             r->virtio_blk ? "virtio-blk" : r->virtio_scsi ? "virtio-scsi" : "SATA",
             r->virtio_net ? "virtio-net" : "e1000");
}

static void
write_list (struct json_writer *w, const char *key, const struct report_list *l,
            const char *ka, const char *kb)
{
  size_t i;

  json_key (w, key);
  json_begin_array (w);
  for (i = 0; i < l->n; i++) {
    json_begin_object (w);
    json_key (w, ka);
    json_string (w, l->v[i].a);
    json_key (w, kb);
    json_string (w, l->v[i].b);
    json_end_object (w);
  }
  json_end_array (w);
}

static void
write_result (struct json_writer *w, const struct report_result *res)
{
  json_key (w, "result");
  json_begin_object (w);
  json_key (w, "disk_bus");
  json_string (w, fixreport_disk_bus_name (res->virtio_blk ? DOMXML_DISK_VIRTIO_BLK :
                                            res->virtio_scsi ? DOMXML_DISK_VIRTIO_SCSI :
                                            DOMXML_DISK_SATA));
  json_key (w, "nic_model");
  json_string (w, res->virtio_net ? "virtio" : "e1000");
  json_end_object (w);
}

static void
write_opt (struct json_writer *w, const char *key, const char *v)
{
  json_key (w, key);
  json_string (w, v ? v : "");
}

static void
write_run (struct json_writer *w, const struct report *r)
{
  size_t i;

  json_begin_object (w);
  write_opt (w, "version", PACKAGE_VERSION);
  write_opt (w, "started", r->started);
  json_key (w, "seconds");
  json_fixed (w, monotonic_seconds () - r->t0, 1);
  write_opt (w, "status", status (r));
  if (r->error)
    write_opt (w, "error", r->error);
  json_key (w, "os");
  json_begin_object (w);
  write_opt (w, "product", r->product);
  write_opt (w, "distro", r->distro);
  write_opt (w, "version", r->version);
  write_opt (w, "arch", r->arch);
  write_opt (w, "root", r->root);
  write_opt (w, "root_name", r->root_name);
  write_opt (w, "package_format", r->package_format);
  write_opt (w, "firmware", r->firmware);
  write_opt (w, "bootloader", r->bootloader);
  write_opt (w, "initramfs", r->initramfs);
  if (r->systemroot) {
    write_opt (w, "edition", r->edition);
    write_opt (w, "systemroot", r->systemroot);
    write_opt (w, "controlset", r->controlset);
  }
  json_key (w, "kernels");
  json_begin_array (w);
  for (i = 0; i < r->n_kernels; i++)
    json_string (w, r->kernels[i]);
  json_end_array (w);
  json_end_object (w);
  write_list (w, "changes", &r->changes, "file", "change");
  write_list (w, "removed", &r->removed, "kind", "name");
  write_list (w, "skipped", &r->skipped, "step", "why");
  if (r->systemroot) {
    write_list (w, "drivers", &r->drivers, "driver", "from");
    write_list (w, "firstboot", &r->firstboot, "action", "what");
  }
  json_key (w, "warnings");
  json_begin_array (w);
  for (i = 0; i < r->n_warnings; i++)
    json_string (w, r->warnings[i]);
  json_end_array (w);
  json_key (w, "steps");
  json_begin_array (w);
  for (i = 0; i < r->n_steps; i++) {
    json_begin_object (w);
    json_key (w, "name");
    json_string (w, r->steps[i].name);
    json_key (w, "seconds");
    json_fixed (w, r->steps[i].seconds, 1);
    json_end_object (w);
  }
  json_end_array (w);
  write_result (w, &(struct report_result) { r->virtio_blk, r->virtio_scsi,
                                             r->virtio_net });
  json_end_object (w);
}

/* The report at PATH, parsed, or NULL when there is none.  fixreport_read
 * vetted it before the run; a file that does not parse now has no runs
 * to keep. */
static struct json *
previous_report (const char *path)
{
  size_t len;
  CLEANUP_FREE char *text = read_small_file (path, FIXREPORT_MAX_BYTES, &len);
  struct v2_error e;

  return text ? json_parse (text, len, path, &e) : NULL;
}

int
report_write (const struct report *r, const char *path,
              const struct report_result *result, struct v2_error *e)
{
  struct json_writer w = { 0 };
  struct json *old = previous_report (path);
  const struct json *runs = json_get (old, "runs");
  CLEANUP_FREE char *text = NULL;
  size_t i;

  json_begin_object (&w);
  write_opt (&w, "format", FIXREPORT_FORMAT);
  write_opt (&w, "vm", r->vm);
  write_result (&w, result);
  json_key (&w, "runs");
  json_begin_array (&w);
  for (i = 0; runs && runs->type == JSON_ARRAY && i < runs->n; i++)
    json_value (&w, &runs->items[i]);
  write_run (&w, r);
  json_end_array (&w);
  json_end_object (&w);
  json_free (old);
  if ((text = json_writer_finish (&w)) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  return replace_file (path, text, strlen (text), e);
}
