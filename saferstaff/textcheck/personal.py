"""Personal data in a draft (§8: confidential information is not for posting): UK phone numbers, email
addresses, postal addresses and postcodes, dates of birth, UPNs, NHS numbers and National Insurance numbers.

Every pattern finds candidates; numbers are then checked the way their issuers define them — a UK phone
number has the right number of digits for its range (Ofcom's drama ranges such as 07700 900xxx are ordinary
numbers here), a UPN's check letter is right, an NHS number's modulus-11 check digit is right — so a
reference number or a score is not mistaken for one. A date is a date of birth only when the words around
it say so ("born", "DOB", "birthday")."""

import re

from saferstaff.textcheck.upn import upn_check_letter

_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?[\d(][\d ()\-.]{8,18}\d(?!\w)")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z]{1,2}\d[A-Za-z\d]?\s?\d[A-Za-z]{2}|GIR\s?0AA)(?![A-Za-z0-9])"
)
_STREET = (
    r"(?:road|rd|street|st|lane|ln|avenue|ave|close|drive|dr|way|crescent|cres|court|ct|grove|terrace|"
    r"gardens|gdns|place|pl|walk|mews|rise|view|hill|park|row|square|sq|fold|garth|croft|green|parade|"
    r"approach|wharf|gate|vale|chase|meadows?|bank|boulevard)"
)
_ADDRESS = re.compile(
    rf"(?<![\w£$.,:-])\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'-]+\s+){{1,3}}(?i:{_STREET})\b\.?"
)
_MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DATE = re.compile(
    rf"(?<!\d)(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?(?:,?\s+\d{{4}})?"
    rf"|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)(?!\d)",
    re.IGNORECASE,
)
_BIRTH = re.compile(r"\b(?:born|d\.?o\.?b\.?|date of birth|birth ?day|b'?day|bday)\b", re.IGNORECASE)
_UPN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]\d{11}[0-9A-Za-z](?![A-Za-z0-9])")
_NHS = re.compile(r"(?<![\d+])\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")
_NINO = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-Da-d](?![A-Za-z0-9])")


def _phone_ok(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith(("+", "00")):  # +44 7700 900123, +44 (0)113 496 0123, 0044 …
        digits = digits[4:] if digits.startswith("0044") else digits[2:] if digits.startswith("44") else ""
        digits = "0" + digits.lstrip("0") if digits else ""
    if not digits.startswith("0"):
        return False
    if digits.startswith("07"):
        return len(digits) == 11 and digits[2] != "0"
    if digits[:2] in ("01", "02", "03", "08", "09"):
        return len(digits) in (10, 11) if digits.startswith("01") else len(digits) == 11
    return False


def upn_ok(candidate: str) -> bool:
    upn = candidate.upper()
    try:
        return upn_check_letter(upn[1:]) == upn[0]
    except ValueError:
        return False


def _nhs_ok(candidate: str) -> bool:
    digits = [int(d) for d in re.sub(r"\D", "", candidate)]
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def find(text: str) -> list[tuple[int, int, str]]:
    """(start, end, what) for each piece of personal data in ``text`` (the folded draft, case kept)."""
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, what: str) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append((start, end, what))

    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), "an email address")
    for m in _UPN.finditer(text):
        if upn_ok(m.group(0)):
            add(m.start(), m.end(), "a UPN")
    for m in _PHONE.finditer(text):
        candidate = m.group(0).rstrip(" -.(")
        if _phone_ok(candidate):
            add(m.start(), m.start() + len(candidate), "a phone number")
    for m in _NHS.finditer(text):
        if _nhs_ok(m.group(0)):
            add(m.start(), m.end(), "an NHS number")
    for m in _NINO.finditer(text):
        letters = m.group(0)[:2].upper()
        if letters[0] not in "DFIQUV" and letters[1] not in "DFIOQUV" or letters == "QQ":
            add(m.start(), m.end(), "a National Insurance number")
    for m in _ADDRESS.finditer(text):
        add(m.start(), m.end(), "a postal address")
    for m in _POSTCODE.finditer(text):
        code = m.group(0)
        if code.isupper() or code.islower():  # "LS19 7XB" or "ls19 7xb", not "Ab1 2Cd" in a word salad
            add(m.start(), m.end(), "a postcode")
    for m in _DATE.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        after = text[m.end() : m.end() + 12]
        if _BIRTH.search(before) or _BIRTH.search(after):
            add(m.start(), m.end(), "a date of birth")
    return found
