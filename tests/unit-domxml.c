/* Unit tests for domain XML (formats/domxml.c) from VM models, and for
 * the guest-fix report's result that picks its disk bus and NIC model
 * (formats/fixreport.c): each case asserts exact strings. */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "domxml.h"
#include "fixreport.h"

#include "unit.h"

/* What the switches make of a domain: VBS brings nested virtualization,
 * the IOMMU and secure boot, but secure boot only on UEFI. */
static void
test_domxml_switches (void)
{
  static const struct {
    struct vm vm;
    const char *has[4], *lacks[4];
  } cases[] = {
    { { .vbs = true, .firmware = VM_FIRMWARE_EFI },
      { "<cpu mode=\"host-passthrough\">", "<iommu model=\"intel\">",
        "<ioapic driver=\"qemu\"/>", "<loader secure=\"yes\"/>" },
      { "<tpm", "<hyperv>" } },
    { { .vbs = true },
      { "<cpu mode=\"host-passthrough\">", "<iommu model=\"intel\">" },
      { "<smm", "secure-boot", "<loader" } },
    { { .nested_hv = true },
      { "<cpu mode=\"host-passthrough\">" }, { "<iommu", "<ioapic" } },
    { { .viommu = true, .vtpm = true },
      { "<iommu model=\"intel\">", "<tpm model=\"tpm-crb\">",
        "<backend type=\"emulator\" version=\"2.0\"/>" },
      { "host-passthrough" } },
    { { .os_type = (char *) "windows11_64Guest" },
      { "<stimer state=\"on\"/>", "<timer name=\"hypervclock\" present=\"yes\"/>",
        "<clock offset=\"localtime\">" },
      { "<tpm", "<iommu", "host-passthrough" } },
  };
  const struct domxml_opts o = { 0 };
  size_t i, j;

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct vm vm = cases[i].vm;
    struct v2_error e = { 0 };
    CLEANUP_FREE char *xml = NULL;

    vm.name = (char *) "vm";
    vm.vcpus = vm.cores_per_socket = 1;
    vm.memory = VM_DEFAULT_MEMORY;
    xml = domxml_generate (&vm, &o, &e);
    CHECK (xml != NULL, "case %zu: %s", i, e.msg);
    for (j = 0; xml && j < 4 && cases[i].has[j]; j++)
      CHECK (strstr (xml, cases[i].has[j]) != NULL, "case %zu: no %s in\n%s",
             i, cases[i].has[j], xml);
    for (j = 0; xml && j < 4 && cases[i].lacks[j]; j++)
      CHECK (strstr (xml, cases[i].lacks[j]) == NULL, "case %zu: %s in\n%s",
             i, cases[i].lacks[j], xml);
  }
}

/* The disk bus of a fixed guest: a virtio-scsi controller only with a
 * disk on it; CD-ROMs on SATA after the disks' names. */
static void
test_domxml_disk_bus (void)
{
  static const struct {
    enum domxml_disk_bus bus;
    size_t n_disks;
    const char *has[3], *lacks;
  } cases[] = {
    { DOMXML_DISK_VIRTIO_SCSI, 1,
      { "<target dev=\"sda\" bus=\"scsi\"/>",
        "<controller type=\"scsi\" model=\"virtio-scsi\"/>",
        "<target dev=\"sdb\" bus=\"sata\"/>" }, "virtio\"/>" },
    { DOMXML_DISK_VIRTIO_SCSI, 0, { "<target dev=\"sda\" bus=\"sata\"/>" },
      "<controller type=\"scsi\"" },
    { DOMXML_DISK_VIRTIO_BLK, 1,
      { "<target dev=\"vda\" bus=\"virtio\"/>",
        "<target dev=\"sda\" bus=\"sata\"/>" }, "<controller type=\"scsi\"" },
    { DOMXML_DISK_SATA, 1,
      { "<target dev=\"sda\" bus=\"sata\"/>",
        "<target dev=\"sdb\" bus=\"sata\"/>" }, "<controller type=\"scsi\"" },
  };
  char *const paths[] = { (char *) "/mnt/disks/d.raw", NULL };
  struct vm_disk disk = { 0 };
  size_t i, j;

  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct vm vm = { .name = (char *) "vm", .vcpus = 1, .cores_per_socket = 1,
                     .memory = VM_DEFAULT_MEMORY, .n_cdroms = 1,
                     .n_disks = cases[i].n_disks, .disks = &disk };
    const struct domxml_opts o = { .disk_paths = paths, .n_disk_paths = 1,
                                   .disk_bus = cases[i].bus };
    struct v2_error e = { 0 };
    CLEANUP_FREE char *xml = domxml_generate (&vm, &o, &e);

    CHECK (xml != NULL, "case %zu: %s", i, e.msg);
    for (j = 0; xml && j < 3 && cases[i].has[j]; j++)
      CHECK (strstr (xml, cases[i].has[j]) != NULL, "case %zu: no %s in\n%s",
             i, cases[i].has[j], xml);
    CHECK (xml == NULL || strstr (xml, cases[i].lacks) == NULL,
           "case %zu: %s in\n%s", i, cases[i].lacks, xml);
  }
}

/* ---- The guest-fix report's result ------------------------------------- */

static void
test_fixreport_result (void)
{
  static const struct {
    const char *disk_bus, *nic_model;
    enum domxml_disk_bus bus;
    bool virtio_net;
    const char *error;           /* after "PATH: " */
  } cases[] = {
    { "virtio", "virtio", DOMXML_DISK_VIRTIO_BLK, true, NULL },
    { "virtio-scsi", "virtio", DOMXML_DISK_VIRTIO_SCSI, true, NULL },
    { "sata", "e1000", DOMXML_DISK_SATA, false, NULL },
    { "ide", "virtio", 0, false,
      "result.disk_bus is \"ide\", not \"virtio\", \"virtio-scsi\" or \"sata\"" },
    { "virtio", "rtl8139", 0, false,
      "result.nic_model is \"rtl8139\", not \"virtio\" or \"e1000\"" },
  };
  char path[] = "/tmp/unit-formats-report.XXXXXX";
  int fd = mkstemp (path);
  size_t i;

  CHECK (fd != -1, "mkstemp: %s", strerror (errno));
  if (fd == -1)
    return;
  close (fd);
  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct fixreport_result r;
    struct v2_error e = { 0 };
    FILE *f = fopen (path, "w");
    char want[256];
    int ret;

    if (f == NULL)
      abort ();
    fprintf (f, "{\"format\": \"%s\", \"result\": {\"disk_bus\": \"%s\", "
             "\"nic_model\": \"%s\"}}\n", FIXREPORT_FORMAT, cases[i].disk_bus,
             cases[i].nic_model);
    fclose (f);
    ret = fixreport_read (path, &r, &e);
    if (cases[i].error) {
      snprintf (want, sizeof want, "%s: %s", path, cases[i].error);
      CHECK (ret == -1 && !r.fixed, "case %zu read", i);
      CHECK_STR (e.msg, want);
      continue;
    }
    CHECK (ret == 0 && r.fixed, "case %zu: %s", i, e.msg);
    CHECK (r.disk_bus == cases[i].bus && r.virtio_net == cases[i].virtio_net,
           "case %zu: disk_bus %d virtio_net %d", i, r.disk_bus, r.virtio_net);
    CHECK_STR (fixreport_disk_bus_name (r.disk_bus), cases[i].disk_bus);
  }
  unlink (path);
}

int
main (void)
{
  test_domxml_switches ();
  test_domxml_disk_bus ();
  test_fixreport_result ();
  return unit_report ("unit-domxml");
}
