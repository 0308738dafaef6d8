/* v2vfs-boot: test-boot the VM of a v2vfs mount under libvirt, without
 * touching the mount; or any libvirt domain (--domain-xml), such as the
 * one v2vfs-fix writes for the fixed copies on the target storage, or
 * the mount's own pointed at those copies (-a).
 *
 * It reads MNT/domain.xml, puts a throwaway qcow2 layer over each disk
 * (backed by the raw view, or the target, which stays read-only: its
 * format is the domain's <driver type>, raw or qcow2; with -a, what the
 * target's first bytes say, formats/target.h), starts the result as
 * a transient libvirt domain, and watches the serial console until a line
 * matches the readiness pattern.  Then it shuts the domain down (or
 * destroys it after a grace period), removes the layers, and reports the
 * time to boot.  Writes of the test boot land in the layers only: the
 * overlay that will be copied, and the source, stay as they were.
 *
 * The NICs keep their MACs and models but are put on user-mode
 * networking unless --keep-network is given: a test boot must not show
 * up on the network where the source VM still runs with the same MAC.
 *
 * Everything goes through the libvirt C API; qemu-img makes the layers. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cleanup.h"
#include "domxml.h"
#include "fullio.h"
#include "monotonic.h"
#include "qemu-user.h"
#include "target.h"
#include "xmlread.h"

extern char **environ;

#define MAX_LAYERS 64
#define LINE_MAX_BYTES 4096

struct boot {
  const char *xml_name;          /* the domain's file, for messages */
  bool mount;                    /* it is MOUNTPOINT/domain.xml */
  size_t n_targets;
  struct target *targets;        /* -a: they replace its disks, in order */
  const char *ready;             /* the readiness pattern, as given */
  regex_t re;
  double timeout, shutdown_timeout;
  bool keep_network;
  bool tcg;                      /* no KVM: a domain of type qemu */
  char dir[PATH_MAX];            /* the layers' directory */
  size_t n_layers;
  char *layers[MAX_LAYERS];
  virStreamPtr st;
  char line[LINE_MAX_BYTES];
  size_t line_len;
  bool cr;                       /* the last byte was a carriage return */
  double last_bytes;             /* when the console last said something */
  bool seen, stream_done;
  char *ready_line;
  bool check_access;             /* qemu:///system: qemu runs as ... */
  struct qemu_user qemu;         /* ... this user */
};

static volatile sig_atomic_t stop_signal;

static void
on_signal (int sig)
{
  stop_signal = sig;
}

/* libvirt prints every error by default, even the "no such domain" of a
 * transient domain that is gone as expected: its errors are read with
 * virt_error where they matter, and printed once. */
static void
quiet_errors (void *opaque, virErrorPtr err)
{
  (void) opaque;
  (void) err;
}

static const char *
virt_error (void)
{
  const virError *err = virGetLastError ();

  return err && err->message ? err->message : "unknown libvirt error";
}

static void
usage (FILE *f)
{
  fprintf (f,
"Usage: v2vfs-boot [OPTIONS] MOUNTPOINT\n"
"       v2vfs-boot [OPTIONS] --domain-xml FILE [-a TARGET...]\n"
"Test-boot the VM of a v2vfs mount (or the libvirt domain FILE) as a\n"
"transient libvirt domain, over throwaway qcow2 layers, and report when\n"
"it is up.  The disks under the layers are never written.\n"
"\n"
"  --domain-xml FILE     boot this domain instead of MOUNTPOINT/domain.xml\n"
"                        (its disks' raw or qcow2 files or block devices)\n"
"  -a TARGET             with --domain-xml: boot this disk (raw or qcow2\n"
"                        file, or block device) in place of FILE's next disk\n"
"  --print-xml           print the test domain's XML and exit, without\n"
"                        connecting to libvirt\n"
"  --vm NAME             the VM's directory, when the mount holds several\n"
"  --ready REGEX         the serial console line that means \"up\"\n"
"                        (extended regex; default: login:)\n"
"  --timeout SECS        give up waiting for it after SECS (default 600)\n"
"  --shutdown-timeout SECS\n"
"                        then wait this long for an ACPI shutdown before\n"
"                        destroying the domain (default 60)\n"
"  --connect URI         libvirt URI (default qemu:///system)\n"
"  --keep-network        keep domain.xml's networks (default: user-mode\n"
"                        networking, so the test VM stays off the LAN)\n"
"  --accel kvm|tcg       run the domain under KVM or emulated (default: KVM\n"
"                        when /dev/kvm can be opened)\n"
"  --help\n");
}

