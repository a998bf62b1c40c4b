"""Markdown's inline marks in a policy's text, as safe HTML: ``**bold**`` / ``__bold__``, ``*italic*`` /
``_italic_``, ``[links](https://…)`` and ``<https://…>``. Nothing else: every other character is escaped, so a policy can
never put its own HTML, scripts or styles on a page. A link whose address is not http(s) or mailto shows
its text only. No Django in here; the template filter marks the result safe."""

from __future__ import annotations

import html
import re

# Each alternative is bounded (at most 500 characters inside, no line breaks), so the scan stays linear.
_INLINE = re.compile(
    r"<(?P<auto>https?://[^\s<>\"']{1,2000})>"
    r"|\[(?P<text>[^\]\n]{1,300})\]\((?P<href>[^)\s]{1,2000})\)"
    r"|\*\*(?P<strong>[^\s*](?:[^\n]{0,500}?[^\s*])?)\*\*"
    r"|(?<!\w)__(?P<strong2>[^\s_](?:[^\n]{0,500}?[^\s_])?)__(?!\w)"
    r"|(?<![\w*])\*(?P<em>[^\s*](?:[^\n*]{0,500}?[^\s*])?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<em2>[^\s_](?:[^\n_]{0,500}?[^\s_])?)_(?![\w_])"
)
_SAFE_HREF = re.compile(r"^(?:https?://|mailto:)[^\s\"'<>]+$", re.IGNORECASE)
_MAX_DEPTH = 3


def render_inline(text: str, *, depth: int = 0) -> str:
    """``text`` as HTML: escaped, with the inline marks above rendered and line breaks as ``<br>``."""
    out: list[str] = []
    position = 0
    for m in _INLINE.finditer(text) if depth < _MAX_DEPTH else ():
        out.append(_escape(text[position : m.start()]))
        position = m.end()
        if m["auto"] is not None:  # an address in angle brackets, as the seed guidance cites the law
            address = html.escape(m["auto"], quote=True)
            out.append(f'<a class="govuk-link" href="{address}">{address}</a>')
        elif m["text"] is not None:
            inner = render_inline(m["text"], depth=depth + 1)
            href = m["href"]
            if _SAFE_HREF.match(href):
                out.append(f'<a class="govuk-link" href="{html.escape(href, quote=True)}">{inner}</a>')
            else:
                out.append(inner)
        elif (strong := m["strong"] or m["strong2"]) is not None:
            out.append(f"<strong>{render_inline(strong, depth=depth + 1)}</strong>")
        else:
            out.append(f"<em>{render_inline(m['em'] or m['em2'], depth=depth + 1)}</em>")
    out.append(_escape(text[position:]))
    return "".join(out)


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")
