/* See plan.h.  The only Linux code that writes to the guest's files is
 * plan_apply; the steps' commands are the rest (linux.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fix.h"
#include "plan.h"

void
plan_free (struct plan *p)
{
  size_t i;

  for (i = 0; i < p->n; i++) {
    free (p->v[i].path);
    free (p->v[i].text);
  }
  free (p->v);
  if (p->step)
    (p->step_free ? p->step_free : free) (p->step);
  memset (p, 0, sizeof *p);
}

bool
plan_changes (const struct plan *p)
{
  size_t i;

  for (i = 0; i < p->n; i++)
    if (p->v[i].op != PLAN_MKDIR)
      return true;
  return false;
}

/* Add an action; PATH and TEXT are copied.  -1 on ENOMEM (reported). */
static int
add (struct fix *f, struct plan *p, enum plan_op op, const char *path,
     const char *text, bool recursive)
{
  struct plan_action *v = realloc (p->v, (p->n + 1) * sizeof *v);

  if (v == NULL)
    goto oom;
  p->v = v;
  v = &v[p->n];
  v->op = op;
  v->recursive = recursive;
  v->path = strdup (path);
  v->text = text ? strdup (text) : NULL;
  if (v->path == NULL || (text && v->text == NULL)) {
    free (v->path);
    free (v->text);
    goto oom;
  }
  p->n++;
  return 0;
 oom:
  report_fail (f->r, "%s: out of memory", path);
  return -1;
}

/* PATH with its symbolic links resolved inside the guest, so an edit
 * lands on the file the guest reads (/etc/sysconfig/grub is a link to
 * /etc/default/grub).  The caller frees it. */
static char *
real_path (struct fix *f, const char *path)
{
  if (guestfs_is_symlink (f->g, path) == 1) {
    char *r = guestfs_realpath (f->g, path);
    if (r)
      return r;
  }
  return strdup (path);
}

int
plan_edit (struct fix *f, struct plan *p, const char *path, fix_edit_fn edit,
           void *arg)
{
  CLEANUP_FREE char *real = NULL, *in = NULL, *out = NULL;
  struct edit_log log = { 0 };
  bool err;
  size_t i;
  int r = 0;

  if (!fix_exists (f, path))
    return 0;
  if ((real = real_path (f, path)) == NULL)
    goto oom;
  /* Unreadable: fix_read warned; the file is left as it is. */
  if ((in = fix_read (f, real, &err)) == NULL)
    return 0;
  if (edit (in, arg, &out, &log) == -1)
    goto oom;
  for (i = 0; i < log.notes.n; i++)
    report_warn (f->r, "%s: %s", real, log.notes.v[i]);
  if (out) {
    for (i = 0; i < log.changes.n; i++)
      report_change (f->r, real, "%s", log.changes.v[i]);
    r = add (f, p, PLAN_WRITE, real, out, false) == -1 ? -1 : 1;
  }
  edit_log_free (&log);
  return r;
 oom:
  edit_log_free (&log);
  report_fail (f->r, "%s: out of memory", path);
  return -1;
}

int
plan_edit_matching (struct fix *f, struct plan *p, const char *pattern,
                    fix_edit_fn edit, void *arg)
{
  char **paths = fix_glob (f, pattern);
  size_t i;
  int n = 0, r;

  for (i = 0; paths && paths[i]; i++) {
    if (!fix_is_file (f, paths[i]))
      continue;
    if ((r = plan_edit (f, p, paths[i], edit, arg)) == -1) {
      n = -1;
      break;
    }
    n += r;
  }
  fix_free_strv (paths);
  return n;
}

int
plan_put (struct fix *f, struct plan *p, const char *path, const char *content,
          const char *why)
{
  bool err;
  CLEANUP_FREE char *old = fix_read (f, path, &err);

  if (old && strcmp (old, content) == 0)
    return 0;
  if (add (f, p, PLAN_WRITE, path, content, false) == -1)
    return -1;
  report_change (f->r, path, "%s %s", old ? "rewritten:" : "created:", why);
  return 1;
}

int
plan_write (struct fix *f, struct plan *p, const char *path, const char *content)
{
  return add (f, p, PLAN_WRITE, path, content, false);
}

int
plan_remove (struct fix *f, struct plan *p, const char *path, bool recursive,
             const char *kind, const char *why)
{
  if (add (f, p, PLAN_REMOVE, path, NULL, recursive) == -1)
    return -1;
  if (why)
    report_change (f->r, path, "removed: %s", why);
  else
    /* glob_expand marks directories with a trailing '/'. */
    report_removed (f->r, path[strlen (path) - 1] == '/' ? "directory" : kind, path);
  return 0;
}

int
plan_copy (struct fix *f, struct plan *p, const char *from, const char *to)
{
  if (add (f, p, PLAN_COPY, to, from, false) == -1)
    return -1;
  report_change (f->r, to, "copied from %s", from);
  return 0;
}

int
plan_mkdir (struct fix *f, struct plan *p, const char *path)
{
  size_t i;

  for (i = 0; i < p->n; i++)
    if (p->v[i].op == PLAN_MKDIR && strcmp (p->v[i].path, path) == 0)
      return 0;
  return fix_exists (f, path) ? 0 : add (f, p, PLAN_MKDIR, path, NULL, false);
}

int
plan_apply (struct fix *f, struct plan *p)
{
  for (; !f->dry_run && p->applied < p->n; p->applied++) {
    const struct plan_action *a = &p->v[p->applied];
    int r = 0;
    switch (a->op) {
    case PLAN_WRITE:
      if (fix_write (f, a->path, a->text) == -1)
        return -1;
      continue;
    case PLAN_REMOVE:
      r = a->recursive ? guestfs_rm_rf (f->g, a->path) : guestfs_rm (f->g, a->path);
      break;
    case PLAN_COPY:
      r = guestfs_cp (f->g, a->text, a->path);
      break;
    case PLAN_MKDIR:
      r = guestfs_mkdir_p (f->g, a->path);
      break;
    }
    if (r == -1) {
      report_fail (f->r, "%s: cannot %s it: %s", a->path,
                   a->op == PLAN_REMOVE ? "remove" : a->op == PLAN_COPY ? "write" :
                   "make", fix_gerror (f));
      return -1;
    }
  }
  return 0;
}
