"""What the biometrics room does each day (``run_daily``): erase the face templates nobody may keep."""

from collections.abc import Iterator

from saferstaff.biometrics.erasure import erase_unconsented


def daily() -> Iterator[str]:
    yield f"{erase_unconsented()} face templates erased (consent gone or pupil left)"
