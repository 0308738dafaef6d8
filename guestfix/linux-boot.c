/* The boot chain of a Linux guest moving to KVM (see linux.h): the
 * initramfs that must hold the virtio drivers, the boot loader's
 * configuration that must name the root in a way that survives the move,
 * and the boot loader itself where the firmware changes what it finds.
 * The steps of fix_linux that call them, and the reasons for their order,
 * are in linux.c. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fix.h"
#include "linux.h"

/* ---- The initramfs --------------------------------------------------- */

enum initramfs_tool { INITRAMFS_NONE, INITRAMFS_TOOLS, INITRAMFS_DRACUT };

static enum initramfs_tool
initramfs_tool (struct fix *f)
{
  if (fix_exists (f, "/usr/sbin/update-initramfs") ||
      fix_exists (f, "/sbin/update-initramfs"))
    return INITRAMFS_TOOLS;
  if (fix_exists (f, "/usr/bin/dracut") || fix_exists (f, "/sbin/dracut") ||
      fix_exists (f, "/usr/sbin/dracut"))
    return INITRAMFS_DRACUT;
  return INITRAMFS_NONE;
}

/* The initramfs of kernel K, where the tool keeps it (NULL if none). */
static char *
initrd_of (struct fix *f, const struct fix_kernel *k)
{
  static const struct { const char *before, *after; } forms[] = {
    { "/boot/initrd.img-", "" },         /* initramfs-tools */
    { "/boot/initramfs-", ".img" },      /* dracut (Red Hat) */
    { "/boot/initrd-", "" },             /* dracut (SUSE) */
    { "/boot/initrd-", ".img" },
  };
  size_t i;

  for (i = 0; i < sizeof forms / sizeof *forms; i++) {
    char *p;
    if (asprintf (&p, "%s%s%s", forms[i].before, k->version, forms[i].after) == -1)
      return NULL;
    if (fix_exists (f, p))
      return p;
    free (p);
  }
  return NULL;
}

/* Whether the initramfs INITRD of kernel K holds virtio_blk. */
static bool
initrd_has_virtio (struct fix *f, enum initramfs_tool tool, const char *initrd)
{
  CLEANUP_FREE char *cmd = NULL, *out = NULL, *err = NULL, *what = NULL;

  if (!fix_safe_word (initrd) ||
      asprintf (&cmd, "%s %s | grep -c '/virtio_blk\\.ko'",
                tool == INITRAMFS_DRACUT ? "lsinitrd" : "lsinitramfs", initrd) == -1 ||
      asprintf (&what, "looking for virtio_blk in %s", initrd) == -1)
    return false;
  out = fix_sh (f, what, cmd, &err);
  return out && atoi (out) > 0;
}

/* The modules the initramfs must hold for a virtio root: those that some
 * kernel has as a module (a built-in one needs no listing). */
static void
needed_modules (const struct fix *f, bool need[3])
{
  size_t i;

  need[0] = need[1] = need[2] = false;
  for (i = 0; i < f->n_kernels; i++) {
    const struct fix_kernel *k = &f->kernels[i];
    need[0] |= k->virtio_pci && !k->builtin_pci;
    need[1] |= k->virtio_blk && !k->builtin_blk;
    need[2] |= k->virtio_scsi && !k->builtin_scsi;
  }
}

static const char *const virtio_storage[] = { "virtio_pci", "virtio_blk", "virtio_scsi" };

