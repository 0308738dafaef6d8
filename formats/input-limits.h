/* The resource limits of the parsers, in one place.
 *
 * Everything v2vfs parses comes from whoever exported the VM, and v2vfs
 * runs as root.  Each limit below bounds what one input can make a
 * parser allocate or loop over; an input past a limit is refused with
 * one line naming the file, the object and its offset or line, before
 * anything is mounted.  Each is far above what VMware, ovftool, qemu or
 * VirtualBox write, and each has a test at the limit and one past it
 * (SECURITY.md lists them).
 *
 * Some bounds are not constants: the grain tables of a sparse extent may
 * add up to the extent's file size and no more, whether a grain directory
 * or the markers of a stream name them, so a small file cannot claim a
 * large map; a compressed grain may inflate to its grain size and no
 * more. */
#ifndef V2V_INPUT_LIMITS_H
#define V2V_INPUT_LIMITS_H

#include <stdint.h>

/* ---- descriptors ------------------------------------------------------ */

/* A VMDK text descriptor, alone or embedded in a sparse extent: real ones
 * are under 4 KiB (embedded ones 1 to 20 sectors); qemu's limit too. */
#define LIMIT_DESCRIPTOR_BYTES (1 << 20)
/* Extent lines of one descriptor: a 62 TB twoGbMaxExtent disk has about
 * 31000. */
#define LIMIT_EXTENTS 65536
/* An OVF or a .vmx file: OVFs are kilobytes, the largest real ones under
 * 1 MiB; a .vmx is a few KiB. */
#define LIMIT_DESCRIPTOR_FILE_BYTES (16 << 20)
/* Element nesting in an OVF, counting the Envelope: real OVFs nest about
 * 8 deep (Envelope, VirtualSystemCollection, VirtualSystem, a section,
 * Item, its rasd: elements).  libxml2 stops at 256 by itself. */
#define LIMIT_XML_DEPTH 64
/* Lines of a .vmx file. */
#define LIMIT_VMX_LINES 100000
/* A manifest (.mf) has a line per file of the package, and a package
 * holds at most LIMIT_TAR_MEMBERS files (chunks count one each).  A
 * line of a SHA512 digest and a name of 30 bytes is 170 bytes; 16 MiB
 * holds 100000 of those. */
#define LIMIT_MANIFEST_LINES 100000
#define LIMIT_MANIFEST_BYTES (16 << 20)

/* ---- archives --------------------------------------------------------- */

/* Members of an OVA: a descriptor, a manifest, a certificate and the
 * disks, or their chunks. */
#define LIMIT_TAR_MEMBERS 100000
/* A pax header or a GNU long name: a name or a few records. */
#define LIMIT_TAR_META_BYTES (1 << 20)
/* Chunks of one file (ovftool's chunkSize): at the smallest sane chunk
 * size this is terabytes.  In a directory each chunk holds a file
 * descriptor while mounted (v2vfs raises its RLIMIT_NOFILE to the hard
 * limit). */
#define LIMIT_CHUNKS 65536

/* ---- sparse extents --------------------------------------------------- */

/* Grain size: VMware writes 128 sectors (64 KiB); qemu accepts up to
 * 1 GiB but nothing writes more than 1 MiB, and each in-flight read holds
 * a grain. */
#define LIMIT_GRAIN_SECTORS 2048
/* Entries per grain table: VMware writes 512; COWD uses 4096. */
#define LIMIT_GTES_PER_GT 4096
/* Grain directory entries, one per grain table: qemu's limit.  It bounds
 * the grain count at LIMIT_GRAIN_TABLES * LIMIT_GTES_PER_GT, and the
 * directory's memory at 4 bytes an entry (the directory must also lie
 * within the file). */
#define LIMIT_GRAIN_TABLES (UINT64_C (1) << 25)

/* ---- snapshot chains -------------------------------------------------- */

/* Layers of one disk, the base included: VMware allows 32 snapshots of
 * a disk (255 in some versions); each layer holds its files open and its
 * grain tables in memory. */
#define LIMIT_CHAIN_DEPTH 255

#endif
