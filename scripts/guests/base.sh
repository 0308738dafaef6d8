# shellcheck shell=bash
# The Debian 12 root every test guest of scripts/mkguest starts from:
# debootstrap's minbase with a kernel, systemd, udev and VMware's tools,
# as a guest that grew up on VMware has them.  scripts/mkguest builds it
# once and caches it keyed by this file; each guest then installs its own
# packages (boot loader, initramfs generator, LVM, network stack) on a
# copy of it.  Sourced by scripts/mkguest.

# shellcheck disable=SC2034  # read by scripts/mkguest
base_packages=(
    linux-image-amd64 systemd-sysv udev kmod initramfs-tools
    open-vm-tools iproute2
)
