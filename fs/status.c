/* See fs.h: MOUNTPOINT/verify.status, and the thread that checks the
 * package against its manifest (formats/verify.h) in the background.
 *
 * The status is a generated text like domain.xml's: each open pins the
 * version it reads, and stat shows the newest, so `cat` always reads a
 * whole version whose length st_size gave.  The thread starts after
 * fuse_daemonize (the fork keeps no thread), from main with --verify
 * (which began the verification before mounting, so that the status
 * never says "not requested" then) or from the first read of
 * VERIFY_XATTR, and fs_verify_stop joins it
 * before the session goes, mid-pass if need be (the pass looks for the
 * cancel between blocks of VERIFY_BLOCK bytes).
 *
 * With --verify=strict, a disk whose stored file (its OVF File's href,
 * or one of its chunks) is found bad refuses every later read of both
 * its views.  The disk learns it once, through an atomic pointer in its
 * raw node, so the read path takes no lock; the kernel's cache of the
 * views is dropped then, or it would go on serving what it holds. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs.h"

static const char *const words[] = {
  [VERIFY_IDLE] = "not requested", [VERIFY_PENDING] = "pending",
  [VERIFY_OK] = "ok", [VERIFY_MISMATCH] = "mismatch",
  [VERIFY_ERROR] = "error",
};

int
status_refresh (const struct fs *fs, struct fs_node *n, struct v2_error *e)
{
  CLEANUP_FREE char *hint = NULL;
  struct fs_text *t;
  char *s;
  uint64_t gen;

  verify_state (fs->verify, &gen);
  if (n->text && n->status_gen == gen)
    return 0;
  if (asprintf (&hint, "run v2vfs-verify %s, or mount with --verify",
                fs->mnt) == -1) {
    hint = NULL;
    return v2_err (e, ENOMEM, "out of memory");
  }
  if ((s = verify_status (fs->verify, hint)) == NULL)
    return v2_err (e, ENOMEM, "out of memory");
  if ((t = text_new (s, e)) == NULL)
    return -1;
  node_set_text (n, t);
  n->status_gen = gen;
  return 0;
}

/* verify_run's callback: with --verify=strict, refuse the reads of each
 * disk stored in FILE (NULL: every disk that has a stored file). */
static void
file_bad (void *opaque, const char *file, const char *why)
{
  struct fs *fs = opaque;
  const struct bundle *b = fs->bundle;

  if (!fs->verify_strict || verify_cancelled (fs->verify))
    return;
  for (size_t i = 0; i < b->n_disks; i++) {
    const char *df = b->disk_files[i];
    if (df == NULL || (file && !verify_part_of (file, df)))
      continue;
    for (size_t k = 0; k < fs->n_nodes; k++) {
      struct fs_node *raw = &fs->nodes[k];
      char *msg, *none = NULL;
      if (raw->img != b->disks[i] || raw->qcow2_ino == 0)
        continue;
      if (asprintf (&msg, "%s %s", file ? file : df, why) == -1)
        msg = NULL;
      if (msg == NULL ||
          !__atomic_compare_exchange_n (&raw->refused, &none, msg, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        free (msg);
        continue;
      }
      fuse_lowlevel_notify_inval_inode (fs->se, k + 1, 0, 0);
      fuse_lowlevel_notify_inval_inode (fs->se, raw->qcow2_ino, 0, 0);
    }
  }
}

static void *
verify_thread (void *arg)
{
  struct fs *fs = arg;
  CLEANUP_FREE char *text = NULL;
  char *line, *save;

  verify_run (fs->verify, file_bad, fs);
  if (verify_state (fs->verify, NULL) == VERIFY_PENDING)
    return NULL;                 /* cancelled: unmounting */
  /* The result, a line at a time: syslog takes one line a message. */
  if ((text = verify_status (fs->verify, "")) == NULL) {
    fs_log (fs, "verify.status: out of memory");
    return NULL;
  }
  for (line = strtok_r (text, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    fs_log (fs, "verify.status: %s", line);
  return NULL;
}

int
fs_verify_start (struct fs *fs)
{
  sigset_t all, old;
  int r;

  bool no = false;

  if (fs->verify == NULL)
    return 0;
  verify_begin (fs->verify);
  if (!__atomic_compare_exchange_n (&fs->verify_started, &no, true, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return 0;
  /* FUSE's signal handlers end the session: let the main thread and the
   * workers take the signals, never the hashing. */
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  r = pthread_create (&fs->verify_thread, NULL, verify_thread, fs);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (r != 0) {
    fs_log (fs, "verify.status: cannot start the verification: %s",
            strerror (r));
    verify_abandon (fs->verify, "the verification could not start");
    return -1;
  }
  fs->verify_running = true;
  return 0;
}

void
fs_verify_cancel (struct fs *fs)
{
  if (fs->verify)
    verify_cancel (fs->verify);
}

void
fs_verify_stop (struct fs *fs)
{
  if (!fs->verify_running)
    return;
  fs_verify_cancel (fs);
  pthread_join (fs->verify_thread, NULL);
  fs->verify_running = false;
}

const char *
fs_verify_word (struct fs *fs)
{
  return words[verify_state (fs->verify, NULL)];
}
