"""Writes under load: many people submitting the real forms at once through the production web server, and
every submission the server acknowledged is in the database exactly once.

Loads the demo school into a scratch database (SQLite, or a new database on the PostgreSQL server of
``--database-url``), adds staff and issues guardians' portal links, signs the staff in (session cookies, as
tests/conftest.py ``signed_in`` does), then serves it with granian as ``make run`` does (2 processes × 4 threads,
loopback). Each simulated person is an asyncio task with its own cookies: staff accept the online safety policy
once, then report contact with a pupil again and again (§3 disclosures); guardians change their photo choices
again and again through their portal link. Every form is fetched first for its CSRF token, as a browser does.
Some submissions are sent twice on purpose (a double click): the doors must record them once.

Afterwards it counts the rows: each acknowledged (2xx/3xx) submission must be there once, nothing unacknowledged
may be there, and there must be no 5xx. The baseline, in the same run: the same mix with 10 people.

    .venv/bin/python benchmarks/writes.py [--users 200] [--seconds 120] [--database-url postgres://…] [--check]
"""

import argparse
import asyncio
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from _machine import machine
from _web import start, stop

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_INPUT = re.compile(r'name="submission" value="([^"]+)"')
POLICY = """Online safety for staff

1. Contact with pupils
Staff do not accept friend requests from pupils and report any contact that happens by chance.

2. Photos
Photos of pupils are taken only on school equipment and only with consent.
"""

SETUP = """
import json, datetime
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import reverse
from saferstaff.accounts.models import User
from saferstaff.conduct.models import ContactChannel
from saferstaff.consent.forms import PortalForm
from saferstaff.consent.models import PortalLink
from saferstaff.consent.services import send_portal_links
from saferstaff.policies.models import PolicyVersion
from saferstaff.schools.models import Guardian, Pupil, Role, School
from saferstaff.schools.staff import add_staff
staff_n, guardian_n = {staff}, {guardians}
school = School.objects.get(name="Westfield Infant School (demo)")
head = User.objects.get(email="head@demo.example")
version = PolicyVersion.objects.filter(policy__school=school, status="published").latest("number")
channel = ContactChannel.objects.filter(school=school).first()
pupils = list(Pupil.objects.filter(school=school).values_list("pk", flat=True))
staff = []
for n in range(staff_n):
    m = add_staff(school, email=f"load{{n}}@demo.example", first_name="Load", last_name=f"Tester{{n}}",
                  roles={{Role.STAFF}}, by=head, invite=False)
    client = Client()
    client.force_login(m.user)
    staff.append({{"user": m.user.pk, "cookie": client.cookies["sessionid"].value, "name": m.user.get_full_name(),
                  "pupil": pupils[n % len(pupils)]}})
guardians = Guardian.objects.filter(school=school, guardianships__parental_responsibility=True).exclude(email="").distinct()
guardians = list(guardians.order_by("pk")[:guardian_n])
send_portal_links(school, guardians, by=head)
links = []
for link in PortalLink.objects.filter(guardian__in=guardians, revoked_at=None).order_by("pk"):
    form = PortalForm(link=link)
    links.append({{"guardian": link.guardian_id, "path": link.url().split("://", 1)[1].split("/", 1)[1],
                  "fields": sorted(name for name in form.fields if name.startswith("c-"))}})
print(json.dumps({{"school": school.slug, "version": [version.policy_id, version.number], "channel": channel.pk,
                  "staff": staff, "guardians": links}}))
"""

COUNT = """
import json
from django.db.models import Count
from saferstaff.conduct.models import Disclosure
from saferstaff.consent.models import ConsentRecord
from saferstaff.policies.models import Acceptance
texts = Disclosure.objects.filter(what_happened__startswith="load ").values("what_happened").annotate(n=Count("id"))
receipts = ConsentRecord.objects.exclude(receipt="").filter(source="guardian").values_list("receipt", flat=True)
print(json.dumps({
    "disclosure": {r["what_happened"]: r["n"] for r in texts},
    "consent": sorted(set(receipts)),
    "acceptance": list(Acceptance.objects.filter(user__email__startswith="load").values_list("user_id", flat=True)),
}))
"""


