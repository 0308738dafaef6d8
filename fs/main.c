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
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "inflate.h"

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
"  -o OPTS       FUSE mount options, e.g. allow_other\n"
"  --network-map SOURCE-NET=BRIDGE, --network-map SOURCE-NET=network:NET\n"
"                put the NICs of a source network on a host bridge or a\n"
"                libvirt network in domain.xml (default: network 'default')\n"
"  --owner USER[:GROUP]\n"
"                show the tree as owned by USER (e.g. libvirt-qemu, with\n"
"                -o allow_other, so libvirt's qemu can write the disks)\n"
"  --overlay DIR make disks/NAME.raw writable; every write lands in DIR,\n"
"                which persists: mounting again with it resumes\n"
"  --discard-overlay --yes\n"
"                empty the overlay DIR first (SOURCE and MOUNTPOINT may\n"
"                then be left out)\n"
"  --help        show this help\n"
"  --version     show the version\n"
"\n"
"The mount shows disks/NAME.raw and disks/NAME.qcow2 for each disk, a libvirt\n"
"domain.xml, and the original .ovf, .mf and .cert files.  With --overlay,\n"
"v2vfs-fix MOUNTPOINT makes the guest bootable on KVM.\n"
"Unmount with: fusermount3 -u MOUNTPOINT\n");
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
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  bool foreground = false, debug = false, discard = false, yes = false;
  const char *overlay_dir = NULL, *owner = NULL;
  uid_t uid = getuid ();
  gid_t gid = getgid ();
  struct domxml_net_map *maps = NULL;
  size_t n_maps = 0, i;
  CLEANUP_FREE char *mnt_abs = NULL, *overlay_abs = NULL;
  char *user_opts = NULL;
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

  while ((c = getopt_long (argc, argv, "+fdo:h", longopts, NULL)) != -1) {
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
    case 'O': overlay_dir = optarg; break;
    case 'U': owner = optarg; break;
    case 'N': {
      struct domxml_net_map *m = realloc (maps, (n_maps + 1) * sizeof *m);
      if (m == NULL) {
        perror ("v2vfs");
        goto out;
      }
      maps = m;
      if (domxml_parse_net_map (optarg, &maps[n_maps], &e) == -1) {
        fprintf (stderr, "v2vfs: %s\n", e.msg);
        goto out;
      }
      n_maps++;
      break;
    }
    case 'D': discard = true; break;
    case 'y': yes = true; break;
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
  if (owner && parse_owner (owner, &uid, &gid) == -1)
    goto out;
  mnt = argv[argc - 1];
  if (stat (mnt, &st) == -1 || !S_ISDIR (st.st_mode) ||
      (mnt_abs = realpath (mnt, NULL)) == NULL) {
    fprintf (stderr, "v2vfs: %s: mount point is not a directory\n", mnt);
    goto out;
  }

  b = bundle_open (argv + optind, (size_t) (argc - optind - 1), &e);
  if (b == NULL) {
    fprintf (stderr, "v2vfs: %s\n", e.msg);
    goto out;
  }
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
  fs.maps = maps;
  fs.n_maps = n_maps;
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

  if (fuse_opt_add_arg (&args, argv[0]) == -1 ||
      fuse_opt_add_arg (&args, "-o") == -1 ||
      fuse_opt_add_arg (&args, fs.store ? "rw," MOUNT_OPTS : "ro," MOUNT_OPTS) == -1 ||
      (user_opts && (fuse_opt_add_arg (&args, "-o") == -1 ||
                     fuse_opt_add_arg (&args, user_opts) == -1)) ||
      (debug && fuse_opt_add_arg (&args, "-d") == -1)) {
    fprintf (stderr, "v2vfs: out of memory\n");
    goto out;
  }
  se = fs.se = fuse_session_new (&args, &fs_ops, sizeof fs_ops, &fs);
  if (se == NULL) {
    fprintf (stderr, "v2vfs: -o %s: bad FUSE options\n",
             user_opts ? user_opts : "");
    goto out;
  }
  if (fuse_set_signal_handlers (se) == -1) {
    fprintf (stderr, "v2vfs: cannot install signal handlers\n");
    goto out_session;
  }
  if (fuse_session_mount (se, mnt) == -1) {
    fprintf (stderr, "v2vfs: %s: mount failed\n", mnt);
    goto out_signals;
  }
  fs_tune_readahead (&fs, mnt);
  /* The parent returns only after this, when the mount is in place. */
  if (fuse_daemonize (foreground) == -1) {
    fprintf (stderr, "v2vfs: cannot daemonize\n");
    goto out_unmount;
  }

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
  fuse_session_unmount (se);
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
  free (user_opts);
  for (i = 0; i < n_maps; i++)
    domxml_net_map_free (&maps[i]);
  free (maps);
  return ret;
}
