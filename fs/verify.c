/* v2vfs-verify: check a v2vfs mount's export against its manifest.
 *
 * The daemon does the hashing (it holds the sources open, and a strict
 * mount must learn the result); this command only asks and waits.  It
 * reads MOUNTPOINT/verify.status's VERIFY_XATTR, which begins the pass
 * when the mount has not (a read, not a setxattr: a read-only mount
 * refuses every setxattr before FUSE sees it), polls it until the state
 * is no longer pending, then prints verify.status and exits by its
 * first word. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "mountinfo.h"
#include "verify.h"

enum { EXIT_MATCH = 0, EXIT_MISMATCH = 1, EXIT_TROUBLE = 2 };

/* How often the state is asked for while pending: a fifth of a second
 * is nothing beside a pass over gigabytes, and a getxattr costs the
 * daemon a lock and a word. */
#define POLL_NS 200000000L

static void
usage (FILE *f)
{
  fprintf (f,
"Usage: v2vfs-verify [OPTIONS] MOUNTPOINT\n"
"Check the files of the export mounted on MOUNTPOINT by v2vfs against its\n"
"manifest (.mf): start the check if the mount has not, wait for it, and\n"
"print MOUNTPOINT/verify.status.  The certificate (.cert) is not checked.\n"
"\n"
"Exit status: 0 every file matches, 1 a file differs, is missing or is not\n"
"listed, 2 the check could not be done (no manifest, not a v2vfs mount, a\n"
"manifest that does not parse, a file that cannot be read).\n"
"\n"
"  -q, --quiet   no progress line on a terminal\n"
"  --help\n"
"  --version\n");
}

/* The state word, into WORD (LEN bytes); -1 with errno set. */
static int
state_word (const char *status, char *word, size_t len)
{
  ssize_t n = getxattr (status, VERIFY_XATTR, word, len - 1);

  if (n == -1)
    return -1;
  word[n] = '\0';
  return 0;
}

/* Why MNT has no readable state, for ERRNUM from its verify.status. */
static void
say_why (const char *mnt, const char *status, int errnum)
{
  CLEANUP_FREE char *real = realpath (mnt, NULL);
  char dev[64];
  bool v2vfs = real && mountinfo_find (real, "fuse.v2vfs", dev, sizeof dev);

  if (errnum == ENOENT && v2vfs)
    fprintf (stderr, "v2vfs-verify: %s: the export has no manifest (.mf): "
             "there is nothing to check its files against\n", mnt);
  else if (!v2vfs || errnum == ENOENT || errnum == ENODATA ||
           errnum == ENOTSUP)
    fprintf (stderr, "v2vfs-verify: %s: not a v2vfs mount\n", mnt);
  else
    fprintf (stderr, "v2vfs-verify: %s: %s\n", status, strerror (errnum));
}

static bool
starts (const char *buf, size_t len, const char *word)
{
  return len >= strlen (word) && memcmp (buf, word, strlen (word)) == 0;
}

/* Print verify.status; its exit status. */
static int
print_status (const char *status)
{
  char buf[65536];
  ssize_t n;
  int fd = open (status, O_RDONLY | O_CLOEXEC), r = EXIT_TROUBLE;
  bool first = true;

  if (fd == -1) {
    fprintf (stderr, "v2vfs-verify: %s: %s\n", status, strerror (errno));
    return EXIT_TROUBLE;
  }
  while ((n = read (fd, buf, sizeof buf)) > 0) {
    if (first)
      r = starts (buf, (size_t) n, "ok:") ? EXIT_MATCH :
        starts (buf, (size_t) n, "mismatch:") ? EXIT_MISMATCH : EXIT_TROUBLE;
    first = false;
    fwrite (buf, 1, (size_t) n, stdout);
  }
  if (n == -1) {
    fprintf (stderr, "v2vfs-verify: %s: %s\n", status, strerror (errno));
    r = EXIT_TROUBLE;
  }
  close (fd);
  return fflush (stdout) == EOF ? EXIT_TROUBLE : r;
}

/* The first line of verify.status over the last progress line. */
static void
show_progress (const char *status)
{
  char line[256];
  FILE *f = fopen (status, "re");

  if (f == NULL)
    return;
  if (fgets (line, sizeof line, f)) {
    line[strcspn (line, "\n")] = '\0';
    fprintf (stderr, "\r%s\033[K", line);
  }
  fclose (f);
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  const struct timespec poll = { 0, POLL_NS };
  CLEANUP_FREE char *status = NULL;
  char word[32];
  bool progress;
  int opt;

  progress = isatty (STDERR_FILENO);
  while ((opt = getopt_long (argc, argv, "q", longopts, NULL)) != -1) {
    switch (opt) {
    case 'q': progress = false; break;
    case 'h': usage (stdout); return 0;
    case 'V': printf ("v2vfs-verify %s\n", PACKAGE_VERSION); return 0;
    default: usage (stderr); return EXIT_TROUBLE;
    }
  }
  if (argc - optind != 1) {
    usage (stderr);
    return EXIT_TROUBLE;
  }
  if (asprintf (&status, "%s/verify.status", argv[optind]) == -1) {
    perror ("v2vfs-verify");
    return EXIT_TROUBLE;
  }
  for (;;) {
    if (state_word (status, word, sizeof word) == -1) {
      if (progress)
        fputc ('\n', stderr);
      say_why (argv[optind], status, errno);
      return EXIT_TROUBLE;
    }
    if (strcmp (word, "pending") != 0)
      break;
    if (progress)
      show_progress (status);
    nanosleep (&poll, NULL);
  }
  if (progress)
    fputs ("\r\033[K", stderr);
  return print_status (status);
}
