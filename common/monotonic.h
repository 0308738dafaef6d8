/* Seconds on the monotonic clock, for progress lines and durations. */
#ifndef V2V_MONOTONIC_H
#define V2V_MONOTONIC_H

#include <time.h>

static inline double
monotonic_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

#endif
