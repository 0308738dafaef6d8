/* v2vfs: mount a VMware export and serve each disk as a lazy raw view.
 *
 * Lifecycle: open and check every source (metadata only) before anything
 * is mounted, so bad input fails with one line and exit 1 and leaves no
 * mount behind; then mount, daemonize (the parent exits 0 only once the
 * mount exists) and serve from a multi-threaded loop until unmounted. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "inflate.h"
#include "qemu-user.h"

/* Worker threads: enough to keep two cores busy inflating while others
 * wait on the disk. */
#define FS_MAX_THREADS 16
#define MOUNT_OPTS "default_permissions,fsname=v2vfs,subtype=v2vfs," \
  "max_read=" FS_MAX_READ_STR

static void
usage (FILE *f)
{
  fprintf (f,
"Usage: v2vfs [OPTIONS] SOURCE... MOUNTPOINT\n"
"Mount a VMware export and serve each disk as a raw image, read lazily.\n"
"\n"
"SOURCE is one .ova, one .ovf or .vmx (with its files beside it), or one or\n"
"more .vmdk files (descriptor, monolithic, split, vmfs flat or\n"
"streamOptimized).\n"
"\n"
"  -f            stay in the foreground\n"
"  -d            debug output (implies -f)\n"
"  -o OPTS       mount options, comma-separated: FUSE's (allow_other, ro ...)\n"
"                and the -o spellings of the long options below:\n"
"                overlay=DIR, owner=USER[:GROUP], network_map=NET=TARGET,\n"
"                ignore_cid, index_dir=DIR, verify, verify=strict\n"
"  --network-map SOURCE-NET=BRIDGE, --network-map SOURCE-NET=network:NET\n"
"                put the NICs of a source network on a host bridge or a\n"
"                libvirt network in domain.xml (default: network 'default')\n"
"  --owner USER[:GROUP]\n"
"                show the tree as owned by USER; with --overlay and\n"
"                -o allow_other, root's mounts default to libvirt's qemu\n"
"                user (libvirt-qemu), so that its guests can write the disks\n"
"  --overlay DIR make disks/NAME.raw writable; every write lands in DIR,\n"
"                which persists: mounting again with it resumes\n"
"  --ignore-cid  open a snapshot chain whose parentCID and CID do not match\n"
"  --index-dir DIR\n"
"                keep the checkpoint indexes of gzip'd disks and archives in\n"
"                DIR (default: the overlay DIR, if any), so that the next\n"
"                mount of the same files need not inflate them again\n"
"  --verify      check the files against the export's manifest (.mf) in the\n"
"                background; MOUNTPOINT/verify.status shows the result\n"
"                (the .cert is not checked)\n"
"  --verify=strict\n"
"                the same, and once a disk's file is found bad, reads of\n"
"                that disk fail with EIO\n"
"  --discard-overlay --yes\n"
"                empty the overlay DIR first (SOURCE and MOUNTPOINT may\n"
"                then be left out)\n"
"  --help        show this help\n"
"  --version     show the version\n"
"\n"
"The mount shows disks/NAME.raw and disks/NAME.qcow2 for each disk, a libvirt\n"
"domain.xml, and the original .ovf, .mf and .cert files.  With --overlay,\n"
"v2vfs-fix MOUNTPOINT makes the guest bootable on KVM.\n"
"Unmount with: fusermount3 -u MOUNTPOINT (or umount as root).\n"
"As a mount helper: mount -t fuse.v2vfs SOURCE MOUNTPOINT -o overlay=DIR\n");
}

