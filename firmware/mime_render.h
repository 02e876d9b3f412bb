/*
 * mime_render.h - ENVELOPE, BODY and BODYSTRUCTURE (RFC 3501 7.4.2) of a
 * message, rendered from its MIME blob (mime.h) as IMAP syntax.
 *
 * Strings: NIL when absent, a quoted string normally, a literal when the
 * value has 8-bit bytes or is longer than MIME_QUOTED_MAX (values are
 * unfolded, so they never hold CR/LF; NUL bytes are dropped). BODYSTRUCTURE
 * carries all extension data (MD5, disposition, language, location), NIL
 * where absent, as Dovecot does.
 *
 * Streaming: the rendering is deterministic, so a caller with a small buffer
 * asks for it piecewise: render(skip) writes the bytes from offset `skip` of
 * the whole rendering into buf, up to cap. Returns 1 when the rendering ended
 * within buf (done), 0 when buf filled first (call again with skip +=
 * *written), or a negative MIME_E* error. Each call costs O(skip + cap) plus
 * the blob walk; no state is kept between calls.
 */
#ifndef MIME_RENDER_H
#define MIME_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "mime.h"

#ifndef MIME_QUOTED_MAX
#define MIME_QUOTED_MAX 1024
#endif

enum mime_item {
	MIME_ITEM_ENVELOPE,
	MIME_ITEM_BODY,            /* non-extensible BODYSTRUCTURE */
	MIME_ITEM_BODYSTRUCTURE,
};

/* Render item for the message rooted at record `root` (0: the message; the
 * child of a message/rfc822 part: that encapsulated message). */
int mime_render(const struct mime_view *v, uint16_t root, enum mime_item item, uint32_t skip,
		char *buf, size_t cap, size_t *written);

#endif
