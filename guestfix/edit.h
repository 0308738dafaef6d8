/* The text edits of the guest fix, as pure functions: configuration text
 * in, configuration text out, and a line per change for the report.
 * Nothing here touches a disk or libguestfs, so every rule has a unit
 * test (tests/unit-guestfix.c).
 *
 * Each edit keeps the text byte for byte except where it has a reason to
 * change it: comments, blank lines, spacing and line endings stay.  Each
 * is idempotent: a second pass over its own output changes nothing.  An
 * edit returns 0 and sets *OUT to the new text, or to NULL when nothing
 * changed; -1 only when memory ran out (errno ENOMEM). */
#ifndef V2V_EDIT_H
#define V2V_EDIT_H

#include <stdbool.h>
#include <stddef.h>

/* The changes an edit made, one line each ("line 3: /dev/sda1 ->
 * UUID=..."), and notes on what it left alone and why. */
struct edit_msgs {
  size_t n;
  char **v;
};
struct edit_log {
  struct edit_msgs changes, notes;
};
void edit_log_free (struct edit_log *log);
/* Add a message; -1 on ENOMEM. */
int edit_msg_add (struct edit_msgs *m, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

/* A device name that changes when the disks move from VMware's SCSI,
 * SATA, IDE or NVMe to virtio: /dev/sdX, /dev/hdX, /dev/vdX, /dev/xvdX
 * (with a partition number or not), /dev/nvmeCnN (a partition:
 * nvmeCnNpP), and the bus-derived links under /dev/disk/by-path and
 * /dev/disk/by-id.  UUID=, LABEL=, PARTUUID=, LVM (/dev/VG/LV) and
 * device-mapper (/dev/mapper/NAME) names are stable. */
bool edit_is_unstable_device (const char *dev);
/* For a /dev/sdX, hdX, vdX or xvdX name, or an NVMe namespace: the
 * disk's index (sda, hda and nvme0n1 are 0, sdaa is 26, nvme0n2 is 1)
 * and its partition number (0 for the whole disk).  Returns 0 when the
 * name says which disk of the VM it is; 1 for a namespace of an NVMe
 * controller other than the first, whose *DISK counts that controller's
 * disks only (so it names the VM's disk only in a VM with one disk);
 * -1 for any other name. */
int edit_parse_disk_name (const char *dev, size_t *disk, unsigned *part);
/* "a", "b", ..., "z", "aa", ...: the letters of disk INDEX. */
void edit_disk_letters (size_t index, char out[8]);

/* The stable name ("UUID=..." or "LABEL=...") of the device DEV, which
 * the guest uses as USE: a mount point ("/", "/boot"), "swap", "root"
 * (root= of a kernel command line), "resume", or "crypttab".  FSTYPE is
 * what the guest expects on it, or NULL.  Returns a string the caller
 * frees, or NULL with *WHY (also freed by the caller) saying why the
 * name stays. */
typedef char *(*edit_resolve_fn) (void *opaque, const char *dev,
                                  const char *use, const char *fstype,
                                  char **why);

/* /etc/fstab: the device field of each entry. */
int edit_fstab (const char *in, edit_resolve_fn resolve, void *opaque,
                char **out, struct edit_log *log);
/* /etc/crypttab: the source device of each entry. */
int edit_crypttab (const char *in, edit_resolve_fn resolve, void *opaque,
                   char **out, struct edit_log *log);
/* RESUME= in initramfs-tools' conf.d/resume. */
int edit_resume_conf (const char *in, edit_resolve_fn resolve, void *opaque,
                      char **out, struct edit_log *log);

/* Where kernel command lines are in a file: root= and resume= are
 * rewritten there. */
enum edit_cmdline_kind {
  EDIT_GRUB_DEFAULT,             /* GRUB_CMDLINE_LINUX(_DEFAULT)= of /etc/default/grub */
  EDIT_GRUB_CFG,                 /* linux, linux16, linuxefi lines of grub.cfg */
  EDIT_MENU_LST,                 /* kernel lines and "# kopt=" of GRUB legacy */
  EDIT_BLS,                      /* options lines of the BLS entries in /boot/loader/entries */
  EDIT_GRUBENV,                  /* kernelopts= of grubenv */
  EDIT_KERNEL_CMDLINE,           /* /etc/kernel/cmdline: every line that is
                                    no comment (kernel-install(8) reads it) */
};
int edit_cmdlines (const char *in, enum edit_cmdline_kind kind,
                   edit_resolve_fn resolve, void *opaque, char **out,
                   struct edit_log *log);
/* How many root= and resume= values on command lines of KIND name an
 * unstable device (what a regenerated grub.cfg is checked for). */
size_t edit_count_unstable (const char *in, enum edit_cmdline_kind kind);

/* The root= and resume= arguments on command lines of KIND that name an
 * unstable device ("root=/dev/sda2"), each once, in order, in a
 * NULL-terminated list the caller frees with edit_free_strv; NULL when
 * out of memory. */
char **edit_unstable_args (const char *in, enum edit_cmdline_kind kind);
void edit_free_strv (char **v);

/* /etc/default/grub: GRUB_DISABLE_LINUX_UUID=true makes grub-mkconfig
 * write root=/dev/sdXN; it becomes false. */
int edit_grub_default (const char *in, char **out, struct edit_log *log);

/* GRUB's device.map: "(hdN) /dev/sdX" names BIOS disk N by its VMware
 * name; under virtio BIOS disk N is the Nth virtio disk, /dev/vdX. */
int edit_device_map (const char *in, char **out, struct edit_log *log);

/* lvm.conf: each pattern of devices/filter and devices/global_filter
 * that names a /dev/sdX device ("a|^/dev/sda.*|") names the virtio one
 * (/dev/vdX) instead, so the disk is still accepted (or still
 * rejected) after the move. */
int edit_lvm_filter (const char *in, char **out, struct edit_log *log);

/* A shell variable that lists words (INITRD_MODULES="a b" of SUSE's
 * /etc/sysconfig/kernel): each of WORDS (NULL-terminated) that it does
 * not list is added to its value; with no such line, one is added at
 * the end. */
int edit_shell_list_add (const char *in, const char *key,
                         const char *const *words, char **out,
                         struct edit_log *log);

/* modprobe configuration (BARE false: modprobe.d, modprobe.conf) or a
 * list of modules to load (BARE true: /etc/modules, modules-load.d).
 * An "alias scsi_hostadapter" or "alias ethN" that forces a VMware or
 * other emulated driver is pointed at virtio_blk or virtio_net; a VMware
 * module in a load list, or aliased to anything else, is commented out. */
int edit_modprobe (const char *in, bool bare, char **out,
                   struct edit_log *log);

/* xorg.conf: Driver "vmware" becomes "modesetting", "vmmouse" "mouse". */
int edit_xorg (const char *in, char **out, struct edit_log *log);

/* A NIC the guest names, with the MAC it had, where one is known. */
struct edit_nic {
  char name[32];
  char mac[18];                  /* "" when unknown */
  bool pinned;                   /* the guest's own configuration binds the
                                    name to the MAC (netplan's set-name with
                                    match: macaddress, a NetworkManager
                                    keyfile with mac-address=) */
};
struct edit_nics {
  size_t n;
  struct edit_nic *v;
};
void edit_nics_free (struct edit_nics *nics);

/* udev's persistent-net rules: each rule that names a NIC by its MAC is
 * added to NICS and commented out (the .link files that replace it name
 * the NIC by the same MAC). */
int edit_persistent_net (const char *in, struct edit_nics *nics, char **out,
                         struct edit_log *log);

/* The NIC names a network configuration file uses, added to NICS (once
 * each) if they name a physical NIC (eth0, ens192, enp11s0, eno1, em1,
 * p2p1); bridges, bonds, VLANs' parents and loopback are not NICs of the
 * VM.  A name the file binds to a MAC itself (netplan's set-name under a
 * match on macaddress, a NetworkManager keyfile's interface-name with
 * mac-address=) comes with that MAC, pinned; the others with none. */
enum edit_netcfg {
  EDIT_NET_IFUPDOWN,             /* /etc/network/interfaces(.d) */
  EDIT_NET_IFCFG,                /* ifcfg-NAME (Red Hat, SUSE); NAME is the file's */
  EDIT_NET_NETPLAN,              /* netplan YAML (/etc/netplan) */
  EDIT_NET_NETWORKD,             /* systemd-networkd .network */
  EDIT_NET_NM,                   /* NetworkManager keyfiles */
};
int edit_nic_names (const char *in, enum edit_netcfg kind, const char *file,
                    struct edit_nics *nics);
/* Sort NICS in the order VMware gives its NICs names: eth0 before eth1,
 * ens160 before ens192 before ens224 (the PCI slot follows the NIC's
 * number). */
void edit_nics_sort (struct edit_nics *nics);

/* The content of a systemd .link file, or the line of a udev rule, that
 * gives the NIC with MAC the name NAME.  The caller frees it. */
char *edit_link_file (const char *name, const char *mac);
char *edit_udev_rule (const char *name, const char *mac);

/* The value of the last KEY=VALUE line of TEXT (os-release, a shell
 * variable file), without its quotes; NULL if there is none.  The
 * caller frees it. */
char *edit_shell_value (const char *text, const char *key);

/* SELINUX= of /etc/selinux/config: enforcing or permissive. */
bool edit_selinux_enabled (const char *config);

#endif
