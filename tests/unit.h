/* The checks of the C unit tests: each CHECK counts, and a failed one
 * prints its place and message and is counted; main ends with
 * unit_report. */
#ifndef V2V_UNIT_H
#define V2V_UNIT_H

#include <stdio.h>
#include <string.h>

static int failures, checks;

#define CHECK(cond, ...) do {                                   \
    checks++;                                                   \
    if (!(cond)) {                                              \
      failures++;                                               \
      fprintf (stderr, "FAIL %s:%d: ", __FILE__, __LINE__);     \
      fprintf (stderr, __VA_ARGS__);                            \
      fputc ('\n', stderr);                                     \
    }                                                           \
  } while (0)

#define CHECK_STR(got, want) \
  CHECK (strcmp ((got), (want)) == 0, "got '%s'\n   want '%s'", (got), (want))

/* Print the tally for the test program NAME; its exit status. */
static inline int
unit_report (const char *name)
{
  printf ("%s: %d checks, %d failed\n", name, checks, failures);
  return failures ? 1 : 0;
}

#endif
