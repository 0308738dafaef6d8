/* A QCOW2 checker written from the specification (qemu's
 * docs/interop/qcow2.txt), not from formats/qcow2.c, and the synthetic
 * disks whose views it checks.  tests/unit-qcow2.c runs it on chosen
 * maps; tests/fuzz/fuzz-qcow2.c runs it on maps the fuzzer makes up.
 *
 * The checker reads the view only through qcow2_pread and qcow2_seek,
 * as qemu would read the file: it parses the header, the L1 table, the
 * refcount table and blocks and the L2 tables from the bytes it gets,
 * and trusts none of struct qcow2's fields but file_size (the file's
 * st_size). */
#ifndef V2V_QCOW2_CHECK_H
#define V2V_QCOW2_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "qcow2.h"

/* A disk made of data runs, whose bytes are a function of their offset
 * (synth_byte), and zeros between them. */
struct synth_run { uint64_t start, end; };

struct synth_disk {
  uint64_t size;
  size_t n;
  struct synth_run *runs;       /* sorted, disjoint, not touching */
  unsigned preads;              /* counts the view's reads of the disk */
};

uint8_t synth_byte (uint64_t x);

/* The disk's bytes [OFF, OFF + LEN). */
void synth_bytes (const struct synth_disk *d, unsigned char *p, size_t len,
                  uint64_t off);

/* The QCOW2 view of D (qcow2_build with D's seek and pread).  Free it
 * with qcow2_free. */
struct qcow2 *synth_view (struct synth_disk *d, struct v2_error *e);

struct qcheck_opts {
  /* Compare every data cluster with the disk; otherwise only the first
   * and the last of each L2 table (for views of many gigabytes). */
  bool all_content;
  /* Then read the whole file in pieces of this many bytes and compare
   * them with the clusters read one by one (0: do not). */
  size_t stride;
};

/* Check Q, the view of D, like qemu-img check and compare together:
 *
 *   - the header: magic, version 3, 64 KiB clusters, the disk's size,
 *     16-bit refcounts, and no backing file, encryption, snapshots,
 *     feature bits or header extensions;
 *   - every table and cluster inside the file and cluster-aligned, the
 *     reserved bits of every entry clear, and COPIED set (refcount 1);
 *   - every cluster of the file referenced exactly once (no overlap, no
 *     leak), and every refcount equal to that count; no refcount past
 *     the file;
 *   - the guest clusters with an L2 entry are exactly those that hold
 *     data, their data clusters follow guest order to the end of the
 *     file, and hold the disk's bytes (zeros past the disk's end);
 *   - SEEK_DATA and SEEK_HOLE give metadata as data and, inside each
 *     data cluster, the holes of its guest cluster; holes read as zeros.
 *
 * Returns the number of data clusters, or -1 with the first problem in
 * E, its message starting with LABEL. */
int64_t qcheck (const struct qcow2 *q, const struct synth_disk *d,
                const struct qcheck_opts *o, const char *label,
                struct v2_error *e);

#endif
