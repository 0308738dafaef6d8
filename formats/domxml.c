/* See domxml.h.  The XML is written with libxml2's text writer, so every
 * value is escaped and the indentation is the writer's, the same each
 * time.  The W_* macros keep the code in the shape of the XML it writes,
 * after libguestfs's XML writer macros; each one returns -1 from the
 * enclosing function on a writer error. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlwriter.h>

#include "domxml.h"

#define W_CHECK(call) do { if ((call) < 0) return -1; } while (0)
#define W_START(name) W_CHECK (xmlTextWriterStartElement (w, BAD_CAST (name)))
#define W_END() W_CHECK (xmlTextWriterEndElement (w))
#define W_ATTR(name, ...) \
  W_CHECK (xmlTextWriterWriteFormatAttribute (w, BAD_CAST (name), __VA_ARGS__))
#define W_TEXT(...) W_CHECK (xmlTextWriterWriteFormatString (w, __VA_ARGS__))
/* <name>text</name> */
#define W_LEAF(name, ...) \
  do { W_START (name); W_TEXT (__VA_ARGS__); W_END (); } while (0)
/* <name/> */
#define W_EMPTY(name) do { W_START (name); W_END (); } while (0)
/* <name attr='value'/>, the value a format and its arguments */
#define W_EMPTY1(name, a, ...) \
  do { W_START (name); W_ATTR (a, __VA_ARGS__); W_END (); } while (0)
/* <name a='va' b='vb'/>, the values strings */
#define W_EMPTY2(name, a, va, b, vb) \
  do { W_START (name); W_ATTR (a, "%s", va); W_ATTR (b, "%s", vb); W_END (); } \
  while (0)

int
domxml_parse_net_map (const char *s, struct domxml_net_map *m,
                      struct v2_error *e)
{
  const char *eq = strrchr (s, '=');
  const char *to;

  memset (m, 0, sizeof *m);
  if (eq == NULL || eq == s || eq[1] == '\0')
    return v2_err (e, EINVAL, "--network-map '%s': want SOURCE-NETWORK=BRIDGE "
                   "or SOURCE-NETWORK=network:LIBVIRT-NETWORK", s);
  to = eq + 1;
  m->bridge = strncmp (to, "network:", 8) != 0;
  if (!m->bridge)
    to += 8;
  if (*to == '\0' || (m->from = strndup (s, (size_t) (eq - s))) == NULL ||
      (m->to = strdup (to)) == NULL) {
    domxml_net_map_free (m);
    return v2_err (e, EINVAL, "--network-map '%s': no target", s);
  }
  return 0;
}

void
domxml_net_map_free (struct domxml_net_map *m)
{
  free (m->from);
  free (m->to);
  memset (m, 0, sizeof *m);
}

static bool
is_windows (const struct vm *vm)
{
  return vm->os_type && (strncasecmp (vm->os_type, "win", 3) == 0 ||
                         strcasestr (vm->os_type, "windows"));
}

/* What the domain needs beyond the model's plain facts.  Windows wants
 * the Hyper-V enlightenments and its clock in local time.  Windows'
 * virtualization-based security needs nested virtualization, an IOMMU
 * and secure boot (vSphere turns all three on with it); a source may
 * also have the first two on their own. */
struct wants {
  bool windows, secure_boot, nested, iommu;
};

static struct wants
wants_of (const struct vm *vm)
{
  return (struct wants) {
    .windows = is_windows (vm),
    /* Secure boot is UEFI's: a source that says BIOS keeps BIOS, which
     * its disk was installed for. */
    .secure_boot = vm->firmware == VM_FIRMWARE_EFI &&
                   (vm->secure_boot || vm->vbs),
    .nested = vm->nested_hv || vm->vbs,
    .iommu = vm->viommu || vm->vbs,
  };
}