/* Run qemu-img to make LAYER, a qcow2 backed by VIEW, of FORMAT (raw or
 * qcow2: given, never probed). */
static int
make_layer (const char *view, const char *format, const char *layer)
{
  char *argv[] = { (char *) "qemu-img", (char *) "create", (char *) "-q",
                   (char *) "-f", (char *) "qcow2", (char *) "-F", (char *) format,
                   (char *) "-b", (char *) view, (char *) layer, NULL };
  pid_t pid;
  int status;

  if ((errno = posix_spawnp (&pid, "qemu-img", NULL, NULL, argv, environ)) != 0) {
    fprintf (stderr, "v2vfs-boot: qemu-img: %s\n", strerror (errno));
    return -1;
  }
  if (waitpid (pid, &status, 0) == -1 || !WIFEXITED (status) ||
      WEXITSTATUS (status) != 0) {
    fprintf (stderr, "v2vfs-boot: qemu-img create of a layer over %s failed\n",
             view);
    return -1;
  }
  return 0;
}

/* Can libvirt's qemu user open VIEW?  The test domain only reads it, so
 * a view it cannot read is an error.  One it cannot write is the trap
 * of a domain started from domain.xml itself, which opens its disks for
 * writing: worth a note, since the user is about to try that next. */
static int
check_view (const struct boot *b, const char *view)
{
  bool can_read, can_write, rw;
  char why[160];

  if (!b->check_access)
    return 0;
  if (qemu_user_access (&b->qemu, view, &can_read, &can_write, &rw, why,
                        sizeof why) == -1) {
    fprintf (stderr, "v2vfs-boot: %s: %s\n", view, strerror (errno));
    return -1;
  }
  if (!can_read && !b->mount) {
    fprintf (stderr, "v2vfs-boot: %s: libvirt's qemu runs as %s, which "
             "cannot read this disk: %s; let it (chown, chmod, or setfacl "
             "-m u:%s:r)\n", view, b->qemu.name, why, b->qemu.name);
    return -1;
  }
  if (!can_read) {
    fprintf (stderr, "v2vfs-boot: %s: libvirt's qemu runs as %s, which "
             "cannot read this disk: %s; mount it with -o allow_other "
             "(and --owner %s with --overlay)\n", view, b->qemu.name, why,
             b->qemu.name);
    return -1;
  }
  if (rw && !can_write && b->mount)
    fprintf (stderr, "v2vfs-boot: note: %s: %s cannot write this disk (%s). "
             "This test boot writes to throwaway layers and does not mind, "
             "but a domain started from domain.xml itself (virsh create) "
             "fails with \"Permission denied\": mount with --owner %s\n",
             view, b->qemu.name, why, b->qemu.name);
  return 0;
}

/* <source file=VIEW> (or dev=VIEW) of a disk becomes the layer, with
 * VIEW as its backing store, in the format of the disk's <driver type>,
 * which libvirt must neither relabel nor chown. */
