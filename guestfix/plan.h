/* What a step of the fix decided to change in the guest, before it
 * changes anything.
 *
 * A step inspects the guest (it only reads) and plans each change as an
 * action: a file's new text, a file to remove or copy, a directory to
 * make.  The report lists each action as it is planned, so a dry run,
 * which stops after the plan, lists what a real run does, in the same
 * words.  plan_apply then makes the changes in the order they were
 * planned.  Commands (a package manager, dracut, grub-mkconfig) are not
 * actions: what they did must be looked at before the next change, so a
 * step runs them itself, after the plan is applied (linux.h). */
#ifndef V2V_PLAN_H
#define V2V_PLAN_H

#include <stdbool.h>
#include <stddef.h>

struct fix;
struct edit_log;

enum plan_op { PLAN_WRITE, PLAN_REMOVE, PLAN_COPY, PLAN_MKDIR };

struct plan_action {
  enum plan_op op;
  char *path;                    /* the file changed (COPY: the target) */
  char *text;                    /* WRITE: the new content; COPY: the source */
  bool recursive;                /* REMOVE: a directory tree */
};

struct plan {
  size_t n, applied;             /* actions planned, and made so far */
  struct plan_action *v;
  /* The step's own decisions (which kernels, which command), freed
   * with the plan by step_free (or free, when that is NULL). */
  void *step;
  void (*step_free) (void *);
};

void plan_free (struct plan *p);
/* Whether P changes anything. */
bool plan_changes (const struct plan *p);

/* An edit of one file: IN is its text; see edit.h. */
typedef int (*fix_edit_fn) (const char *in, void *arg, char **out,
                            struct edit_log *log);
/* Plan EDIT of PATH, if it exists (a link: the file it names):
 * report each change under the file's name and each note as a
 * warning.  1 when it changes the file, 0 when not (or it is missing,
 * or unreadable: a warning), -1 on error (reported). */
int plan_edit (struct fix *f, struct plan *p, const char *path,
               fix_edit_fn edit, void *arg);
/* The same for every regular file PATTERN (the guest's glob) matches:
 * how many it changes, or -1. */
int plan_edit_matching (struct fix *f, struct plan *p, const char *pattern,
                        fix_edit_fn edit, void *arg);
/* Plan PATH to hold CONTENT unless it does already; reported as WHY.
 * 1 when planned, 0 when already so, -1 on error. */
int plan_put (struct fix *f, struct plan *p, const char *path,
              const char *content, const char *why);
/* Plan PATH to hold CONTENT, reporting nothing: the caller reports
 * each change it makes. */
int plan_write (struct fix *f, struct plan *p, const char *path,
                const char *content);
/* Plan the removal of PATH (with RECURSIVE, a tree), reported as a
 * removed KIND, or, with WHY, as a change of PATH ("removed: WHY"). */
int plan_remove (struct fix *f, struct plan *p, const char *path,
                 bool recursive, const char *kind, const char *why);
/* Plan the copy of FROM to TO, reported as a change of TO. */
int plan_copy (struct fix *f, struct plan *p, const char *from, const char *to);
/* Plan the directory PATH (and its parents) unless it exists. */
int plan_mkdir (struct fix *f, struct plan *p, const char *path);

/* Make the actions not made yet, unless this is a dry run.  0, or -1
 * (reported) at the first that fails. */
int plan_apply (struct fix *f, struct plan *p);

#endif
