/* Checking a package (an OVA, or an OVF with its files) against its
 * manifest (.mf): each entry's file is hashed as it is stored, through
 * container_open, so a chunked file's entries are its chunks', and an
 * entry for a chunked file's own name covers its chunks joined.
 *
 * The outcome of each entry is ok, differs, missing (the manifest names
 * a file the package does not hold) or unreadable; beside them, the
 * package's files that no entry covers are "not listed".  The package's
 * files are an OVA's members, or the OVF and the files its References
 * name that exist; the manifest itself and the certificate (.cert) are
 * not among them.  The certificate is never checked: nothing here reads
 * a signature or an X.509 chain, and the status says so.
 *
 * A verify object is made at mount time and does nothing until it is
 * begun; verify_run then hashes everything from the thread that calls
 * it, while any other thread reads the status.  A manifest that does
 * not parse is no error of verify_new: the disks are servable all the
 * same, so the status reports it, as an error, once verification is
 * asked for. */
#ifndef V2V_VERIFY_H
#define V2V_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "bundle.h"
#include "error.h"

/* The extended attribute of MOUNTPOINT/verify.status that starts the
 * pass (when it has not started) and reads as the state's word. */
#define VERIFY_XATTR "user.v2vfs.verify"

enum verify_state {
  VERIFY_IDLE,                   /* not asked for */
  VERIFY_PENDING,
  VERIFY_OK,                     /* every entry matches, every file listed */
  VERIFY_MISMATCH,               /* an entry differs or is missing, or a
                                  * file is not listed */
  VERIFY_ERROR,                  /* the manifest does not parse, or a file
                                  * could not be read */
};

/* Read in blocks this large: one pread per MiB keeps the syscall cost
 * far below the hashing's, and a cancel waits at most one block. */
#define VERIFY_BLOCK (1 << 20)

/* B's manifest: its first .mf file, or NULL when it has none. */
const struct bundle_file *verify_manifest_of (const struct bundle *b);

/* A verification of B (which must outlive it) against its manifest MF,
 * not begun.  NULL only when out of memory or when the package's files
 * cannot be listed.  Free with verify_free. */
struct verify *verify_new (const struct bundle *b, const struct bundle_file *mf,
                           struct v2_error *e);
void verify_free (struct verify *v);

/* Move from idle to pending.  True when this call did, so exactly one
 * caller goes on to verify_run. */
bool verify_begin (struct verify *v);

/* Called, outside any lock, for each file found bad: FILE is a package
 * file's name, or NULL for all of them (the manifest does not parse);
 * WHY says how, after the name ("does not match its SHA1 digest in
 * vm.mf"). */
typedef void (*verify_bad_fn) (void *opaque, const char *file,
                               const char *why);

/* Hash every entry, in manifest order, then settle the state.  Returns
 * early, leaving the state pending, after verify_cancel. */
void verify_run (struct verify *v, verify_bad_fn bad, void *opaque);
void verify_cancel (struct verify *v);
bool verify_cancelled (struct verify *v);
/* Instead of verify_run, when its thread cannot start: the state becomes
 * an error that says WHY. */
void verify_abandon (struct verify *v, const char *why);

/* The state, and a counter that changes whenever the status text does. */
enum verify_state verify_state (struct verify *v, uint64_t *gen);

/* Whether the package file FILE is STORED (an OVF File's href) or one
 * of its chunks, STORED.000000000 upward. */
bool verify_part_of (const char *file, const char *stored);

/* The status text (see the README's "Manifest verification"): the state
 * word and a summary on the first line, then one line per problem, and
 * the certificate's note.  IDLE_HINT follows "not requested: " when
 * idle.  Names are printed with control bytes escaped.  NULL when out
 * of memory; the caller frees. */
char *verify_status (struct verify *v, const char *idle_hint);

#endif