static int
layer_disk (struct boot *b, xmlNode *disk)
{
  xmlNode *src = xml_child (disk, "source"), *drv = xml_child (disk, "driver");
  xmlNode *bs, *bsrc, *n;
  CLEANUP_FREE char *layer = NULL;
  xmlChar *file = src ? xmlGetProp (src, BAD_CAST "file") : NULL;
  xmlChar *dev = src && file == NULL ? xmlGetProp (src, BAD_CAST "dev") : NULL;
  xmlChar *type = drv ? xmlGetProp (drv, BAD_CAST "type") : NULL;
  const char *view = (const char *) (file ? file : dev);
  const char *format = type ? (const char *) type : "raw";
  int r = -1;

  if (view == NULL) {
    r = 0;
    goto out;
  }
  if (strcmp (format, "raw") != 0 && strcmp (format, "qcow2") != 0) {
    fprintf (stderr, "v2vfs-boot: %s: %s: driver type '%s': v2vfs-boot layers "
             "over raw and qcow2 disks\n", b->xml_name, view, format);
    goto out;
  }
  if (b->n_layers == MAX_LAYERS ||
      asprintf (&layer, "%s/disk%zu.qcow2", b->dir, b->n_layers) == -1) {
    fprintf (stderr, "v2vfs-boot: too many disks\n");
    goto out;
  }
  if (check_view (b, view) == -1 || make_layer (view, format, layer) == -1)
    goto out;
  b->layers[b->n_layers++] = strdup (layer);
  xmlSetProp (disk, BAD_CAST "type", BAD_CAST "file");
  xmlUnsetProp (src, BAD_CAST "dev");
  xmlSetProp (src, BAD_CAST "file", BAD_CAST layer);
  /* libvirt labels the layer for qemu as usual; the seclabel moves to
   * the view, below. */
  xml_drop_children (src, "seclabel");
  if (drv == NULL && (drv = xmlNewChild (disk, NULL, BAD_CAST "driver", NULL)))
    xmlSetProp (drv, BAD_CAST "name", BAD_CAST "qemu");
  if (drv)
    xmlSetProp (drv, BAD_CAST "type", BAD_CAST "qcow2");
  /* The chain is the one named here, whatever the domain said. */
  xml_drop_children (disk, "backingStore");
  bs = xmlNewChild (disk, NULL, BAD_CAST "backingStore", NULL);
  xmlSetProp (bs, BAD_CAST "type", BAD_CAST (dev ? "block" : "file"));
  n = xmlNewChild (bs, NULL, BAD_CAST "format", NULL);
  xmlSetProp (n, BAD_CAST "type", BAD_CAST format);
  bsrc = xmlNewChild (bs, NULL, BAD_CAST "source", NULL);
  xmlSetProp (bsrc, BAD_CAST (dev ? "dev" : "file"), BAD_CAST view);
  n = xmlNewChild (bsrc, NULL, BAD_CAST "seclabel", NULL);
  xmlSetProp (n, BAD_CAST "model", BAD_CAST "dac");
  xmlSetProp (n, BAD_CAST "relabel", BAD_CAST "no");
  xmlNewChild (bs, NULL, BAD_CAST "backingStore", NULL);
  r = 0;
 out:
  xmlFree (file);
  xmlFree (dev);
  xmlFree (type);
  return r;
}

/* A NIC on user-mode networking: same MAC and model, no LAN. */
static void
isolate_nic (xmlNode *nic)
{
  xmlNode *src = xml_child (nic, "source");

  xmlSetProp (nic, BAD_CAST "type", BAD_CAST "user");
  if (src) {
    xmlUnlinkNode (src);
    xmlFreeNode (src);
  }
}

/* What TCG cannot do, taken out of a domain.xml written for KVM (tried
 * with libvirt 9.0 and QEMU 7.2, type qemu):
 *   - Hyper-V's vpindex: QEMU stops with "kernel doesn't allow setting
 *     HyperV VP_INDEX", and synic and stimer need it.  relaxed, vapic,
 *     spinlocks and the hypervclock timer start;
 *   - <cpu mode='host-passthrough'> (nested virtualization): libvirt
 *     refuses it for a qemu domain, and TCG has no VT-x to pass.  The
 *     topology stays.
 * The IOMMU, SMM and secure boot work under TCG, only slower. */