/* initramfs-tools: the modules file lists one module a line. */
static int
initramfs_tools_config (struct fix *f, const bool need[3])
{
  static const char path[] = "/etc/initramfs-tools/modules";
  bool err;
  CLEANUP_FREE char *text = fix_read (f, path, &err);
  CLEANUP_FREE char *out = NULL;
  size_t i;

  if (text == NULL && err)
    return report_fail (f->r, "%s: cannot read it", path), -1;
  if (asprintf (&out, "%s", text ? text : "") == -1)
    return report_fail (f->r, "out of memory"), -1;
  for (i = 0; i < 3; i++) {
    const char *p = out;
    size_t n = strlen (virtio_storage[i]);
    bool listed = false;
    char *nn;
    if (!need[i])
      continue;
    /* Listed: a line that starts with the name, then ends or a blank. */
    while (p && *p) {
      while (*p == ' ' || *p == '\t')
        p++;
      if (strncmp (p, virtio_storage[i], n) == 0 &&
          (p[n] == '\n' || p[n] == ' ' || p[n] == '\t' || p[n] == '\0'))
        listed = true;
      p = strchr (p, '\n');
      if (p)
        p++;
    }
    if (listed)
      continue;
    if (asprintf (&nn, "%s%s%s\n", out, out[0] && out[strlen (out) - 1] != '\n' ?
                  "\n" : "", virtio_storage[i]) == -1)
      return report_fail (f->r, "out of memory"), -1;
    free (out);
    out = nn;
    report_change (f->r, path, "added %s (a virtio root needs it in the initramfs)",
                   virtio_storage[i]);
  }
  if (text && strcmp (text, out) == 0)
    return 0;
  return fix_write (f, path, out) == -1 ? -1 : 1;
}

/* dracut: a drop-in adds the drivers to every image it builds. */
static int
dracut_config (struct fix *f, const bool need[3])
{
  CLEANUP_FREE char *text = NULL;
  size_t i;
  int r;

  if ((text = strdup ("# Written by v2vfs-fix: the drivers of a virtio root disk.\n"
                      "add_drivers+=\"")) == NULL)
    return report_fail (f->r, "out of memory"), -1;
  for (i = 0; i < 3; i++) {
    char *nt;
    if (need[i] && asprintf (&nt, "%s %s", text, virtio_storage[i]) != -1) {
      free (text);
      text = nt;
    }
  }
  {
    char *nt;
    if (asprintf (&nt, "%s \"\n", text) == -1)
      return report_fail (f->r, "out of memory"), -1;
    free (text);
    text = nt;
  }
  if (!f->dry_run && !fix_exists (f, "/etc/dracut.conf.d") &&
      guestfs_mkdir_p (f->g, "/etc/dracut.conf.d") == -1)
    return report_fail (f->r, "/etc/dracut.conf.d: %s", fix_gerror (f)), -1;
  r = put_file (f, "/etc/dracut.conf.d/v2vfs-virtio.conf", text,
                "add_drivers for a virtio root disk");
  return r;
}

int
linux_initramfs (struct fix *f)
{
  enum initramfs_tool tool = initramfs_tool (f);
  const char *why = f->initramfs_why;
  bool need[3];
  size_t i, regenerated = 0;
  int changed = 0;

  needed_modules (f, need);
  free (f->r->initramfs);
  f->r->initramfs = strdup (tool == INITRAMFS_TOOLS ? "initramfs-tools" :
                            tool == INITRAMFS_DRACUT ? "dracut" : "none found");
  if (!need[0] && !need[1] && why == NULL) {
    report_skip (f->r, "initramfs", "every kernel has virtio_blk and virtio_pci "
                 "built in: no initramfs needs them");
    return 0;
  }
  if (tool == INITRAMFS_NONE && (need[0] || need[1])) {
    report_fail (f->r, "the kernels have virtio_blk as a module, but the guest has "
                 "neither initramfs-tools nor dracut to put it into an initramfs");
    return -1;
  }
  if (tool == INITRAMFS_NONE) {
    report_warn (f->r, "the initramfs should be rebuilt to hold %s, but the guest "
                 "has neither initramfs-tools nor dracut", why);
    return 0;
  }
  if (need[0] || need[1])
    changed = tool == INITRAMFS_TOOLS ? initramfs_tools_config (f, need)
                                      : dracut_config (f, need);
  if (changed == -1)
    return -1;
  for (i = 0; i < f->n_kernels; i++) {
    const struct fix_kernel *k = &f->kernels[i];
    CLEANUP_FREE char *initrd = initrd_of (f, k), *what = NULL, *out = NULL,
      *err = NULL;
    /* A kernel with virtio_blk built in needs no initramfs for it; one
     * it has all the same holds a copy of what changed. */
    const bool module = k->virtio_blk && !k->builtin_blk;
    if (!module && !(why && initrd))
      continue;
    if (!changed && why == NULL && initrd && initrd_has_virtio (f, tool, initrd))
      continue;
    if (asprintf (&what, "regenerating the initramfs of %s (%s)", k->version,
                  tool == INITRAMFS_TOOLS ? "update-initramfs" : "dracut") == -1)
      return report_fail (f->r, "out of memory"), -1;
    if (f->dry_run) {
      report_change (f->r, initrd ? initrd : "/boot", "regenerate it with %s%s%s",
                     module ? "the virtio drivers" : "", module && why ? " and " : "",
                     why ? why : "");
      regenerated++;
      continue;
    }
    if (tool == INITRAMFS_TOOLS) {
      char *const argv[] = { (char *) "update-initramfs", (char *) (initrd ? "-u" : "-c"),
                             (char *) "-k", k->version, NULL };
      out = fix_run (f, what, argv, &err);
    }
    else {
      CLEANUP_FREE char *path = NULL;
      if (initrd == NULL && asprintf (&path, "/boot/initramfs-%s.img", k->version) == -1)
        return report_fail (f->r, "out of memory"), -1;
      char *const argv[] = { (char *) "dracut", (char *) "-f",
                             initrd ? initrd : path, k->version, NULL };
      out = fix_run (f, what, argv, &err);
    }
    if (out == NULL) {
      report_fail (f->r, "%s failed: %s", what, err ? err : "unknown error");
      return -1;
    }
    free (initrd);
    initrd = initrd_of (f, k);
    if (initrd == NULL || (module && !initrd_has_virtio (f, tool, initrd))) {
      report_fail (f->r, "the new initramfs of %s has no virtio_blk", k->version);
      return -1;
    }
    report_change (f->r, initrd, "regenerated: it holds %s%s%s", module ?
                   "virtio_blk now" : "", module && why ? " and " : "", why ? why : "");
    regenerated++;
  }
  if (!changed && regenerated == 0)
    report_skip (f->r, "initramfs", "every initramfs holds the virtio drivers");
  return 0;
}

