/* The QCOW2 view: a QCOW2 version 3 image of a disk, synthesized on read
 * and never stored.
 *
 * The file is laid out as
 *
 *   header | L1 table | refcount table | refcount blocks | L2 tables | data
 *
 * with 64 KiB clusters and 16-bit refcounts, every cluster referenced
 * once.  Only guest clusters that hold data get a data cluster, in guest
 * order, so the image is as thin as the disk and a sequential read of it
 * reads the disk sequentially.
 *
 * The layout is a pure function of the disk's size and allocation map
 * (what SEEK_DATA/SEEK_HOLE report), so the same disk gives the same
 * bytes on every mount.  It is computed once from that map; no cluster
 * of the file is stored.  The map is kept as one small bitmap per L2
 * table that has data, with per-word counts, so memory grows with the
 * allocated part of the disk and a guest cluster's data offset (its rank
 * among the allocated clusters) costs O(1).
 *
 * The disk is reached only through struct qcow2_disk, so the map can be
 * any disk's: the image's today, the image merged with an overlay later.
 * A layout is immutable: a disk whose map changes needs a new one. */
#ifndef V2V_QCOW2_H
#define V2V_QCOW2_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define QCOW2_CLUSTER_BITS 16
#define QCOW2_CLUSTER_SIZE (UINT64_C (1) << QCOW2_CLUSTER_BITS)
#define QCOW2_L2_ENTRIES (QCOW2_CLUSTER_SIZE / 8)
/* Bytes of guest disk that one L2 table maps: 512 MiB. */
#define QCOW2_L2_SPAN (QCOW2_CLUSTER_SIZE * QCOW2_L2_ENTRIES)

/* The disk a view is made of. */
struct qcow2_disk {
  void *opaque;
  uint64_t size;                 /* virtual bytes */
  /* As image_seek: lseek's SEEK_DATA (DATA true) or SEEK_HOLE from
   * OFF < size; -1 with errno ENXIO when no data follows OFF. */
  int64_t (*seek) (void *opaque, uint64_t off, bool data);
  /* As image_pread: LEN bytes at OFF, OFF + LEN <= size. */
  int (*pread) (void *opaque, void *buf, size_t len, uint64_t off,
                struct v2_error *e);
};

/* The allocated guest clusters of one L2 table's span. */
struct qcow2_span {
  uint64_t region;               /* L1 index of the span */
  uint64_t rank;                 /* allocated clusters before the span */
  uint16_t below[QCOW2_L2_ENTRIES / 64];   /* set bits in bits[0 .. w) */
  uint64_t bits[QCOW2_L2_ENTRIES / 64];    /* bit g: guest cluster g */
};

struct qcow2 {
  struct qcow2_disk disk;
  uint64_t size;                 /* the header's: disk.size to 512 bytes */
  uint64_t file_size;
  uint64_t allocated;            /* metadata plus the disk's data bytes */
  uint64_t l1_size;              /* entries: one per QCOW2_L2_SPAN */
  /* Cluster offsets of each area, and its length in clusters.  data_off
   * is also where metadata ends. */
  uint64_t l1_off, rt_off, rb_off, l2_off, data_off;
  uint64_t l1_clusters, rt_clusters, rb_clusters, n_data, n_clusters;
  /* The spans that have data, in guest order: span i is L2 table i. */
  size_t n_spans, spans_cap;
  struct qcow2_span *spans;
  /* For each L1 index, its span + 1, or 0 when it has no data. */
  uint32_t *span_of;
  unsigned char header[104];
};

/* Build the view of DISK from its allocation map.  NAME is for
 * messages.  Free with qcow2_free. */
struct qcow2 *qcow2_build (const struct qcow2_disk *disk, const char *name,
                           struct v2_error *e);
void qcow2_free (struct qcow2 *q);

/* Read LEN bytes of the file at OFF (OFF + LEN <= file_size).  Metadata
 * is generated; data goes to disk.pread in runs as long as the guest's.
 * Thread-safe. */
int qcow2_pread (const struct qcow2 *q, void *buf, size_t len, uint64_t off,
                 struct v2_error *e);

/* lseek(2) SEEK_DATA (DATA true) or SEEK_HOLE in the file from
 * OFF < file_size.  Metadata counts as data; a data cluster shows the
 * holes of the guest cluster it holds.  -1 with errno ENXIO when no data
 * follows OFF. */
int64_t qcow2_seek (const struct qcow2 *q, uint64_t off, bool data);

#endif