static void
tcg_only (xmlNode *dom)
{
  static const char *const hyperv_kvm_only[] = { "vpindex", "synic", "stimer" };
  xmlNode *hv = xml_child (xml_child (dom, "features"), "hyperv");
  xmlNode *cpu = xml_child (dom, "cpu");
  xmlChar *mode = cpu ? xmlGetProp (cpu, BAD_CAST "mode") : NULL;
  size_t i;

  for (i = 0; i < sizeof hyperv_kvm_only / sizeof *hyperv_kvm_only; i++)
    xml_drop_children (hv, hyperv_kvm_only[i]);
  if (mode && strcmp ((const char *) mode, "host-passthrough") == 0)
    xmlUnsetProp (cpu, BAD_CAST "mode");
  xmlFree (mode);
}

/* The test domain's XML: DOMXML with layers, its own name, and type
 * qemu (TCG), without what TCG cannot do, when there is no KVM. */
static char *
test_domain (struct boot *b, const char *domxml, size_t len)
{
  struct v2_error e;
  xmlDoc *doc = xml_read_untrusted (domxml, len, b->xml_name, &e);
  xmlNode *dom = doc ? xmlDocGetRootElement (doc) : NULL;
  xmlNode *name, *devs, *n;
  xmlChar *out = NULL;
  char *r = NULL;
  int out_len;

  if (doc == NULL) {
    fprintf (stderr, "v2vfs-boot: %s\n", e.msg);
    goto out;
  }
  if (dom == NULL || strcmp ((const char *) dom->name, "domain") != 0) {
    fprintf (stderr, "v2vfs-boot: %s: not a libvirt domain\n", b->xml_name);
    goto out;
  }
  if (b->n_targets &&
      target_point_domain (doc, b->xml_name, b->targets, b->n_targets, &e) == -1) {
    fprintf (stderr, "v2vfs-boot: %s\n", e.msg);
    goto out;
  }
  if (b->tcg) {
    xmlSetProp (dom, BAD_CAST "type", BAD_CAST "qemu");
    tcg_only (dom);
  }
  /* A name of its own (our pid in it): test boots of one VM may run at
   * once, and a destroyed domain may linger in libvirt for a moment. */
  if ((name = xml_child (dom, "name")) != NULL) {
    xmlChar *old = xmlNodeGetContent (name);
    CLEANUP_FREE char *nn = NULL;
    if (asprintf (&nn, "%s-v2vfs-boot-%ld", old ? (const char *) old : "vm",
                  (long) getpid ()) == -1)
      nn = NULL;
    xmlFree (old);
    xmlNodeSetContent (name, BAD_CAST (nn ? nn : "v2vfs-boot"));
  }
  devs = xml_child (dom, "devices");
  for (n = devs ? devs->children : NULL; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE)
      continue;
    if (strcmp ((const char *) n->name, "disk") == 0 && layer_disk (b, n) == -1)
      goto out;
    if (strcmp ((const char *) n->name, "interface") == 0 && !b->keep_network)
      isolate_nic (n);
  }
  xmlDocDumpFormatMemory (doc, &out, &out_len, 1);
  r = out ? strdup ((const char *) out) : NULL;
 out:
  xmlFree (out);
  xmlFreeDoc (doc);
  return r;
}

static void
check_line (struct boot *b)
{
  b->line[b->line_len] = '\0';
  printf ("| %s\n", b->line);
  fflush (stdout);
  if (!b->seen && regexec (&b->re, b->line, 0, NULL, 0) == 0) {
    b->seen = true;
    b->ready_line = strdup (b->line);
  }
  b->line_len = 0;
}

