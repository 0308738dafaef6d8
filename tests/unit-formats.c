/* Unit tests for formats/: tables of cases on in-memory sources, each
 * asserting an exact value or an exact error message.  Runs from `make
 * check` (srcdir in the environment locates tests/samples). */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "byteorder.h"
#include "cleanup.h"
#include "input-limits.h"
#include "manifest.h"
#include "names.h"
#include "ovf.h"
#include "source.h"
#include "tar.h"
#include "vmdk.h"
#include "vmdk-sparse.h"
#include "vmx.h"

#include "unit.h"

/* ---- VMDK descriptors ------------------------------------------------- */

static void
test_desc_cases (void)
{
  static const struct {
    const char *text;
    int ok;
    size_t n_extents;
    uint64_t sectors0;
    int type0;
    const char *file0;
    const char *error;
  } cases[] = {
    /* ovftool: trailing spaces, CRLF, NUL padding after the text. */
    { "# Disk DescriptorFile\r\nversion=1 \r\nCID=bb17cc39 \r\n"
      "parentCID=ffffffff \r\ncreateType=\"streamOptimized\" \r\n\r\n"
      "# Extent description\r\nRDONLY 61440 SPARSE \"generated-stream.vmdk\"\r\n"
      "\r\n# The Disk Data Base \r\n#DDB\r\nddb.adapterType = \"lsilogic\"\r\n"
      "\0\0garbage after NUL",
      1, 1, 61440, VMDK_SPARSE, "generated-stream.vmdk", NULL },
    /* unquoted createType (ovftool bug), a file name with spaces */
    { "version=1\nCID=91ad9f8\nparentCID=ffffffff\ncreateType=monolithicSparse\n"
      "RW 20480 SPARSE \"OMS CS6250 Course VM-disk1.vmdk\"\n",
      1, 1, 20480, VMDK_SPARSE, "OMS CS6250 Course VM-disk1.vmdk", NULL },
    /* ZERO extents have no file; NOACCESS lines still count */
    { "version=1\nRW 100 FLAT \"a.raw\" 0\nNOACCESS 50 FLAT \"b.raw\" 10\n"
      "RW 7 ZERO\n", 1, 3, 100, VMDK_FLAT, "a.raw", NULL },
    { "version=1\nRW 1x FLAT \"a\" 0\n", 0, 0, 0, 0, NULL,
      "d.vmdk: descriptor line 2: bad extent line 'RW 1x FLAT \"a\" 0'" },
    { "version=1\nRW 10 WEIRD \"a\"\n", 0, 0, 0, 0, NULL,
      "d.vmdk: descriptor line 2: unknown extent type 'WEIRD' in "
      "'RW 10 WEIRD \"a\"'" },
    { "version=1\nRW 10 FLAT \"a\" 0 junk\n", 0, 0, 0, 0, NULL,
      "d.vmdk: descriptor line 2: bad extent line 'RW 10 FLAT \"a\" 0 junk'" },
    { "version=7\nRW 10 FLAT \"a\" 0\n", 0, 0, 0, 0, NULL,
      "d.vmdk: descriptor line 1: unsupported version in 'version=7'" },
    { "version=1\nthis is not a descriptor\n", 0, 0, 0, 0, NULL,
      "d.vmdk: descriptor line 2: cannot parse 'this is not a descriptor'" },
    { "version=1\ncreateType=\"vmfs\n", 0, 0, 0, 0, NULL,
      "d.vmdk: descriptor line 2: unterminated quote in 'createType=\"vmfs'" },
    { "version=1\n# no extents\n", 0, 0, 0, 0, NULL,
      "d.vmdk: descriptor has no extent lines" },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct vmdk_desc d;
    struct v2_error e = { 0 };
    /* Cases may hold NULs on purpose: pass the full literal length. */
    size_t len = strlen (cases[i].text);
    int r;

    if (i == 0)
      len += 2 + strlen ("garbage after NUL");
    r = vmdk_desc_parse (cases[i].text, len, "d.vmdk", &d, &e);
    if (cases[i].ok) {
      CHECK (r == 0, "case %zu: %s", i, e.msg);
      if (r == 0) {
        CHECK (d.n_extents == cases[i].n_extents, "case %zu: %zu extents", i,
               d.n_extents);
        CHECK (d.extents[0].sectors == cases[i].sectors0, "case %zu", i);
        CHECK ((int) d.extents[0].type == cases[i].type0, "case %zu", i);
        CHECK_STR (d.extents[0].file, cases[i].file0);
        vmdk_desc_free (&d);
      }
    }
    else {
      CHECK (r == -1, "case %zu: parsed", i);
      CHECK_STR (e.msg, cases[i].error);
    }
  }
}

static char *
read_sample (const char *dir, const char *name, size_t *len)
{
  const char *srcdir = getenv ("srcdir");
  CLEANUP_FREE char *path = NULL;
  char *buf;
  FILE *f;

  if (asprintf (&path, "%s/samples/%s/%s", srcdir ? srcdir : ".", dir, name) == -1)
    return NULL;
  f = fopen (path, "rb");
  if (f == NULL) {
    CHECK (0, "%s: %s", path, strerror (errno));
    return NULL;
  }
  buf = calloc (1, 1 << 20);
  *len = fread (buf, 1, (1 << 20) - 1, f);
  fclose (f);
  return buf;
}