class Tally:
    def __init__(self):
        self.acked = {"disclosure": [], "consent": [], "acceptance": []}  # what each acknowledged POST wrote
        self.sent = {"disclosure": 0, "consent": 0, "acceptance": 0}
        self.status_5xx = 0
        self.refused_twice = 0  # second of a double submit answered cleanly without a new row
        self.other = collections.Counter()  # (kind, status) of 4xx answers; status None: a dropped connection
        self.latency = []  # ms per POST
        self.consent_keys = collections.Counter()  # (guardian, submission) -> receipts given for it
        self.timed_out = {"disclosure": [], "consent": [], "acceptance": []}  # what each unanswered POST sent


async def get_token(session, tally, url, cookies) -> tuple[str, str] | None:
    """The form's CSRF token and its own number, or None (counted) when the page did not come."""
    try:
        async with session.get(url, headers={"Cookie": cookies()}, allow_redirects=False) as r:
            text = await r.text()
    except (aiohttp.ClientError, TimeoutError):
        tally.other["form page", None] += 1
        return None
    if r.status >= 500:
        tally.status_5xx += 1
    found = CSRF_INPUT.search(text)
    if not found:
        tally.other["form page", r.status] += 1
        return None
    number = SUBMISSION_INPUT.search(text)
    return found.group(1), number.group(1) if number else ""


async def post(session, tally, kind, url, data, cookies, origin, key=None):
    tally.sent[kind] += 1
    started = time.monotonic()
    try:
        async with session.post(
            origin + url, data=data, headers={"Cookie": cookies(), "Referer": origin + url, "Origin": origin},
            allow_redirects=False,
        ) as r:  # fmt: skip
            await r.read()
            status, location = r.status, r.headers.get("Location", "")
    except (aiohttp.ClientError, TimeoutError):  # the person gave up: it may or may not have been saved
        tally.timed_out[kind].append(key)
        return None, ""
    tally.latency.append((time.monotonic() - started) * 1000)
    if status >= 500:
        tally.status_5xx += 1
    return status, location


class Person:
    def __init__(self, base, origin):
        self.base, self.origin = base, origin
        self.jar = {}

    def cookies(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.jar.items())

    async def token(self, session, tally, path) -> tuple[str, str] | None:
        """The form's CSRF token and, if it has one, its own number (the disclosure form's hidden field)."""
        return await get_token(session, tally, self.base + path, self.cookies)


async def staff_member(session, person, plan, me, tally, deadline, number):
    school = plan["school"]
    person.jar = {"sessionid": me["cookie"], "csrftoken": "loadtest" + "x" * 24}
    pk, version = plan["version"]
    accept = f"/s/{school}/policies/{pk}/v{version}/accept/"
    form = f"/s/{school}/conduct/disclose/"
    accepted = False
    while not accepted and time.monotonic() < deadline:  # until it is accepted: the other pages wait for it
        got = await person.token(session, tally, f"/s/{school}/policies/{pk}/v{version}/")
        if got is None:
            continue
        data = {"csrfmiddlewaretoken": got[0], "typed_name": me["name"], "understood": "on"}
        for _ in range(2 if number % 4 == 0 else 1):  # a quarter click Accept twice
            status, _loc = await post(
                session, tally, "acceptance", accept, data, person.cookies, person.origin, me["user"]
            )
            if status is not None and status < 400:
                tally.acked["acceptance"].append(me["user"])
                accepted = True
    n = 0
    while time.monotonic() < deadline:
        n += 1
        got = await person.token(session, tally, form)
        if got is None:
            continue
        token, number = got
        what = f"load u{me['user']} n{n}"
        data = {
            "csrfmiddlewaretoken": token, "who": "pupil", "pupil": me["pupil"], "channel": plan["channel"],
            "happened_on": plan["today"], "what_happened": what, "did": "blocked", "send": "1", "submission": number,
        }  # fmt: skip
        twice = n % 10 == 1  # the first and every tenth after are sent twice at once: the double click
        sends = [post(session, tally, "disclosure", form, data, person.cookies, person.origin, what)]
        if twice:
            sends.append(post(session, tally, "disclosure", form, data, person.cookies, person.origin, what))
        for status, _loc in await asyncio.gather(*sends):
            if status is not None and status < 400:
                tally.acked["disclosure"].append(what)
            elif status is not None and status < 500:
                tally.other["disclosure", status] += 1