static int
write_os (xmlTextWriterPtr w, const struct vm *vm, const struct wants *x)
{
  const char *sb = x->secure_boot ? "yes" : "no";

  W_START ("os");
  if (vm->firmware == VM_FIRMWARE_EFI)
    W_ATTR ("firmware", "efi");
  W_START ("type");
  W_ATTR ("arch", "x86_64");
  W_ATTR ("machine", "q35");
  W_TEXT ("hvm");
  W_END ();
  if (vm->firmware == VM_FIRMWARE_EFI) {
    W_START ("firmware");
    W_EMPTY2 ("feature", "enabled", sb, "name", "secure-boot");
    if (x->secure_boot)
      W_EMPTY2 ("feature", "enabled", "yes", "name", "enrolled-keys");
    W_END ();
    if (x->secure_boot)
      W_EMPTY1 ("loader", "secure", "yes");
  }
  /* The boot disk is given by <boot order> on the first disk. */
  W_END ();
  return 0;
}

static int
write_features (xmlTextWriterPtr w, const struct wants *x)
{
  W_START ("features");
  W_EMPTY ("acpi");
  W_EMPTY ("apic");
  if (x->windows) {
    /* The Hyper-V enlightenments Windows uses when it finds them: it
     * spins less on locks, and takes its timer and interrupt work
     * through them rather than emulated hardware.  QEMU wants each
     * one's dependencies: synic needs vpindex, and stimer needs synic
     * and the Hyper-V clock, <timer name='hypervclock'> (QEMU commit
     * c6861930, "hv-stimer requires hv-time and hv-synic").  Under TCG
     * QEMU refuses vpindex ("kernel doesn't allow setting HyperV
     * VP_INDEX"), so v2vfs-boot --accel tcg drops the three. */
    W_START ("hyperv");
    W_EMPTY1 ("relaxed", "state", "on");
    W_EMPTY1 ("vapic", "state", "on");
    W_EMPTY2 ("spinlocks", "state", "on", "retries", "8191");
    W_EMPTY1 ("vpindex", "state", "on");
    W_EMPTY1 ("synic", "state", "on");
    W_EMPTY1 ("stimer", "state", "on");
    W_END ();
  }
  if (x->secure_boot)
    W_EMPTY1 ("smm", "state", "on");
  /* The IOMMU remaps interrupts, as VMware's virtual VT-d does, and
   * libvirt allows that only with QEMU's own I/O APIC. */
  if (x->iommu)
    W_EMPTY1 ("ioapic", "driver", "qemu");
  W_END ();
  return 0;
}

/* Nested virtualization gives the guest the host's CPU as it is, with
 * VT-x or AMD-V, whichever the host has: <feature name='vmx'> would need
 * a named CPU model and fail on an AMD host. */
static int
write_cpu (xmlTextWriterPtr w, const struct vm *vm, const struct wants *x)
{
  W_START ("cpu");
  if (x->nested)
    W_ATTR ("mode", "host-passthrough");
  W_START ("topology");
  W_ATTR ("sockets", "%u", vm->vcpus / vm->cores_per_socket);
  W_ATTR ("dies", "1");
  W_ATTR ("cores", "%u", vm->cores_per_socket);
  W_ATTR ("threads", "1");
  W_END ();
  W_END ();
  return 0;
}

/* Windows keeps the hardware clock in local time. */
static int
write_clock (xmlTextWriterPtr w, const struct wants *x)
{
  W_START ("clock");
  W_ATTR ("offset", x->windows ? "localtime" : "utc");
  if (x->windows)
    W_EMPTY2 ("timer", "name", "hypervclock", "present", "yes");
  W_END ();
  return 0;
}

void
domxml_bus_names (enum domxml_disk_bus bus, const char **prefix,
                  const char **name)
{
  static const struct { const char *prefix, *bus; } buses[] = {
    [DOMXML_DISK_SATA] = { "sd", "sata" },
    [DOMXML_DISK_VIRTIO_BLK] = { "vd", "virtio" },
    [DOMXML_DISK_VIRTIO_SCSI] = { "sd", "scsi" },
  };

  *prefix = buses[bus].prefix;
  *name = buses[bus].bus;
}