/* Every real descriptor in tests/samples parses, with the right extents. */
static void
test_desc_samples (void)
{
  static const struct {
    const char *file;
    size_t n_extents;
    int type0;
    uint64_t sectors0;
    uint32_t parent_cid;
  } cases[] = {
    { "01-ovftool-streamOptimized-embedded-ttylinux.txt", 1, VMDK_SPARSE, 61440, 0xffffffff },
    { "02-esx4-vmfs-base-sql.vmdk", 1, VMDK_VMFS, 268435456, 0xffffffff },
    { "03-esx-vmfsSparse-snapshot-sql-000001.vmdk", 1, VMDK_VMFSSPARSE, 16777216, 0xfffffffe },
    { "06-esx-vRDM-vmfsRawDeviceMap-v3-ctk.vmdk", 1, VMDK_VMFSRDM, 1048576000, 0xffffffff },
    { "09-virtualbox-streamOptimized-export-embedded-RDONLY.txt", 1, VMDK_SPARSE, 838860800, 0xffffffff },
    { "10-virtualbox-monolithicSparse-embedded-space-in-filename.txt", 1, VMDK_SPARSE, 41943040, 0xffffffff },
    { "11-virtualbox-createrawvmdk-fullDevice-windows.vmdk", 1, VMDK_FLAT, 8036352, 0xffffffff },
    { "13a-qemu-img-7.2-streamOptimized-embedded.txt", 1, VMDK_SPARSE, 20480, 0xffffffff },
    { "13d-qemu-img-7.2-twoGbMaxExtentSparse.vmdk", 1, VMDK_SPARSE, 20480, 0xffffffff },
    { "13e-qemu-img-7.2-monolithicFlat.vmdk", 1, VMDK_FLAT, 20480, 0xffffffff },
    { "13f-qemu-img-7.2-twoGbMaxExtentFlat-5G.vmdk", 3, VMDK_FLAT, 4194304, 0xffffffff },
    { "13g-qemu-img-7.2-child-with-parentFileNameHint-embedded.txt", 1, VMDK_SPARSE, 20480, 0x5267d78f },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    size_t len;
    CLEANUP_FREE char *text = read_sample ("vmdk-descriptors", cases[i].file, &len);
    struct vmdk_desc d;
    struct v2_error e = { 0 };

    if (text == NULL)
      continue;
    if (vmdk_desc_parse (text, len, cases[i].file, &d, &e) == -1) {
      CHECK (0, "%s: %s", cases[i].file, e.msg);
      continue;
    }
    CHECK (d.n_extents == cases[i].n_extents, "%s: %zu extents",
           cases[i].file, d.n_extents);
    CHECK ((int) d.extents[0].type == cases[i].type0, "%s: type %d",
           cases[i].file, d.extents[0].type);
    CHECK (d.extents[0].sectors == cases[i].sectors0, "%s: %" PRIu64,
           cases[i].file, d.extents[0].sectors);
    CHECK (d.parent_cid == cases[i].parent_cid, "%s: parentCID %08x",
           cases[i].file, d.parent_cid);
    vmdk_desc_free (&d);
  }
}

/* ---- hosted sparse extents -------------------------------------------- */

/* A monolithicSparse image in memory: 4 grains of 8 sectors, one grain
 * table; grain 1 holds 'A's, grain 3 holds 'B's, grains 0 and 2 unset. */
static size_t
make_sparse (unsigned char *img, uint64_t capacity, uint32_t gte1, uint32_t flags)
{
  memset (img, 0, 64 * 512);
  memcpy (img, "KDMV", 4);
  img[4] = 1;                                   /* version */
  memcpy (img + 8, &flags, 4);
  memcpy (img + 12, &capacity, 8);
  img[20] = 8;                                  /* grain: 8 sectors */
  img[44] = 4;                                  /* 4 GTEs per GT */
  img[56] = 2;                                  /* GD at sector 2 */
  img[64] = 16;                                 /* overHead */
  img[2 * 512] = 3;                             /* GD[0] = sector 3 */
  memcpy (img + 3 * 512 + 4, &gte1, 4);         /* GT[1] */
  img[3 * 512 + 12] = 24;                       /* GT[3] = sector 24 */
  memset (img + 16 * 512, 'A', 8 * 512);
  memset (img + 24 * 512, 'B', 8 * 512);
  return 32 * 512;
}