/* ---- The boot loader configuration ---------------------------------- */

struct cmdline_arg {
  struct fix *f;
  enum edit_cmdline_kind kind;
};

static int
edit_cmdlines_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  struct cmdline_arg *a = arg;

  return edit_cmdlines (in, a->kind, fix_resolve, a->f, out, log);
}

/* grubenv is a block of exactly its size (1024 bytes), padded with '#':
 * an edit takes its length change out of the padding. */
static int
edit_grubenv_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  struct cmdline_arg a = { arg, EDIT_GRUBENV };
  size_t len = strlen (in), n, pad;
  char *s;

  if (edit_cmdlines_fn (in, &a, out, log) == -1)
    return -1;
  if (*out == NULL)
    return 0;
  s = *out;
  n = strlen (s);
  for (pad = 0; pad < n && s[n - 1 - pad] == '#'; pad++)
    ;
  if (n > len && n - len > pad) {
    /* With no result, fix_edit reports the note and none of the changes. */
    free (s);
    *out = NULL;
    return edit_msg_add (&log->notes, "no room in the 1024-byte block for the new "
                          "command line: left as it is");
  }
  if (n > len)
    s[len] = '\0';
  else if (n < len) {
    char *t = realloc (s, len + 1);
    if (t == NULL)
      return -1;
    memset (t + n, '#', len - n);
    t[len] = '\0';
    *out = t;
  }
  return 0;
}

static int
edit_grub_default_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  CLEANUP_FREE char *mid = NULL;
  struct cmdline_arg a = { arg, EDIT_GRUB_DEFAULT };

  if (edit_grub_default (in, &mid, log) == -1 ||
      edit_cmdlines_fn (mid ? mid : in, &a, out, log) == -1)
    return -1;
  if (*out == NULL && mid)
    *out = TAKE (mid);
  return 0;
}

static int
edit_device_map_fn (const char *in, void *arg, char **out, struct edit_log *log)
{
  (void) arg;
  return edit_device_map (in, out, log);
}

/* The first of PATHS that exists, or NULL. */
static const char *
first_existing (struct fix *f, const char *const *paths, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (fix_exists (f, paths[i]))
      return paths[i];
  return NULL;
}

static const char *const grub_cfgs[] = { "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg" };

/* How many root= and resume= of the GRUB 2 configurations (and the EFI
 * ones, which RHEL's GRUB reads) name unstable devices. */
