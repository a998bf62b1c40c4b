"""Unique Pupil Numbers (UPN), as the DfE defines them.

A UPN has 13 characters: a check letter, then 12 characters — the issuing school's 3-digit LA number
and 4-digit establishment number, the last two digits of the year it was issued and a 3-digit serial.
A *temporary* UPN ends in a letter instead of the last digit.

The check letter: multiply the characters in positions 2–13 by their position (2 to 13), add the
products, and take the remainder on division by 23; that remainder picks a letter from
``CHECK_LETTERS`` (A=0 … Z=22, never I, O or S). The final letter of a temporary UPN counts as its
value in the same table (A=0, B=1, …). Example: B801200005001 is valid, A801200005001 is not.
"""

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_LETTER_VALUE = {letter: value for value, letter in enumerate(CHECK_LETTERS)}


def upn_check_letter(body12: str) -> str:
    """The check letter for the 12 characters after it (11 digits, then a digit or a table letter)."""
    body = body12.strip().upper()
    if (
        len(body) != 12
        or not body.isascii()
        or not body[:11].isdigit()
        or not (body[11].isdigit() or body[11] in _LETTER_VALUE)
    ):
        raise ValueError(f"{body12!r} is not the 12-character body of a UPN")
    total = 0
    for position, char in enumerate(body, start=2):
        value = int(char) if char.isdigit() else _LETTER_VALUE[char]
        total += value * position
    return CHECK_LETTERS[total % 23]


def is_temporary_upn(upn: str) -> bool:
    return len(upn) == 13 and upn[-1].isalpha()


def validate_upn(value: str) -> str:
    """Return the UPN upper-cased, without surrounding spaces, or raise ``ValueError`` with a message
    that says what is wrong and what to do (the message starts with the value, in quotes)."""
    upn = "".join(str(value).split()).upper()
    shown = str(value).strip()
    fix = "Check the UPN on the pupil's record in the MIS, correct it and export again."
    if not upn:
        raise ValueError("is blank. Every pupil needs their UPN: add it in the MIS and export again.")
    if not upn.isascii() or not upn.isalnum():
        raise ValueError(f"'{shown}' has characters a UPN cannot have (only letters and digits). {fix}")
    if len(upn) != 13:
        raise ValueError(
            f"'{shown}' has {len(upn)} characters; a UPN has 13 (a letter, then 12 digits, or 11 digits "
            f"and a letter for a temporary UPN). {fix}"
        )
    if upn[0] not in _LETTER_VALUE:
        raise ValueError(
            f"'{shown}' does not start with a check letter (a letter other than I, O or S). {fix}"
        )
    if not upn[1:12].isdigit():
        raise ValueError(f"'{shown}' should have digits in positions 2 to 12. {fix}")
    if not (upn[12].isdigit() or upn[12] in _LETTER_VALUE):
        raise ValueError(
            f"'{shown}' ends in '{upn[12]}'; a UPN ends in a digit, or a letter other than I, O or S "
            f"for a temporary UPN. {fix}"
        )
    expected = upn_check_letter(upn[1:])
    if upn[0] != expected:
        raise ValueError(
            f"'{shown}' has the wrong check letter: the first letter does not match the 12 characters "
            f"after it, so one of them has probably been mistyped. {fix}"
        )
    return upn
