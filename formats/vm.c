/* See vm.h. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "vm.h"

int
vm_finish (struct vm *vm)
{
  if (vm->name != NULL) {
    char *plain = name_map (vm->name);
    if (plain == NULL) {
      errno = ENOMEM;
      return -1;
    }
    free (vm->name);
    vm->name = plain;
  }
  if (vm->vcpus == 0)
    vm->vcpus = VM_DEFAULT_VCPUS;
  if (vm->memory == 0)
    vm->memory = VM_DEFAULT_MEMORY;
  if (vm->vcpus > VM_MAX_VCPUS || vm->memory > VM_MAX_MEMORY) {
    errno = EINVAL;
    return -1;
  }
  if (vm->cores_per_socket == 0 || vm->vcpus % vm->cores_per_socket != 0)
    vm->cores_per_socket = 1;
  return 0;
}

int
vm_parse_mac (const char *s, char out[18])
{
  unsigned char b[6];
  int i;

  for (i = 0; i < 6; i++) {
    if (i > 0 && (*s == ':' || *s == '-'))
      s++;
    if (!isxdigit ((unsigned char) s[0]) || !isxdigit ((unsigned char) s[1]))
      return -1;
    b[i] = (unsigned char) ((isdigit ((unsigned char) s[0]) ? s[0] - '0' :
                             tolower ((unsigned char) s[0]) - 'a' + 10) << 4 |
                            (isdigit ((unsigned char) s[1]) ? s[1] - '0' :
                             tolower ((unsigned char) s[1]) - 'a' + 10));
    s += 2;
  }
  while (isspace ((unsigned char) *s))
    s++;
  if (*s)
    return -1;
  snprintf (out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
            b[0], b[1], b[2], b[3], b[4], b[5]);
  return 0;
}

const char *
vm_controller_name (enum vm_controller c)
{
  switch (c) {
  case VM_CTRL_IDE: return "ide";
  case VM_CTRL_SATA: return "sata";
  case VM_CTRL_NVME: return "nvme";
  case VM_CTRL_LSILOGIC: return "lsilogic";
  case VM_CTRL_LSILOGICSAS: return "lsilogicsas";
  case VM_CTRL_PVSCSI: return "pvscsi";
  case VM_CTRL_BUSLOGIC: return "buslogic";
  default: return "unknown";
  }
}

void
vm_free (struct vm *vm)
{
  size_t i;

  if (vm == NULL)
    return;
  for (i = 0; i < vm->n_nics; i++) {
    free (vm->nics[i].network);
    free (vm->nics[i].model);
  }
  free (vm->name);
  free (vm->os_type);
  free (vm->disks);
  free (vm->nics);
  memset (vm, 0, sizeof *vm);
}
