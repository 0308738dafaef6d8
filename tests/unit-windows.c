/* Unit tests for the pure parts of the Windows fix: the choice of the
 * virtio-win directory, the first-boot scripts (guestfix/winplan.c), and
 * the hive edits (guestfix/hive.c) on a copy of a real hive, read back
 * through libhivex's own API rather than ours. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hivex.h>

#include "cleanup.h"
#include "hive.h"
#include "winplan.h"

#include "unit.h"

/* A string for a message, which may be NULL. */
#define S(s) ((s) ? (s) : "(none)")

static bool
has_in (void *opaque, const char *dir)
{
  const char *const *v = opaque;

  for (; *v; v++)
    if (strcmp (*v, dir) == 0)
      return true;
  return false;
}

static void
check_dir (unsigned major, unsigned minor, unsigned build, bool server,
           const char *const *tree, const char *want, bool want_fallback)
{
  struct win_version v = { major, minor, build, server };
  bool fallback = !want_fallback;
  const char *got = winplan_os_dir (&v, has_in, (void *) tree, &fallback);

  CHECK ((got == NULL && want == NULL) ||
         (got && want && strcmp (got, want) == 0 && fallback == want_fallback),
         "%u.%u.%u %s: got %s%s, want %s%s", major, minor, build,
         server ? "server" : "client", got ? got : "none",
         fallback ? " (fallback)" : "", want ? want : "none",
         want_fallback ? " (fallback)" : "");
}

static void
test_os_dirs (void)
{
  static const char *const all[] = { "w7", "w8", "w8.1", "w10", "w11", "2k8", "2k8R2",
                                     "2k12", "2k12R2", "2k16", "2k19", "2k22", "2k25",
                                     NULL };
  static const char *const some[] = { "w7", "w10", "w11", "2k16", "2k19", "2k22", NULL };
  static const char *const clients[] = { "w7", "w10", NULL };
  static const char *const none[] = { NULL };

  check_dir (10, 0, 17763, true, all, "2k19", false);
  check_dir (10, 0, 20348, true, all, "2k22", false);
  check_dir (10, 0, 26100, true, all, "2k25", false);
  check_dir (10, 0, 26100, true, some, "2k22", true);
  check_dir (10, 0, 14393, true, all, "2k16", false);
  check_dir (10, 0, 22631, false, all, "w11", false);
  check_dir (10, 0, 19045, false, all, "w10", false);
  check_dir (10, 0, 22631, false, clients, "w10", true);
  check_dir (6, 3, 9600, false, all, "w8.1", false);
  check_dir (6, 3, 9600, true, all, "2k12R2", false);
  check_dir (6, 1, 7601, true, all, "2k8R2", false);
  check_dir (6, 1, 7601, false, some, "w7", false);
  /* A server with no server directory takes the client one of its
   * kernel; an older Windows than the tree knows gets none. */
  check_dir (10, 0, 17763, true, clients, "w10", true);
  check_dir (6, 0, 6002, true, clients, NULL, false);
  check_dir (5, 2, 3790, true, all, NULL, false);
  check_dir (10, 0, 17763, true, none, NULL, false);
  {
    struct win_version v = { 10, 0, 26100, true };
    CHECK_STR (winplan_os_dir_for (&v), "2k25");
  }
}

