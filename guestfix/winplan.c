/* See winplan.h.  The scripts are cmd.exe batch files (CRLF line ends):
 * cmd.exe and the tools they call (pnputil, msiexec, sc, netsh, getmac)
 * are on every Windows from 7 and Server 2008 R2 on, where PowerShell's
 * network cmdlets are not. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "winplan.h"

/* The virtio-win directories, each with the first version it is for,
 * oldest first within each line. */
struct os_dir {
  const char *name;
  unsigned major, minor, build;
  bool server;
};

static const struct os_dir os_dirs[] = {
  { "w7", 6, 1, 0, false },
  { "w8", 6, 2, 0, false },
  { "w8.1", 6, 3, 0, false },
  { "w10", 10, 0, 0, false },
  { "w11", 10, 0, 22000, false },
  { "2k8", 6, 0, 0, true },
  { "2k8R2", 6, 1, 0, true },
  { "2k12", 6, 2, 0, true },
  { "2k12R2", 6, 3, 0, true },
  { "2k16", 10, 0, 14393, true },
  { "2k19", 10, 0, 17763, true },
  { "2k22", 10, 0, 20348, true },
  { "2k25", 10, 0, 26100, true },
};
#define N_OS_DIRS (sizeof os_dirs / sizeof os_dirs[0])

static int
cmp_version (const struct os_dir *d, const struct win_version *v)
{
  if (d->major != v->major)
    return d->major < v->major ? -1 : 1;
  if (d->minor != v->minor)
    return d->minor < v->minor ? -1 : 1;
  return d->build < v->build ? -1 : d->build > v->build;
}

/* The newest directory of LINE that is not newer than V (and, with HAS,
 * that the tree has); -1 for none. */
static int
newest (const struct win_version *v, bool server,
        bool (*has) (void *, const char *), void *opaque)
{
  int best = -1;
  size_t i;

  for (i = 0; i < N_OS_DIRS; i++)
    if (os_dirs[i].server == server && cmp_version (&os_dirs[i], v) <= 0 &&
        (has == NULL || has (opaque, os_dirs[i].name)))
      best = (int) i;
  return best;
}

const char *
winplan_os_dir_for (const struct win_version *v)
{
  int i = newest (v, v->server, NULL, NULL);

  return i == -1 ? NULL : os_dirs[i].name;
}

const char *
winplan_os_dir (const struct win_version *v,
                bool (*has) (void *opaque, const char *dir), void *opaque,
                bool *fallback)
{
  const char *made = winplan_os_dir_for (v);
  int i;

  *fallback = false;
  if (made == NULL)
    return NULL;
  if ((i = newest (v, v->server, has, opaque)) == -1)
    i = newest (v, !v->server, has, opaque);
  if (i == -1)
    return NULL;
  *fallback = strcmp (os_dirs[i].name, made) != 0;
  return os_dirs[i].name;
}

/* Whether S is not empty, and holds only letters, digits and OTHERS. */
static bool
only (const char *s, const char *others)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (!isalnum ((unsigned char) *s) && !strchr (others, *s))
      return false;
  return true;
}

bool
winplan_safe (const char *s)
{
  return only (s, ".:-_{}/");
}

bool
winplan_safe_path (const char *s)
{
  return only (s, " .:-_()\\");
}

/* A growing script; lines end in CRLF. */
struct script {
  char *text;
  size_t len;
  bool failed;
};

static void __attribute__((format (printf, 2, 3)))
line (struct script *s, const char *fmt, ...)
{
  char *l;
  va_list ap;
  int n;

  if (s->failed)
    return;
  va_start (ap, fmt);
  n = vasprintf (&l, fmt, ap);
  va_end (ap);
  if (n == -1) {
    s->failed = true;
    return;
  }
  char *t = realloc (s->text, s->len + (size_t) n + 3);
  if (t == NULL) {
    free (l);
    s->failed = true;
    return;
  }
  memcpy (t + s->len, l, (size_t) n);
  memcpy (t + s->len + (size_t) n, "\r\n", 3);
  s->text = t;
  s->len += (size_t) n + 2;
  free (l);
}

static char *
finish (struct script *s)
{
  if (s->failed) {
    free (s->text);
    errno = ENOMEM;
    return NULL;
  }
  return s->text;
}

char *
winplan_runner (const char *dir)
{
  struct script s = { 0 };

  line (&s, "@echo off");
  line (&s, "rem v2vfs first boot: run each queued action once, in name order,");
  line (&s, "rem logging to firstboot.log.  An action is marked done before it");
  line (&s, "rem runs, so none runs twice even if one restarts Windows.");
  line (&s, "setlocal EnableExtensions EnableDelayedExpansion");
  line (&s, "set \"FB=%s\"", dir);
  line (&s, "set \"LOG=%%FB%%\\firstboot.log\"");
  line (&s, "if not exist \"%%FB%%\\done\" mkdir \"%%FB%%\\done\"");
  line (&s, "echo %%DATE%% %%TIME%% first boot starts>> \"%%LOG%%\"");
  line (&s, "for /f \"delims=\" %%%%a in ('dir /b /on \"%%FB%%\\actions\\*.cmd\"') do (");
  line (&s, "  if not exist \"%%FB%%\\done\\%%%%a\" (");
  line (&s, "    echo done> \"%%FB%%\\done\\%%%%a\"");
  /* Inside the block, !VAR!: %VAR% is expanded once for the block. */
  line (&s, "    echo !DATE! !TIME! %%%%a: starts>> \"%%LOG%%\"");
  line (&s, "    call \"%%FB%%\\actions\\%%%%a\" >> \"%%LOG%%\" 2>&1");
  line (&s, "    echo !DATE! !TIME! %%%%a: exit status !ERRORLEVEL!>> \"%%LOG%%\"");
  line (&s, "  )");
  line (&s, ")");
  line (&s, "echo %%DATE%% %%TIME%% first boot ends>> \"%%LOG%%\"");
  return finish (&s);
}

