/* Shared between the steps of the Linux fix: linux.c (packages, VMware
 * leftovers, NICs, device names, SELinux, the order of it all) and
 * linux-boot.c (the initramfs and the boot loader). */
#ifndef V2V_LINUX_H
#define V2V_LINUX_H

#include "fix.h"

/* Write PATH with CONTENT unless it holds that already; report it as
 * WHY.  1 when written, 0 when it was already so, -1 on error. */
int put_file (struct fix *f, const char *path, const char *content,
              const char *why);
/* Apply EDIT to every regular file PATTERN matches (a plain path is a
 * pattern too).  The number of files changed, or -1. */
int edit_matching (struct fix *f, const char *pattern, fix_edit_fn edit,
                   void *arg);

/* The steps in linux-boot.c: the initramfs holds the virtio drivers;
 * the boot loader's configuration names the root stably; the boot loader
 * is installed where the new firmware looks.  0 or -1, as every step. */
int linux_initramfs (struct fix *f);
int linux_bootloader_config (struct fix *f);
int linux_boot_loader (struct fix *f);

#endif