/* --owner USER[:GROUP], by name or number; GROUP defaults to USER's. */
static int
parse_owner (const char *s, uid_t *uid, gid_t *gid)
{
  CLEANUP_FREE char *user = strdup (s);
  char *group = user ? strchr (user, ':') : NULL, *end;
  const struct passwd *pw;
  const struct group *gr;

  if (user == NULL)
    return -1;
  if (group)
    *group++ = '\0';
  if ((pw = getpwnam (user)) != NULL) {
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
  }
  else {
    errno = 0;
    *uid = (uid_t) strtoul (user, &end, 10);
    if (errno || end == user || *end) {
      fprintf (stderr, "v2vfs: --owner %s: no user '%s'\n", s, user);
      return -1;
    }
  }
  if (group == NULL)
    return 0;
  if ((gr = getgrnam (group)) != NULL)
    *gid = gr->gr_gid;
  else {
    errno = 0;
    *gid = (gid_t) strtoul (group, &end, 10);
    if (errno || end == group || *end) {
      fprintf (stderr, "v2vfs: --owner %s: no group '%s'\n", s, group);
      return -1;
    }
  }
  return 0;
}

/* What the command line asks for, from long options and from their -o
 * spellings alike (`-o overlay=DIR,owner=USER`), so that mount(8),
 * mount.fuse3 and fstab can say everything the command line can. */
struct cli {
  char *overlay_dir;             /* --overlay, -o overlay= */
  char *owner;                   /* --owner, -o owner= */
  char *index_dir;               /* --index-dir, -o index_dir= */
  struct domxml_net_map *maps;   /* --network-map, -o network_map= */
  size_t n_maps;
  struct fuse_args fuse;         /* the -o options left for FUSE */
  bool allow_other;
  bool ignore_cid;               /* --ignore-cid, -o ignore_cid */
  int verify;                    /* --verify[=strict], -o verify[=strict]:
                                  * 0 no, 1 yes, 2 strict */
};

static void
cli_free (struct cli *cli)
{
  free (cli->overlay_dir);
  free (cli->owner);
  free (cli->index_dir);
  for (size_t i = 0; i < cli->n_maps; i++)
    domxml_net_map_free (&cli->maps[i]);
  free (cli->maps);
  fuse_opt_free_args (&cli->fuse);
}

static int
set_option (char **field, const char *value)
{
  char *v = strdup (value);

  if (v == NULL) {
    perror ("v2vfs");
    return -1;
  }
  free (*field);
  *field = v;
  return 0;
}

/* --verify's VALUE: none, or "strict". */
static int
set_verify (struct cli *cli, const char *value)
{
  if (value && strcmp (value, "strict") != 0) {
    fprintf (stderr, "v2vfs: verify=%s: the only value verify takes is "
             "strict\n", value);
    return -1;
  }
  cli->verify = value ? 2 : 1;
  return 0;
}

static int
add_net_map (struct cli *cli, const char *spec)
{
  struct domxml_net_map *m = realloc (cli->maps, (cli->n_maps + 1) * sizeof *m);
  struct v2_error e;

  if (m == NULL) {
    perror ("v2vfs");
    return -1;
  }
  cli->maps = m;
  if (domxml_parse_net_map (spec, &m[cli->n_maps], &e) == -1) {
    fprintf (stderr, "v2vfs: %s\n", e.msg);
    return -1;
  }
  cli->n_maps++;
  return 0;
}

/* The -o options that go on to FUSE and the kernel: the generic ones
 * mount(8) passes (mount.fuse3 adds dev,suid when root mounts) that
 * libfuse 3.14 knows (not relatime and its kin), and FUSE's own that make
 * sense for v2vfs.  Anything else is a typo or an
 * option of another file system, refused before mounting rather than
 * dropped. */
static const char *const fuse_options[] = {
  "rw", "ro", "dev", "nodev", "suid", "nosuid", "exec", "noexec",
  "async", "sync", "dirsync", "atime", "noatime",
  "allow_other", "allow_root", "auto_unmount", "default_permissions",
  "fsname=", "subtype=", "max_read=",
  "context=", "fscontext=", "defcontext=", "rootcontext=",
  NULL
};

static bool
fuse_option_known (const char *opt)
{
  for (const char *const *k = fuse_options; *k; k++) {
    size_t n = strlen (*k);
    if ((*k)[n - 1] == '=' ? strncmp (opt, *k, n) == 0 : strcmp (opt, *k) == 0)
      return true;
  }
  return false;
}

