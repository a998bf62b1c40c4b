"""What changed between two versions of a policy, section by section, word by word — for staff deciding
what to re-read and for the Headteacher deciding whether a change is minor."""

import difflib
import re
from dataclasses import dataclass, field

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class SectionChange:
    kind: str  # "added", "removed", "changed", "unchanged"
    number: str
    title: str
    anchor: str
    # (op, text) with op in {"same", "ins", "del"}; only for "changed"
    fragments: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def _words(text: str) -> list[str]:
    return _TOKENS.findall(text)


def _fragments(old: str, new: str) -> tuple[tuple[str, str], ...]:
    a, b = _words(old), _words(new)
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", "".join(a[i1:i2])))
        if op in ("delete", "replace"):
            out.append(("del", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("ins", "".join(b[j1:j2])))
    return tuple(out)


def compare(old_sections, new_sections) -> list[SectionChange]:
    """Sections are matched by their anchor (their number), in the new version's order; removed ones last."""
    old_by_anchor = {s.anchor: s for s in old_sections}
    changes = []
    for new in new_sections:
        old = old_by_anchor.pop(new.anchor, None)
        if old is None:
            changes.append(SectionChange("added", new.number, new.title, new.anchor))
        elif (old.title, old.text) == (new.title, new.text):
            changes.append(SectionChange("unchanged", new.number, new.title, new.anchor))
        else:
            heading = _fragments(old.title, new.title) if old.title != new.title else ()
            body = _fragments(old.text, new.text)
            changes.append(
                SectionChange(
                    "changed",
                    new.number,
                    new.title,
                    new.anchor,
                    heading + (("same", "\n\n"),) + body if heading else body,
                )
            )
    changes.extend(SectionChange("removed", s.number, s.title, s.anchor) for s in old_by_anchor.values())
    return changes