async def guardian(session, person, plan, link, tally, deadline):
    person.jar = {"csrftoken": "loadtest" + "y" * 24}
    path = "/" + link["path"]
    n = 0
    while time.monotonic() < deadline:
        n += 1
        got = await person.token(session, tally, path)
        if got is None:
            continue
        data = {"csrfmiddlewaretoken": got[0], **{f: ("yes" if n % 2 else "no") for f in link["fields"]}}
        twice = n % 10 == 1
        sends = [post(session, tally, "consent", path, data, person.cookies, person.origin)]
        if twice:
            sends.append(post(session, tally, "consent", path, data, person.cookies, person.origin))
        for status, location in await asyncio.gather(*sends):
            if status is not None and 300 <= status < 400 and "/receipt/" in location:
                tally.acked["consent"].append(location.rstrip("/").rsplit("/", 1)[1])
                tally.consent_keys[link["guardian"], n] += 1  # twice for one submission: a duplicate
            elif status == 200 and twice:
                tally.refused_twice += 1  # "you have not changed anything": the second of the pair, cleanly
            elif status is not None and status < 500:
                tally.other["consent", status] += 1


async def load(port, plan, users, seconds, staff_from) -> tuple[Tally, float]:
    base = origin = f"http://127.0.0.1:{port}"
    tally = Tally()
    deadline = time.monotonic() + seconds
    staff = plan["staff"][
        staff_from : staff_from + (users + 1) // 2
    ]  # each run its own staff: they accept once
    people = []
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(base_url=None, connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                     timeout=aiohttp.ClientTimeout(total=300)) as session:  # fmt: skip
        started = time.monotonic()
        for i, me in enumerate(staff):
            people.append(staff_member(session, Person(base, origin), plan, me, tally, deadline, i))
        for link in plan["guardians"][: users - len(staff)]:
            people.append(guardian(session, Person(base, origin), plan, link, tally, deadline))
        await asyncio.gather(*people)
        return tally, time.monotonic() - started


def count(env) -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "manage.py"), "shell", "-c", COUNT], env=env, cwd=ROOT,
                         check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(tally: Tally, rows: dict, before: dict) -> dict:
    """Per kind: acknowledged, in the database (new since ``before``), duplicates, missing, unacknowledged."""
    result = {}
    disclosures = {k: v for k, v in rows["disclosure"].items() if k not in before["disclosure"]}
    acked = set(tally.acked["disclosure"])
    result["disclosure"] = {
        "sent": tally.sent["disclosure"], "acked": len(tally.acked["disclosure"]), "rows": sum(disclosures.values()),
        "duplicates": sum(n - 1 for n in disclosures.values() if n > 1),
        "missing": len(acked - set(disclosures)),
        "unacked": len(set(disclosures) - acked - set(tally.timed_out["disclosure"])),
    }  # fmt: skip
    receipts = set(rows["consent"]) - set(before["consent"])
    acked = set(tally.acked["consent"])
    result["consent"] = {
        "sent": tally.sent["consent"], "acked": len(tally.acked["consent"]), "rows": len(receipts),
        "duplicates": sum(n - 1 for n in tally.consent_keys.values()),
        "missing": len(acked - receipts),
        "unacked": max(0, len(receipts - acked) - len(tally.timed_out["consent"])),
    }  # fmt: skip
    users = [u for u in rows["acceptance"] if u not in before["acceptance"]]
    acked = set(tally.acked["acceptance"])
    result["acceptance"] = {
        "sent": tally.sent["acceptance"], "acked": len(tally.acked["acceptance"]), "rows": len(users),
        "duplicates": len(users) - len(set(users)),
        "missing": len(acked - set(users)),
        "unacked": len(set(users) - acked - set(tally.timed_out["acceptance"])),
    }  # fmt: skip
    for kind, counts in result.items():
        counts["timed_out"] = len(tally.timed_out[kind])
    return result


def pct(values, p) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else float("nan")


def database(url: str | None, scratch: Path) -> tuple[str, str, callable]:
    """The database URL to use, its kind, and a function dropping it afterwards."""
    if not url:
        return f"sqlite:///{scratch}/writes.sqlite3", "SQLite", lambda: None
    import psycopg

    parts = urlsplit(url)
    name = f"saferstaff_writes_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path="/" + name)), "PostgreSQL", drop