void
domxml_disk_target (char *out, size_t cap, const char *prefix, size_t i)
{
  char suffix[8];
  size_t n = 0, k;

  do {
    suffix[n++] = (char) ('a' + i % 26);
    i = i / 26;
  } while (i-- > 0 && n < sizeof suffix - 1);
  for (k = 0; k < n / 2; k++) {
    char t = suffix[k];
    suffix[k] = suffix[n - 1 - k];
    suffix[n - 1 - k] = t;
  }
  suffix[n] = '\0';
  snprintf (out, cap, "%s%s", prefix, suffix);
}

static int
write_disks (xmlTextWriterPtr w, const struct vm *vm,
             const struct domxml_opts *o)
{
  const char *prefix, *bus;
  size_t i;

  domxml_bus_names (o->disk_bus, &prefix, &bus);

  for (i = 0; i < vm->n_disks; i++) {
    char dev[16];
    domxml_disk_target (dev, sizeof dev, prefix, i);
    W_START ("disk");
    W_ATTR ("type", "file");
    W_ATTR ("device", "disk");
    W_EMPTY2 ("driver", "name", "qemu", "type", "raw");
    W_START ("source");
    W_ATTR ("file", "%s", o->disk_paths[vm->disks[i].disk]);
    /* The file is on a FUSE mount: libvirt must not chown or label it. */
    W_EMPTY2 ("seclabel", "model", "dac", "relabel", "no");
    W_END ();
    W_EMPTY2 ("target", "dev", dev, "bus", bus);
    if (i == 0)
      W_EMPTY1 ("boot", "order", "1");
    W_END ();
  }
  /* Named, or libvirt adds its default SCSI controller (lsilogic on
   * x86), which is not what vioscsi drives. */
  if (o->disk_bus == DOMXML_DISK_VIRTIO_SCSI && vm->n_disks > 0)
    W_EMPTY2 ("controller", "type", "scsi", "model", "virtio-scsi");
  return 0;
}

/* Empty CD drives after the disks, on SATA like them until the guest is
 * fixed (virtio-blk has no CD-ROMs: SATA then too, named from sda, as
 * the disks are vda...). */
static int
write_cdroms (xmlTextWriterPtr w, const struct vm *vm,
              const struct domxml_opts *o)
{
  size_t first = o->disk_bus == DOMXML_DISK_VIRTIO_BLK ? 0 : vm->n_disks;
  unsigned i;

  for (i = 0; i < vm->n_cdroms; i++) {
    char dev[16];
    domxml_disk_target (dev, sizeof dev, "sd", first + i);
    W_START ("disk");
    W_ATTR ("type", "file");
    W_ATTR ("device", "cdrom");
    W_EMPTY2 ("target", "dev", dev, "bus", "sata");
    W_EMPTY ("readonly");
    W_END ();
  }
  return 0;
}

static int
write_nics (xmlTextWriterPtr w, const struct vm *vm,
            const struct domxml_opts *o)
{
  size_t i, j;

  for (i = 0; i < vm->n_nics; i++) {
    const struct vm_nic *n = &vm->nics[i];
    const struct domxml_net_map *m = NULL;
    for (j = 0; n->network && j < o->n_maps; j++)
      if (strcmp (o->maps[j].from, n->network) == 0) {
        m = &o->maps[j];
        break;
      }
    W_START ("interface");
    W_ATTR ("type", m && m->bridge ? "bridge" : "network");
    if (n->mac[0])
      W_EMPTY1 ("mac", "address", "%s", n->mac);
    W_START ("source");
    W_ATTR (m && m->bridge ? "bridge" : "network", "%s", m ? m->to : "default");
    W_END ();
    W_EMPTY1 ("model", "type", o->virtio_net ? "virtio" : "e1000");
    W_END ();
  }
  return 0;
}

/* A TPM 2.0 for a source with a vTPM: a new one, emulated by swtpm.
 * What the source's vTPM held (BitLocker's keys among it) stays behind.
 * And the IOMMU, Intel's model, which QEMU emulates on any host. */
