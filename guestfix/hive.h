/* A Windows registry hive file on the host, read and edited through
 * hivex, with a line per change for the report.
 *
 * v2vfs-fix downloads a hive from the guest into a private directory,
 * edits it here and uploads it back only when something changed: each
 * setter first reads the value and leaves an equal one alone, so a second
 * run changes no byte.  Nothing here touches libguestfs, so the edits are
 * unit-tested on a real hive (tests/windows/minimal-hive).
 *
 * Paths are relative to the hive's root, with backslashes
 * ("ControlSet002\Services\viostor"); names match without regard to case,
 * as Windows matches them.  Strings are UTF-8 here and UTF-16LE in the
 * hive. */
#ifndef V2V_HIVE_H
#define V2V_HIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edit.h"
#include "error.h"

struct hive;

/* Open the hive file FILE, to be called NAME in messages and in the
 * change lines ("HKLM\SYSTEM").  WRITE allows the setters.  NULL with E
 * set when FILE is not a hive. */
struct hive *hive_open (const char *file, const char *name, bool write,
                        struct v2_error *e);
void hive_close (struct hive *h);

/* Whether the key PATH exists. */
bool hive_has_key (struct hive *h, const char *path);
/* The names of the subkeys of PATH, in the hive's order, NULL-terminated
 * (an empty list when PATH is missing); NULL on ENOMEM.  The caller
 * frees each and the array. */
char **hive_subkeys (struct hive *h, const char *path);

/* The value KEY of PATH: a string (REG_SZ or REG_EXPAND_SZ; the caller
 * frees it), a DWORD (0, or -1 when missing or of another type), or the
 * strings of a REG_MULTI_SZ (NULL-terminated, freed by the caller; a
 * REG_SZ counts as one).  NULL when missing. */
char *hive_get_string (struct hive *h, const char *path, const char *key);
int hive_get_dword (struct hive *h, const char *path, const char *key,
                    uint32_t *v);
char **hive_get_multi (struct hive *h, const char *path, const char *key);

/* Set the value KEY of PATH (KEY "" is the key's default value),
 * creating PATH's missing keys.  Returns 1
 * when the hive changed, 0 when it already held that value, -1 on error
 * (E says which key).  Each change adds a line to LOG's changes:
 * "HKLM\SYSTEM\PATH: KEY = VALUE". */
int hive_set_dword (struct hive *h, const char *path, const char *key,
                    uint32_t v, struct edit_log *log, struct v2_error *e);
int hive_set_string (struct hive *h, const char *path, const char *key,
                     const char *v, bool expand, struct edit_log *log,
                     struct v2_error *e);
int hive_set_multi (struct hive *h, const char *path, const char *key,
                    const char *const *v, struct edit_log *log,
                    struct v2_error *e);
int hive_set_binary (struct hive *h, const char *path, const char *key,
                     const void *v, size_t len, struct edit_log *log,
                     struct v2_error *e);

/* Whether a setter changed the hive since it was opened. */
bool hive_changed (const struct hive *h);
/* Write the hive to FILE. */
int hive_commit (struct hive *h, const char *file, struct v2_error *e);

#endif
