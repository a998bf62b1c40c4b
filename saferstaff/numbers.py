"""Whole numbers read from untrusted text: a URL's query, a posted field, a cell of an uploaded file.

``str.isdigit()`` is true for '²' and other Unicode digits that ``int()`` rejects (a 500), and ``int()``
accepts digits of other scripts; a very long run of digits overflows a database id column. Read such text
here, never with ``isdigit()`` then ``int()``."""

_LARGEST_ID = 2**63 - 1  # a bigint primary key


def parse_int(text, *, max_digits: int = 18) -> int | None:
    """The whole number ``text`` spells in ASCII digits 0-9 (1 to ``max_digits`` of them), else None."""
    text = text if isinstance(text, str) else ""
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def parse_id(text) -> int | None:
    """A record id: a positive whole number that fits an id column, else None."""
    value = parse_int(text, max_digits=19)
    return value if value is not None and 0 < value <= _LARGEST_ID else None


def counted(count: int, one: str, many: str) -> str:
    """ "1 image waits", "3 images wait": ``count`` and the words that agree with it (the Overview's lists)."""
    return f"{count} {one if count == 1 else many}"


def how_long(days: float) -> str:
    """A time taken, as the pages say it: "5 hours" under two days, "3.5 days" from then (never "0.0 days")."""
    hours = days * 24
    if hours < 48:
        return f"{hours:.0f} hour{'' if round(hours) == 1 else 's'}"
    return f"{days:.1f} days"
