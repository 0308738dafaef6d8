/* Reading XML that came from outside: an OVF.  See xmlread.h. */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>

#include "checked.h"
#include "input-limits.h"
#include "xmlread.h"

/* The SAX handler for a DOCTYPE: stop the parser there, before it reads
 * the internal subset, where entities (and their expansion bombs) are
 * declared.  The line goes to _private for the message. */
static void
stop_at_doctype (void *ctx, const xmlChar *name, const xmlChar *external_id,
                 const xmlChar *system_id)
{
  xmlParserCtxt *p = ctx;

  (void) name, (void) external_id, (void) system_id;
  p->_private = (void *) (uintptr_t) MAX (xmlSAX2GetLineNumber (ctx), 1);
  xmlStopParser (p);
}

/* The first element nested deeper than LIMIT_XML_DEPTH under ROOT (at
 * depth 1), or NULL.  No recursion: the depth is the input's. */
static const xmlNode *
too_deep (const xmlNode *root)
{
  const xmlNode *n = root;
  unsigned depth = 1;

  for (;;) {
    if (n->type == XML_ELEMENT_NODE && depth > LIMIT_XML_DEPTH)
      return n;
    if (n->children) {
      n = n->children;
      depth++;
      continue;
    }
    while (n != root && n->next == NULL) {
      n = n->parent;
      depth--;
    }
    if (n == root)
      return NULL;
    n = n->next;
  }
}

xmlDoc *
xml_read_untrusted (const char *xml, size_t len, const char *name, struct v2_error *e)
{
  xmlParserCtxt *ctxt;
  xmlDoc *doc;
  uintptr_t doctype_line;

  if (len > INT32_MAX)
    return v2_err (e, EFBIG, "%s: too large", name), NULL;
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    return v2_err (e, ENOMEM, "%s: out of memory", name), NULL;
  ctxt->sax->internalSubset = stop_at_doctype;
  ctxt->_private = NULL;
  doc = xmlCtxtReadMemory (ctxt, xml, (int) len, name, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR |
                           XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
  doctype_line = (uintptr_t) ctxt->_private;
  if (doctype_line) {
    xmlFreeDoc (doc);
    xmlFreeParserCtxt (ctxt);
    return v2_err (e, EINVAL, "%s: DOCTYPE at line %u: refused (entities "
                   "and DTDs are not allowed)", name,
                   (unsigned) doctype_line), NULL;
  }
  if (doc == NULL) {
    const xmlError *err = xmlCtxtGetLastError (ctxt);
    char msg[256] = "parse error";
    if (err && err->message) {
      size_t l;
      char *p;
      snprintf (msg, sizeof msg, "%s", err->message);
      for (p = msg; *p; p++)       /* libxml2 splits some over lines */
        if (isspace ((unsigned char) *p))
          *p = ' ';
      l = strlen (msg);
      while (l && msg[l - 1] == ' ')
        msg[--l] = '\0';
    }
    v2_err (e, EINVAL, "%s: not a valid XML document: line %d: %s",
            name, err ? err->line : 0, msg);
    xmlFreeParserCtxt (ctxt);
    return NULL;
  }
  xmlFreeParserCtxt (ctxt);
  if (xmlDocGetRootElement (doc)) {
    const xmlNode *deep = too_deep (xmlDocGetRootElement (doc));
    if (deep) {
      v2_err (e, EINVAL, "%s: element '%s' at line %d: nested more than %d "
              "deep", name, (const char *) deep->name, deep->line,
              LIMIT_XML_DEPTH);
      xmlFreeDoc (doc);
      return NULL;
    }
  }
  return doc;
}

xmlNode *
xml_child (xmlNode *n, const char *name)
{
  for (n = n ? n->children : NULL; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0)
      return n;
  return NULL;
}

void
xml_drop_children (xmlNode *n, const char *name)
{
  xmlNode *c;

  while ((c = xml_child (n, name)) != NULL) {
    xmlUnlinkNode (c);
    xmlFreeNode (c);
  }
}