def run(args) -> tuple[list[dict], str]:
    scratch = Path(tempfile.mkdtemp(prefix="saferstaff-writes-"))
    url, kind, drop = database(args.database_url, scratch)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SAFERSTAFF_", "DATABASE_URL"))},
        "SAFERSTAFF_VAR": str(scratch), "DATABASE_URL": url, "DEBUG": "false", "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING", "SITE_URL": "http://127.0.0.1",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",  # the emails wait in the queue, as in production
    }  # fmt: skip
    proc = None
    try:
        manage = [sys.executable, str(ROOT / "manage.py")]
        (scratch / "policy.txt").write_text(POLICY)
        for command in (["migrate", "--no-input", "-v", "0"], ["createcachetable"],
                        ["load_demo", "--policy", str(scratch / "policy.txt")]):  # fmt: skip
            subprocess.run(manage + command, env=env, cwd=ROOT, check=True, capture_output=True)
        baseline = min(10, args.users)
        script = SETUP.format(staff=(args.users + 1) // 2 + (baseline + 1) // 2, guardians=args.users)
        out = subprocess.run(manage + ["shell", "-c", script], env=env, cwd=ROOT, check=True, capture_output=True,
                             text=True)  # fmt: skip
        plan = json.loads(out.stdout.strip().splitlines()[-1])
        plan["today"] = time.strftime("%Y-%m-%d")
        if len(plan["guardians"]) < args.users // 2:
            raise SystemExit(
                f"only {len(plan['guardians'])} guardians with portal links; need {args.users // 2}"
            )
        proc, port = start("granian", env, 2, 4)  # as `make run`: 2 processes × 4 threads
        results = []
        # The baseline first, with staff of its own (after the load's): each accepts the policy once.
        runs = [("baseline", baseline, max(5, args.seconds // 8), (args.users + 1) // 2)]
        runs.append(("load", args.users, args.seconds, 0))
        for name, users, seconds, staff_from in runs:
            before = count(env)
            tally, took = asyncio.run(load(port, plan, users, seconds, staff_from))
            rows = count(env)
            results.append({"name": name, "users": users, "seconds": took, "tally": tally,
                            "kinds": compare(tally, rows, before)})  # fmt: skip
            print(f"  {name}: {users} people, {took:.0f} s", file=sys.stderr, flush=True)
        return results, kind
    finally:
        if proc is not None:
            stop(proc)
        drop()
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument(
        "--database-url", help="a PostgreSQL server (a new database is made there and dropped)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 unless every count matches and no 5xx")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the server on the way out
    results, kind = run(args)
    print(
        f"\n{machine()}; {kind}; granian 2 processes × 4 threads on loopback; aiohttp clients, one per person"
    )
    print("Each kind: sent, acknowledged (2xx/3xx), unanswered (the client gave up after 300 s), rows in the")
    print(
        "database, duplicates, acknowledged but missing, in the database but neither acknowledged nor unanswered."
    )
    print(
        "Refused cleanly: the second of a double submit answered without a new row. 5xx, p50/p95: all POSTs.\n"
    )
    print("| run | people | seconds | kind | sent | acknowledged | unanswered | in DB | duplicates | missing "
          "| unacknowledged | 5xx | refused cleanly | p50 ms | p95 ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    ok = True
    for r in results:
        t = r["tally"]
        for kind_name, k in r["kinds"].items():
            print(f"| {r['name']} | {r['users']} | {r['seconds']:.0f} | {kind_name} | {k['sent']} | {k['acked']} "
                  f"| {k['timed_out']} | {k['rows']} | {k['duplicates']} | {k['missing']} | {k['unacked']} | {t.status_5xx} "
                  f"| {t.refused_twice} | {pct(t.latency, 50):.0f} | {pct(t.latency, 95):.0f} |")  # fmt: skip
            ok &= k["duplicates"] == k["missing"] == k["unacked"] == 0 and k["acked"] > 0
        ok &= t.status_5xx == 0
        rate = sum(k["acked"] for k in r["kinds"].values()) / r["seconds"]
        print(f"| {r['name']} | | | all | | {rate:.1f}/s | | | | | | | other: {dict(t.other) or 0} | | |")
    print(f"\nexactly once, no 5xx: {'yes' if ok else 'NO'}")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
