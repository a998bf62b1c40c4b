"""Kill the PostgreSQL primary during a write load (issue 17): the standby is promoted, the app recovers without a
restart, no acknowledged write is lost or doubled, no row is half-written, and a request during the switch gets
the 503 page, never a 500.

Runs against a pg_auto_failover formation (a monitor, a primary and a synchronous standby) that
``scripts/ci-failover start DIR`` brings up; it prints the two variables this test reads:
SAFERSTAFF_FAILOVER_URL (the formation's several-hosts URI) and SAFERSTAFF_FAILOVER_DIR (where each node's data
and port are). Without them the test skips, or fails when SAFERSTAFF_FAILOVER_REQUIRED=1 (CI's failover stage).
It kills the primary node with SIGKILL (its postmaster and its pg_autoctl keeper), so it must run as the
formation's owner or root; the formation is left without that node (start it afresh for another run).

    scripts/ci-failover start /tmp/fo        # prints the two exports; eval them, then
    SAFERSTAFF_FAILOVER_REQUIRED=1 .venv/bin/python -m pytest -s tests/test_failover.py
    scripts/ci-failover stop /tmp/fo

The figures (seconds until writes are taken again, writes acknowledged, 503s) are printed for the README.
"""

import datetime
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests

from saferstaff.audit.models import AuditEvent
from saferstaff.conduct.models import Disclosure
from saferstaff.notifications.models import Notification

from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
FAILOVER_URL = os.environ.get("SAFERSTAFF_FAILOVER_URL", "")
FAILOVER_DIR = os.environ.get("SAFERSTAFF_FAILOVER_DIR", "")
REQUIRED = os.environ.get("SAFERSTAFF_FAILOVER_REQUIRED") == "1"

WRITERS = 10  # staff sending disclosures at once, each signed in through the sign-in form
WRITES_BEFORE_KILL = 40  # acknowledged writes before the primary is killed
# The app must take writes again within this, without a restart. pg_auto_failover's defaults for a lost node:
# 20 s before the monitor calls it unhealthy, then 30 s for it to confirm its demotion (it cannot: it is gone).
RECOVERY_LIMIT_S = 90
LOAD_AFTER_RECOVERY_S = 5
REQUEST_TIMEOUT_S = 30

pytestmark = pytest.mark.failover

# Teachers and their Headteacher at one school, made through the same helpers as every test's cast.
SETUP = (
    f"WRITERS = {WRITERS}\n"
    + """
import json
from saferstaff.conduct.models import ContactChannel, seed_channels
from saferstaff.schools.models import Role
from tests.conftest import make_person, make_school
school = make_school("Failover Primary", "100901", "2901", None)
seed_channels(school)
make_person("helen.head@failover.example", school, {Role.HEADTEACHER})
emails = [make_person(f"teacher.{n:02d}@failover.example", school, {Role.STAFF}).email for n in range(WRITERS)]
channel = ContactChannel.objects.get(school=school, name="Instagram")
print(json.dumps({"school": school.slug, "channel": channel.pk, "emails": emails}))
"""
)


@dataclass
class Outcome:
    sent: float  # time.monotonic() when the request was sent
    answered: float
    method: str
    status: int  # 0: no HTTP answer at all
    disclosure_id: int | None = None
    marker: str = ""


@dataclass
class Load:
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    problems: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def acked(self) -> list[Outcome]:
        with self.lock:
            return [o for o in self.outcomes if o.method == "POST" and o.disclosure_id is not None]


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def node_ports() -> dict[str, int]:
    return {n: int((Path(FAILOVER_DIR) / f"{n}.port").read_text()) for n in ("node1", "node2")}


def read_write_port(url: str) -> int:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute("select inet_server_port()").fetchone()[0]


def in_recovery(port: int) -> bool | None:
    try:
        with psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=3
        ) as c:
            return c.execute("select pg_is_in_recovery()").fetchone()[0]
    except psycopg.Error:
        return None


def monitor_states() -> dict[int, str]:
    monitor = (Path(FAILOVER_DIR) / "monitor.uri").read_text().strip()
    with psycopg.connect(monitor, connect_timeout=5) as conn:
        rows = conn.execute("select nodeport, reportedstate::text from pgautofailover.node").fetchall()
    return dict(rows)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str, timeout: int = 300) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def sign_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=REQUEST_TIMEOUT_S).raise_for_status()
    response = session.post(
        f"{base}/accounts/login/",
        data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT_S,
    )
    assert response.status_code == 302, f"sign-in of {email} failed: {response.status_code}"
    return session


