/* v2vfs-sync: apply the changes of a VMware snapshot chain to a copy of
 * its base disk, for a cutover of about a minute.
 *
 * The base is copied to the target while the VM runs (from a v2vfs mount,
 * with qemu-img convert, cp or dd); at cutover only what the deltas
 * changed above the base is written: the data, and zeros where a delta
 * zeroes.  The chain is read through the formats library, without FUSE;
 * the cost is O(changed data), the grain maps aside.
 *
 * A raw file or a block device is written with pwrite and fallocate.  A
 * qcow2 file is written through qemu's own block layer: qemu-storage-
 * daemon exports it as a raw file (its FUSE export) for the time of the
 * run, so no qcow2 writer of ours is involved.
 *
 * Exit status: 0 when every change is written (and, with --verify, reads
 * back equal), 1 otherwise. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include "byteorder.h"
#include "cleanup.h"
#include "container.h"
#include "fullio.h"
#include "image.h"
#include "monotonic.h"
#include "target.h"

#define CHUNK (4 << 20)
#define QSD_WAIT_SECONDS 30

static volatile sig_atomic_t stop_signal;

static void
on_signal (int sig)
{
  stop_signal = sig;
}

static void
usage (FILE *f)
{
  fprintf (f,
"Usage: v2vfs-sync [OPTIONS] DELTA.vmdk TARGET\n"
"Write what the VMware snapshot chain of DELTA.vmdk changes above its base\n"
"onto TARGET, a copy of the base disk: a raw file, a block device, or a\n"
"qcow2 file (written through qemu-storage-daemon).  Only the changed\n"
"extents are written: the data, and zeros where a delta zeroes.\n"
"\n"
"  --base BASE.vmdk  the layer of the chain TARGET holds (default: the\n"
"                    chain's root, the base disk)\n"
"  --dry-run         list the extents and the bytes; write nothing\n"
"  --verify          read every written extent back and compare\n"
"  --ignore-cid      apply a chain whose parentCID and CID do not match\n"
"  -q, --quiet       no progress lines\n"
"  --help\n"
"  --version\n");
}

/* A target: what is written, and how. */
struct sync_target {
  const char *path;
  int fd;
  uint64_t size;
  bool block, qcow2;
  char dir[64];                  /* qcow2: the export's private directory */
  char export[96];               /* qcow2: the raw file qemu exports */
  pid_t qsd;
};

/* Export T's qcow2 file as a raw file through qemu-storage-daemon; the
 * daemon dies with us (PR_SET_PDEATHSIG) if we are killed. */
static int
qsd_start (struct sync_target *t)
{
  CLEANUP_FREE char *abs = realpath (t->path, NULL);
  char link[96], file_opt[160], export_opt[256];
  struct stat dir_st, st;
  double deadline;
  pid_t pid;

  snprintf (t->dir, sizeof t->dir, "/tmp/v2vfs-sync.XXXXXX");
  if (abs == NULL || mkdtemp (t->dir) == NULL) {
    fprintf (stderr, "v2vfs-sync: %s: %s\n", abs ? t->dir : t->path,
             strerror (errno));
    t->dir[0] = '\0';
    return -1;
  }
  /* A link in our own directory: qemu's option syntax needs no escaping
   * of the user's path then. */
  snprintf (link, sizeof link, "%s/target.qcow2", t->dir);
  snprintf (t->export, sizeof t->export, "%s/target.raw", t->dir);
  snprintf (file_opt, sizeof file_opt,
            "driver=file,node-name=file,filename=%s", link);
  snprintf (export_opt, sizeof export_opt,
            "type=fuse,id=exp,node-name=fmt,mountpoint=%s,writable=on",
            t->export);
  if (symlink (abs, link) == -1 || close (open (t->export, O_CREAT | O_WRONLY,
                                                0600)) == -1 ||
      stat (t->dir, &dir_st) == -1) {
    fprintf (stderr, "v2vfs-sync: %s: %s\n", t->dir, strerror (errno));
    return -1;
  }
  pid = fork ();
  if (pid == -1) {
    perror ("v2vfs-sync: fork");
    return -1;
  }
  if (pid == 0) {
    char *argv[] = {
      (char *) "qemu-storage-daemon",
      (char *) "--blockdev", file_opt,
      (char *) "--blockdev", (char *) "driver=qcow2,node-name=fmt,file=file",
      (char *) "--export", export_opt, NULL,
    };
    prctl (PR_SET_PDEATHSIG, SIGTERM);
    execvp (argv[0], argv);
    fprintf (stderr, "v2vfs-sync: qemu-storage-daemon: %s\n", strerror (errno));
    _exit (127);
  }
  t->qsd = pid;
  /* The export is up when the file is a FUSE mount of its own. */
  deadline = monotonic_seconds () + QSD_WAIT_SECONDS;
  while (monotonic_seconds () < deadline) {
    int status;
    if (waitpid (pid, &status, WNOHANG) == pid) {
      t->qsd = 0;
      fprintf (stderr, "v2vfs-sync: %s: qemu-storage-daemon exited (status "
               "%d) before its export was up\n", t->path, status);
      return -1;
    }
    if (stat (t->export, &st) == 0 && st.st_dev != dir_st.st_dev)
      return 0;
    usleep (20 * 1000);
  }
  fprintf (stderr, "v2vfs-sync: %s: qemu-storage-daemon's export is not up "
           "after %d s\n", t->path, QSD_WAIT_SECONDS);
  return -1;
}