static void
test_sparse (void)
{
  static unsigned char img[64 * 512];
  static const struct {
    uint64_t capacity;
    uint32_t gte1;
    uint32_t flags;
    const char *error;
  } cases[] = {
    { 32, 16, 0, NULL },
    { 30, 16, 0, NULL },             /* capacity not a multiple of the grain */
    { 32, 99, 0, "mem.vmdk: grain table 0 entry 1: grain 1 at offset 50688 "
      "(4096 bytes) extends past the end of the file (16384 bytes)" },
    { 32, 1, 0, "mem.vmdk: grain table 0 entry 1: grain 1 at sector 1 points "
      "into the metadata (grains start at sector 16)" },
    { UINT64_C (1) << 60, 16, 0, "mem.vmdk: sparse header at offset 0: capacity "
      "1152921504606846976 sectors overflows (the limit is 2199023255552 "
      "sectors, 1 PiB)" },
    { 32, 16, 0x00400000, "mem.vmdk: sparse header at offset 0: unknown "
      "incompatible flags 0x00400000" },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    size_t len = make_sparse (img, cases[i].capacity, cases[i].gte1, cases[i].flags);
    struct v2_error e = { 0 };
    struct source *s = source_from_mem ("mem.vmdk", img, len, &e);
    struct vmdk_sparse *sp = s ? (struct vmdk_sparse *) vmdk_sparse_open (s, &e) : NULL;

    if (cases[i].error) {
      CHECK (sp == NULL, "case %zu: opened", i);
      CHECK_STR (e.msg, cases[i].error);
    }
    else {
      CHECK (sp != NULL, "case %zu: %s", i, e.msg);
      if (sp) {
        CHECK (sp->m.allocated_grains == 2, "case %zu: %" PRIu64, i, sp->m.allocated_grains);
        CHECK (vmdk_sparse_gte (sp, 1) == 16 && vmdk_sparse_gte (sp, 3) == 24 &&
               vmdk_sparse_gte (sp, 0) == 0, "case %zu: GTEs", i);
        CHECK (grain_map_len (&sp->m, 3) == (cases[i].capacity - 24) * 512,
               "case %zu: last grain length", i);
      }
    }
    grain_map_free (sp ? &sp->m : NULL);
    source_free (s);
  }
}

/* Peak virtual memory of this process, in KiB (Linux), 0 if unknown. */
static unsigned long
vm_peak_kib (void)
{
  char line[128];
  unsigned long kib = 0;
  FILE *f = fopen ("/proc/self/status", "r");

  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "VmPeak: %lu kB", &kib) == 1)
      break;
  if (f)
    fclose (f);
  return kib;
}

/* A 1 KiB file whose header claims 2^25 grain tables (2^25 sectors of
 * 1-sector grains, 1 entry per table) and puts the grain directory at
 * sector 1.  It is refused, as the directory does not fit; but first it
 * made vmdk_sparse_open allocate a pointer per table, 256 MiB, and walk
 * them all to free them (fuzz-image: a 10 s timeout on a busy machine).
 * Run first, while the peak is this process's size. */
static void
test_sparse_gd_first (void)
{
  static unsigned char img[1024];
  struct v2_error e = { 0 };
  struct source *s;
  struct grain_map *sp;
  unsigned long before = vm_peak_kib (), grew;

  memcpy (img, "KDMV", 4);
  put_le32 (img, 4, 1);                         /* version */
  put_le64 (img, 12, UINT64_C (1) << 25);       /* capacity */
  put_le64 (img, 20, 1);                        /* grain: 1 sector */
  put_le32 (img, 44, 1);                        /* 1 GTE per GT */
  put_le64 (img, 56, 1);                        /* GD at sector 1 */
  s = source_from_mem ("mem.vmdk", img, sizeof img, &e);
  sp = s ? vmdk_sparse_open (s, &e) : NULL;
  grew = vm_peak_kib () - before;
  CHECK (sp == NULL, "opened");
  CHECK_STR (e.msg, "mem.vmdk: grain directory at sector 1 (33554432 "
             "entries) is past the end of the file (1024 bytes)");
  CHECK (before == 0 || grew < 64 << 10, "the peak grew by %lu KiB", grew);
  grain_map_free (sp);
  source_free (s);
}

/* ---- tar -------------------------------------------------------------- */

static void
tar_header (unsigned char *h, const char *name, uint64_t size, char type,
            bool gnu, bool base256)
{
  unsigned sum = 0;
  size_t i;

  memset (h, 0, 512);
  snprintf ((char *) h, 100, "%s", name);
  memcpy (h + 100, "0000644", 7);
  if (base256) {
    h[124] = 0x80;
    for (i = 0; i < 8; i++)
      h[135 - i] = (unsigned char) (size >> (8 * i));
  }
  else
    snprintf ((char *) h + 124, 12, "%011" PRIo64, size);
  h[156] = (unsigned char) type;
  memcpy (h + 257, gnu ? "ustar  " : "ustar", gnu ? 8 : 6);
  if (!gnu)
    memcpy (h + 263, "00", 2);
  memset (h + 148, ' ', 8);
  for (i = 0; i < 512; i++)
    sum += h[i];
  snprintf ((char *) h + 148, 8, "%06o", sum);
}

