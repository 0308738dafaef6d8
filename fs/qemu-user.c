/* libvirt's qemu user, and what it may do with a file on a mount.
 *
 * qemu.conf is libvirt's own syntax (key = value, # comments); only the
 * two plain string keys are read here, `user` and `group`.  What the user
 * may do follows the kernel's rule for a FUSE mount with
 * default_permissions: first the mount lets it in (allow_other, or it is
 * the user who mounted: user_id= in the super options), then the mode
 * bits decide, then a read-only mount refuses writes. */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "mountinfo.h"
#include "qemu-user.h"

/* Debian's libvirt is configured with this user (and its group). */
#define QEMU_DEFAULT_USER "libvirt-qemu"

/* The quoted value of `KEY = "VALUE"` on LINE, copied to OUT; false when
 * LINE sets another key, is a comment, or is not of that shape. */
static bool
conf_value (const char *line, const char *key, char *out, size_t len)
{
  size_t klen = strlen (key), n;
  const char *p = line + strspn (line, " \t"), *end;

  if (strncmp (p, key, klen) != 0)
    return false;
  p += klen;
  p += strspn (p, " \t");
  if (*p++ != '=')
    return false;
  p += strspn (p, " \t");
  if (*p++ != '"' || (end = strchr (p, '"')) == NULL)
    return false;
  n = (size_t) (end - p);
  if (n == 0 || n >= len)
    return false;
  memcpy (out, p, n);
  out[n] = '\0';
  return true;
}

/* NAME, or "+N" for the number N (libvirt's spelling for an id). */
static const struct passwd *
find_user (const char *name)
{
  char *end;
  unsigned long id;

  if (name[0] != '+')
    return getpwnam (name);
  errno = 0;
  id = strtoul (name + 1, &end, 10);
  return errno || *end || end == name + 1 ? NULL : getpwuid ((uid_t) id);
}

int
qemu_user_lookup (const char *conf, struct qemu_user *u)
{
  char user[sizeof u->name] = QEMU_DEFAULT_USER, group[64] = "";
  CLEANUP_FREE char *line = NULL;
  size_t cap = 0;
  const struct passwd *pw;
  const struct group *gr;
  FILE *f = fopen (conf, "re");

  if (f) {
    while (getline (&line, &cap, f) != -1) {
      line[strcspn (line, "#\n")] = '\0';
      if (!conf_value (line, "user", user, sizeof user))
        conf_value (line, "group", group, sizeof group);
    }
    fclose (f);
  }
  if ((pw = find_user (user)) == NULL)
    return -1;
  snprintf (u->name, sizeof u->name, "%s", pw->pw_name);
  u->uid = pw->pw_uid;
  u->gid = pw->pw_gid;
  if (group[0]) {
    if (group[0] == '+')
      u->gid = (gid_t) strtoul (group + 1, NULL, 10);
    else if ((gr = getgrnam (group)) != NULL)
      u->gid = gr->gr_gid;
  }
  return 0;
}

/* Is OPT one of the comma-separated options in LIST? */
static bool
has_option (const char *list, const char *opt)
{
  size_t n = strlen (opt);

  for (const char *p = list; p; p = strchr (p, ',')) {
    p += *p == ',';
    if (strncmp (p, opt, n) == 0 && (p[n] == ',' || p[n] == '\0' || p[n] == '='))
      return true;
  }
  return false;
}

struct mount_info {
  bool fuse, allow_other, ro;
  long user_id;                  /* -1: not said */
};

/* The mount that holds PATH (absolute, resolved): the longest mount
 * point that is PATH or one of its parents. */
static int
mount_of (const char *path, struct mount_info *mi)
{
  CLEANUP_FREE char *line = NULL;
  size_t cap = 0, best = 0;
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  bool found = false;

  if (f == NULL)
    return -1;
  while (getline (&line, &cap, f) != -1) {
    /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - TYPE SOURCE SUPER */
    char *save = NULL, *tok, *mp = NULL, *opts = NULL, *type = NULL,
      *super = NULL;
    int field = 0;
    bool dash = false;
    size_t n;

    for (tok = strtok_r (line, " \n", &save); tok;
         tok = strtok_r (NULL, " \n", &save), field++) {
      if (field == 4)
        mp = tok;
      else if (field == 5)
        opts = tok;
      else if (!dash && field > 5 && strcmp (tok, "-") == 0)
        dash = true, field = -1;
      else if (dash && field == 0)
        type = tok;
      else if (dash && field == 2)
        super = tok;
    }
    if (mp == NULL || opts == NULL || type == NULL || super == NULL)
      continue;
    mountinfo_unescape (mp);
    n = strlen (mp);
    if (strcmp (mp, "/") != 0 &&
        (strncmp (path, mp, n) != 0 || (path[n] != '/' && path[n] != '\0')))
      continue;
    if (found && n < best)
      continue;
    best = n;
    found = true;
    mi->fuse = strncmp (type, "fuse", 4) == 0;
    mi->allow_other = has_option (super, "allow_other");
    mi->ro = has_option (opts, "ro");
    mi->user_id = -1;
    if ((tok = strstr (super, "user_id=")) != NULL)
      mi->user_id = strtol (tok + 8, NULL, 10);
  }
  fclose (f);
  if (!found)
    errno = ENOENT;
  return found ? 0 : -1;
}

static bool
in_group (const struct qemu_user *u, gid_t gid)
{
  gid_t groups[256];
  int n = (int) (sizeof groups / sizeof groups[0]);

  if (u->gid == gid)
    return true;
  if (getgrouplist (u->name, u->gid, groups, &n) == -1)
    return false;
  for (int i = 0; i < n; i++)
    if (groups[i] == gid)
      return true;
  return false;
}

int
qemu_user_access (const struct qemu_user *u, const char *path,
                  bool *can_read, bool *can_write, bool *rw_mount,
                  char *why, size_t why_len)
{
  char real[PATH_MAX];
  struct mount_info mi;
  struct stat st;
  unsigned perm;

  if (realpath (path, real) == NULL || stat (real, &st) == -1 ||
      mount_of (real, &mi) == -1)
    return -1;
  *rw_mount = !mi.ro;
  why[0] = '\0';
  if (mi.fuse && !mi.allow_other && mi.user_id != (long) u->uid) {
    *can_read = *can_write = false;
    snprintf (why, why_len, "the mount has no allow_other option, so FUSE "
              "lets no other user in");
    return 0;
  }
  if (u->uid == 0)
    perm = 7;
  else if (st.st_uid == u->uid)
    perm = (st.st_mode >> 6) & 7;
  else if (in_group (u, st.st_gid))
    perm = (st.st_mode >> 3) & 7;
  else
    perm = st.st_mode & 7;
  *can_read = perm & 4;
  *can_write = (perm & 2) && !mi.ro;
  if (!*can_read || (!*can_write && !mi.ro)) {
    const struct passwd *pw = getpwuid (st.st_uid);
    char owner[32];
    if (pw)
      snprintf (owner, sizeof owner, "%s", pw->pw_name);
    else
      snprintf (owner, sizeof owner, "%u", (unsigned) st.st_uid);
    snprintf (why, why_len, "it is owned by %s with mode %04o",
              owner, (unsigned) (st.st_mode & 07777));
  }
  else if (mi.ro)
    snprintf (why, why_len, "the mount is read-only");
  return 0;
}