static size_t
grub_cfg_unstable (struct fix *f, char ***efi_cfgs)
{
  size_t i, n = 0;
  bool err;

  *efi_cfgs = fix_glob (f, "/boot/efi/EFI/*/grub.cfg");
  for (i = 0; i < 2; i++) {
    CLEANUP_FREE char *t = fix_read (f, grub_cfgs[i], &err);
    n += t ? edit_count_unstable (t, EDIT_GRUB_CFG) : 0;
  }
  for (i = 0; *efi_cfgs && (*efi_cfgs)[i]; i++) {
    CLEANUP_FREE char *t = fix_read (f, (*efi_cfgs)[i], &err);
    n += t ? edit_count_unstable (t, EDIT_GRUB_CFG) : 0;
  }
  return n;
}

/* GRUB 2: /etc/default/grub must let grub-mkconfig name root by UUID;
 * then grub.cfg is regenerated.  Inside the appliance the disk is
 * /dev/sda, so a guest that still names root by device would get
 * root=/dev/sda1 again: the result is read back, and whatever still
 * names a device is rewritten in place. */
static int
grub2 (struct fix *f)
{
  static const char *const mkconfig[] = { "/usr/sbin/update-grub", "/usr/sbin/grub2-mkconfig",
                                          "/usr/sbin/grub-mkconfig", "/sbin/grub2-mkconfig",
                                          "/sbin/grub-mkconfig" };
  const char *cfg = first_existing (f, grub_cfgs, 2);
  const char *tool = first_existing (f, mkconfig, 5);
  struct cmdline_arg a = { f, EDIT_GRUB_CFG };
  char **efi = NULL;
  size_t unstable, i;
  bool regenerated = false;
  int def;

  if ((def = fix_edit (f, "/etc/default/grub", edit_grub_default_fn, f)) == -1)
    return -1;
  unstable = grub_cfg_unstable (f, &efi);
  if (def == 0 && unstable == 0) {
    fix_free_strv (efi);
    report_skip (f->r, "GRUB 2 configuration", "grub.cfg names every root by UUID already");
    return 0;
  }
  fix_free_strv (efi);
  efi = NULL;
  if (tool && cfg) {
    CLEANUP_FREE char *what = NULL, *out = NULL, *err = NULL;
    const bool update = strstr (tool, "update-grub") != NULL;
    char *const argv[] = { (char *) tool, (char *) (update ? NULL : "-o"),
                           (char *) cfg, NULL };
    if (asprintf (&what, "regenerating %s (%s)", cfg, tool) == -1)
      return report_fail (f->r, "out of memory"), -1;
    if (f->dry_run) {
      /* What it would write cannot be read back. */
      report_change (f->r, cfg, "regenerate it with %s, then check it", tool);
      return 0;
    }
    if ((out = fix_run (f, what, argv, &err)) == NULL)
      report_warn (f->r, "%s failed (%s): editing grub.cfg in place instead", tool,
                   err ? err : "unknown error");
    else {
      report_change (f->r, cfg, "regenerated by %s", tool);
      regenerated = true;
    }
  }
  /* Read back: what still names a device gets its stable name here. */
  if ((unstable = grub_cfg_unstable (f, &efi)) > 0) {
    if (regenerated)
      report_warn (f->r, "grub.cfg still named %zu root or resume device%s by "
                   "name after %s: rewritten in place", unstable,
                   unstable == 1 ? "" : "s", tool);
    for (i = 0; i < 2; i++)
      if (fix_edit (f, grub_cfgs[i], edit_cmdlines_fn, &a) == -1)
        goto fail;
    for (i = 0; efi && efi[i]; i++)
      if (fix_edit (f, efi[i], edit_cmdlines_fn, &a) == -1)
        goto fail;
    fix_free_strv (efi);
    efi = NULL;
    if (!f->dry_run && (unstable = grub_cfg_unstable (f, &efi)) > 0)
      report_warn (f->r, "grub.cfg names %zu root or resume device%s that have "
                   "no stable name", unstable, unstable == 1 ? "" : "s");
  }
  fix_free_strv (efi);
  return 0;
 fail:
  fix_free_strv (efi);
  return -1;
}

