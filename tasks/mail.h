/* A plain-text cleaner for RFC 822 / MIME mail (the spam task of the embedded
 * default suite): subject + body text, no headers. A cleaner, not a MIME
 * library; what it handles:
 *
 * Header block: the lines up to the first empty line; a line starting with a
 * space or tab continues the previous field (unfolded by dropping the line
 * break). An mbox "From " line may come first. A line that is neither a field
 * ("Name: value"), a continuation nor that first "From " line ends the block
 * and starts the body (a mail without a blank line keeps what follows as body;
 * a mail of headers only has an empty body). Only Subject (the first), and for
 * MIME Content-Type (type/subtype, charset, boundary), Content-Transfer-Encoding
 * and Content-Disposition are used.
 *
 * Subject: RFC 2047 encoded-words =?charset?B|Q?text?= are decoded (white
 * space between two adjacent encoded-words dropped); utf-8 and us-ascii bytes
 * are kept, iso-8859-1 / latin1 / windows-1252 (cp1252) converted to UTF-8,
 * other charsets kept as bytes (then made valid UTF-8, below). A malformed
 * encoded-word stays literal.
 *
 * Body: Content-Transfer-Encoding quoted-printable (soft line breaks, =XX;
 * a lone "=" stays literal) and base64 (characters outside the alphabet
 * skipped; a truncated final group gives the bytes it holds), anything else
 * taken as is. multipart (boundary from Content-Type; when absent, the first
 * line starting with "--" in the body gives it; when no delimiter line is
 * found the body is read as text/plain) is split recursively (at most 16
 * levels) into its parts; preamble and epilogue are dropped; a missing close
 * delimiter ends the last part at the end of the mail. multipart/alternative
 * takes the first alternative that yields text from a text/plain part, else
 * the first that yields any text (e.g. text/html); other multiparts join the
 * text of all parts. Parts with Content-Disposition: attachment and parts
 * other than text/plain, text/html, multipart and message/rfc822 (whose
 * Subject and body are taken like the top level) are skipped. A missing or
 * unparseable Content-Type is text/plain (message/rfc822 in multipart/digest);
 * a body without any Content-Type header is sniffed as spam often needs: a
 * line "--X" directly followed by a "Content-..." line makes it multipart with
 * boundary X, else "<html" or "<body" (any case) in its first 2048 bytes makes
 * it HTML.
 *
 * Charsets: a text part whose charset is iso-8859-1 / latin1 / windows-1252 /
 * cp1252 is converted to UTF-8 (0x80-0x9F as windows-1252) unless its decoded
 * bytes are already valid UTF-8 (mail taken from a corpus that was decoded to
 * Unicode, as the npm SpamAssassin package is, must not be converted twice).
 *
 * HTML: tags and comments dropped (block-level tags and unknown tags separate
 * words, inline ones such as <b>, <a>, <span>, <font> do not), <script> and
 * <style> contents dropped, entities &amp; &lt; &gt; &quot; &apos; &nbsp;
 * (as a space), a few typographic ones, &#NN; and &#xNN; decoded.
 *
 * Finally bytes that are not valid UTF-8 become U+FFFD (one per byte), and
 * every run of white space (ASCII space and control characters, tabs, line
 * breaks, U+00A0) becomes one space; the result is trimmed. Subject and body
 * are joined by one space. */
#ifndef PB_TASKS_MAIL_H
#define PB_TASKS_MAIL_H

#include <stddef.h>

/* raw[0, len) (need not be NUL-terminated; any bytes) -> *out, a malloc'ed
 * NUL-terminated UTF-8 string without tabs or line breaks, possibly "".
 * Malformed mail never fails; errors are PB_EINVAL (NULL arguments) and
 * PB_ENOMEM. */
int pb_mail_text(const char *raw, size_t len, char **out);

#endif
