/* Shared by the libFuzzer harnesses in tests/fuzz (built and run by
 * fuzz.mk, `make fuzz`).
 *
 * A harness feeds one input to one parser and then checks what the
 * parser promises of its result, so that a wrong answer fails as loudly
 * as a crash: FUZZ_CHECK aborts, and libFuzzer saves the input.  The
 * sanitizers (ASan, UBSan, LeakSanitizer) catch the rest. */
#ifndef V2V_FUZZ_H
#define V2V_FUZZ_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "names.h"
#include "vm.h"

/* libFuzzer's entry points (no header declares them). */
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate (uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator (uint8_t *data, size_t size, size_t max_size,
                                unsigned int seed);

#define FUZZ_CHECK(cond, ...) do {                                      \
    if (!(cond)) {                                                      \
      fprintf (stderr, "fuzz: %s:%d: check failed: %s: ", __FILE__,     \
               __LINE__, #cond);                                        \
      fprintf (stderr, __VA_ARGS__);                                    \
      fputc ('\n', stderr);                                             \
      abort ();                                                         \
    }                                                                   \
  } while (0)

/* A refusal is one line that names the file it refused (only "out of
 * memory" may leave the name out). */
static inline void
fuzz_check_error (const struct v2_error *e, const char *file)
{
  FUZZ_CHECK (e->errnum != 0 && e->msg[0] != '\0', "an empty error");
  FUZZ_CHECK (strchr (e->msg, '\n') == NULL, "error '%s'", e->msg);
  if (e->errnum != ENOMEM)
    FUZZ_CHECK (strstr (e->msg, file) != NULL, "error '%s'", e->msg);
}

/* What vm_finish promises of a parsed VM with N_DISKS source disks. */
static inline void
fuzz_check_vm (const struct vm *vm, size_t n_disks)
{
  size_t i;

  FUZZ_CHECK (vm->name != NULL && name_fault (vm->name) == NULL,
              "VM name '%s'", vm->name ? vm->name : "(null)");
  FUZZ_CHECK (vm->vcpus >= 1 && vm->vcpus <= VM_MAX_VCPUS, "%u vCPUs",
              vm->vcpus);
  FUZZ_CHECK (vm->cores_per_socket >= 1 &&
              vm->vcpus % vm->cores_per_socket == 0, "%u cores per socket",
              vm->cores_per_socket);
  FUZZ_CHECK (vm->memory >= 1 && vm->memory <= VM_MAX_MEMORY,
              "%llu bytes of memory", (unsigned long long) vm->memory);
  for (i = 0; i < vm->n_disks; i++)
    FUZZ_CHECK (vm->disks[i].disk < n_disks, "disk %zu is source disk %zu "
                "of %zu", i, vm->disks[i].disk, n_disks);
  for (i = 0; i < vm->n_nics; i++)
    FUZZ_CHECK (vm->nics[i].mac[0] == '\0' || strlen (vm->nics[i].mac) == 17,
                "MAC '%s'", vm->nics[i].mac);
}

#endif