def writer(n: int, session: requests.Session, base: str, school: str, channel: int, load: Load) -> None:
    """Sends disclosures one after another through the real form; after each one taken, reads its page."""
    form = f"{base}/s/{school}/conduct/disclose/"
    detail = re.compile(rf"/s/{re.escape(school)}/conduct/disclosures/(\d+)/$")
    k = 0
    while not load.stop.is_set():
        k += 1
        marker = f"Failover load: writer {n:02d}, write {k:05d}"
        data = {
            "who": "think_pupil", "who_text": "A Year 8 pupil, by their profile", "pupil": "", "channel": channel,
            "happened_on": datetime.date.today().isoformat(), "what_happened": marker, "did": ["declined"],
            "did_note": "", "send": "1", "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
        }  # fmt: skip
        sent = time.monotonic()
        try:
            response = session.post(
                form, data=data, headers={"Referer": form}, allow_redirects=False, timeout=REQUEST_TIMEOUT_S
            )
        except requests.RequestException as exc:
            load.add(Outcome(sent, time.monotonic(), "POST", 0, marker=marker))
            load.problems.append(f"writer {n}: no answer ({type(exc).__name__})")
            time.sleep(0.5)
            continue
        outcome = Outcome(sent, time.monotonic(), "POST", response.status_code, marker=marker)
        match = detail.search(response.headers.get("Location", "")) if response.status_code == 302 else None
        if match:
            outcome.disclosure_id = int(match[1])
        elif response.status_code == 503:
            assert "switching to its standby database" in response.text
            assert response.headers.get("Retry-After") == "30"
        else:
            load.problems.append(f"writer {n}: POST answered {response.status_code}")
        load.add(outcome)
        if outcome.disclosure_id is None:
            time.sleep(0.2)  # a person would wait a moment before pressing again
            continue
        sent = time.monotonic()
        try:
            page = session.get(f"{base}{match[0]}", timeout=REQUEST_TIMEOUT_S)
            load.add(Outcome(sent, time.monotonic(), "GET", page.status_code))
            if page.status_code not in {200, 503}:
                load.problems.append(f"writer {n}: GET answered {page.status_code}")
        except requests.RequestException as exc:
            load.add(Outcome(sent, time.monotonic(), "GET", 0))
            load.problems.append(f"writer {n}: GET had no answer ({type(exc).__name__})")


@pytest.fixture
def formation():
    if not (FAILOVER_URL and FAILOVER_DIR):
        reason = (
            "no pg_auto_failover formation: run scripts/ci-failover start DIR and set the variables it prints"
        )
        if REQUIRED:
            pytest.fail(
                f"{reason} (SAFERSTAFF_FAILOVER_REQUIRED=1 turns this skip into a failure)", pytrace=False
            )
        pytest.skip(reason)
    # A fresh database per run, on whichever node takes writes now.
    name = f"failover_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(FAILOVER_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"create database {name}")
    return with_database(FAILOVER_URL, name)


