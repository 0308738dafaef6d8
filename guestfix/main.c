/* v2vfs-fix: make the VMware guest of a v2vfs mount bootable on KVM,
 * writing only into the mount's overlay; or, with -a, the copies of its
 * disks on the target storage, in place (targets.c).
 *
 * It needs nothing but the mount point: MNT/domain.xml names the disks
 * (the raw views, opened by libguestfs as plain raw files), the NICs'
 * MACs and the firmware, and its extended attribute FIXREPORT_XATTR says
 * where the report goes (the overlay DIR; a mount without --overlay has
 * no such attribute).  The guest is inspected, fixed (linux.h), the
 * appliance shut down and the views flushed, and only then is the report
 * written: the mount rereads it and domain.xml switches to virtio.
 *
 * Exit status: 0 when the guest is fixed (or was already), 1 when the
 * run failed; the report says why. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <guestfs.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "cleanup.h"
#include "domxml.h"
#include "fix.h"
#include "fixreport.h"
#include "fullio.h"
#include "targets.h"
#include "vm.h"

/* The appliance starts in well under a minute even under TCG: one that
 * takes longer than this is likely stuck on a /dev/kvm that runs no
 * guests, and the user hears how to get past it. */
#define LAUNCH_HINT_SECONDS 180

static void
launch_hint (int sig)
{
  static const char msg[] =
    "v2vfs-fix: the appliance is still starting; where /dev/kvm exists but runs "
    "no guests, it never will: stop this and run with "
    "LIBGUESTFS_BACKEND_SETTINGS=force_tcg\n";
  ssize_t r;

  (void) sig;
  r = write (STDERR_FILENO, msg, sizeof msg - 1);
  (void) r;
}

static void
usage (FILE *f)
{
  fprintf (f,
"Usage: v2vfs-fix [OPTIONS] MOUNTPOINT\n"
"       v2vfs-fix [OPTIONS] -a TARGET [-a TARGET...] --domain-xml FILE\n"
"                 [--output-xml OUT]\n"
"Make the VMware guest of a v2vfs mount bootable on KVM.  The mount must\n"
"have an overlay (v2vfs --overlay DIR): every change lands there, the\n"
"source is never written.  Afterwards MOUNTPOINT/domain.xml describes the\n"
"fixed guest (virtio disks and NICs), and DIR holds the report.\n"
"With -a, fix the copies of its disks on the target storage instead (raw\n"
"files, block devices or qcow2 files), writing into them.\n"
"\n"
"  -a TARGET     a disk to fix in place, in the order of FILE's disks\n"
"  --domain-xml FILE\n"
"                with -a: the mount's domain.xml (the VM's name, firmware\n"
"                and NICs' MACs; the targets replace its disks)\n"
"  --output-xml OUT\n"
"                with -a: write a libvirt domain for the fixed targets\n"
"  --vm NAME     the VM's directory, when the mount holds several\n"
"  --virtio-win DIR|ISO\n"
"                Windows: the virtio drivers, a tree laid out like the\n"
"                virtio-win ISO or the ISO itself (default: " DEFAULT_VIRTIO_WIN "\n"
"                /virtio-win.iso, else " DEFAULT_VIRTIO_WIN ", when it exists)\n"
"  --allow-unfixed\n"
"                Windows: with no virtio storage driver, keep the disks on\n"
"                SATA and the NICs on e1000 rather than refuse\n"
"  --dry-run     list what would change; change nothing\n"
"  -v, --verbose show libguestfs's own messages\n"
"  --help\n"
"  --version\n");
}

/* What domain.xml says of the VM. */
struct domain {
  char *name;
  bool efi;
  size_t n_disks, n_macs;
  char **disks;
  char (*macs)[18];
};

static void
domain_free (struct domain *d)
{
  size_t i;

  free (d->name);
  for (i = 0; i < d->n_disks; i++)
    free (d->disks[i]);
  free (d->disks);
  free (d->macs);
}