enum { KEY_OVERLAY, KEY_OWNER, KEY_NET_MAP, KEY_IGNORE_CID, KEY_INDEX_DIR,
       KEY_VERIFY };

static const struct fuse_opt v2vfs_mount_opts[] = {
  FUSE_OPT_KEY ("overlay=", KEY_OVERLAY),
  FUSE_OPT_KEY ("owner=", KEY_OWNER),
  FUSE_OPT_KEY ("network_map=", KEY_NET_MAP),
  FUSE_OPT_KEY ("ignore_cid", KEY_IGNORE_CID),
  FUSE_OPT_KEY ("index_dir=", KEY_INDEX_DIR),
  FUSE_OPT_KEY ("verify", KEY_VERIFY),
  FUSE_OPT_KEY ("verify=", KEY_VERIFY),
  FUSE_OPT_END
};

/* fuse_opt_parse's callback: take v2vfs's options (return 0: not for
 * FUSE), keep FUSE's (1), refuse the rest (-1). */
static int
mount_option (void *data, const char *arg, int key,
              struct fuse_args *outargs __attribute__((unused)))
{
  struct cli *cli = data;
  const char *value = strchr (arg, '=');

  switch (key) {
  case KEY_OVERLAY: return set_option (&cli->overlay_dir, value + 1);
  case KEY_OWNER: return set_option (&cli->owner, value + 1);
  case KEY_NET_MAP: return add_net_map (cli, value + 1);
  case KEY_IGNORE_CID: cli->ignore_cid = true; return 0;
  case KEY_INDEX_DIR: return set_option (&cli->index_dir, value + 1);
  case KEY_VERIFY: return set_verify (cli, value ? value + 1 : NULL);
  case FUSE_OPT_KEY_OPT:
    if (!fuse_option_known (arg)) {
      fprintf (stderr, "v2vfs: -o %s: unknown option (v2vfs's own are "
               "overlay=DIR, owner=USER[:GROUP], network_map=NET=TARGET, ignore_cid, "
               "index_dir=DIR and verify[=strict]; "
               "see v2vfs(1) for the FUSE ones)\n", arg);
      return -1;
    }
    if (strcmp (arg, "allow_other") == 0)
      cli->allow_other = true;
    return 1;
  default:
    return 1;
  }
}

/* Split the -o options OPTS (comma-separated, as given) into v2vfs's
 * and FUSE's. */
static int
parse_mount_options (struct cli *cli, const char *opts)
{
  char *argv[] = { (char *) "v2vfs", (char *) "-o", (char *) opts, NULL };
  struct fuse_args args = FUSE_ARGS_INIT (3, argv);
  int r = fuse_opt_parse (&args, cli, v2vfs_mount_opts, mount_option);

  /* The parsed args, "v2vfs" then "-o" and what FUSE is to get, if any. */
  cli->fuse = args;
  return r;
}

/* The libvirt trap: with --overlay and -o allow_other, libvirt's qemu is
 * meant to use the mount, and a domain started from domain.xml opens its
 * disks for writing, which fails with "Permission denied" while they
 * belong to whoever mounted.  Without --owner, root gives them to
 * libvirt's qemu user (root keeps its access: it passes every permission
 * check).  Anyone else would lock themselves out that way, so they get a
 * warning instead. */
static void
libvirt_owner (uid_t *uid, gid_t *gid)
{
  struct qemu_user u;

  if (qemu_user_lookup (QEMU_CONF, &u) == -1 || u.uid == *uid)
    return;
  if (getuid () != 0) {
    fprintf (stderr, "v2vfs: warning: libvirt's qemu runs as %s, which may "
             "read the disks but not write them: a domain started from "
             "domain.xml fails with \"Permission denied\"; give --owner %s "
             "to let it write them\n", u.name, u.name);
    return;
  }
  *uid = u.uid;
  *gid = u.gid;
  fprintf (stderr, "v2vfs: the disks belong to %s, libvirt's qemu user, so "
           "that a domain started from domain.xml can write them (--owner "
           "chooses another owner)\n", u.name);
}

