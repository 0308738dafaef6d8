/* Reading XML that came from outside (an OVF) into a libxml2 document,
 * with the parser's dangerous features off: no network, no entity
 * substitution, no DTD loading, and no DOCTYPE at all (the parser stops
 * where it meets one, before the internal subset where entities are
 * declared, so no entity bomb is ever expanded or even read).  Elements
 * may nest LIMIT_XML_DEPTH deep. */
#ifndef V2V_XMLREAD_H
#define V2V_XMLREAD_H

#include <stddef.h>

#include <libxml/tree.h>

#include "error.h"

/* Parse LEN bytes of XML from the file NAME (for messages).  NULL, with
 * one line in E naming NAME and the line, on any error.  Free the
 * document with xmlFreeDoc. */
xmlDoc *xml_read_untrusted (const char *xml, size_t len, const char *name,
                            struct v2_error *e);

/* The first child element of N (NULL: none) named NAME, or NULL. */
xmlNode *xml_child (xmlNode *n, const char *name);
/* Unlink and free every child element of N (NULL: none) named NAME. */
void xml_drop_children (xmlNode *n, const char *name);

#endif