/* Console bytes: print whole lines, and match each against the pattern.
 * A prompt ("login: ") ends with no newline: a part line is matched once
 * the console has been quiet for PROMPT_QUIET seconds.  A carriage
 * return not followed by a newline starts the line over, as on a
 * terminal: systemd's "A start job is running" status ends with one and
 * no newline, and the next line written (a guest's marker) would
 * otherwise be glued to it. */
#define PROMPT_QUIET 0.5
static void
console_bytes (struct boot *b, const char *p, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++) {
    if (p[i] == '\n')
      check_line (b);
    else if (p[i] != '\r') {
      if (b->cr)
        b->line_len = 0;
      if (b->line_len < sizeof b->line - 1)
        b->line[b->line_len++] = p[i];
    }
    b->cr = p[i] == '\r';
  }
  b->last_bytes = monotonic_seconds ();
}

static void
check_prompt (struct boot *b)
{
  if (b->line_len && monotonic_seconds () - b->last_bytes >= PROMPT_QUIET)
    check_line (b);
}

static void
on_console (virStreamPtr st, int events, void *opaque)
{
  struct boot *b = opaque;
  char buf[4096];
  int n;

  (void) events;
  while ((n = virStreamRecv (st, buf, sizeof buf)) > 0)
    console_bytes (b, buf, (size_t) n);
  if (n == 0 || n == -1) {
    b->stream_done = true;
    virStreamEventRemoveCallback (st);
  }
}

static void
on_tick (int timer, void *opaque)
{
  (void) timer;
  (void) opaque;
}

static bool
domain_gone (virConnectPtr conn, const char *name)
{
  virDomainPtr d = virDomainLookupByName (conn, name);
  bool gone = d == NULL || virDomainIsActive (d) != 1;

  if (d)
    virDomainFree (d);
  return gone;
}

static void
remove_layers (struct boot *b)
{
  size_t i;

  for (i = 0; i < b->n_layers; i++) {
    unlink (b->layers[i]);
    free (b->layers[i]);
  }
  b->n_layers = 0;
  if (b->dir[0])
    rmdir (b->dir);
}

/* The arguments' mode (a mount's domain.xml, or --domain-xml with or
 * without -a), or one line (or the usage) saying what is wrong. */
static int
check_mode (const struct boot *b, const char *domxml, const char *vm, int n_args)
{
  const char *why = NULL;

  if (domxml && n_args)
    why = "--domain-xml FILE boots FILE: give it or a MOUNTPOINT, not both";
  else if (domxml && vm)
    why = "--vm names a VM of a mount: --domain-xml names the domain itself";
  else if (!domxml && b->n_targets)
    why = "-a needs --domain-xml FILE: the targets replace its disks";
  if (why) {
    fprintf (stderr, "v2vfs-boot: %s\n", why);
    return -1;
  }
  if (!domxml && n_args != 1) {
    usage (stderr);
    return -1;
  }
  return 0;
}

/* Look at the -a targets (B->n_targets of them, in B->targets' paths,
 * which become the targets' absolute paths). */