static void
test_tar (void)
{
  static unsigned char t[16 * 512];
  const char *longname =
    "a-very-long-disk-name-that-does-not-fit-in-one-hundred-bytes-of-ustar-"
    "name-field-vm-disk1.vmdk";
  char pax[128];
  struct tar_index idx;
  struct v2_error e = { 0 };
  struct source *s;
  int n;

  memset (t, 0, sizeof t);
  tar_header (t, "./vm.ovf", 5, '0', false, false);
  memcpy (t + 512, "<xml>", 5);
  /* GNU long name (L), then its member with a base-256 size */
  tar_header (t + 1024, "././@LongLink", strlen (longname) + 1, 'L', true, false);
  strcpy ((char *) t + 1536, longname);
  tar_header (t + 2048, "truncated-name", 3, '0', true, true);
  memcpy (t + 2560, "abc", 3);
  /* pax path= and size= override the ustar fields */
  n = snprintf (pax, sizeof pax, "%d path=pax-disk.vmdk\n", 22);
  n += snprintf (pax + n, sizeof pax - n, "%d size=700\n", 12);
  tar_header (t + 3072, "PaxHeaders/x", (uint64_t) n, 'x', false, false);
  memcpy (t + 3584, pax, (size_t) n);
  tar_header (t + 4096, "renamed-by-pax", 0, '0', false, false);
  /* a directory member is skipped */
  tar_header (t + 5632, "dir/", 0, '5', false, false);

  s = source_from_mem ("t.ova", t, sizeof t, &e);
  CHECK (tar_read_index (s, &idx, &e) == 0, "tar: %s", e.msg);
  CHECK (idx.n == 3, "tar: %zu members", idx.n);
  if (idx.n == 3) {
    CHECK_STR (idx.members[0].name, "vm.ovf");
    CHECK (idx.members[0].offset == 512 && idx.members[0].size == 5, "ovf");
    CHECK_STR (idx.members[1].name, longname);
    CHECK (idx.members[1].offset == 2560 && idx.members[1].size == 3, "long");
    CHECK_STR (idx.members[2].name, "pax-disk.vmdk");
    CHECK (idx.members[2].offset == 4608 && idx.members[2].size == 700, "pax");
  }
  tar_index_free (&idx);

  t[148] ^= 1;                                  /* break a checksum */
  CHECK (tar_read_index (s, &idx, &e) == -1, "bad checksum accepted");
  CHECK_STR (e.msg, "t.ova: tar header at offset 0: bad checksum (not a tar "
             "archive, or corrupt)");
  t[148] ^= 1;
  tar_header (t + 5632, "big", 1 << 20, '0', false, false);
  CHECK (tar_read_index (s, &idx, &e) == -1, "overlong member accepted");
  CHECK_STR (e.msg, "t.ova: tar header at offset 5632: member of 1048576 bytes "
             "extends past the end of the archive (8192 bytes)");
  source_free (s);
}

/* ---- OVF -------------------------------------------------------------- */

static void
test_ovf_units (void)
{
  static const struct { const char *s; uint64_t m; } cases[] = {
    { "byte", 1 }, { "byte * 2^20", 1 << 20 }, { "byte*2^30", 1 << 30 },
    { "byte * 2 ^ 20", 1 << 20 }, { "byte * 1024 * 1024", 1 << 20 },
    { "MegaBytes", 1 << 20 }, { "GB", 1 << 30 }, { " byte * 2^10 ", 1024 },
  };
  static const char *const bad[] = { "furlongs", "byte * ", "byte * 2^99",
                                     "byte / 2", "" };
  size_t i;
  uint64_t m;

  for (i = 0; i < sizeof cases / sizeof *cases; i++)
    CHECK (ovf_parse_units (cases[i].s, &m) == 0 && m == cases[i].m,
           "units '%s'", cases[i].s);
  for (i = 0; i < sizeof bad / sizeof *bad; i++)
    CHECK (ovf_parse_units (bad[i], &m) == -1, "units '%s' accepted", bad[i]);
}

static void
test_ovf_samples (void)
{
  static const struct {
    const char *file;
    size_t n_disks;
    uint64_t capacity0;
    const char *href0;            /* the first disk's file */
  } cases[] = {
    { "01-vsphere8-efi-secureboot-SimpleVm.ovf", 1, 1073741824,
      "nostalgia-disk1.vmdk" },
    { "04-esx51-export-gib-units-floppy.ovf", 1, UINT64_C (40) << 30,
      "Ubuntu-12.04.2-64-Server-Tools-disk1.vmdk" },
    { "06-ovftool35-vapp-2vms-collection.ovf", 2, UINT64_C (4) << 30,
      "vApp_with_2vms-disk1.vmdk" },
    { "07-ovftool35-vcloud-mac-2disks-pvscsi.ovf", 2, UINT64_C (4) << 20,
      "PvScsis-disk1.vmdk" },
    { "12-virtualbox50-macos-efi-vboxmachine-macs.ovf", 1,
      UINT64_C (4294967296), "box-disk1.vmdk" },
    { "18-ovftool463-workstation-kali-coresPerSocket.ovf", 1,
      UINT64_C (86000000000), "kali-linux-2024.4-vmware-amd64-disk1.vmdk" },
    /* A template: capacity "+SIZE+" leaves the size to the file. */
    { "14-ovf2.0-virtualbox-style-TEMPLATE-untangle.ovf", 1, 0,
      "untangle.vmdk" },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    size_t len;
    CLEANUP_FREE char *xml = read_sample ("ovf", cases[i].file, &len);
    struct ovf o;
    struct v2_error e = { 0 };
    const struct ovf_file *f;
    int r;

    if (xml == NULL)
      continue;
    r = ovf_parse (xml, len, cases[i].file, &o, &e);
    CHECK (r == 0, "%s: %s", cases[i].file, e.msg);
    if (r == -1)
      continue;
    CHECK (o.n_disks == cases[i].n_disks, "%s: %zu disks", cases[i].file, o.n_disks);
    CHECK (o.disks[0].capacity == cases[i].capacity0, "%s: capacity %" PRIu64,
           cases[i].file, o.disks[0].capacity);
    f = o.disks[0].file_ref ? ovf_find_file (&o, o.disks[0].file_ref) : NULL;
    CHECK (f != NULL, "%s: the first disk has no file", cases[i].file);
    if (f)
      CHECK_STR (f->href, cases[i].href0);
    ovf_free (&o);
  }
}