/* A chunked file in a directory holds a descriptor per chunk (up to
 * LIMIT_CHUNKS), and the default soft limit is 1024.  v2vfs never uses
 * select(2), so the soft limit may be the hard one, as systemd advises. */
static void
raise_nofile (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
  }
}

/* Where gzip indexes are kept: --index-dir DIR (made if missing), else the
 * overlay DIR (made later, by the store, if missing).  Absolute: the
 * daemon's working directory is "/". */
static char *
index_dir_abs (const char *index_dir, const char *overlay_dir)
{
  char *abs = NULL;

  if (index_dir) {
    if ((mkdir (index_dir, 0755) == -1 && errno != EEXIST) ||
        (abs = realpath (index_dir, NULL)) == NULL)
      fprintf (stderr, "v2vfs: --index-dir %s: %s\n", index_dir, strerror (errno));
    return abs;
  }
  if (overlay_dir[0] == '/')
    abs = strdup (overlay_dir);
  else {
    CLEANUP_FREE char *cwd = getcwd (NULL, 0);
    if (cwd == NULL || asprintf (&abs, "%s/%s", cwd, overlay_dir) == -1)
      abs = NULL;
  }
  if (abs == NULL)
    perror ("v2vfs");
  return abs;
}

/* One line per gzip'd file: whether its index was loaded, built while
 * opening, or is being built; and where it is kept. */