/* Stop the daemon: SIGTERM makes it flush the image and unmount. */
static int
qsd_stop (struct sync_target *t)
{
  int status, r = 0;

  if (t->qsd > 0) {
    kill (t->qsd, SIGTERM);
    if (waitpid (t->qsd, &status, 0) == -1 || !WIFEXITED (status) ||
        WEXITSTATUS (status) != 0) {
      fprintf (stderr, "v2vfs-sync: %s: qemu-storage-daemon did not exit "
               "cleanly\n", t->path);
      r = -1;
    }
    t->qsd = 0;
  }
  if (t->dir[0]) {
    CLEANUP_FREE char *link = NULL;
    unlink (t->export);
    if (asprintf (&link, "%s/target.qcow2", t->dir) != -1)
      unlink (link);
    rmdir (t->dir);
    t->dir[0] = '\0';
  }
  return r;
}

static int
target_open (struct sync_target *t, bool dry_run)
{
  unsigned char head[32] = { 0 };
  struct target probe;
  struct v2_error e;
  struct stat st;

  /* The format from its first bytes, as v2vfs-fix and v2vfs-boot take it. */
  if (target_probe (t->path, !dry_run, &probe, &e) == -1) {
    fprintf (stderr, "v2vfs-sync: %s\n", e.msg);
    return -1;
  }
  t->block = probe.block;
  t->qcow2 = strcmp (probe.format, "qcow2") == 0;
  target_free (&probe);
  /* O_EXCL on a block device: refused while it is mounted or in use. */
  t->fd = open (t->path, (dry_run ? O_RDONLY : O_RDWR) | O_CLOEXEC |
                (t->block && !dry_run ? O_EXCL : 0));
  if (t->fd == -1 || fstat (t->fd, &st) == -1) {
    fprintf (stderr, "v2vfs-sync: %s: %s\n", t->path, strerror (errno));
    return -1;
  }
  if (t->block && ioctl (t->fd, BLKGETSIZE64, &t->size) == -1) {
    fprintf (stderr, "v2vfs-sync: %s: %s\n", t->path, strerror (errno));
    return -1;
  }
  if (!t->block)
    t->size = (uint64_t) st.st_size;
  if (t->qcow2 &&
      pread_full (t->fd, head, sizeof head, 0) == (ssize_t) sizeof head)
    t->size = be64_at (head, 24);      /* the virtual size */
  return 0;
}

/* For qcow2, swap the file for qemu's raw export of it. */
static int
target_attach (struct sync_target *t)
{
  if (!t->qcow2)
    return 0;
  close (t->fd);
  t->fd = -1;
  if (qsd_start (t) == -1)
    return -1;
  if ((t->fd = open (t->export, O_RDWR | O_CLOEXEC)) == -1) {
    fprintf (stderr, "v2vfs-sync: %s: %s\n", t->export, strerror (errno));
    return -1;
  }
  return 0;
}