static void
test_ovf_refused (void)
{
  static const struct { const char *xml; const char *error; } cases[] = {
    { "this is not XML", "x.ovf: not a valid XML document: line 1: Start tag "
      "expected, '<' not found" },
    { "<?xml version=\"1.0\"?>\n<!DOCTYPE Envelope [<!ENTITY x SYSTEM "
      "\"file:///etc/passwd\">]>\n<Envelope xmlns=\"http://schemas.dmtf.org/"
      "ovf/envelope/1\">&x;</Envelope>",
      "x.ovf: DOCTYPE at line 2: refused (entities and DTDs are not allowed)" },
    { "<Envelope xmlns=\"urn:other\"/>", "x.ovf: the root element is not an OVF "
      "Envelope" },
    /* No disks is fine (test_vm_switches), no VM is not. */
    { "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"/>",
      "x.ovf: no VirtualSystem: the OVF describes no VM" },
    { "<ovf:Envelope xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\">"
      "<ovf:DiskSection><ovf:Disk ovf:diskId=\"d\" ovf:capacity=\"1\" "
      "ovf:fileRef=\"nope\"/></ovf:DiskSection></ovf:Envelope>",
      "x.ovf: Disk 'd' at line 1: fileRef 'nope' names no File in References" },
    /* A disk with no file needs its capacity. */
    { "<ovf:Envelope xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\">"
      "<ovf:DiskSection><ovf:Disk ovf:diskId=\"d\" ovf:capacity=\"+SIZE+\"/>"
      "</ovf:DiskSection></ovf:Envelope>",
      "x.ovf: Disk 'd' at line 1: bad capacity '+SIZE+'" },
    { "<ovf:Envelope xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\">"
      "<ovf:DiskSection><ovf:Disk ovf:diskId=\"d\" ovf:capacity=\"4\" "
      "ovf:capacityAllocationUnits=\"furlongs\"/></ovf:DiskSection>"
      "</ovf:Envelope>",
      "x.ovf: Disk 'd' at line 1: bad capacity '4' (units 'furlongs')" },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct ovf o;
    struct v2_error e = { 0 };
    CHECK (ovf_parse (cases[i].xml, strlen (cases[i].xml), "x.ovf", &o, &e) == -1,
           "case %zu parsed", i);
    CHECK_STR (e.msg, cases[i].error);
  }
}