/* The values of XPATH in DOC's context CTX. */
static xmlXPathObject *
query (xmlXPathContext *ctx, const char *xpath)
{
  xmlXPathObject *o = xmlXPathEvalExpression (BAD_CAST xpath, ctx);

  if (o && o->type != XPATH_NODESET) {
    xmlXPathFreeObject (o);
    return NULL;
  }
  return o;
}

static size_t
n_nodes (const xmlXPathObject *o)
{
  return o && o->nodesetval ? (size_t) o->nodesetval->nodeNr : 0;
}

static char *
node_text (const xmlXPathObject *o, size_t i)
{
  xmlChar *c = xmlNodeGetContent (o->nodesetval->nodeTab[i]);
  char *s = c ? strdup ((const char *) c) : NULL;

  xmlFree (c);
  return s;
}

static int
read_domain (const char *path, struct domain *d)
{
  size_t len, i;
  CLEANUP_FREE char *xml = read_small_file (path, DOMXML_MAX_BYTES, &len);
  xmlDoc *doc;
  xmlXPathContext *ctx = NULL;
  xmlXPathObject *name = NULL, *disks = NULL, *macs = NULL, *efi = NULL;
  int ret = -1;

  memset (d, 0, sizeof *d);
  if (xml == NULL) {
    fprintf (stderr, "v2vfs-fix: %s: %s\n", path, strerror (errno));
    return -1;
  }
  doc = xmlReadMemory (xml, (int) len, path, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                       XML_PARSE_NOWARNING);
  if (doc == NULL || (ctx = xmlXPathNewContext (doc)) == NULL) {
    fprintf (stderr, "v2vfs-fix: %s: not an XML document\n", path);
    goto out;
  }
  name = query (ctx, "/domain/name");
  disks = query (ctx, "/domain/devices/disk[@device='disk']/source/@file | "
                 "/domain/devices/disk[@device='disk']/source/@dev");
  macs = query (ctx, "/domain/devices/interface/mac/@address");
  efi = query (ctx, "/domain/os[@firmware='efi'] | /domain/os/loader");
  if (n_nodes (name) != 1 || n_nodes (disks) == 0) {
    fprintf (stderr, "v2vfs-fix: %s: not a libvirt domain with disks\n", path);
    goto out;
  }
  d->name = node_text (name, 0);
  d->efi = n_nodes (efi) > 0;
  d->disks = calloc (n_nodes (disks), sizeof *d->disks);
  d->macs = calloc (n_nodes (macs) + 1, sizeof *d->macs);
  if (d->name == NULL || d->disks == NULL || d->macs == NULL)
    goto oom;
  for (i = 0; i < n_nodes (disks); i++)
    if ((d->disks[d->n_disks++] = node_text (disks, i)) == NULL)
      goto oom;
  for (i = 0; i < n_nodes (macs); i++) {
    CLEANUP_FREE char *m = node_text (macs, i);
    if (m && vm_parse_mac (m, d->macs[d->n_macs]) == 0)
      d->n_macs++;
  }
  ret = 0;
  goto out;
 oom:
  fprintf (stderr, "v2vfs-fix: out of memory\n");
 out:
  xmlXPathFreeObject (name);
  xmlXPathFreeObject (disks);
  xmlXPathFreeObject (macs);
  xmlXPathFreeObject (efi);
  xmlXPathFreeContext (ctx);
  xmlFreeDoc (doc);
  if (ret == -1)
    domain_free (d);
  return ret;
}

/* Where MNT's report goes, from domain.xml's attribute; NULL when the
 * mount has no overlay (said, unless QUIET). */
static char *
report_path (const char *mnt, const char *domxml, bool quiet)
{
  char buf[4096];
  ssize_t n = getxattr (domxml, FIXREPORT_XATTR, buf, sizeof buf - 1);
  struct statvfs sv;

  if (n > 0) {
    buf[n] = '\0';
    return strdup (buf);
  }
  if (quiet)
    return NULL;
  if ((n == -1 && (errno == ENODATA || errno == ENOTSUP)) ||
      (statvfs (mnt, &sv) == 0 && (sv.f_flag & ST_RDONLY)))
    fprintf (stderr, "v2vfs-fix: %s: the mount has no overlay: v2vfs-fix writes "
             "its changes only into one; mount again with v2vfs --overlay DIR "
             "(or look first with --dry-run)\n", mnt);
  else
    fprintf (stderr, "v2vfs-fix: %s: %s\n", domxml, strerror (errno));
  return NULL;
}