/* Zero [OFF, OFF+LEN) of the target: ask for zeros without writing them
 * (qemu's export turns this into a write_zeroes), else write them. */
static int
target_zero (struct sync_target *t, uint64_t off, uint64_t len, void *zeros)
{
  if (t->block) {
    uint64_t range[2] = { off, len };
    if (ioctl (t->fd, BLKZEROOUT, range) == 0)
      return 0;
  }
  else if (fallocate (t->fd, FALLOC_FL_ZERO_RANGE, (off_t) off, (off_t) len) == 0 ||
           fallocate (t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      (off_t) off, (off_t) len) == 0)
    return 0;
  while (len > 0) {
    size_t n = len < CHUNK ? (size_t) len : CHUNK;
    if (pwrite_full (t->fd, zeros, n, off) == -1)
      return -1;
    off += n;
    len -= n;
  }
  return 0;
}

struct progress {
  bool quiet, tty;
  uint64_t total, done;
  double t0, last;
};

static void
progress (struct progress *p, bool final)
{
  double t = monotonic_seconds (), rate = (t - p->t0) > 0 ? (double) p->done / (t - p->t0) : 0;

  if (p->quiet || (!final && t - p->last < (p->tty ? 0.5 : 10)))
    return;
  p->last = t;
  fprintf (stderr, "%sv2vfs-sync: %.1f of %.1f MiB (%.0f%%), %.1f MiB/s, "
           "ETA %.0f s%s", p->tty ? "\r" : "", (double) p->done / 1048576,
           (double) p->total / 1048576,
           p->total ? 100.0 * (double) p->done / (double) p->total : 100.0,
           rate / 1048576,
           rate > 0 ? (double) (p->total - p->done) / rate : 0.0,
           p->tty && !final ? "" : "\n");
}

/* Write (or, VERIFY, compare) change C of IMG on T. */
static int
apply (struct image *img, struct sync_target *t, const struct image_change *c,
       bool verify, unsigned char *buf, unsigned char *back,
       unsigned char *zeros, struct progress *p)
{
  uint64_t off = c->start, end = c->start + c->len;
  struct v2_error e;

  if (c->zero && !verify) {
    if (target_zero (t, off, c->len, zeros) == -1) {
      fprintf (stderr, "v2vfs-sync: %s: zeroing %" PRIu64 " bytes at offset %"
               PRIu64 ": %s\n", t->path, c->len, off, strerror (errno));
      return -1;
    }
    p->done += c->len;
    progress (p, false);
    return 0;
  }
  while (off < end && !stop_signal) {
    errno = 0;
    size_t n = end - off < CHUNK ? (size_t) (end - off) : CHUNK;
    if (c->zero)
      memset (buf, 0, n);
    else if (image_pread (img, buf, n, off, &e) == -1) {
      fprintf (stderr, "v2vfs-sync: %s\n", e.msg);
      return -1;
    }
    if (verify) {
      if (pread_full (t->fd, back, n, off) != (ssize_t) n) {
        fprintf (stderr, "v2vfs-sync: %s: reading back %zu bytes at offset %"
                 PRIu64 ": %s\n", t->path, n, off,
                 errno ? strerror (errno) : "end of file");
        return -1;
      }
      if (memcmp (buf, back, n) != 0) {
        size_t i = 0;
        while (buf[i] == back[i])
          i++;
        fprintf (stderr, "v2vfs-sync: %s: verify: byte %" PRIu64 " differs "
                 "from the chain\n", t->path, off + i);
        return -1;
      }
    }
    else if (pwrite_full (t->fd, buf, n, off) == -1) {
      fprintf (stderr, "v2vfs-sync: %s: writing %zu bytes at offset %" PRIu64
               ": %s\n", t->path, n, off, strerror (errno));
      return -1;
    }
    off += n;
    p->done += n;
    progress (p, false);
  }
  return stop_signal ? -1 : 0;
}