/* The one rule for names from descriptors (common/names.h). */
static void
test_names (void)
{
  static const struct { const char *name, *fault; } names[] = {
    { "disk1", NULL }, { "caf\xc3\xa9 disk", NULL }, { "..x", NULL },
    { "", "is empty" }, { ".", "is '.' or '..'" }, { "..", "is '.' or '..'" },
    { "../victim", "contains a '/'" }, { "a\nb", "contains a control character" },
    { "a\x7f", "contains a control character" },
    { "caf\xe9", "is not valid UTF-8" },            /* Latin-1 */
    { "\xc0\xaf", "is not valid UTF-8" },          /* overlong '/' */
    { "\xed\xa0\x80", "is not valid UTF-8" },     /* a surrogate */
    /* U+FFFE, U+FFFF: UTF-8, but not XML (found by fuzz-domxml) */
    { "a\xef\xbf\xbe", "contains U+FFFE or U+FFFF, which XML cannot hold" },
    { "\xef\xbf\xbf", "contains U+FFFE or U+FFFF, which XML cannot hold" },
    { "\xef\xbf\xbd", NULL },                    /* U+FFFD is fine */
  };
  static const struct { const char *path, *fault; } paths[] = {
    { "disk.vmdk", NULL }, { "./disk.vmdk", NULL }, { "sub/disk.vmdk", NULL },
    { "/etc/passwd", "is absolute" }, { "sub/../x", "is '.' or '..'" },
    { "sub/./x", "is '.' or '..'" }, { "sub//x", "is empty" },
    { "sub/", "is empty" }, { "a\tb/x", "contains a control character" },
  };
  static const struct { const char *in, *out; } maps[] = {
    { "web/01", "web_01" }, { "web\t01", "web_01" }, { "caf\xe9", "caf_" },
    { "caf\xc3\xa9", "caf\xc3\xa9" }, { "", "vm" }, { "..", "vm" },
    { "/", "_" }, { "a\xef\xbf\xbe" "b", "a___b" },
  };
  char longname[NAME_BYTES_MAX + 2];
  size_t i;

  for (i = 0; i < sizeof names / sizeof *names; i++) {
    const char *f = name_fault (names[i].name);
    CHECK (names[i].fault ? f && strcmp (f, names[i].fault) == 0 : f == NULL,
           "name %zu: got '%s', want '%s'", i, f ? f : "(plain)",
           names[i].fault ? names[i].fault : "(plain)");
  }
  for (i = 0; i < sizeof paths / sizeof *paths; i++) {
    const char *f = path_fault (paths[i].path);
    CHECK (paths[i].fault ? f && strcmp (f, paths[i].fault) == 0 : f == NULL,
           "path %zu: got '%s', want '%s'", i, f ? f : "(fine)",
           paths[i].fault ? paths[i].fault : "(fine)");
  }
  for (i = 0; i < sizeof maps / sizeof *maps; i++) {
    char *m = name_map (maps[i].in);
    CHECK_STR (m, maps[i].out);
    free (m);
  }
  /* The cap: 200 bytes is plain, 201 is not; a map cuts to 200, and
   * never inside a character. */
  memset (longname, 'a', NAME_BYTES_MAX);
  longname[NAME_BYTES_MAX] = '\0';
  CHECK (name_fault (longname) == NULL, "200 bytes refused");
  longname[NAME_BYTES_MAX] = 'a';
  longname[NAME_BYTES_MAX + 1] = '\0';
  CHECK (name_fault (longname) != NULL, "201 bytes accepted");
  memcpy (longname + NAME_BYTES_MAX - 1, "\xc3\xa9", 2);
  {
    char *m = name_map (longname);
    CHECK (strlen (m) == NAME_BYTES_MAX - 1 && name_fault (m) == NULL,
           "a 201-byte name maps to %zu bytes", strlen (m));
    free (m);
  }
}

/* ---- VMX --------------------------------------------------------------- */

/* A .vmx of 100000 lines, the most vmx_parse takes, parses in well under
 * a second.  Each lookup of a key used to scan every line, and the disk
 * search looks keys up for each line: 12 s of CPU at -O2, many minutes
 * under ASan.  Here 100000 fileName lines name 16384 keys over and over
 * (the last one counts), two of them present.  A CPU-time timer ends
 * the test if the parse takes 20 s (SIGPROF kills the process). */
static void
test_vmx_many_lines (void)
{
  enum { LINES = 100000 };
  CLEANUP_FREE char *text = malloc (LINES * 48);
  struct v2_error e = { 0 };
  struct vmx v;
  size_t len = 0;
  unsigned i;

  if (text == NULL)
    abort ();
  len += (size_t) sprintf (text + len, "config.version = \"8\"\n"
                           "scsi0:0.present = \"TRUE\"\n"
                           "scsi1:5.present = \"TRUE\"\n");
  for (i = 3; i < LINES; i++)
    len += (size_t) sprintf (text + len, "scsi%u:%u.fileName = \"d%u.vmdk\"\n",
                             i % 64, i / 64 % 256, i);
  setitimer (ITIMER_PROF, &(struct itimerval) { .it_value = { 20, 0 } },
             NULL);
  CHECK (vmx_parse (text, len, "many.vmx", &v, &e) == 0, "%s", e.msg);
  setitimer (ITIMER_PROF, &(struct itimerval) { 0 }, NULL);
  CHECK (v.n_files == 2, "%zu disks", v.n_files);
  if (v.n_files == 2) {
    /* The last lines for 0:0 and 1:5: i = 16384k and 16384k + 5 * 64 + 1. */
    CHECK_STR (v.files[0], "d98304.vmdk");
    CHECK_STR (v.files[1], "d98625.vmdk");
  }
  vmx_free (&v);
}

/* ---- Manifests ----------------------------------------------------------- */

#define H40 "0123456789abcdef0123456789ABCDEF01234567"
#define H64 H40 "89abcdef0123456789abcdef"
#define H128 H64 H64

