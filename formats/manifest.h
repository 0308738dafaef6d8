/* An OVF manifest (.mf): one digest per file of the package (DSP0243
 * 5.1).  ovftool writes `SHA1(vm.ovf)= 0123...` (also SHA256 and
 * SHA512); coreutils' `sha256sum --tag` and govmomi write
 * `SHA256 (vm.ovf) = 0123...`.  Both forms are read, with CRLF line
 * ends, white space around the line and hex digits of either case: what
 * virt-v2v's reader takes, and SHA512.  The digest covers the file's
 * stored bytes: a compressed file as compressed, each chunk of a chunked
 * file under its own name.  Parsing is pure; verify.h hashes. */
#ifndef V2V_MANIFEST_H
#define V2V_MANIFEST_H

#include <stddef.h>

#include "error.h"

enum manifest_algo { MANIFEST_SHA1, MANIFEST_SHA256, MANIFEST_SHA512 };

/* SHA512's: the longest digest. */
#define MANIFEST_DIGEST_MAX 64

struct manifest_entry {
  char *name;                    /* a path by path_fault's rule, no "./" */
  enum manifest_algo algo;
  unsigned char digest[MANIFEST_DIGEST_MAX];
  size_t digest_len;             /* the algorithm's */
  int line;
};

struct manifest {
  size_t n;
  struct manifest_entry *entries;  /* in file order */
  size_t *by_name;                 /* entry indexes sorted by name */
};

/* Parse the LEN bytes of TEXT, read from the manifest NAME.  Blank lines
 * are skipped.  A line that is not a digest line, an unknown algorithm,
 * a digest of the wrong length, a name that fails path_fault, a second
 * entry for a name, or more than LIMIT_MANIFEST_LINES lines is an error
 * naming NAME and the line.  Free with manifest_free (also after an
 * error). */
int manifest_parse (const char *text, size_t len, const char *name,
                    struct manifest *m, struct v2_error *e);
void manifest_free (struct manifest *m);

/* The entry for NAME, or NULL. */
const struct manifest_entry *manifest_find (const struct manifest *m,
                                            const char *name);

/* "SHA1", "SHA256", "SHA512". */
const char *manifest_algo_name (enum manifest_algo a);

#endif