static int
probe_targets (struct boot *b, char *const *args)
{
  struct v2_error e;
  size_t i;

  for (i = 0; i < b->n_targets; i++)
    if (target_probe (args[i], false, &b->targets[i], &e) == -1) {
      fprintf (stderr, "v2vfs-boot: -a %s\n", e.msg);
      return -1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "vm", required_argument, NULL, 'v' },
    { "ready", required_argument, NULL, 'r' },
    { "timeout", required_argument, NULL, 't' },
    { "shutdown-timeout", required_argument, NULL, 's' },
    { "connect", required_argument, NULL, 'c' },
    { "keep-network", no_argument, NULL, 'k' },
    { "accel", required_argument, NULL, 'A' },
    { "domain-xml", required_argument, NULL, 'D' },
    { "print-xml", no_argument, NULL, 'p' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct boot b = { .ready = "login:", .timeout = 600, .shutdown_timeout = 60 };
  const char *uri = "qemu:///system", *vm = NULL, *accel = NULL, *domxml = NULL;
  const char *tmp;
  CLEANUP_FREE char *path = NULL, *xml = NULL, *testxml = NULL, *name = NULL;
  /* The -a arguments: at most one an argument. */
  CLEANUP_FREE char **targets = calloc ((size_t) argc, sizeof *targets);
  bool print_xml = false;
  size_t i;
  virConnectPtr conn = NULL;
  virDomainPtr dom = NULL;
  struct sigaction sa = { .sa_handler = on_signal };
  double t0, deadline;
  int c, ret = 1, timer = -1;
  size_t len;

  if (targets == NULL)
    return 1;
  while ((c = getopt_long (argc, argv, "a:", longopts, NULL)) != -1) {
    char *end;
    switch (c) {
    case 'a': targets[b.n_targets++] = optarg; break;
    case 'D': domxml = optarg; break;
    case 'p': print_xml = true; break;
    case 'v': vm = optarg; break;
    case 'r': b.ready = optarg; break;
    case 't':
    case 's': {
      double v = strtod (optarg, &end);
      if (*end || v <= 0) {
        fprintf (stderr, "v2vfs-boot: --%s: '%s' is not a number of seconds\n",
                 c == 't' ? "timeout" : "shutdown-timeout", optarg);
        return 1;
      }
      *(c == 't' ? &b.timeout : &b.shutdown_timeout) = v;
      break;
    }
    case 'c': uri = optarg; break;
    case 'k': b.keep_network = true; break;
    case 'A':
      if (strcmp (optarg, "kvm") != 0 && strcmp (optarg, "tcg") != 0) {
        fprintf (stderr, "v2vfs-boot: --accel %s: want kvm or tcg\n", optarg);
        return 1;
      }
      accel = optarg;
      break;
    case 'h': usage (stdout); return 0;
    default: usage (stderr); return 1;
    }
  }
  if (check_mode (&b, domxml, vm, argc - optind) == -1)
    return 1;
  b.mount = domxml == NULL;
  if (b.n_targets &&
      ((b.targets = calloc (b.n_targets, sizeof *b.targets)) == NULL ||
       probe_targets (&b, targets) == -1))
    goto out_targets;
  /* qemu:///system runs qemu as libvirt's qemu user; a session URI
   * runs it as the caller, who can read what they mounted. */
  b.check_access = strcmp (uri, "qemu:///system") == 0 &&
    qemu_user_lookup (QEMU_CONF, &b.qemu) == 0;
  b.tcg = accel ? strcmp (accel, "tcg") == 0 : access ("/dev/kvm", R_OK | W_OK) != 0;
  if (regcomp (&b.re, b.ready, REG_EXTENDED | REG_NOSUB) != 0) {
    fprintf (stderr, "v2vfs-boot: --ready '%s': not a valid regular expression\n",
             b.ready);
    goto out_targets;
  }
  if (domxml)
    path = strdup (domxml);
  else if (asprintf (&path, "%s%s%s/domain.xml", argv[optind], vm ? "/" : "",
                     vm ? vm : "") == -1)
    path = NULL;
  if (path == NULL)
    goto out;
  b.xml_name = path;
  if ((xml = read_small_file (path, DOMXML_MAX_BYTES, &len)) == NULL) {
    fprintf (stderr, "v2vfs-boot: %s: %s\n", path, strerror (errno));
    goto out;
  }

  /* The layers' directory: qemu runs as another user, and must reach
   * the files libvirt hands it. */
  tmp = getenv ("TMPDIR");
  if (tmp == NULL || tmp[0] != '/')
    tmp = "/var/tmp";
  if ((size_t) snprintf (b.dir, sizeof b.dir, "%s/v2vfs-boot.XXXXXX", tmp) >=
      sizeof b.dir) {
    fprintf (stderr, "v2vfs-boot: TMPDIR is too long\n");
    b.dir[0] = '\0';
    goto out;
  }
  if (mkdtemp (b.dir) == NULL || chmod (b.dir, 0755) == -1) {
    fprintf (stderr, "v2vfs-boot: %s: %s\n", b.dir, strerror (errno));
    b.dir[0] = '\0';
    goto out;
  }
  if ((testxml = test_domain (&b, xml, (size_t) len)) == NULL)
    goto out;
  /* What a boot would start, with its layers, which go as it exits. */
  if (print_xml) {
    fputs (testxml, stdout);
    ret = fflush (stdout) == 0 ? 0 : 1;
    goto out;
  }

  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  virSetErrorFunc (NULL, quiet_errors);
  if (virEventRegisterDefaultImpl () == -1 ||
      (conn = virConnectOpen (uri)) == NULL) {
    fprintf (stderr, "v2vfs-boot: %s: %s\n", uri, virt_error ());
    goto out;
  }
  t0 = monotonic_seconds ();
  if ((dom = virDomainCreateXML (conn, testxml, 0)) == NULL) {
    fprintf (stderr, "v2vfs-boot: cannot start the test domain: %s\n",
             virt_error ());
    goto out;
  }
  name = strdup (virDomainGetName (dom));
  printf ("v2vfs-boot: started %s (transient), layers in %s\n", name, b.dir);
  fflush (stdout);
  if ((b.st = virStreamNew (conn, VIR_STREAM_NONBLOCK)) == NULL ||
      virDomainOpenConsole (dom, NULL, b.st, VIR_DOMAIN_CONSOLE_FORCE) == -1 ||
      virStreamEventAddCallback (b.st, VIR_STREAM_EVENT_READABLE |
                                 VIR_STREAM_EVENT_HANGUP |
                                 VIR_STREAM_EVENT_ERROR, on_console, &b,
                                 NULL) == -1) {
    fprintf (stderr, "v2vfs-boot: cannot open the serial console: %s\n",
             virt_error ());
    goto out;
  }
  /* Wake the loop every 200 ms to look at the clock. */
  timer = virEventAddTimeout (200, on_tick, NULL, NULL);
  deadline = t0 + b.timeout;
  while (!b.seen && !stop_signal && !b.stream_done &&
         monotonic_seconds () < deadline) {
    if (virEventRunDefaultImpl () == -1)
      break;
    check_prompt (&b);
  }
  if (!b.seen) {
    fprintf (stderr, "v2vfs-boot: %s: no console line matched '%s' %s\n", name,
             b.ready, stop_signal ? "before the signal" :
             b.stream_done ? "before the console closed" : "in time");
    goto out;
  }
  printf ("v2vfs-boot: %s is up after %.1f s: \"%s\"\n", name,
          monotonic_seconds () - t0,
          b.ready_line);
  ret = 0;

 out:
  if (timer != -1)
    virEventRemoveTimeout (timer);
  if (b.st) {
    if (!b.stream_done)
      virStreamEventRemoveCallback (b.st);
    virStreamAbort (b.st);
    virStreamFree (b.st);
  }
  if (dom) {
    double t = monotonic_seconds ();
    if (virDomainShutdown (dom) == 0)
      while (!domain_gone (conn, name) &&
             monotonic_seconds () - t < b.shutdown_timeout)
        usleep (200 * 1000);
    if (!domain_gone (conn, name)) {
      printf ("v2vfs-boot: %s did not shut down in %.0f s: destroying it\n",
              name, b.shutdown_timeout);
      virDomainDestroy (dom);
    }
    printf ("v2vfs-boot: %s is gone\n", name);
    virDomainFree (dom);
  }
  if (conn)
    virConnectClose (conn);
  remove_layers (&b);
  regfree (&b.re);
  free (b.ready_line);
 out_targets:
  for (i = 0; b.targets && i < b.n_targets; i++)
    target_free (&b.targets[i]);
  free (b.targets);
  return ret;
}