static void
test_manifest (void)
{
  static const struct {
    const char *text;
    size_t len;                  /* 0: strlen */
    size_t n;                    /* entries, when it parses */
    const char *name0;
    int algo0, line0;
    const char *error;
  } cases[] = {
    /* ovftool: CRLF; hex digits of either case */
    { "SHA1(vm.ovf)= " H40 "\r\nSHA1(vm-disk1.vmdk)= " H40 "\r\n", 0, 2,
      "vm.ovf", MANIFEST_SHA1, 1, NULL },
    /* coreutils --tag, blanks around the line, no newline at the end */
    { "  SHA256 (disk one.vmdk) = " H64 " \t", 0, 1, "disk one.vmdk",
      MANIFEST_SHA256, 1, NULL },
    { "\n\r\nSHA512(./vm.ovf)=" H128 "\n", 0, 1, "vm.ovf", MANIFEST_SHA512, 3, NULL },
    /* the name runs to the last ')' before the last '=' */
    { "SHA1(a(1)=b.vmdk)= " H40 "\n", 0, 1, "a(1)=b.vmdk", MANIFEST_SHA1, 1, NULL },
    { "", 0, 0, NULL, 0, 0, NULL },
    { "garbage\n", 0, 0, NULL, 0, 0,
      "x.mf: line 1: not a digest line (ALGO(FILE)= HEX): 'garbage'" },
    { "SHA1(vm.ovf= " H40 "\n", 0, 0, NULL, 0, 0,
      "x.mf: line 1: not a digest line (ALGO(FILE)= HEX): 'SHA1(vm.ovf= " H40 "'" },
    { "MD5(vm.ovf)= 0123\n", 0, 0, NULL, 0, 0,
      "x.mf: line 1: unknown digest algorithm 'MD5' (SHA1, SHA256 and SHA512 "
      "are known): 'MD5(vm.ovf)= 0123'" },
    { "SHA1(vm.ovf)= " H40 "\nSHA1(d.vmdk)= " H64 "\n", 0, 0, NULL, 0, 0,
      "x.mf: line 2: a SHA1 digest has 40 hex digits, not 64: 'SHA1(d.vmdk)= "
      H64 "'" },
    { "SHA256(vm.ovf)= " H40 "\n", 0, 0, NULL, 0, 0,
      "x.mf: line 1: a SHA256 digest has 64 hex digits, not 40: 'SHA256(vm.ovf)= "
      H40 "'" },
    { "SHA1(vm.ovf)= 0123456789abcdef0123456789abcdef0123456g", 0, 0, NULL, 0, 0,
      "x.mf: line 1: the digest is not hexadecimal: 'SHA1(vm.ovf)= "
      "0123456789abcdef0123456789abcdef0123456g'" },
    { "SHA1(../etc/shadow)= " H40, 0, 0, NULL, 0, 0,
      "x.mf: line 1: file name '../etc/shadow' is '.' or '..'" },
    { "SHA1(/etc/shadow)= " H40, 0, 0, NULL, 0, 0,
      "x.mf: line 1: file name '/etc/shadow' is absolute" },
    { "SHA1()= " H40, 0, 0, NULL, 0, 0, "x.mf: line 1: file name '' is empty" },
    { "SHA1(a\033b)= " H40, 0, 0, NULL, 0, 0,
      "x.mf: line 1: file name 'a\\x1bb' contains a control character" },
    { "SHA1(vm.ovf)= " H40 "\nSHA1(d)= " H40 "\nSHA256 (vm.ovf) = " H64, 0, 0, NULL, 0, 0,
      "x.mf: line 3: a second digest for 'vm.ovf' (the first is on line 1)" },
    { "SHA1(vm.ovf)= " H40 "\nSH\0A1", 14 + 40 + 1 + 5, 0, NULL, 0, 0,
      "x.mf: line 2: a NUL byte: not a manifest" },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *t = cases[i].text;
    struct v2_error e = { 0 };
    struct manifest m;
    int r = manifest_parse (t, cases[i].len ? cases[i].len : strlen (t),
                            "x.mf", &m, &e);

    CHECK ((r == -1) == (cases[i].error != NULL), "case %zu: %s", i, e.msg);
    if (cases[i].error)
      CHECK_STR (e.msg, cases[i].error);
    else if (r == 0) {
      CHECK (m.n == cases[i].n, "case %zu: %zu entries", i, m.n);
      if (m.n > 0) {
        const struct manifest_entry *x = &m.entries[0];
        CHECK_STR (x->name, cases[i].name0);
        CHECK ((int) x->algo == cases[i].algo0 && x->line == cases[i].line0,
               "case %zu: algo %d line %d", i, (int) x->algo, x->line);
        size_t want = x->algo == MANIFEST_SHA1 ? 20 : x->algo == MANIFEST_SHA256 ? 32 : 64;
        CHECK (x->digest[0] == 0x01 && x->digest[19] == 0x67 &&
               x->digest_len == want, "case %zu: digest", i);
        CHECK (manifest_find (&m, cases[i].name0) == x, "case %zu: find", i);
      }
    }
    manifest_free (&m);
  }
}

/* LIMIT_MANIFEST_LINES lines parse; one more is refused. */
static void
test_manifest_lines (void)
{
  CLEANUP_FREE char *text = malloc (LIMIT_MANIFEST_LINES + 1);
  struct v2_error e = { 0 };
  struct manifest m;

  if (text == NULL)
    abort ();
  memset (text, '\n', LIMIT_MANIFEST_LINES + 1);
  CHECK (manifest_parse (text, LIMIT_MANIFEST_LINES, "x.mf", &m, &e) == 0,
         "%s", e.msg);
  manifest_free (&m);
  CHECK (manifest_parse (text, LIMIT_MANIFEST_LINES + 1, "x.mf", &m, &e) == -1,
         "past the limit: parsed");
  CHECK_STR (e.msg, "x.mf: more than 100000 lines: not a manifest");
  manifest_free (&m);
}

