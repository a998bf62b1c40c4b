"""The ways people name a school, worked out from its official name (§4: a personal profile should not
identify the employer).

"Yeadon Westfield Infant School" gives "Yeadon Westfield Infant School", "Yeadon Westfield Infants",
"Westfield Infant School", "Westfield Infants", "Westfield Infant", "Westfield" and the acronym "YWIS".
The first word of a name of two or more distinctive words is taken for the place ("Yeadon"): the place alone
is not a finding — many people live in a town — but the rest of the name is. Aliases the school adds are
used as they are."""

import re

# Words that say what kind of school it is, not which one.
_KIND = {
    "school", "academy", "primary", "infant", "infants", "junior", "juniors", "nursery", "college", "high",
    "secondary", "community", "federation", "free", "first", "middle", "grammar", "church", "of", "england",
    "ce", "c", "e", "cofe", "catholic", "rc", "roman", "methodist", "voluntary", "aided", "controlled",
    "and", "the", "demo", "st", "saint", "all", "through", "special", "studio", "university", "technical",
    "trust", "foundation", "school's", "(demo)", "va", "vc",
}  # fmt: skip
# Kind words a school is called by, with their everyday plural ("Westfield Infants").
_PHASE = {"infant": "infants", "junior": "juniors", "primary": "primary", "nursery": "nursery",
          "academy": "academy", "high": "high", "college": "college", "grammar": "grammar"}  # fmt: skip
_WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*")


def variants(official: str, aliases: list[str] = ()) -> tuple[list[str], list[str]]:
    """(names matched without regard to case, acronyms matched only in capitals)."""
    name = re.sub(r"\(.*?\)", " ", official)  # "(demo)", "(VA)"
    words = _WORD.findall(name)
    for i in range(len(words) - 1, 0, -1):  # "St Mary's" is one name, not "St" (a kind) and "Mary's"
        if words[i - 1].lower().strip(".") in {"st", "saint"}:
            words[i - 1 : i + 1] = [f"{words[i - 1]} {words[i]}"]
    lower = [w.lower().strip(".") for w in words]
    distinctive = [w for w, low in zip(words, lower, strict=True) if low not in _KIND]
    phases = [low for low in lower if low in _PHASE]
    out: set[str] = {" ".join(words)}
    cores = [distinctive]
    if len(distinctive) >= 2:
        cores.append(distinctive[1:])  # without the place
    for core in cores:
        if not core:
            continue
        core_text = " ".join(core)
        if len(core) > 1 or len(core_text) >= 4:
            out.add(core_text)
        for phase in phases:
            out.add(f"{core_text} {phase}")
            out.add(f"{core_text} {_PHASE[phase]}")
            out.add(f"{core_text} {phase} school")
    if len(distinctive) == 1 and distinctive[0].lower() in _common_place_words():
        out.discard(distinctive[0])  # "Park School" → "Park" alone means nothing
    out.update(a.strip() for a in aliases if a.strip())
    acronyms = set()
    initials = "".join(
        "".join(part[0] for part in w.split()) for w in words if w.lower() not in {"of", "the", "and"}
    )
    if len(initials) >= 3:
        acronyms.add(initials.upper())
    return sorted(out, key=len, reverse=True), sorted(acronyms)


def _common_place_words() -> set[str]:
    return {"park", "green", "hill", "grove", "field", "bank", "lane", "road", "church", "abbey", "castle",
            "valley", "bridge", "brook", "wood", "meadow", "moor", "new", "north", "south", "east", "west"}  # fmt: skip
