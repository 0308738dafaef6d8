/* See fixreport.h.  The mount trusts the report no more than any other
 * input: it must parse, carry our format tag, and name known models. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fixreport.h"
#include "fullio.h"
#include "json.h"

char *
fixreport_path (const char *dir, size_t vm, size_t n_vms)
{
  char *p;
  int r = n_vms > 1 ? asprintf (&p, "%s/guestfix-vm%zu.json", dir, vm + 1)
                    : asprintf (&p, "%s/guestfix.json", dir);

  return r == -1 ? NULL : p;
}

bool
fixreport_is_name (const char *name)
{
  size_t len = strlen (name), i;

  if (strcmp (name, "guestfix.json") == 0)
    return true;
  if (len <= strlen ("guestfix-vm.json") || strncmp (name, "guestfix-vm", 11) != 0 ||
      strcmp (name + len - 5, ".json") != 0)
    return false;
  for (i = 11; i < len - 5; i++)
    if (name[i] < '0' || name[i] > '9')
      return false;
  return true;
}

/* The values of result.disk_bus and result.nic_model, each with what it
 * means, in the order the error message lists them. */
struct choice {
  const char *name;
  int value;
};

static const struct choice disk_buses[] = {
  { "virtio", DOMXML_DISK_VIRTIO_BLK },
  { "virtio-scsi", DOMXML_DISK_VIRTIO_SCSI },
  { "sata", DOMXML_DISK_SATA },
};
static const struct choice nic_models[] = {
  { "virtio", true }, { "e1000", false },
};

const char *
fixreport_disk_bus_name (enum domxml_disk_bus bus)
{
  size_t i;

  for (i = 0; i < sizeof disk_buses / sizeof *disk_buses; i++)
    if (disk_buses[i].value == (int) bus)
      return disk_buses[i].name;
  return "sata";
}

/* RESULT's KEY must name one of the N CHOICES; *VALUE is its value. */
static int
choose (const struct json *result, const char *key, const struct choice *c,
        size_t n, int *value, const char *path, struct v2_error *e)
{
  const char *v = json_get_str (result, key);
  char names[128] = "";
  size_t i, len = 0;

  for (i = 0; v && i < n; i++)
    if (strcmp (v, c[i].name) == 0) {
      *value = c[i].value;
      return 0;
    }
  for (i = 0; i < n && len < sizeof names; i++)
    len += (size_t) snprintf (names + len, sizeof names - len, "%s\"%s\"",
                              i == 0 ? "" : i + 1 < n ? ", " : " or ",
                              c[i].name);
  return v2_err (e, EINVAL, "%s: result.%s is %s%s%s, not %s", path, key,
                 v ? "\"" : "", v ? v : "missing", v ? "\"" : "", names);
}

int
fixreport_read (const char *path, struct fixreport_result *r,
                struct v2_error *e)
{
  size_t len;
  CLEANUP_FREE char *text = read_small_file (path, FIXREPORT_MAX_BYTES, &len);
  struct json *j;
  const struct json *result;
  const char *format;
  int ret = -1, bus, net;

  memset (r, 0, sizeof *r);
  if (text == NULL && errno == ENOENT)
    return 0;
  if (text == NULL)
    return v2_err (e, errno, "%s: not a guest-fix report (%s)", path,
                   errno == EFBIG ? "too large" : strerror (errno));
  if ((j = json_parse (text, len, path, e)) == NULL)
    return -1;
  format = json_get_str (j, "format");
  if (format == NULL || strcmp (format, FIXREPORT_FORMAT) != 0) {
    v2_err (e, EINVAL, "%s: not a guest-fix report (format is not \"%s\")",
            path, FIXREPORT_FORMAT);
    goto out;
  }
  result = json_get (j, "result");
  if (result == NULL || result->type != JSON_OBJECT) {
    v2_err (e, EINVAL, "%s: the report has no result", path);
    goto out;
  }
  if (choose (result, "disk_bus", disk_buses,
              sizeof disk_buses / sizeof *disk_buses, &bus, path, e) == -1 ||
      choose (result, "nic_model", nic_models,
              sizeof nic_models / sizeof *nic_models, &net, path, e) == -1)
    goto out;
  r->disk_bus = (enum domxml_disk_bus) bus;
  r->virtio_net = net;
  r->fixed = true;
  ret = 0;
 out:
  if (ret == -1)
    memset (r, 0, sizeof *r);
  json_free (j);
  return ret;
}