def test_killing_the_primary_during_writes_loses_nothing_and_the_app_recovers_without_a_restart(
    formation, tmp_path
):
    url = formation
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAFERSTAFF_", "DATABASE_URL", "DEBUG"))}
    env |= {"DATABASE_URL": url, "SAFERSTAFF_VAR": str(tmp_path), "DEBUG": "0", "PYTHONPATH": str(ROOT)}
    t0 = time.monotonic()
    manage(env, "migrate", "--noinput", "-v0", timeout=600)
    manage(env, "createcachetable")
    cast = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    print(
        f"\nfailover: database {urlsplit(url).path[1:]} migrated and set up in {time.monotonic() - t0:.0f}s"
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = open(tmp_path / "server.log", "w")  # noqa: SIM115 -- closed in finally
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2", "--blocking-threads", "8", "saferstaff.wsgi:application"],
        cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    load = Load()
    threads: list[threading.Thread] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/accounts/login/", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, "the web server did not start"
                time.sleep(0.3)
        states = monitor_states()
        assert sorted(states.values()) == ["primary", "secondary"], (
            f"the formation is not a primary with its standby ({states}): start it afresh with scripts/ci-failover"
        )
        sessions = [sign_in(base, email) for email in cast["emails"]]
        threads = [
            threading.Thread(
                target=writer, args=(n, s, base, cast["school"], cast["channel"], load), daemon=True
            )
            for n, s in enumerate(sessions)
        ]
        load_started = time.monotonic()
        for t in threads:
            t.start()

        # Mid-load: kill the primary's postmaster, as a crash of its machine would stop it.
        deadline = time.monotonic() + 120
        while len(load.acked()) < WRITES_BEFORE_KILL:
            assert time.monotonic() < deadline, f"only {len(load.acked())} writes taken before the kill"
            assert not load.problems, load.problems
            time.sleep(0.1)
        ports = node_ports()
        primary = next(n for n, p in ports.items() if in_recovery(p) is False)
        old_port = ports[primary]
        assert read_write_port(url) == old_port
        # The node dies as with its machine: its postmaster and the pg_autoctl keeper that would restart it in
        # place (killed alone, the postmaster is often back within a second and the monitor keeps it primary).
        postmaster = int((Path(FAILOVER_DIR) / primary / "postmaster.pid").read_text().splitlines()[0])
        keeper = int((Path(FAILOVER_DIR) / f"{primary}.pid").read_text())
        assert os.getpgid(postmaster) == keeper, "the postmaster is not in its keeper's process group"
        os.killpg(keeper, signal.SIGKILL)
        killed_at = time.monotonic()
        acked_before_kill = len(load.acked())

        # The app takes writes again: a disclosure sent after the kill is acknowledged.
        while not [o for o in load.acked() if o.sent > killed_at]:
            assert time.monotonic() - killed_at < RECOVERY_LIMIT_S, (
                f"no write taken within {RECOVERY_LIMIT_S}s of the kill; server log: {tmp_path / 'server.log'}"
            )
            time.sleep(0.05)
        first = min((o for o in load.acked() if o.sent > killed_at), key=lambda o: o.answered)
        recovered_s = first.answered - killed_at
        time.sleep(LOAD_AFTER_RECOVERY_S)
    finally:
        load.stop.set()
        for t in threads:
            t.join(timeout=REQUEST_TIMEOUT_S + 5)
        still_running = server.poll() is None
        server.terminate()
        server.wait(timeout=30)
        server_log.close()

    assert still_running, "the web server stopped"
    # The standby was promoted: the formation's writable node is the other one, and the monitor says so.
    new_port = read_write_port(url)
    assert new_port != old_port, "writes are still on the killed node: the standby was not promoted"
    assert monitor_states()[new_port] in {"primary", "wait_primary"}

    outcomes = load.outcomes
    statuses = sorted({o.status for o in outcomes})
    unavailable = [o for o in outcomes if o.status == 503]
    switch = [o.answered - killed_at for o in unavailable]
    print(
        f"failover: primary {primary} (port {old_port}) killed after {acked_before_kill} acknowledged writes "
        f"({killed_at - load_started:.1f}s of load); "
        f"writes taken again on port {new_port} after {recovered_s:.1f}s, with the same web server process"
    )
    print(
        f"failover: {len(load.acked())} writes acknowledged by {WRITERS} writers, "
        f"{sum(o.method == 'GET' for o in outcomes)} pages read; answers {statuses}; "
        f"{len(unavailable)} answered 503 (POST {sum(o.method == 'POST' for o in unavailable)}, "
        f"GET {sum(o.method == 'GET' for o in unavailable)}), the last {max(switch, default=0):.1f}s after the kill"
    )
    assert not load.problems, load.problems[:10]
    assert set(statuses) <= {200, 302, 503}, statuses
    assert unavailable, "no request met the switch: the 503 page was never drawn"

    # Every acknowledged write is in the database exactly once, and every disclosure there is whole: its audit
    # event and the Headteacher's notification were written with it (one transaction, or none of it).
    acked = {o.disclosure_id: o.marker for o in load.acked()}
    with psycopg.connect(url, connect_timeout=5) as conn:
        rows = conn.execute(
            f"select id, what_happened from {Disclosure._meta.db_table}"  # noqa: S608 -- our own table names
        ).fetchall()
        audited = {
            int(r[0])
            for r in conn.execute(
                f"select object_id from {AuditEvent._meta.db_table} where action = 'conduct.disclosed'"  # noqa: S608
            )
        }
        notified = conn.execute(
            f"select count(*) from {Notification._meta.db_table} where kind = 'conduct.disclosure'"  # noqa: S608
        ).fetchone()[0]
    stored = dict(rows)
    markers = [m for _, m in rows]
    lost = {pk: m for pk, m in acked.items() if stored.get(pk) != m}
    assert not lost, f"{len(lost)} acknowledged writes are missing: {sorted(lost)[:10]}"
    doubled = {m for m in markers if markers.count(m) > 1}
    assert not doubled, f"saved twice: {sorted(doubled)[:10]}"
    assert set(stored) == audited, (
        f"disclosures without their audit event: {sorted(set(stored) - audited)[:10]}"
    )
    assert notified == len(stored), (
        f"{len(stored)} disclosures but {notified} notifications to the Headteacher"
    )
    unacked = len(stored) - len(acked)
    print(
        f"failover: {len(stored)} disclosures in the database: all {len(acked)} acknowledged ones once each, "
        f"{unacked} more whose sender saw a 503 (saved before the connection broke), none half-written"
    )