/* Whether the Linux guest, mounted read-only, has anything left to fix:
 * the steps run dry first, and their entries are taken back when they
 * would change something.  A guest already fixed is then never mounted
 * read-write, which writes to the disk even when no file changes (ext4's
 * superblock and journal): a second run leaves every byte as it was. */
static bool
would_change (struct fix *f)
{
  struct report_mark m;
  double t0 = report_now (f->r);
  bool changed;

  report_mark (f->r, &m);
  f->dry_run = true;
  changed = fix_linux (f) == 0 && report_changed (f->r);
  f->dry_run = false;
  if (changed) {
    /* The run's times: this pass as one part, then each step. */
    report_rewind (f->r, &m);
    report_step (f->r, "plan", report_now (f->r) - t0);
  }
  else if (!f->r->error)
    report_progress (f->r, "nothing to change: the disks stay as they were");
  return changed;
}

/* Inspect, mount and fix; the appliance is up. */
static int
inspect_and_fix (struct fix *f)
{
  char **roots;
  CLEANUP_FREE char *type = NULL;
  double t0 = report_now (f->r);
  size_t n;
  int r;

  report_progress (f->r, "inspecting the guest");
  if ((roots = guestfs_inspect_os (f->g)) == NULL)
    return report_fail (f->r, "inspection: %s", fix_gerror (f)), -1;
  for (n = 0; roots[n]; n++)
    ;
  /* An encrypted system volume hides the OS: say so rather than that
   * there is none. */
  if (n == 0 && fix_refuse_bitlocker (f) == -1) {
    fix_free_strv (roots);
    return -1;
  }
  if (n != 1) {
    report_fail (f->r, n == 0 ? "no operating system found on the VM's disks" :
                 "%zu operating systems on the VM's disks: v2vfs-fix fixes a VM "
                 "with one", n);
    fix_free_strv (roots);
    return -1;
  }
  f->root = roots[0];
  free (roots);
  type = guestfs_inspect_get_type (f->g, f->root);
  if (type && strcmp (type, "windows") == 0) {
    report_step (f->r, "inspection", report_now (f->r) - t0);
    t0 = report_now (f->r);
    r = fix_windows (f);
    report_step (f->r, "windows", report_now (f->r) - t0);
    return r;
  }
  if (type == NULL || strcmp (type, "linux") != 0) {
    CLEANUP_FREE char *product = guestfs_inspect_get_product_name (f->g, f->root);
    return report_fail (f->r, "the guest is %s (%s): v2vfs-fix fixes Linux and "
                        "Windows guests", product ? product : "unknown",
                        type ? type : "unknown"), -1;
  }
  /* The checks look at a read-only guest, so a guest that cannot be
   * fixed leaves the overlay as it was. */
  r = fix_mount_guest (f, true, true) == -1 || fix_linux_check (f) == -1 ? -1 : 0;
  report_step (f->r, "inspection", report_now (f->r) - t0);
  if (r == -1)
    return -1;
  if (f->dry_run)
    return fix_linux (f);
  if (!would_change (f))
    return f->r->error ? -1 : 0;
  if (guestfs_umount_all (f->g) == -1 || fix_mount_guest (f, false, false) == -1)
    return report_fail (f->r, "cannot mount the guest read-write: %s",
                        fix_gerror (f)), -1;
  return fix_linux (f);
}

/* Give back the freed blocks of each file system: a discard reaches the
 * overlay, whose views then read zeros there and copy as holes. */
