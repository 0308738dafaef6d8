/* The one check for names that come from a descriptor.
 *
 * v2vfs runs as root over files someone else exported, and the names in
 * them become file names (the overlay's NAME.data and NAME.map), entries
 * of the mount tree (disks/NAME.raw, a VM's directory), paths to open
 * (hrefs, extent files, a VMX's fileName) and XML text (domain.xml).
 * Every such name goes through this file, and the rule is:
 *
 *   - a NAME is plain: not empty, not "." or "..", no '/', no control
 *     character (bytes 0x01-0x1f and 0x7f), valid UTF-8 without U+FFFE
 *     and U+FFFF (which XML cannot hold), and at most NAME_BYTES_MAX
 *     bytes;
 *   - a PATH to open is NAMEs joined by '/': relative, no ".." and no
 *     "." (a leading "./" aside), at most PATH_BYTES_MAX bytes;
 *   - a disk name (disks/NAME.raw, the overlay's files) that is not plain
 *     is refused: the descriptor is refused with one line that names the
 *     file, the object and its line;
 *   - a VM name is only a label (VMware allows any character in a display
 *     name), so it is mapped instead: each byte a plain name may not hold
 *     becomes '_', the name is cut to NAME_BYTES_MAX bytes at a character
 *     boundary, and a name left empty, "." or ".." becomes "vm".
 *
 * (A message may print a refused name as it is: v2_err escapes control
 * characters, so the error stays one line.) */
#ifndef V2V_NAMES_H
#define V2V_NAMES_H

#include <stddef.h>

/* "NAME.qcow2" and "NAME.data" must fit in NAME_MAX (255). */
#define NAME_BYTES_MAX 200
#define PATH_BYTES_MAX 1024

/* NULL when NAME is plain, else why not ("contains a '/'"). */
const char *name_fault (const char *name);

/* NULL when PATH is a relative path of plain names, else why not. */
const char *path_fault (const char *path);

/* A copy of NAME made plain by the VM-name rule above; NULL when out of
 * memory. */
char *name_map (const char *name);

#endif