static void
test_scripts (void)
{
  static const char *const addrs[] = { "192.168.10.20", "10.1.1.5", NULL };
  static const char *const masks[] = { "255.255.255.0", "255.0.0.0", NULL };
  static const char *const gws[] = { "192.168.10.1", NULL };
  static const char *const dns[] = { "192.168.10.53", "192.168.10.54", NULL };
  static const char *const dns6[] = { "fd00::53", NULL };
  static const char *const bad[] = { "1.2.3.4 & del C:\\x", NULL };
  static const char *const infs[] = { "C:\\Windows\\Drivers\\VirtIO\\NetKVM\\netkvm.inf",
                                      NULL };
  static const char *const svcs[] = { "VMTools", "vmci", NULL };
  struct win_static_ip ip = {
    .mac = "00:50:56:3a:00:10", .guid = "{0A1B2C3D-1111-2222-3333-444455556666}",
    .v4_addrs = addrs, .v4_masks = masks, .v4_gateways = gws, .v4_dns = dns,
    .v6_dns = dns6,
  };
  CLEANUP_FREE char *text = winplan_ip_action (&ip);
  CLEANUP_FREE char *runner = winplan_runner ("C:\\Program Files\\v2vfs\\firstboot");
  CLEANUP_FREE char *drv10 = winplan_drivers_action (10, infs);
  CLEANUP_FREE char *drv7 = winplan_drivers_action (6, infs);
  CLEANUP_FREE char *tools = winplan_tools_action ("{GUID-1}", svcs);

  CHECK (text && strstr (text,
    "if /i \"%%~b\"==\"00-50-56-3A-00-10\" set \"NIC=%%~a\"\r\n"),
         "the NIC is found by its MAC as getmac prints it: %s", S (text));
  CHECK (text && strstr (text,
    "netsh interface ipv4 set address name=\"%NIC%\" source=static "
    "address=192.168.10.20 mask=255.255.255.0 gateway=192.168.10.1\r\n"
    "netsh interface ipv4 add address name=\"%NIC%\" address=10.1.1.5 mask=255.0.0.0\r\n"
    "netsh interface ipv4 set dnsservers name=\"%NIC%\" source=static "
    "address=192.168.10.53 register=primary\r\n"
    "netsh interface ipv4 add dnsservers name=\"%NIC%\" address=192.168.10.54 index=2\r\n"
    "netsh interface ipv6 set dnsservers name=\"%NIC%\" source=static "
    "address=fd00::53 register=primary\r\n"
    "exit /b 0\r\n"), "the addresses, in order: %s", S (text));
  ip.v4_dns = bad;
  errno = 0;
  CHECK (winplan_ip_action (&ip) == NULL && errno == EINVAL,
         "a value that is not an address is refused");
  CHECK (runner && strstr (runner, "set \"FB=C:\\Program Files\\v2vfs\\firstboot\"\r\n") &&
         strstr (runner, "echo done> \"%FB%\\done\\%%a\"\r\n    echo !DATE! !TIME! %%a: starts"),
         "the runner marks an action done before it runs it: %s", S (runner));
  CHECK (drv10 && strstr (drv10, "pnputil /add-driver \"C:\\Windows\\Drivers\\VirtIO\\"
                          "NetKVM\\netkvm.inf\" /install\r\n"), "pnputil, 10: %s", S (drv10));
  CHECK (drv7 && strstr (drv7, "pnputil -i -a \"C:\\Windows\\Drivers\\VirtIO\\NetKVM\\"
                         "netkvm.inf\"\r\n"), "pnputil, 7: %s", S (drv7));
  CHECK (tools && strstr (tools, "msiexec /x {GUID-1} /qn /norestart\r\n") &&
         strstr (tools, "sc config VMTools start= disabled\r\nsc config vmci start= "
                 "disabled\r\nexit /b %RC%\r\n"), "tools: %s", S (tools));
  CHECK (winplan_safe ("{0A1B2C3D-1111}") && !winplan_safe ("a b") &&
         !winplan_safe ("x&y") && !winplan_safe ("") && !winplan_safe ("100%"),
         "safe words");
  CHECK (winplan_safe_path ("C:\\Program Files (x86)") &&
         !winplan_safe_path ("C:\\a\"b") && !winplan_safe_path ("C:\\%TEMP%"),
         "safe paths");
}

/* The value KEY of PATH, through libhivex itself. */
static char *
raw_string (const char *file, const char *path, const char *key)
{
  hive_h *h = hivex_open (file, 0);
  hive_node_h n = h ? hivex_root (h) : 0;
  CLEANUP_FREE char *copy = strdup (path);
  char *save = NULL, *p, *r = NULL;
  hive_value_h v;

  for (p = strtok_r (copy, "\\", &save); p && n; p = strtok_r (NULL, "\\", &save))
    n = hivex_node_get_child (h, n, p);
  if (n && (v = hivex_node_get_value (h, n, key)))
    r = hivex_value_string (h, v);
  if (h)
    hivex_close (h);
  return r;
}