static int
write_security (xmlTextWriterPtr w, const struct vm *vm,
                const struct wants *x)
{
  if (vm->vtpm) {
    W_START ("tpm");
    W_ATTR ("model", "tpm-crb");
    W_EMPTY2 ("backend", "type", "emulator", "version", "2.0");
    W_END ();
  }
  if (x->iommu) {
    W_START ("iommu");
    W_ATTR ("model", "intel");
    W_EMPTY1 ("driver", "intremap", "on");
    W_END ();
  }
  return 0;
}

static int
write_domain (xmlTextWriterPtr w, const struct vm *vm,
              const struct domxml_opts *o)
{
  const struct wants x = wants_of (vm);

  W_CHECK (xmlTextWriterStartDocument (w, NULL, NULL, NULL));
  W_START ("domain");
  W_ATTR ("type", "kvm");
  /* A plain name (vm_finish): no '/', which libvirt refuses, and no
   * control character, which XML 1.0 cannot hold. */
  W_LEAF ("name", "%s", vm->name);
  W_START ("memory");
  W_ATTR ("unit", "KiB");
  W_TEXT ("%" PRIu64, (vm->memory + 1023) / 1024);
  W_END ();
  W_LEAF ("vcpu", "%u", vm->vcpus);
  W_CHECK (write_os (w, vm, &x));
  W_CHECK (write_features (w, &x));
  W_CHECK (write_cpu (w, vm, &x));
  W_CHECK (write_clock (w, &x));
  W_LEAF ("on_poweroff", "destroy");
  W_LEAF ("on_reboot", "restart");
  W_LEAF ("on_crash", "destroy");
  W_START ("devices");
  W_CHECK (write_disks (w, vm, o));
  W_CHECK (write_cdroms (w, vm, o));
  W_CHECK (write_nics (w, vm, o));
  W_START ("serial");
  W_ATTR ("type", "pty");
  W_EMPTY1 ("target", "port", "0");
  W_END ();
  W_START ("console");
  W_ATTR ("type", "pty");
  W_EMPTY2 ("target", "type", "serial", "port", "0");
  W_END ();
  W_EMPTY2 ("controller", "type", "usb", "model", "qemu-xhci");
  W_EMPTY2 ("input", "type", "tablet", "bus", "usb");
  W_START ("graphics");
  W_ATTR ("type", "vnc");
  W_ATTR ("autoport", "yes");
  W_EMPTY1 ("listen", "type", "address");
  W_END ();
  W_START ("video");
  W_EMPTY1 ("model", "type", "vga");
  W_END ();
  W_CHECK (write_security (w, vm, &x));
  W_END ();                      /* devices */
  W_END ();                      /* domain */
  W_CHECK (xmlTextWriterEndDocument (w));
  return 0;
}

char *
domxml_generate (const struct vm *vm, const struct domxml_opts *o,
                 struct v2_error *e)
{
  xmlBufferPtr buf = xmlBufferCreate ();
  xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory (buf, 0) : NULL;
  char *r = NULL;
  size_t i;

  for (i = 0; i < vm->n_disks; i++)
    if (vm->disks[i].disk >= o->n_disk_paths) {
      v2_err (e, EINVAL, "%s: disk %zu has no path", vm->name, i);
      goto out;
    }
  if (w == NULL || xmlTextWriterSetIndent (w, 1) < 0 ||
      xmlTextWriterSetIndentString (w, BAD_CAST "  ") < 0 ||
      write_domain (w, vm, o) == -1) {
    v2_err (e, ENOMEM, "%s: cannot write the domain XML", vm->name);
    goto out;
  }
  xmlFreeTextWriter (w);
  w = NULL;
  if (asprintf (&r, "%s\n", (const char *) xmlBufferContent (buf)) == -1) {
    r = NULL;
    v2_err (e, ENOMEM, "out of memory");
  }
 out:
  if (w)
    xmlFreeTextWriter (w);
  if (buf)
    xmlBufferFree (buf);
  return r;
}
