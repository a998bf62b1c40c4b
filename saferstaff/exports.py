"""Helpers shared by every download saferstaff makes (CSV reports, subject-access zips)."""


def csv_safe(value) -> str:
    """A cell starting with = + - @ (or a tab/CR) is run as a formula by spreadsheet programs: neutralise it."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