int
linux_bootloader_config (struct fix *f)
{
  static const char *const legacy[] = { "/boot/grub/menu.lst", "/boot/grub/grub.conf" };
  static const char *const envs[] = { "/boot/grub2/grubenv", "/boot/grub/grubenv" };
  static const char *const maps[] = { "/boot/grub/device.map", "/boot/grub2/device.map" };
  struct cmdline_arg menu = { f, EDIT_MENU_LST }, bls = { f, EDIT_BLS };
  struct cmdline_arg kernel = { f, EDIT_KERNEL_CMDLINE };
  const bool has_grub2 = first_existing (f, grub_cfgs, 2) != NULL;
  const bool has_legacy = first_existing (f, legacy, 2) != NULL;
  size_t i;
  int n = 0, r;

  free (f->r->bootloader);
  f->r->bootloader = strdup (has_grub2 ? "GRUB 2" : has_legacy ? "GRUB legacy" :
                             "none found");
  if (has_grub2 && grub2 (f) == -1)
    return -1;
  for (i = 0; i < 2; i++) {
    /* menu.lst is often a link to grub.conf: edit the file once. */
    if (i == 0 && guestfs_is_symlink (f->g, legacy[0]) == 1)
      continue;
    if ((r = fix_edit (f, legacy[i], edit_cmdlines_fn, &menu)) == -1)
      return -1;
    n += r;
  }
  if ((r = edit_matching (f, "/boot/loader/entries/*.conf", edit_cmdlines_fn, &bls)) == -1)
    return -1;
  n += r;
  /* kernel-install(8) writes the BLS entries of new kernels (and UKIs)
   * from /etc/kernel/cmdline. */
  if ((r = fix_edit (f, "/etc/kernel/cmdline", edit_cmdlines_fn, &kernel)) == -1)
    return -1;
  n += r;
  for (i = 0; i < 2; i++) {
    if ((r = fix_edit (f, envs[i], edit_grubenv_fn, f)) == -1)
      return -1;
    n += r;
  }
  for (i = 0; f->r->virtio_blk && i < 2; i++) {
    if ((r = fix_edit (f, maps[i], edit_device_map_fn, NULL)) == -1)
      return -1;
    n += r;
  }
  if (n == 0 && !has_grub2)
    report_skip (f->r, "boot loader configuration", has_legacy ?
                 "GRUB legacy names root by UUID already" :
                 "no GRUB configuration found");
  return 0;
}

/* ---- The boot loader itself ----------------------------------------- */

/* BIOS: the MBR of the first disk must hold boot code; VMware's BIOS
 * and SeaBIOS run the same code, so one that is there stays.  Only a
 * disk with no code in its MBR gets GRUB installed. */
static int
bios_boot (struct fix *f)
{
  size_t len = 0, i;
  CLEANUP_FREE char *mbr = guestfs_pread_device (f->g, "/dev/sda", 512, 0, &len);
  bool code = false;

  if (mbr == NULL || len != 512) {
    report_warn (f->r, "cannot read the MBR of the first disk: %s", fix_gerror (f));
    return 0;
  }
  for (i = 0; i < 440; i++)
    code |= mbr[i] != 0;
  if (code && (unsigned char) mbr[510] == 0x55 && (unsigned char) mbr[511] == 0xaa) {
    report_skip (f->r, "boot loader install", "the first disk's MBR holds boot code%s",
                 memmem (mbr, 512, "GRUB", 4) ? " (GRUB)" : "");
    return 0;
  }
  {
    static const char *const installers[] = { "/usr/sbin/grub-install", "/usr/sbin/grub2-install",
                                              "/sbin/grub-install", "/sbin/grub2-install" };
    const char *tool = first_existing (f, installers, 4);
    CLEANUP_FREE char *out = NULL, *err = NULL;
    char *const argv[] = { (char *) tool, (char *) "--target=i386-pc", (char *) "/dev/sda",
                           NULL };
    if (tool == NULL) {
      report_warn (f->r, "the first disk's MBR holds no boot code, and the guest has "
                   "no grub-install to put GRUB there");
      return 0;
    }
    if (f->dry_run)
      report_change (f->r, "/dev/sda", "install GRUB in the MBR (%s)", tool);
    else if ((out = fix_run (f, "installing GRUB in the MBR", argv, &err)) == NULL)
      report_warn (f->r, "%s failed: %s", tool, err ? err : "unknown error");
    else
      report_change (f->r, "MBR of the first disk", "GRUB installed by %s", tool);
  }
  return 0;
}

