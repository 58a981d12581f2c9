"""Text from outside (comments, operator ids, file names, transcripts, query parameters) made safe to
put into Streamlit Markdown: it then shows literally, as text, and nothing else.

Streamlit renders labels, captions, alerts and ``st.markdown`` as GitHub Markdown plus its own
directives, and has no escape function. Without one, a reviewer's comment
``![x](http://evil.example/p.png)`` makes every browser that opens the call fetch an outside
image, ``[click](http://...)`` puts a phishing link inside the app's own warning box, and
``:red[...]`` or ``:material/...:`` restyle the page.

``md`` backslash-escapes every ASCII punctuation character (CommonMark lets any of them be
escaped: links, images, emphasis, code, HTML, tables, math and directives all need one). Some
rules run after the escapes are resolved, on the plain text: GFM's bare-URL and e-mail links
(``http://...``, ``www.``, ``a@b.c``) and Streamlit's ``:shortcode:`` emoji and ``:streamlit:``
logo. For those a word joiner (U+2060, invisible, zero width) is put after the colon, after "www"
and after "@", so the text no longer matches them; likewise inside "->", "--", "<=" and the like,
which Streamlit would turn into arrows and dashes. Runs of white space (line breaks, tabs)
become one space, so text cannot start a heading, list, quote or code block of its own.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = frozenset(string.punctuation)
WORD_JOINER = "\u2060"
# Where a rule on plain text (bare links, e-mails, emoji shortcodes) could still start: the
# escaped colon before a non-space (``http://``, ``:smile:``), "www" before its dot, an escaped "@",
# and the first character of Streamlit's typographic pairs ("->", "<-", "--", ">=", "<=", "~=").
_BREAK = re.compile(r"(\\:(?=\S)|(?i:www)(?=\\\.)|\\@|\\[-<>~](?=\\[-<>=]))")


def md(text: object) -> str:
    """``text`` as Markdown that Streamlit shows literally (``None`` shows as an empty string)."""
    if text is None:
        return ""
    flat = re.sub(r"\s+", " ", str(text))
    escaped = "".join("\\" + c if c in _PUNCTUATION else c for c in flat)
    return _BREAK.sub(lambda m: m.group(1) + WORD_JOINER, escaped)