/* ---- The model's switches ---------------------------------------------- */

#define OVF_HEAD "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" " \
  "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/" \
  "CIM_ResourceAllocationSettingData\" " \
  "xmlns:vmw=\"http://www.vmware.com/schema/ovf\"><VirtualSystem>" \
  "<Name>vm</Name><VirtualHardwareSection>"
#define OVF_TAIL "</VirtualHardwareSection></VirtualSystem></Envelope>"
#define OVF_ITEM(type, sub) "<Item><rasd:ResourceSubType>" sub \
  "</rasd:ResourceSubType><rasd:ResourceType>" type "</rasd:ResourceType></Item>"
#define OVF_CONFIG(key, value) \
  "<vmw:Config vmw:key=\"" key "\" vmw:value=\"" value "\"/>"
#define VMX_HEAD "config.version = \"8\"\nvirtualHW.version = \"21\"\n"

/* A vTPM and the switches of virtualization-based security, as vSphere
 * writes them into an OVF and a .vmx; each case has no disk, which is
 * no error. */
static void
test_vm_switches (void)
{
  static const struct {
    const char *text;            /* an OVF (it starts with '<') or a .vmx */
    bool vtpm, vbs, nested_hv, viommu;
  } cases[] = {
    { OVF_HEAD OVF_TAIL, false, false, false, false },
    { OVF_HEAD OVF_ITEM ("1", "vmware.vtpm") OVF_TAIL, true, false, false, false },
    /* Only an Item of type 1 (Other) is the vTPM. */
    { OVF_HEAD OVF_ITEM ("10", "vmware.vtpm") OVF_TAIL, false, false, false, false },
    { OVF_HEAD OVF_ITEM ("1", "vmware.vmci") OVF_TAIL, false, false, false, false },
    { OVF_HEAD OVF_CONFIG ("flags.vbsEnabled", "true")
      OVF_CONFIG ("nestedHVEnabled", "true")
      OVF_CONFIG ("flags.vvtdEnabled", "true") OVF_TAIL,
      false, true, true, true },
    { OVF_HEAD OVF_CONFIG ("nestedHVEnabled", "true") OVF_TAIL,
      false, false, true, false },
    { OVF_HEAD OVF_CONFIG ("flags.vbsEnabled", "false")
      OVF_CONFIG ("nestedHVEnabled", "false")
      OVF_CONFIG ("flags.vvtdEnabled", "false") OVF_TAIL,
      false, false, false, false },
    /* Keys are exact: these are not what vSphere writes. */
    { OVF_HEAD OVF_CONFIG ("vbsEnabled", "true")
      OVF_CONFIG ("vvtdEnabled", "true") OVF_TAIL,
      false, false, false, false },
    { VMX_HEAD "vtpm.present = \"TRUE\"\n", true, false, false, false },
    { VMX_HEAD "vtpm.present = \"FALSE\"\n", false, false, false, false },
    { VMX_HEAD "windows.vbs.enabled = \"TRUE\"\nvhv.enable = \"TRUE\"\n"
      "vvtd.enable = \"true\"\n", false, true, true, true },
    { VMX_HEAD "VVTD.Enable = \"TRUE\"\n", false, false, false, true },
    /* A disk that is not present leaves none. */
    { VMX_HEAD "scsi0.present = \"TRUE\"\nscsi0:0.present = \"FALSE\"\n"
      "scsi0:0.fileName = \"d.vmdk\"\n", false, false, false, false },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *t = cases[i].text;
    struct v2_error e = { 0 };
    struct ovf o = { 0 };
    struct vmx v = { 0 };
    const struct vm *vm;
    int r = t[0] == '<' ? ovf_parse (t, strlen (t), "x.ovf", &o, &e)
                        : vmx_parse (t, strlen (t), "x.vmx", &v, &e);

    CHECK (r == 0, "case %zu: %s", i, e.msg);
    if (r == -1)
      continue;
    vm = t[0] == '<' ? &o.vms[0] : &v.vm;
    CHECK ((t[0] == '<' ? o.n_vms : 1) == 1 && vm->n_disks == 0,
           "case %zu: %zu disks", i, vm->n_disks);
    CHECK (vm->vtpm == cases[i].vtpm && vm->vbs == cases[i].vbs &&
           vm->nested_hv == cases[i].nested_hv &&
           vm->viommu == cases[i].viommu,
           "case %zu: vtpm %d vbs %d nested_hv %d viommu %d", i, vm->vtpm,
           vm->vbs, vm->nested_hv, vm->viommu);
    ovf_free (&o);
    vmx_free (&v);
  }
}

int
main (void)
{
  test_sparse_gd_first ();
  test_desc_cases ();
  test_desc_samples ();
  test_sparse ();
  test_tar ();
  test_ovf_units ();
  test_ovf_samples ();
  test_ovf_refused ();
  test_names ();
  test_vmx_many_lines ();
  test_vm_switches ();
  test_manifest ();
  test_manifest_lines ();
  return unit_report ("unit-formats");
}