/* UEFI: a new VM's NVRAM has no boot entries, so the firmware runs the
 * removable-media loader, EFI/BOOT/BOOTX64.EFI.  Where the guest has
 * none, its own loader goes there: shim (with the GRUB it loads from its
 * own directory, and MokManager), or GRUB alone. */
static int
uefi_boot (struct fix *f)
{
  static const char *const esps[] = { "/boot/efi", "/efi", "/boot" };
  static const char *const copy[] = { "grubx64.efi", "mmx64.efi", "grub.cfg" };
  const char *esp = NULL;
  CLEANUP_FREE char *fallback = NULL, *dir = NULL, *found = NULL;
  char **loaders = NULL, *d;
  size_t i;

  for (i = 0; i < 3 && esp == NULL; i++) {
    CLEANUP_FREE char *p = NULL;
    if (asprintf (&p, "%s/EFI", esps[i]) != -1 && guestfs_is_dir (f->g, p) == 1)
      esp = esps[i];
  }
  if (esp == NULL) {
    report_warn (f->r, "the VM boots by UEFI, but the guest has no EFI system "
                 "partition mounted at /boot/efi, /efi or /boot");
    return 0;
  }
  if (asprintf (&fallback, "%s/EFI/BOOT/BOOTX64.EFI", esp) == -1 ||
      asprintf (&dir, "%s/EFI/BOOT", esp) == -1)
    return report_fail (f->r, "out of memory"), -1;
  guestfs_push_error_handler (f->g, NULL, NULL);
  found = guestfs_case_sensitive_path (f->g, fallback);
  guestfs_pop_error_handler (f->g);
  if (found && fix_exists (f, found)) {
    report_skip (f->r, "UEFI fallback loader", "%s exists", found);
    return 0;
  }
  {
    CLEANUP_FREE char *pat = NULL;
    if (asprintf (&pat, "%s/EFI/*/shimx64.efi", esp) != -1)
      loaders = fix_glob (f, pat);
    if (loaders == NULL || loaders[0] == NULL) {
      fix_free_strv (loaders);
      loaders = NULL;
      free (pat);
      pat = NULL;
      if (asprintf (&pat, "%s/EFI/*/grubx64.efi", esp) != -1)
        loaders = fix_glob (f, pat);
    }
  }
  if (loaders == NULL || loaders[0] == NULL) {
    fix_free_strv (loaders);
    report_warn (f->r, "the guest has no %s and no shimx64.efi or grubx64.efi "
                 "to put there: it may not boot", fallback);
    return 0;
  }
  if (!f->dry_run && guestfs_mkdir_p (f->g, dir) == -1) {
    fix_free_strv (loaders);
    return report_fail (f->r, "%s: %s", dir, fix_gerror (f)), -1;
  }
  if (!f->dry_run && guestfs_cp (f->g, loaders[0], fallback) == -1) {
    report_fail (f->r, "%s: %s", fallback, fix_gerror (f));
    fix_free_strv (loaders);
    return -1;
  }
  report_change (f->r, fallback, "copied from %s", loaders[0]);
  d = strrchr (loaders[0], '/');
  for (i = 0; d && i < 3; i++) {
    CLEANUP_FREE char *from = NULL, *to = NULL;
    if (asprintf (&from, "%.*s/%s", (int) (d - loaders[0]), loaders[0], copy[i]) == -1 ||
        asprintf (&to, "%s/%s", dir, copy[i]) == -1)
      break;
    if (strcmp (from, loaders[0]) == 0 || !fix_exists (f, from) || fix_exists (f, to))
      continue;
    if (!f->dry_run && guestfs_cp (f->g, from, to) == -1) {
      report_fail (f->r, "%s: %s", to, fix_gerror (f));
      break;
    }
    report_change (f->r, to, "copied from %s", from);
  }
  fix_free_strv (loaders);
  return f->r->error ? -1 : 0;
}

int
linux_boot_loader (struct fix *f)
{
  return f->efi ? uefi_boot (f) : bios_boot (f);
}