static bool
same_file (int fd, const struct stat *st)
{
  struct stat s;

  return fd >= 0 && fstat (fd, &s) == 0 && s.st_dev == st->st_dev &&
    s.st_ino == st->st_ino;
}

/* The layer of IMG's chain that is the file at PATH, or NULL. */
static const struct image *
find_layer (const struct image *img, const char *path)
{
  struct stat st;

  if (stat (path, &st) == -1)
    return NULL;
  for (; img; img = img->parent)
    if (img->file->n_pieces && same_file (img->file->pieces[0].fd, &st))
      return img;
  return NULL;
}

/* Whether TARGET is one of the chain's files: writing it would write the
 * source. */
static bool
in_chain (const struct image *img, const struct sync_target *t)
{
  struct stat st;

  if (fstat (t->fd, &st) == -1)
    return false;
  for (; img; img = img->parent)
    for (size_t i = 0; i < img->n_sources; i++)
      for (size_t j = 0; j < img->sources[i]->n_pieces; j++)
        if (same_file (img->sources[i]->pieces[j].fd, &st))
          return true;
  return false;
}

/* Merge adjacent changes of one kind whatever their layer: fewer, larger
 * writes. */
static size_t
coalesce (struct image_change *c, size_t n)
{
  size_t i, k = 0;

  for (i = 0; i < n; i++) {
    if (k && c[k - 1].zero == c[i].zero &&
        c[k - 1].start + c[k - 1].len == c[i].start)
      c[k - 1].len += c[i].len;
    else
      c[k++] = c[i];
  }
  return k;
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "base", required_argument, NULL, 'b' },
    { "dry-run", no_argument, NULL, 'n' },
    { "verify", no_argument, NULL, 'v' },
    { "ignore-cid", no_argument, NULL, 'I' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  const char *base_path = NULL, *delta;
  bool dry_run = false, verify = false;
  unsigned flags = 0;
  struct sync_target t = { .fd = -1 };
  struct progress p = { 0 };
  struct container *c = NULL;
  struct image *img = NULL;
  const struct image *base = NULL;
  CLEANUP_FREE struct image_change *ch = NULL;
  CLEANUP_FREE unsigned char *buf = NULL, *back = NULL, *zeros = NULL;
  CLEANUP_FREE char *name = NULL, *file = NULL;
  struct sigaction sa = { .sa_handler = on_signal };
  uint64_t data = 0, zero = 0;
  size_t n = 0, i;
  struct v2_error e;
  int opt, ret = 1;

  while ((opt = getopt_long (argc, argv, "q", longopts, NULL)) != -1) {
    switch (opt) {
    case 'b': base_path = optarg; break;
    case 'n': dry_run = true; break;
    case 'v': verify = true; break;
    case 'I': flags |= IMAGE_IGNORE_CID; break;
    case 'q': p.quiet = true; break;
    case 'h': usage (stdout); return 0;
    case 'V': printf ("v2vfs-sync %s\n", PACKAGE_VERSION); return 0;
    default: usage (stderr); return 1;
    }
  }
  if (argc - optind != 2) {
    usage (stderr);
    return 1;
  }
  delta = argv[optind];
  t.path = argv[optind + 1];
  p.tty = isatty (STDERR_FILENO);
  setvbuf (stdout, NULL, _IOLBF, 0);     /* in order with the progress lines */

  /* The chain, read-only, through the formats library. */
  file = strdup (strrchr (delta, '/') ? strrchr (delta, '/') + 1 : delta);
  name = container_disk_name (delta);
  if (file == NULL || name == NULL) {
    perror ("v2vfs-sync");
    goto out;
  }
  if ((c = container_dir_of (delta, NULL, &e)) == NULL ||
      (img = image_open_vmdk (c, file, delta, name, 0, flags, &e)) == NULL) {
    fprintf (stderr, "v2vfs-sync: %s\n", e.msg);
    goto out;
  }
  for (i = 0; i < img->n_notes; i++)
    fprintf (stderr, "v2vfs-sync: %s\n", img->notes[i]);
  if (img->parent == NULL) {
    fprintf (stderr, "v2vfs-sync: %s: not a snapshot delta (its descriptor "
             "names no parent): there is nothing to apply\n", delta);
    goto out;
  }
  if (base_path && (base = find_layer (img, base_path)) == NULL) {
    fprintf (stderr, "v2vfs-sync: --base %s: not a file of the chain of %s\n",
             base_path, delta);
    goto out;
  }
  if (base == img) {
    fprintf (stderr, "v2vfs-sync: --base %s: is %s itself: there is nothing "
             "to apply\n", base_path, delta);
    goto out;
  }

  if (target_open (&t, dry_run) == -1)
    goto out;
  if (in_chain (img, &t)) {
    fprintf (stderr, "v2vfs-sync: %s: is a file of the chain itself, which "
             "is never written\n", t.path);
    goto out;
  }
  if (t.size != img->size) {
    fprintf (stderr, "v2vfs-sync: %s: holds %" PRIu64 " bytes, but the disk "
             "of %s is %" PRIu64 " bytes: a target must be a copy of the "
             "base disk, of the same size\n", t.path, t.size, delta, img->size);
    goto out;
  }

  if (image_changes (img, base, &ch, &n, &e) == -1) {
    fprintf (stderr, "v2vfs-sync: %s\n", e.msg);
    goto out;
  }
  n = coalesce (ch, n);
  for (i = 0; i < n; i++)
    *(ch[i].zero ? &zero : &data) += ch[i].len;
  printf ("v2vfs-sync: %s: %zu extent%s changed above %s: %" PRIu64
          " bytes of data, %" PRIu64 " bytes of zeros\n", delta, n,
          n == 1 ? "" : "s", base ? base_path : "the base", data, zero);
  fflush (stdout);
  if (dry_run) {
    for (i = 0; i < n; i++)
      printf ("%s %" PRIu64 " +%" PRIu64 "\n", ch[i].zero ? "zero" : "data",
              ch[i].start, ch[i].len);
    ret = 0;
    goto out;
  }

  buf = malloc (CHUNK);
  back = malloc (CHUNK);
  zeros = calloc (1, CHUNK);
  if (buf == NULL || back == NULL || zeros == NULL) {
    perror ("v2vfs-sync");
    goto out;
  }
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  if (target_attach (&t) == -1)
    goto out;
  p.total = data + zero;
  p.t0 = p.last = monotonic_seconds ();
  for (i = 0; i < n; i++)
    if (apply (img, &t, &ch[i], false, buf, back, zeros, &p) == -1)
      goto out;
  if (fdatasync_eintr (t.fd) == -1) {
    fprintf (stderr, "v2vfs-sync: %s: %s\n", t.path, strerror (errno));
    goto out;
  }
  progress (&p, true);
  printf ("v2vfs-sync: %s: wrote %" PRIu64 " bytes (%" PRIu64 " of data, %"
          PRIu64 " of zeros) in %zu extent%s in %.1f s\n", t.path, data + zero,
          data, zero, n, n == 1 ? "" : "s", monotonic_seconds () - p.t0);
  if (verify) {
    struct progress vp = { .quiet = true };
    for (i = 0; i < n; i++)
      if (apply (img, &t, &ch[i], true, buf, back, zeros, &vp) == -1)
        goto out;
    printf ("v2vfs-sync: %s: verified: the %zu extent%s read back equal to "
            "the chain\n", t.path, n, n == 1 ? "" : "s");
  }
  ret = 0;

 out:
  if (stop_signal)
    fprintf (stderr, "v2vfs-sync: stopped by signal %d; the target is "
             "partly written: run v2vfs-sync again\n", (int) stop_signal);
  if (t.fd >= 0 && close (t.fd) == -1 && ret == 0) {
    fprintf (stderr, "v2vfs-sync: %s: %s\n", t.path, strerror (errno));
    ret = 1;
  }
  if (qsd_stop (&t) == -1)
    ret = 1;
  image_free (img);
  container_free (c);
  return ret;
}