static void
test_hive (void)
{
  const char *srcdir = getenv ("srcdir");
  static const char *const multi[] = { "192.168.10.20", "10.0.0.1", NULL };
  char tmp[] = "/tmp/unit-windows.XXXXXX";
  CLEANUP_FREE char *src = NULL, *copy = NULL, *out = NULL, *cmd = NULL;
  struct edit_log log = { 0 };
  struct v2_error e;
  struct hive *h;
  uint32_t d = 0;
  char **m;

  if (mkdtemp (tmp) == NULL ||
      asprintf (&src, "%s/windows/minimal-hive", srcdir ? srcdir : ".") == -1 ||
      asprintf (&copy, "%s/SYSTEM", tmp) == -1 || asprintf (&out, "%s/SYSTEM.new", tmp) == -1 ||
      asprintf (&cmd, "cp '%s' '%s'", src, copy) == -1 || system (cmd) != 0) {
    CHECK (false, "cannot copy %s", src);
    return;
  }
  h = hive_open (copy, "HKLM\\SYSTEM", true, &e);
  CHECK (h != NULL, "open: %s", h ? "" : e.msg);
  if (h == NULL)
    return;
  CHECK (hive_set_dword (h, "ControlSet002\\Services\\viostor", "Start", 0, &log, &e) == 1 &&
         hive_set_string (h, "ControlSet002\\Services\\viostor", "ImagePath",
                          "system32\\drivers\\viostor.sys", true, &log, &e) == 1 &&
         hive_set_multi (h, "Tcpip", "IPAddress", multi, &log, &e) == 1,
         "set: %s", e.msg);
  CHECK (hive_set_dword (h, "controlset002\\SERVICES\\viostor", "start", 0, &log, &e) == 0 &&
         hive_set_string (h, "ControlSet002\\Services\\viostor", "ImagePath",
                          "system32\\drivers\\viostor.sys", true, &log, &e) == 0 &&
         hive_set_multi (h, "Tcpip", "IPAddress", multi, &log, &e) == 0,
         "setting the same again changes nothing, whatever the case of the names");
  CHECK (hive_set_string (h, "DriverDatabase\\DriverInfFiles\\x.inf", "", "x.inf_1", false,
                          &log, &e) == 1 &&
         strcmp (log.changes.v[log.changes.n - 1],
                 "HKLM\\SYSTEM\\DriverDatabase\\DriverInfFiles\\x.inf: @ = \"x.inf_1\" (REG_SZ)") == 0,
         "the default value is @: %s", log.changes.v[log.changes.n - 1]);
  log.changes.n--;
  free (log.changes.v[log.changes.n]);
  CHECK (log.changes.n == 3, "%zu change lines", log.changes.n);
  if (log.changes.n == 3) {
    CHECK_STR (log.changes.v[0], "HKLM\\SYSTEM\\ControlSet002\\Services\\viostor: "
               "Start = 0 (REG_DWORD)");
    CHECK_STR (log.changes.v[1], "HKLM\\SYSTEM\\ControlSet002\\Services\\viostor: "
               "ImagePath = \"system32\\drivers\\viostor.sys\" (REG_EXPAND_SZ)");
    CHECK_STR (log.changes.v[2], "HKLM\\SYSTEM\\Tcpip: IPAddress = \"192.168.10.20\", "
               "\"10.0.0.1\" (REG_MULTI_SZ)");
  }
  CHECK (hive_get_dword (h, "ControlSet002\\Services\\viostor", "Start", &d) == 0 && d == 0,
         "dword read back");
  m = hive_get_multi (h, "Tcpip", "IPAddress");
  CHECK (m && m[0] && m[1] && !m[2] && strcmp (m[1], "10.0.0.1") == 0, "multi read back");
  for (size_t i = 0; m && m[i]; i++)
    free (m[i]);
  free (m);
  CHECK (hive_changed (h) && hive_commit (h, out, &e) == 0, "commit: %s", e.msg);
  hive_close (h);
  {
    CLEANUP_FREE char *ip = raw_string (out, "ControlSet002\\Services\\viostor", "ImagePath");
    CHECK (ip && strcmp (ip, "system32\\drivers\\viostor.sys") == 0,
           "libhivex reads the committed value: %s", ip ? ip : "none");
  }
  edit_log_free (&log);
  memset (&log, 0, sizeof log);
  h = hive_open (out, "HKLM\\SYSTEM", true, &e);
  CHECK (h && hive_set_dword (h, "ControlSet002\\Services\\viostor", "Start", 0, &log, &e) == 0 &&
         !hive_changed (h), "a reopened hive holds the values");
  hive_close (h);
  CHECK (hive_open ("/dev/null", "HKLM\\X", false, &e) == NULL &&
         strstr (e.msg, "not a registry hive"), "not a hive: %s", e.msg);
  free (cmd);
  cmd = NULL;
  if (asprintf (&cmd, "rm -rf '%s'", tmp) != -1 && system (cmd) != 0)
    fprintf (stderr, "cannot remove %s\n", tmp);
}

int
main (void)
{
  test_os_dirs ();
  test_scripts ();
  test_hive ();
  return unit_report ("unit-windows");
}