static void
report_indexes (const struct bundle *b, const char *dir)
{
  for (size_t i = 0; i < b->n_containers; i++) {
    const struct container_gz *cg = b->containers[i]->gz;
    for (size_t j = 0; j < cg->n; j++) {
      struct gz_stats st;
      gz_stats (cg->v[j], &st);
      fprintf (stderr, "v2vfs: %s: gzip index %s (%zu checkpoint%s%s, "
               "every %" PRIu64 " KiB)%s%s\n", gz_name (cg->v[j]),
               st.loaded ? "loaded" : st.complete ? "built while opening" :
               "being built in the background", st.points,
               st.points == 1 ? "" : "s", st.complete ? "" : " so far",
               st.spacing / 1024,
               dir && !st.loaded ? "; kept in " : "",
               dir && !st.loaded ? dir : "");
    }
  }
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "help", no_argument, NULL, 'h' },
    { "overlay", required_argument, NULL, 'O' },
    { "network-map", required_argument, NULL, 'N' },
    { "owner", required_argument, NULL, 'U' },
    { "discard-overlay", no_argument, NULL, 'D' },
    { "yes", no_argument, NULL, 'y' },
    { "ignore-cid", no_argument, NULL, 'I' },
    { "index-dir", required_argument, NULL, 'X' },
    { "verify", optional_argument, NULL, 'C' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  bool foreground = false, debug = false, discard = false, yes = false;
  struct cli cli = { .fuse = FUSE_ARGS_INIT (0, NULL) };
  uid_t uid = getuid ();
  gid_t gid = getgid ();
  CLEANUP_FREE char *mnt_abs = NULL, *overlay_abs = NULL, *user_opts = NULL;
  CLEANUP_FREE char *index_abs = NULL;
  struct gz_config gz = { 0 };
  const char *overlay_dir;
  const char *mnt;
  struct v2_error e;
  struct bundle *b = NULL;
  struct overlay_store *store = NULL;
  struct fs fs = { 0 };
  struct stat st;
  struct fuse_args args = FUSE_ARGS_INIT (0, NULL);
  struct fuse_session *se = NULL;
  struct fuse_loop_config *cfg = NULL;
  int c, ret = 1;

  /* Options may follow SOURCE and MOUNTPOINT: mount.fuse3 runs
   * `v2vfs SOURCE MOUNTPOINT -o OPTS`. */
  while ((c = getopt_long (argc, argv, "fdo:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'f': foreground = true; break;
    case 'd': debug = foreground = true; break;
    case 'o': {
      char *n;
      if (asprintf (&n, "%s%s%s", user_opts ? user_opts : "",
                    user_opts ? "," : "", optarg) == -1) {
        perror ("v2vfs");
        return 1;
      }
      free (user_opts);
      user_opts = n;
      break;
    }
    case 'O':
      if (set_option (&cli.overlay_dir, optarg) == -1)
        goto out;
      break;
    case 'U':
      if (set_option (&cli.owner, optarg) == -1)
        goto out;
      break;
    case 'N':
      if (add_net_map (&cli, optarg) == -1)
        goto out;
      break;
    case 'D': discard = true; break;
    case 'y': yes = true; break;
    case 'I': cli.ignore_cid = true; break;
    case 'X':
      if (set_option (&cli.index_dir, optarg) == -1)
        goto out;
      break;
    case 'C':
      if (set_verify (&cli, optarg) == -1)
        goto out;
      break;
    case 'h': usage (stdout); ret = 0; goto out;
    case 'V':
      printf ("v2vfs %s (inflate: %s, libfuse %d)\n", PACKAGE_VERSION,
              inflate_backend (), fuse_version ());
      ret = 0;
      goto out;
    default:
      usage (stderr);
      goto out;
    }
  }
  if (user_opts && parse_mount_options (&cli, user_opts) == -1)
    goto out;
  overlay_dir = cli.overlay_dir;
  if (discard) {
    unsigned n_disks;
    uint64_t bytes;
    if (overlay_dir == NULL) {
      fprintf (stderr, "v2vfs: --discard-overlay needs --overlay DIR\n");
      goto out;
    }
    if (!yes) {
      fprintf (stderr, "v2vfs: %s: --discard-overlay deletes every write the "
               "overlay holds; add --yes to confirm\n", overlay_dir);
      goto out;
    }
    if (overlay_store_discard (overlay_dir, &n_disks, &bytes, &e) == -1) {
      fprintf (stderr, "v2vfs: %s\n", e.msg);
      goto out;
    }
    printf ("v2vfs: %s: discarded the overlay of %u disk%s (%" PRIu64
            " bytes)\n", overlay_dir, n_disks, n_disks == 1 ? "" : "s", bytes);
    if (argc == optind) {
      ret = 0;
      goto out;
    }
  }
  if (argc - optind < 2) {
    fprintf (stderr, "v2vfs: need at least one SOURCE and a MOUNTPOINT "
             "(see v2vfs --help)\n");
    goto out;
  }
  if (cli.owner && parse_owner (cli.owner, &uid, &gid) == -1)
    goto out;
  if (cli.owner == NULL && overlay_dir && cli.allow_other)
    libvirt_owner (&uid, &gid);
  mnt = argv[argc - 1];
  if (stat (mnt, &st) == -1 || !S_ISDIR (st.st_mode) ||
      (mnt_abs = realpath (mnt, NULL)) == NULL) {
    fprintf (stderr, "v2vfs: %s: mount point is not a directory\n", mnt);
    goto out;
  }

  if ((cli.index_dir || overlay_dir) &&
      (gz.index_dir = index_abs = index_dir_abs (cli.index_dir, overlay_dir)) == NULL)
    goto out;

  raise_nofile ();
  b = bundle_open (argv + optind, (size_t) (argc - optind - 1),
                   cli.ignore_cid ? IMAGE_IGNORE_CID : 0, &gz, &e);
  if (b == NULL) {
    fprintf (stderr, "v2vfs: %s\n", e.msg);
    goto out;
  }
  report_indexes (b, index_abs);
  for (size_t i = 0; i < b->n_disks; i++)
    for (size_t j = 0; j < b->disks[i]->n_notes; j++)
      fprintf (stderr, "v2vfs: %s\n", b->disks[i]->notes[j]);
  if (overlay_dir &&
      (store = overlay_store_open (overlay_dir, argv + optind,
                                   (size_t) (argc - optind - 1), &e)) == NULL) {
    fprintf (stderr, "v2vfs: %s\n", e.msg);
    goto out;
  }
  /* The store made DIR if it was missing. */
  if (overlay_dir && (overlay_abs = realpath (overlay_dir, NULL)) == NULL) {
    fprintf (stderr, "v2vfs: %s: %s\n", overlay_dir, strerror (errno));
    goto out;
  }
  fs.overlay_dir = overlay_abs;
  fs.foreground = foreground;
  fs.mnt = mnt_abs;
  fs.maps = cli.maps;
  fs.n_maps = cli.n_maps;
  if (stat (argv[optind], &st) == -1) {
    fprintf (stderr, "v2vfs: %s: %s\n", argv[optind], strerror (errno));
    goto out;
  }
  if (fs_build (&fs, b, TAKE (store), &st.st_mtim, &e) == -1) {
    fprintf (stderr, "v2vfs: %s\n", e.msg);
    goto out;
  }
  fs.uid = uid;
  fs.gid = gid;
  if (cli.verify && fs.verify == NULL) {
    fprintf (stderr, "v2vfs: --verify: %s has no manifest (.mf) to check "
             "against\n", argv[optind]);
    goto out;
  }
  fs.verify_strict = cli.verify == 2;
  if (cli.verify)
    verify_begin (fs.verify);    /* its thread starts after daemonizing */

  /* The user's -o options come after v2vfs's own, so `ro` wins. */
  if (fuse_opt_add_arg (&args, argv[0]) == -1 ||
      fuse_opt_add_arg (&args, "-o") == -1 ||
      fuse_opt_add_arg (&args, fs.store ? "rw," MOUNT_OPTS : "ro," MOUNT_OPTS) == -1 ||
      (debug && fuse_opt_add_arg (&args, "-d") == -1)) {
    fprintf (stderr, "v2vfs: out of memory\n");
    goto out;
  }
  for (int j = 1; j < cli.fuse.argc; j++)
    if (fuse_opt_add_arg (&args, cli.fuse.argv[j]) == -1) {
      fprintf (stderr, "v2vfs: out of memory\n");
      goto out;
    }
  se = fs.se = fuse_session_new (&args, &fs_ops, sizeof fs_ops, &fs);
  if (se == NULL) {
    fprintf (stderr, "v2vfs: -o %s: FUSE refused these options\n",
             user_opts ? user_opts : "");
    goto out;
  }
  if (fuse_set_signal_handlers (se) == -1) {
    fprintf (stderr, "v2vfs: cannot install signal handlers\n");
    goto out_session;
  }
  if (fuse_session_mount (se, mnt_abs) == -1) {
    fprintf (stderr, "v2vfs: %s: mount failed\n", mnt);
    goto out_signals;
  }
  fs_tune_readahead (&fs, mnt_abs);
  /* The parent returns only after this, when the mount is in place. */
  if (fuse_daemonize (foreground) == -1) {
    fprintf (stderr, "v2vfs: cannot daemonize\n");
    goto out_unmount;
  }
  bundle_start_indexing (b);
  if (cli.verify)
    fs_verify_start (&fs);       /* a failure is logged, and in the status */
  cfg = fuse_loop_cfg_create ();
  if (cfg == NULL) {
    fs_log (&fs, "out of memory");
    goto out_unmount;
  }
  fuse_loop_cfg_set_max_threads (cfg, FS_MAX_THREADS);
  fuse_loop_cfg_set_clone_fd (cfg, 0);
  ret = fuse_session_loop_mt (se, cfg) == 0 ? 0 : 1;
  fuse_loop_cfg_destroy (cfg);

 out_unmount:
  /* The verify thread drops the kernel's cache through the session, and
   * the kernel may make it wait for a read that the loop, ended by a
   * signal, no longer answers: the unmount closes the channel, which
   * fails such reads, and the session stays until the thread is joined. */
  fs_verify_cancel (&fs);
  fuse_session_unmount (se);
  fs_verify_stop (&fs);
 out_signals:
  fuse_remove_signal_handlers (se);
 out_session:
  fuse_session_destroy (se);
 out:
  fuse_opt_free_args (&args);
  if (fs_free (&fs) == -1)
    ret = 1;
  overlay_store_close (store);
  bundle_free (b);
  cli_free (&cli);
  return ret;
}
