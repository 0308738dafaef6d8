/* The VM model: what a VMware definition (OVF, VMX) says about one
 * virtual machine, in terms of no particular hypervisor.  The parsers
 * fill it; domxml turns it into libvirt XML and reads nothing else.
 * virt-v2v's "source" record is the model for this split. */
#ifndef V2V_VM_H
#define V2V_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vm_firmware { VM_FIRMWARE_BIOS, VM_FIRMWARE_EFI };

/* The controller a disk hangs on in the source. */
enum vm_controller {
  VM_CTRL_UNKNOWN, VM_CTRL_IDE, VM_CTRL_SATA, VM_CTRL_NVME,
  VM_CTRL_LSILOGIC, VM_CTRL_LSILOGICSAS, VM_CTRL_PVSCSI, VM_CTRL_BUSLOGIC,
};

struct vm_disk {
  size_t disk;                   /* index into the source's disks */
  enum vm_controller ctrl;
  unsigned bus, unit;            /* the controller's number, the slot on it */
};

struct vm_nic {
  char mac[18];                  /* "00:50:56:01:02:03", or "" for none */
  char *network;                 /* the source's network name, or NULL */
  char *model;                   /* as the source names it ("VmxNet3"), or NULL */
};

struct vm {
  char *name;
  unsigned vcpus, cores_per_socket;  /* cores_per_socket divides vcpus */
  uint64_t memory;               /* bytes */
  enum vm_firmware firmware;
  bool secure_boot;
  bool vtpm;                     /* a virtual TPM (VMware's is TPM 2.0) */
  /* Windows virtualization-based security as vSphere configures it: VBS
   * itself, and what it needs of the virtual hardware, each of which a
   * source may also have on its own. */
  bool vbs;                      /* VBS is on */
  bool nested_hv;                /* VT-x/AMD-V is exposed to the guest */
  bool viommu;                   /* a virtual IOMMU (VMware's "vvtd") */
  char *os_type;                 /* vmw:osType, guestOS, vbox OSType; or NULL */
  size_t n_disks, n_nics;
  unsigned n_cdroms;             /* CD/DVD drives: libvirt gets them empty */
  struct vm_disk *disks;         /* in the source's order */
  struct vm_nic *nics;
};

/* Defaults for what a source leaves out: see vm_finish. */
#define VM_DEFAULT_VCPUS 1
#define VM_DEFAULT_MEMORY (UINT64_C (1) << 30)
/* Caps on values from a source, beyond any real VM (vSphere 8: 768 vCPUs,
 * 24 TiB): anything larger is a damaged file. */
#define VM_MAX_VCPUS 4096
#define VM_MAX_MEMORY (UINT64_C (64) << 40)

/* Fill in defaults (1 vCPU, 1 GiB, one core per socket when the source's
 * count does not divide the vCPUs), and make the name plain by the rule
 * for VM names in common/names.h.  Returns -1 with errno EINVAL when the
 * model holds impossible values, ENOMEM when out of memory. */
int vm_finish (struct vm *vm);

/* Normalize a MAC address ("00:50:56:AA:bb:cc", "00-50-56-aa-bb-cc",
 * "005056aabbcc") to lower-case colon form in OUT.  -1 if it is none. */
int vm_parse_mac (const char *s, char out[18]);

const char *vm_controller_name (enum vm_controller c);

void vm_free (struct vm *vm);

#endif
