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

/* RESULT's KEY must be one of the two models; VIRTIO says which. */
static int
model (const struct json *result, const char *key, const char *other,
       bool *virtio, const char *path, struct v2_error *e)
{
  const char *v = json_get_str (result, key);

  if (v && strcmp (v, "virtio") == 0)
    *virtio = true;
  else if (v && strcmp (v, other) == 0)
    *virtio = false;
  else
    return v2_err (e, EINVAL, "%s: result.%s is %s%s%s, not \"virtio\" or \"%s\"",
                   path, key, v ? "\"" : "", v ? v : "missing", v ? "\"" : "",
                   other);
  return 0;
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
  int ret = -1;

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
  if (model (result, "disk_bus", "sata", &r->virtio_blk, path, e) == -1 ||
      model (result, "nic_model", "e1000", &r->virtio_net, path, e) == -1)
    goto out;
  r->fixed = true;
  ret = 0;
 out:
  if (ret == -1)
    memset (r, 0, sizeof *r);
  json_free (j);
  return ret;
}