static void
trim (struct fix *f)
{
  double t0 = report_now (f->r);
  size_t i;

  report_progress (f->r, "discarding the blocks the fix freed (fstrim)");
  guestfs_push_error_handler (f->g, NULL, NULL);
  for (i = 0; f->mountpoints && f->mountpoints[i]; i += 2)
    guestfs_fstrim (f->g, f->mountpoints[i], -1);
  guestfs_pop_error_handler (f->g);
  report_step (f->r, "fstrim", report_now (f->r) - t0);
}

/* The appliance is gone: make every write durable in the overlay (or
 * the target) before the report says the guest is fixed. */
static int
flush_views (struct fix *f)
{
  size_t i;

  for (i = 0; i < f->n_disks; i++) {
    int fd = open (f->disks[i], O_RDONLY | O_CLOEXEC);
    if (fd == -1 || fsync (fd) == -1) {
      report_fail (f->r, "%s: cannot flush it: %s", f->disks[i], strerror (errno));
      if (fd != -1)
        close (fd);
      return -1;
    }
    close (fd);
  }
  return 0;
}

static int
run (struct fix *f, bool verbose)
{
  size_t i;
  int smp = sysconf (_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1, r;
  double t0;

  if ((f->g = guestfs_create ()) == NULL)
    return report_fail (f->r, "cannot create a libguestfs handle"), -1;
  guestfs_set_error_handler (f->g, NULL, NULL);
  if (verbose) {
    guestfs_set_verbose (f->g, 1);
    guestfs_set_trace (f->g, 1);
  }
  guestfs_set_smp (f->g, smp);
  for (i = 0; i < f->n_disks; i++) {
    /* Never probed by libguestfs: a raw disk whose guest wrote a QCOW2
     * header at its start would be read as that image. */
    const char *format = f->formats ? f->formats[i] : "raw";
    r = f->dry_run ?
      guestfs_add_drive_opts (f->g, f->disks[i], GUESTFS_ADD_DRIVE_OPTS_FORMAT, format,
                              GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) :
      /* No flush reaches the overlay mid-run (unsafe): the views are
       * flushed once, at the end, before the report is written. */
      guestfs_add_drive_opts (f->g, f->disks[i], GUESTFS_ADD_DRIVE_OPTS_FORMAT, format,
                              GUESTFS_ADD_DRIVE_OPTS_DISCARD, "besteffort",
                              GUESTFS_ADD_DRIVE_OPTS_CACHEMODE, "unsafe", -1);
    if (r == -1)
      return report_fail (f->r, "%s: %s", f->disks[i], fix_gerror (f)), -1;
  }
  /* The virtio-win ISO goes last, read-only, so the guest's disks keep
   * their names. */
  if (f->virtio_win_iso &&
      guestfs_add_drive_opts (f->g, f->virtio_win, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw",
                              GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) == -1)
    return report_fail (f->r, "%s: %s", f->virtio_win, fix_gerror (f)), -1;
  report_progress (f->r, "starting the libguestfs appliance%s",
                   access ("/dev/kvm", R_OK | W_OK) == 0 ? "" :
                   " (no KVM here: under TCG this takes a minute)");
  signal (SIGALRM, launch_hint);
  alarm (LAUNCH_HINT_SECONDS);
  t0 = report_now (f->r);
  r = guestfs_launch (f->g);
  alarm (0);
  report_step (f->r, "launch", report_now (f->r) - t0);
  if (r == -1)
    return report_fail (f->r, "cannot start the libguestfs appliance: %s",
                        fix_gerror (f)), -1;
  report_progress (f->r, "the appliance is up");
  r = inspect_and_fix (f);
  if (r == 0 && !f->dry_run && report_changed (f->r))
    trim (f);
  /* After a failure too: the file systems are unmounted and the
   * appliance shut down cleanly, so what the run did change is whole in
   * the overlay, and the report can say what that was. */
  t0 = report_now (f->r);
  if (guestfs_umount_all (f->g) == -1 || guestfs_shutdown (f->g) == -1) {
    report_fail (f->r, "cannot shut the appliance down cleanly: %s", fix_gerror (f));
    r = -1;
  }
  report_step (f->r, "shutdown", report_now (f->r) - t0);
  guestfs_close (f->g);
  f->g = NULL;
  if (!f->dry_run && flush_views (f) == -1)
    r = -1;
  return r;
}

/* Whether the arguments ask for one mode, a mount's or the targets';
 * if not, one line (or the usage) says what is wrong. */
static int
check_mode (size_t n_targets, const struct fix_targets *ft, const char *vm,
            int n_args)
{
  const char *why = NULL;

  if (n_targets && n_args)
    why = "-a fixes disks that are not a mount: give -a TARGET or a "
      "MOUNTPOINT, not both";
  else if (n_targets && vm)
    why = "--vm names a VM of a mount: with -a, --domain-xml says which VM";
  else if (n_targets && ft->domxml == NULL)
    why = "-a needs --domain-xml FILE, the mount's domain.xml: it names the "
      "VM, its firmware and its NICs' MACs";
  else if (!n_targets && ft->domxml)
    why = "--domain-xml goes with -a TARGET: a mount has its own domain.xml";
  else if (!n_targets && ft->output)
    why = "--output-xml goes with -a TARGET: a mount's domain.xml follows "
      "the fix by itself";
  if (why) {
    fprintf (stderr, "v2vfs-fix: %s\n", why);
    return -1;
  }
  if (!n_targets && n_args != 1) {
    usage (stderr);
    return -1;
  }
  return 0;
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "vm", required_argument, NULL, 'm' },
    { "dry-run", no_argument, NULL, 'n' },
    { "virtio-win", required_argument, NULL, 'w' },
    { "allow-unfixed", no_argument, NULL, 'u' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { "domain-xml", required_argument, NULL, 'D' },
    { "output-xml", required_argument, NULL, 'O' },
    { NULL, 0, NULL, 0 },
  };
  const char *vm = NULL, *mnt = NULL, *virtio_win = NULL;
  bool dry_run = false, verbose = false, allow_unfixed = false;
  struct stat st;
  CLEANUP_FREE char *domxml = NULL, *report = NULL;
  /* The -a arguments: at most one an argument. */
  CLEANUP_FREE char **targets = calloc ((size_t) argc, sizeof *targets);
  size_t n_targets = 0;
  struct fix_targets ft = { 0 };
  struct report_result res;
  struct fixreport_result before = { 0 };
  struct domain d = { 0 };
  struct report r;
  struct fix f = { 0 };
  struct v2_error e;
  int c, ret = 1;
  size_t i;

  if (targets == NULL)
    return 1;
  while ((c = getopt_long (argc, argv, "a:v", longopts, NULL)) != -1) {
    switch (c) {
    case 'a': targets[n_targets++] = optarg; break;
    case 'D': ft.domxml = optarg; break;
    case 'O': ft.output = optarg; break;
    case 'm': vm = optarg; break;
    case 'n': dry_run = true; break;
    case 'w': virtio_win = optarg; break;
    case 'u': allow_unfixed = true; break;
    case 'v': verbose = true; break;
    case 'h': usage (stdout); return 0;
    case 'V': printf ("v2vfs-fix %s\n", PACKAGE_VERSION); return 0;
    default: usage (stderr); return 1;
    }
  }
  if (check_mode (n_targets, &ft, vm, argc - optind) == -1)
    return 1;
  if (n_targets == 0)
    mnt = argv[optind];
  if (vm && (strchr (vm, '/') || strcmp (vm, "..") == 0)) {
    fprintf (stderr, "v2vfs-fix: --vm %s: not a VM directory's name\n", vm);
    return 1;
  }
  /* The package holds the ISO, and in some versions the tree beside it. */
  if (virtio_win == NULL && stat (DEFAULT_VIRTIO_WIN "/virtio-win.iso", &st) == 0)
    virtio_win = DEFAULT_VIRTIO_WIN "/virtio-win.iso";
  else if (virtio_win == NULL && stat (DEFAULT_VIRTIO_WIN, &st) == 0)
    virtio_win = DEFAULT_VIRTIO_WIN;
  if (virtio_win && stat (virtio_win, &st) == -1) {
    fprintf (stderr, "v2vfs-fix: --virtio-win %s: %s\n", virtio_win, strerror (errno));
    return 1;
  }
  if (virtio_win && !S_ISDIR (st.st_mode) && !S_ISREG (st.st_mode)) {
    fprintf (stderr, "v2vfs-fix: --virtio-win %s: neither a directory nor an ISO "
             "file\n", virtio_win);
    return 1;
  }
  if (n_targets) {
    if (read_domain (ft.domxml, &d) == -1 ||
        fix_targets_open (&ft, targets, n_targets, dry_run) == -1)
      goto out;
  }
  else {
    if (asprintf (&domxml, "%s%s%s/domain.xml", mnt, vm ? "/" : "", vm ? vm : "") == -1)
      return 1;
    if (access (domxml, R_OK) == -1) {
      fprintf (stderr, "v2vfs-fix: %s: %s%s\n", domxml, strerror (errno),
               vm ? "" : " (not a v2vfs mount, or one with several VMs: name one "
               "with --vm)");
      return 1;
    }
    if (read_domain (domxml, &d) == -1)
      return 1;
    report = report_path (mnt, domxml, dry_run);
    if (report == NULL && !dry_run)
      goto out;
    if (report && fixreport_read (report, &before, &e) == -1) {
      fprintf (stderr, "v2vfs-fix: %s\n", e.msg);
      goto out;
    }
  }

  report_init (&r, d.name, dry_run);
  f.r = &r;
  f.dry_run = dry_run;
  f.n_disks = n_targets ? ft.n : d.n_disks;
  f.disks = n_targets ? ft.paths : d.disks;
  f.formats = n_targets ? ft.formats : NULL;
  f.n_macs = d.n_macs;
  f.macs = d.macs;
  f.efi = d.efi;
  f.virtio_win = virtio_win;
  f.virtio_win_iso = virtio_win && S_ISREG (st.st_mode);
  f.allow_unfixed = allow_unfixed;
  report_progress (&r, "%s: %zu disk%s, %zu NIC%s%s", d.name, f.n_disks,
                   f.n_disks == 1 ? "" : "s", d.n_macs, d.n_macs == 1 ? "" : "s",
                   dry_run ? "; dry run: nothing will change" : "");
  if (run (&f, verbose) == 0 && !r.oom)
    ret = 0;
  if (r.oom)
    report_fail (&r, "out of memory");
  if (ret != 0 && !r.error)
    report_fail (&r, "the fix did not complete");
  if (f.g)
    guestfs_close (f.g);
  /* The result domain.xml takes: this run's when it worked; when it
   * failed, what was there before if it changed nothing, else the
   * drivers every guest has (the guest may be half fixed). */
  if (r.error) {
    r.virtio_blk = !report_changed (&r) && before.disk_bus == DOMXML_DISK_VIRTIO_BLK;
    r.virtio_scsi = !report_changed (&r) && before.disk_bus == DOMXML_DISK_VIRTIO_SCSI;
    r.virtio_net = !report_changed (&r) && before.virtio_net;
  }
  res = (struct report_result) { r.virtio_blk, r.virtio_scsi, r.virtio_net };
  if (n_targets && fix_targets_write_xml (&ft, &r, &res) == -1)
    ret = 1;
  if (!dry_run && !n_targets) {
    if (report_write (&r, report, &res, &e) == -1) {
      fprintf (stderr, "v2vfs-fix: cannot write the report: %s\n", e.msg);
      ret = 1;
    }
    else
      report_progress (&r, "report written to %s", report);
  }
  report_print (&r, stdout);
  if (r.error)
    fprintf (stderr, "v2vfs-fix: %s\n", r.error);
  report_free (&r);
  fix_free_strv (f.mountpoints);
  free (f.root);
  for (i = 0; i < f.n_kernels; i++) {
    free (f.kernels[i].version);
    free (f.kernels[i].modules);
    free (f.kernels[i].image);
  }
  free (f.kernels);
 out:
  domain_free (&d);
  fix_targets_free (&ft);
  return ret;
}
