/* v2vfs-fix -a: the guest fix on disks that are not a mount, the copies
 * on the target storage at cutover, written in place.
 *
 * The mount's domain.xml (--domain-xml) still says what the VM is (its
 * name, firmware and NICs' MACs: see main.c's read_domain); the -a
 * targets replace its disks, in order.  There is no overlay and no
 * report file: the report goes to stdout, and --output-xml writes the
 * domain of the fixed targets (formats/target.h). */
#ifndef V2V_TARGETS_H
#define V2V_TARGETS_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "report.h"
#include "target.h"

struct fix_targets {
  const char *domxml;            /* --domain-xml FILE, as given */
  const char *output;            /* --output-xml OUT, or NULL */
  size_t n;
  struct target *t;
  char **paths;                  /* each t[i].path, for struct fix */
  const char **formats;          /* each t[i].format, for struct fix */
  xmlDoc *doc;                   /* FILE, its disks pointed at the targets */
};

/* Probe the N -a arguments ARGS (to be written, unless DRY_RUN), and
 * read FT->domxml and point it at them.  On error, one line on stderr
 * and -1. */
int fix_targets_open (struct fix_targets *ft, char *const *args, size_t n,
                      bool dry_run);
/* Write --output-xml, if given, for the guest R fixed (its drivers in
 * RES).  Not after a failed run or a dry run, which say so in a
 * progress line.  On error, one line on stderr and -1. */
int fix_targets_write_xml (const struct fix_targets *ft, struct report *r,
                           const struct report_result *res);
void fix_targets_free (struct fix_targets *ft);

#endif
