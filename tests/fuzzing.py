"""Shared machinery of the fuzz tests (tests/test_parser_fuzz.py, tests/test_idor_fuzz.py).

A normal `make test` run is deterministic and short: hypothesis derandomized, a bounded number of examples,
no example database. ``SAFERSTAFF_FUZZ_SECONDS=N`` fuzzes each parser for about N seconds instead, with a
fresh seed per round (``SAFERSTAFF_FUZZ_SEED`` picks the first; a failure prints the seed and the example).
CI's fuzz stage sets it (.ci/run)."""

import contextlib
import datetime
import os
import signal
import time

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

FUZZ_SECONDS = float(os.environ.get("SAFERSTAFF_FUZZ_SECONDS") or 0)
FUZZ_SEED = int(os.environ.get("SAFERSTAFF_FUZZ_SEED") or 17)
HANG_SECONDS = 30  # one example that takes this long is a hang, whatever the machine's load


def _settings(max_examples: int, *, derandomize: bool) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=derandomize,
        database=None,  # nothing written into the clone; a failure prints its example
        deadline=datetime.timedelta(seconds=10),
        suppress_health_check=list(HealthCheck),  # the cast is one per test, on purpose
        print_blob=True,
    )


def run_fuzz(check, strategy, *, examples: int = 60, seconds: float = FUZZ_SECONDS) -> int:
    """Call ``check(value)`` for values drawn from ``strategy``: ``examples`` of them, derandomized; given
    ``seconds`` (SAFERSTAFF_FUZZ_SECONDS), rounds of 4 × ``examples`` with a new seed each until they are up. Returns the
    rounds run."""

    def test(config: settings):
        def guarded(value):  # a new function each round: hypothesis takes one settings object per function
            with no_hang():
                check(value)

        return given(strategy)(config(guarded))

    if not seconds:
        test(_settings(examples, derandomize=True))()
        return 1
    until, rounds = time.monotonic() + seconds, 0
    while not rounds or time.monotonic() < until:
        seed(FUZZ_SEED + rounds)(test(_settings(4 * examples, derandomize=False)))()
        rounds += 1
    return rounds


class Hang(Exception):
    pass


@contextlib.contextmanager
def no_hang(seconds: int = HANG_SECONDS):
    """Fail an example that runs longer than ``seconds`` (a parser in a loop, a decompression bomb)."""

    def alarm(signum, frame):
        raise Hang(f"one example ran longer than {seconds}s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@st.composite
def mutated(draw, samples: list[bytes], max_edits: int = 6) -> bytes:
    """One of ``samples`` with a few byte-level edits: flip, insert, delete, duplicate, truncate."""
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(0, max_edits))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate"]))
        if edit == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif edit == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif edit == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 256))]
        elif edit == "truncate":
            del data[at:]
    return bytes(data)


def inputs(samples: list[bytes], *extra) -> st.SearchStrategy[bytes]:
    """Mutated valid files, raw bytes, and any ``extra`` strategies of the caller's own."""
    return st.one_of(mutated(samples), st.binary(max_size=2048), *extra)