char *
winplan_drivers_action (unsigned major, const char *const *infs)
{
  struct script s = { 0 };
  size_t i;

  line (&s, "@echo off");
  line (&s, "rem v2vfs: install the staged virtio drivers, so Plug and Play binds");
  line (&s, "rem them to the new devices.");
  for (i = 0; infs[i]; i++)
    if (major >= 10)
      line (&s, "pnputil /add-driver \"%s\" /install", infs[i]);
    else
      line (&s, "pnputil -i -a \"%s\"", infs[i]);
  line (&s, "exit /b 0");
  return finish (&s);
}

char *
winplan_agent_action (const char *msi)
{
  struct script s = { 0 };

  line (&s, "@echo off");
  line (&s, "rem v2vfs: install the QEMU guest agent.");
  line (&s, "msiexec /i \"%%~dp0..\\%s\" /qn /norestart", msi);
  return finish (&s);
}

char *
winplan_tools_action (const char *product, const char *const *services)
{
  struct script s = { 0 };
  size_t i;

  line (&s, "@echo off");
  line (&s, "rem v2vfs: remove VMware Tools %s; if its uninstaller fails,", product);
  line (&s, "rem disable its services so that they cannot get in the way.");
  line (&s, "msiexec /x %s /qn /norestart", product);
  line (&s, "set RC=%%ERRORLEVEL%%");
  /* 3010: done, a restart completes it; 1605: not installed. */
  line (&s, "if \"%%RC%%\"==\"0\" exit /b 0");
  line (&s, "if \"%%RC%%\"==\"3010\" exit /b 0");
  line (&s, "if \"%%RC%%\"==\"1605\" exit /b 0");
  line (&s, "echo msiexec /x %s exited %%RC%%: disabling the VMware services", product);
  for (i = 0; services[i]; i++)
    line (&s, "sc config %s start= disabled", services[i]);
  line (&s, "exit /b %%RC%%");
  return finish (&s);
}

/* 00:50:56:3a:00:10 as getmac prints it: 00-50-56-3A-00-10. */
static void
getmac_form (const char *mac, char out[18])
{
  size_t i;

  for (i = 0; i < 17 && mac[i]; i++)
    out[i] = mac[i] == ':' ? '-' : (char) toupper ((unsigned char) mac[i]);
  out[i] = '\0';
}

static bool
all_safe (const char *const *v)
{
  for (; v && *v; v++)
    if (!winplan_safe (*v))
      return false;
  return true;
}

/* DNS servers for FAMILY ("ipv4", "ipv6"). */
static void
dns_lines (struct script *s, const char *family, const char *const *dns)
{
  size_t i;

  for (i = 0; dns && dns[i]; i++)
    if (i == 0)
      line (s, "netsh interface %s set dnsservers name=\"%%NIC%%\" source=static "
            "address=%s register=primary", family, dns[i]);
    else
      line (s, "netsh interface %s add dnsservers name=\"%%NIC%%\" address=%s "
            "index=%zu", family, dns[i], i + 1);
}

char *
winplan_ip_action (const struct win_static_ip *ip)
{
  struct script s = { 0 };
  char mac[18];
  size_t i;

  if (!winplan_safe (ip->mac) || !winplan_safe (ip->guid) ||
      !all_safe (ip->v4_addrs) || !all_safe (ip->v4_masks) ||
      !all_safe (ip->v4_gateways) || !all_safe (ip->v4_dns) ||
      !all_safe (ip->v6_dns)) {
    errno = EINVAL;
    return NULL;
  }
  getmac_form (ip->mac, mac);
  line (&s, "@echo off");
  line (&s, "rem v2vfs: the static IP configuration of VMware's NIC %s (%s),",
        ip->guid, ip->mac);
  line (&s, "rem for the NIC that has its MAC now.  Its driver may take a while.");
  line (&s, "set \"NIC=\"");
  line (&s, "for /l %%%%i in (1,1,60) do if not defined NIC (");
  line (&s, "  for /f \"tokens=1,3 delims=,\" %%%%a in ('getmac /fo csv /nh /v') do "
        "if /i \"%%%%~b\"==\"%s\" set \"NIC=%%%%~a\"", mac);
  line (&s, "  if not defined NIC ping -n 3 127.0.0.1 >nul");
  line (&s, ")");
  line (&s, "if not defined NIC (echo no NIC has the MAC %s& exit /b 1)", mac);
  for (i = 0; ip->v4_addrs && ip->v4_addrs[i] && ip->v4_masks && ip->v4_masks[i]; i++)
    if (i == 0)
      line (&s, "netsh interface ipv4 set address name=\"%%NIC%%\" source=static "
            "address=%s mask=%s gateway=%s", ip->v4_addrs[0], ip->v4_masks[0],
            ip->v4_gateways && ip->v4_gateways[0] ? ip->v4_gateways[0] : "none");
    else
      line (&s, "netsh interface ipv4 add address name=\"%%NIC%%\" address=%s mask=%s",
            ip->v4_addrs[i], ip->v4_masks[i]);
  for (i = 1; ip->v4_gateways && ip->v4_gateways[0] && ip->v4_gateways[i]; i++)
    line (&s, "netsh interface ipv4 add route 0.0.0.0/0 \"%%NIC%%\" %s",
          ip->v4_gateways[i]);
  dns_lines (&s, "ipv4", ip->v4_dns);
  dns_lines (&s, "ipv6", ip->v6_dns);
  line (&s, "exit /b 0");
  return finish (&s);
}
