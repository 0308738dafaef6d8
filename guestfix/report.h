/* What one run of v2vfs-fix found and did: the guest, each change file
 * by file, what it removed, what it skipped and why, warnings, and the
 * resulting disk bus and NIC model.  It prints as text for a person and
 * writes as JSON for the mount (see formats/fixreport.h), and it prints
 * the progress lines while the run goes on. */
#ifndef V2V_REPORT_H
#define V2V_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

struct report_entry {
  char *a, *b;                   /* change: file, what; removed: kind, name;
                                    skipped: step, why */
};

struct report_list {
  size_t n;
  struct report_entry *v;
};

struct report {
  double t0;                     /* when the run started (monotonic) */
  char started[32];              /* the same, as UTC ISO 8601 */
  bool dry_run;
  bool oom;                      /* an entry was lost to ENOMEM */
  char *vm;
  /* The guest. */
  char *product, *distro, *version, *arch, *root, *root_name;
  char *package_format, *firmware, *initramfs, *bootloader;
  char *edition, *systemroot, *controlset;   /* Windows */
  size_t n_kernels;
  char **kernels;
  /* The run. */
  struct report_list changes, removed, skipped;
  struct report_list drivers;    /* Windows: driver, where it came from */
  struct report_list firstboot;  /* Windows: action file, what it does */
  size_t n_warnings;
  char **warnings;
  char *error;                   /* why the run failed, or NULL */
  /* The wall time of each part of the run (the appliance's launch,
   * inspection, each step of the fix), in the order they ran. */
  size_t n_steps;
  struct report_step { char *name; double seconds; } *steps;
  bool virtio_blk, virtio_net;   /* the result */
  bool virtio_scsi;              /* the disks on virtio-scsi, not -blk */
};

void report_init (struct report *r, const char *vm, bool dry_run);
void report_free (struct report *r);

/* "v2vfs-fix: [  12.3 s] MESSAGE" on stderr. */
void report_progress (struct report *r, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

/* Seconds since the run started, on the monotonic clock. */
double report_now (const struct report *r);
/* Record that part NAME of the run took SECONDS. */
void report_step (struct report *r, const char *name, double seconds);

void report_change (struct report *r, const char *file, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));
void report_removed (struct report *r, const char *kind, const char *name);
void report_driver (struct report *r, const char *driver, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));
void report_firstboot (struct report *r, const char *action, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));
void report_skip (struct report *r, const char *step, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));
void report_warn (struct report *r, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));
/* Record the error that ends the run (the first one counts). */
void report_fail (struct report *r, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

/* Where the lists of changes, removals, skips and warnings stand, so
 * that a pass that only looked (dry) can be taken back by
 * report_rewind before the pass that does it. */
struct report_mark {
  size_t changes, removed, skipped, drivers, firstboot, warnings, steps;
};
void report_mark (const struct report *r, struct report_mark *m);
void report_rewind (struct report *r, const struct report_mark *m);

/* Whether this run changed (or, dry, would change) anything. */
bool report_changed (const struct report *r);

/* The text report, for stdout. */
void report_print (const struct report *r, FILE *f);

/* The result domain.xml takes. */
struct report_result {
  bool virtio_blk, virtio_scsi, virtio_net;
};

/* Write the JSON report to PATH, atomically (a new file renamed over
 * it), keeping the runs of the report already there. */
int report_write (const struct report *r, const char *path,
                  const struct report_result *result, struct v2_error *e);

#endif
