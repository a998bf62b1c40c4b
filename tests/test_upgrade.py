"""The upgrade in place: a database migrated and filled (``load_demo``) by the code of the tag
``layout-before`` is migrated by this checkout's code, keeps every row, passes ``verify_audit``, has no
migration left unapplied, can still run the tasks it had queued, and ends with the same schema as a fresh
database migrated by this code. ``-k upgrade`` runs just these.

Runs on the database the test session runs on: SQLite (a temporary file) or PostgreSQL (throw-away databases
created on the same server, dropped at the end). Both codes run as subprocesses (``manage.py`` of the old tree
extracted with ``git archive``, then this checkout's), and the tables are read with raw SQL: this module imports
no saferstaff app, so it keeps working whatever app a model lives in.
"""

import ast
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings

from tests.conftest import skip_or_fail

REPO = Path(__file__).resolve().parents[1]
OLD_TAG = "layout-before"
OLD_COMMIT = "e41a14e08be8b34feda9ac1c935b2890c999d952"  # the tag's commit, for a clone without tags
# The guidance `make demo` publishes when ../shared is beside the clone: it fills the policy tables too.
SEED_POLICY = REPO.parent / "shared" / "seed" / "online-safety-and-social-media-guidance.txt"
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# Not rows a school keeps: the list of applied migrations grows by design; sqlite_sequence is SQLite's own
# counter table, rewritten when a migration rebuilds a table.
NOT_COMPARED = {"django_migrations", "sqlite_sequence"}
# Migrating a new layout adds the new apps' content types and their permissions; the old rows must stay.
MAY_GAIN_ROWS = {"django_content_type", "auth_permission"}
# Tables the upgrade renames on purpose, rows and all: simple_history's table for a many-to-many field takes
# its name from the app, not from the model's db_table (saferstaff/adopt.py renames it in place). Every other
# table keeps its name.
RENAMED = {"images_historicalactivity_purposes": "photos_historicalactivity_purposes"}
# Columns the upgrade may rewrite: a queued task's dotted path follows its module to the new layout
# (test_upgrade_leaves_every_queued_task_runnable checks that the paths resolve).
MAY_CHANGE = {"django_tasks_database_dbtaskresult": {"task_path"}}
# Retired on purpose (issue 16): the images-only retention became the one retention schedule. Its table and
# columns go once privacy 0002 has adopted their rows (certificates, legal holds, the due list, a school's own
# image period: tests/test_privacy_retention.py checks the adoption).
RETIRED_TABLES = {"images_destruction"}
RETIRED = {
    "images_image": {"keep_until", "legal_hold", "legal_hold_reason"},
    "policy_schoolsettings": {"image_retention_months"},
    "policy_historicalschoolsettings": {"image_retention_months"},
}


# ---------------------------------------------------------------------------------------- databases ---
class SqliteDb:
    vendor = "sqlite"

    def __init__(self, path: Path):
        self.path = path
        self.url = f"sqlite:///{path}"

    def connect(self):
        return sqlite3.connect(self.path)

    def tables(self, conn) -> list[str]:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return sorted(r[0] for r in rows)

    def columns(self, conn, table: str) -> list[str]:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({q(table)})")]

    def select(self, conn, table: str, cols: list[str]) -> list[tuple]:
        return conn.execute(f"SELECT {', '.join(map(q, cols))} FROM {q(table)}").fetchall()

    def drop(self):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


class PostgresDb:
    vendor = "postgresql"

    def __init__(self, name: str):
        self.name = name
        base = os.environ.get("DATABASE_URL") or _url_from_settings()
        self.url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
        with _pg_admin() as admin:
            admin.execute(f"CREATE DATABASE {q(name)}")

    def connect(self):
        return psycopg.connect(**_pg_params(settings.DATABASES["default"], self.name))

    def tables(self, conn) -> list[str]:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        return sorted(r[0] for r in rows)

    def columns(self, conn, table: str) -> list[str]:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [r[0] for r in rows]

    def select(self, conn, table: str, cols: list[str]) -> list[tuple]:
        # Every value as PostgreSQL's own text form: one canonical form for dates, JSON, bytes alike.
        return conn.execute(f"SELECT {', '.join(f'{q(c)}::text' for c in cols)} FROM {q(table)}").fetchall()

    def drop(self):
        with _pg_admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {q(self.name)} WITH (FORCE)")


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _url_from_settings() -> str:
    cfg = settings.DATABASES["default"]
    return f"postgres://{cfg['USER']}:{cfg['PASSWORD']}@{cfg['HOST'] or 'localhost'}:{cfg['PORT'] or 5432}/"


def _pg_params(cfg: dict, dbname: str) -> dict:
    params = {"dbname": dbname, "user": cfg["USER"], "password": cfg["PASSWORD"] or None}
    params |= {"host": cfg["HOST"] or None, "port": cfg["PORT"] or None, "autocommit": True}
    return {k: v for k, v in params.items() if v is not None}


def _pg_admin():
    # The server's maintenance database: CREATE/DROP DATABASE cannot run inside the database they name.
    return psycopg.connect(**_pg_params(settings.DATABASES["default"], "postgres"))


def new_database(tmp: Path, label: str):
    if ON_POSTGRES:
        return PostgresDb(f"saferstaff_upgrade_{label}_{uuid.uuid4().hex[:10]}")
    return SqliteDb(tmp / f"{label}.sqlite3")


# ------------------------------------------------------------------------------------- running code ---
def manage(tree: Path, db, var: Path, *args: str) -> subprocess.CompletedProcess:
    """``manage.py ARGS`` of the code in ``tree`` on ``db``, with the same keys (SECRET_KEY, AUDIT_KEY: the
    audit seals must verify across the upgrade) and settings for the old and the new code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "AWS_"))}
    for name in ("MEDIA_ROOT", "AUDIT_HEAD_DIR", "TASKS_BACKEND", "ALLOWED_HOSTS", "DEBUG", "PYTHONPATH"):
        env.pop(name, None)
    env |= {
        "DATABASE_URL": db.url,
        "SAFERSTAFF_VAR": str(var),  # media, mail and audit heads of these runs stay in the test's folder
        "SAFERSTAFF_ENV": "test",  # load_demo refuses production
        "STORAGE_BACKEND": "filesystem",
        "FACE_MODELS": "standin",
        "DJANGO_SETTINGS_MODULE": "saferstaff.settings",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )


def run_ok(tree: Path, db, var: Path, *args: str) -> str:
    result = manage(tree, db, var, *args)
    if result.returncode != 0:
        code = "the old code (" + OLD_TAG + ")" if tree != REPO else "this checkout's code"
        pytest.fail(
            f"`manage.py {' '.join(args)}` of {code} on {db.vendor} exited {result.returncode}:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}",
            pytrace=False,
        )
    return result.stdout


def extract_old_tree(dest: Path) -> Path:
    if shutil.which("git") is None:
        skip_or_fail("git is not installed: the upgrade test extracts the old code with git archive")
    for ref in (f"refs/tags/{OLD_TAG}", OLD_COMMIT):
        found = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            capture_output=True,
            text=True,
        )
        if found.returncode == 0:
            break
    else:
        skip_or_fail(
            f"neither the tag {OLD_TAG} nor the commit {OLD_COMMIT} is in this clone "
            f"(a tarball or a shallow clone? git says: {found.stderr.strip() or 'not found'}): "
            "the upgrade test needs the old code"
        )
    archive = dest.with_suffix(".tar")
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(REPO), "archive", found.stdout.strip()], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    archive.unlink()
    # The old tree's saferstaff, not this checkout's (installed in the venv as editable), must be the one
    # that runs: `python manage.py` puts the script's folder first on sys.path.
    where = subprocess.run(
        [sys.executable, "-c", "import saferstaff; print(saferstaff.__file__)"],
        cwd=dest,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).resolve().is_relative_to(dest.resolve()), (
        f"the old code imports saferstaff from {where}"
    )
    return dest


# ------------------------------------------------------------------------------------------ content ---
@dataclass
class TableRows:
    columns: list[str]
    count: int
    digest: str
    rows: Counter = field(repr=False)


def canonical(rows: list[tuple]) -> Counter:
    return Counter(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)) for row in rows)


def table_rows(db, conn, table: str, cols: list[str]) -> TableRows:
    # Columns by name, rows sorted: a migration that rebuilds a table (column order) or a database that
    # returns rows in another order changes neither.
    cols = sorted(cols)
    rows = canonical(db.select(conn, table, cols))
    digest = hashlib.sha256("\n".join(sorted(rows.elements())).encode()).hexdigest()
    return TableRows(cols, sum(rows.values()), digest, rows)


def snapshot(db) -> dict[str, TableRows]:
    conn = db.connect()
    try:
        return {
            t: table_rows(
                db,
                conn,
                t,
                [
                    c
                    for c in db.columns(conn, t)
                    if c not in MAY_CHANGE.get(t, ()) and c not in RETIRED.get(t, ())
                ],
            )
            for t in db.tables(conn)
            if t not in NOT_COMPARED | RETIRED_TABLES
        }
    finally:
        conn.close()


def lost_rows(before: dict[str, TableRows], db) -> list[str]:
    """What the upgrade lost or changed, table by table (empty when every row is kept)."""
    problems = []
    conn = db.connect()
    try:
        tables = set(db.tables(conn))
        for old_name, old in sorted(before.items()):
            table = RENAMED.get(old_name, old_name) if old_name not in tables else old_name
            if table not in tables:
                problems.append(f"{old_name}: the table is gone ({old.count} row(s) before the upgrade)")
                continue
            missing_cols = sorted(set(old.columns) - set(db.columns(conn, table)))
            if missing_cols:
                problems.append(f"{table}: column(s) {', '.join(missing_cols)} are gone")
                continue
            # The old columns only: a column the new code adds is not a lost row.
            new = table_rows(db, conn, table, old.columns)
            if table in MAY_GAIN_ROWS:
                gone = old.rows - new.rows
                if gone:
                    problems.append(f"{table}: {sum(gone.values())} row(s) lost, e.g. {sorted(gone)[:3]}")
            elif new.digest != old.digest:
                gone, added = old.rows - new.rows, new.rows - old.rows
                problems.append(
                    f"{table}: {old.count} row(s) before, {new.count} after; "
                    f"{sum(gone.values())} lost or changed, e.g. {sorted(gone)[:2]}; "
                    f"{sum(added.values())} new or changed, e.g. {sorted(added)[:2]}"
                )
    finally:
        conn.close()
    return problems


# ------------------------------------------------------------------------------------------- schema ---
# Names Django (or the database) makes up for indexes and constraints it finds again by introspection, never by
# name: schema_editor._create_index_name's "<table>_<columns>_<8 hex>[_like|_uniq|_fk_…|_check|_pk]",
# PostgreSQL's "<table>_pkey", SQLite's "sqlite_autoindex_<table>_<n>" (numbered in the order the CREATE TABLE
# lists them, which differs between a table built by a migration history and one built at once). Such names
# legitimately differ between an upgraded and a fresh database, so they are compared as "<auto>"; the
# definitions are still compared. Names a migration spells out (Meta.indexes, UniqueConstraint, CheckConstraint,
# including the "…_6hex_idx" ones makemigrations writes in) are later removed by name: those must match.
AUTO_NAME = re.compile(r"^sqlite_autoindex_|_[0-9a-f]{8}(_like|_uniq|_check|_pk|_fk_.*)?$|_pkey$")


def norm_name(name: str | None) -> str:
    return "<auto>" if name is None or AUTO_NAME.search(name) else name


def schema(db) -> dict[str, set]:
    """Table -> a set of facts (columns, foreign keys, indexes, constraints) that says what its schema is."""
    conn = db.connect()
    try:
        return _sqlite_schema(conn) if db.vendor == "sqlite" else _postgres_schema(conn)
    finally:
        conn.close()


def _checks(create_sql: str) -> list[str]:
    """The CHECK (…) expressions in a CREATE TABLE statement (SQLite keeps them there only)."""
    found = []
    for match in re.finditer(r"CHECK\s*\(", create_sql):
        depth, i = 1, match.end()
        while depth and i < len(create_sql):
            depth += {"(": 1, ")": -1}.get(create_sql[i], 0)
            i += 1
        found.append(create_sql[match.end() : i - 1].strip())
    return found


def _sqlite_schema(conn) -> dict[str, set]:
    out = {}
    tables = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    for table, create_sql in tables.fetchall():
        facts = set()
        for _cid, name, ctype, notnull, default, pk in conn.execute(f"PRAGMA table_info({q(table)})"):
            facts.add(("column", name, ctype.lower(), bool(notnull), default, pk))
        for row in conn.execute(f"PRAGMA foreign_key_list({q(table)})"):
            _id, _seq, to_table, from_col, to_col, on_update, on_delete, match = row
            facts.add(("foreign key", from_col, to_table, to_col, on_update, on_delete, match))
        for check in _checks(create_sql):
            facts.add(("check", check))
        for _seq, name, unique, origin, partial in conn.execute(f"PRAGMA index_list({q(table)})"):
            cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({q(name)})"))
            index_sql = conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", [name]
            )
            sql = (index_sql.fetchone() or [None])[0]
            where = sql.split(" WHERE ", 1)[1] if sql and partial else None
            facts.add(("index", norm_name(name), bool(unique), origin, cols, where))
        out[table] = facts
    return out


def _postgres_schema(conn) -> dict[str, set]:
    out = {}
    for (table,) in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    ).fetchall():
        out[table] = set()
    for table, *column in conn.execute(
        "SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, "
        "is_nullable, column_default, is_identity, identity_generation FROM information_schema.columns "
        "WHERE table_schema = 'public'"
    ):
        if table in out:
            out[table].add(("column", *column))
    for table, kind, name, definition in conn.execute(
        "SELECT c.relname, k.contype, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public'"
    ):
        out.setdefault(table, set()).add(("constraint", kind, norm_name(name), definition))
    for table, name, definition in conn.execute(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    ):
        definition = definition.replace(f"INDEX {name} ON", "INDEX <name> ON", 1)
        definition = definition.replace(f'INDEX "{name}" ON', "INDEX <name> ON", 1)
        out.setdefault(table, set()).add(("index", norm_name(name), definition))
    return out


def schema_differences(upgraded: dict[str, set], fresh: dict[str, set]) -> list[str]:
    problems = []
    for table in sorted(upgraded.keys() - fresh.keys()):
        problems.append(
            f"{table}: left over from the old layout (the new code's migrations do not create it)"
        )
    for table in sorted(fresh.keys() - upgraded.keys()):
        problems.append(f"{table}: missing after the upgrade (a fresh database has it)")
    for table in sorted(upgraded.keys() & fresh.keys()):
        only_up, only_fresh = upgraded[table] - fresh[table], fresh[table] - upgraded[table]
        if only_up or only_fresh:
            problems.append(
                f"{table}: only after the upgrade {sorted(only_up, key=repr)}; "
                f"only when fresh {sorted(only_fresh, key=repr)}"
            )
    return problems


# ----------------------------------------------------------------------------------------- fixtures ---
@dataclass
class Upgrade:
    db: object
    var: Path
    before: dict[str, TableRows]


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    """One database per session: migrated and filled by the old code, snapshotted, then migrated (and its
    cache tables made, as `make migrate` does) by this checkout's code. The tests only read it (verify_audit,
    migrate --check and the task check write nothing), so they share it without a copy."""
    tmp = tmp_path_factory.mktemp("upgrade")
    old = extract_old_tree(tmp / "old")
    var = tmp / "var"
    db = new_database(tmp, "upgraded")
    try:
        run_ok(old, db, var, "migrate", "--noinput")
        run_ok(old, db, var, "createcachetable")
        demo = ["load_demo"] + (["--policy", str(SEED_POLICY)] if SEED_POLICY.exists() else [])
        run_ok(old, db, var, *demo)
        queue_every_task(old, db, var)
        before = snapshot(db)
        assert before["audit_auditevent"].count > 0 and before["schools_pupil"].count > 0, (
            "load_demo loaded nothing"
        )
        run_ok(REPO, db, var, "migrate", "--noinput")
        run_ok(REPO, db, var, "createcachetable")
        yield Upgrade(db, var, before)
    finally:
        db.drop()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A database migrated by this checkout's code alone."""
    tmp = tmp_path_factory.mktemp("fresh")
    db = new_database(tmp, "fresh")
    try:
        run_ok(REPO, db, tmp / "var", "migrate", "--noinput")
        run_ok(REPO, db, tmp / "var", "createcachetable")
        yield db
    finally:
        db.drop()


# -------------------------------------------------------------------------------------------- tests ---
def test_upgrade_keeps_every_row_and_the_audit_trail(upgraded):
    problems = lost_rows(upgraded.before, upgraded.db)
    assert not problems, f"the upgrade on {upgraded.db.vendor} lost or changed rows:\n" + "\n".join(problems)
    audit = manage(REPO, upgraded.db, upgraded.var, "verify_audit")
    assert audit.returncode == 0, f"verify_audit after the upgrade:\n{audit.stdout}{audit.stderr}"
    assert "Audit trail intact" in audit.stdout, audit.stdout
    check = manage(REPO, upgraded.db, upgraded.var, "migrate", "--check", "--noinput")
    if check.returncode != 0:  # migrate --check says nothing: name what is left
        plan = manage(REPO, upgraded.db, upgraded.var, "showmigrations", "--plan")
        unapplied = [line for line in plan.stdout.splitlines() if line.startswith("[ ]")]
        pytest.fail(f"migrations left unapplied after the upgrade: {unapplied or plan.stdout + plan.stderr}")


def test_upgrade_ends_with_the_schema_of_a_fresh_database(upgraded, fresh):
    problems = schema_differences(schema(upgraded.db), schema(fresh))
    assert not problems, (
        f"the upgraded {fresh.vendor} database's schema differs from a fresh one's:\n" + "\n".join(problems)
    )


# A task is queued as its dotted path (django-tasks-db keeps it as text) and run by whatever code the worker
# has then. The upgrade starts with one of each task the old code can queue (its @task functions) waiting, queued
# by the old code itself; afterwards every waiting task must resolve in the new code (its path kept or
# rewritten by a migration), else the worker fails it: a lost email, a photo never checked.
ENQUEUE_TASKS = """
import inspect
from django.utils.module_loading import import_string
for path in PATHS:
    task = import_string(path)
    params = inspect.signature(task.func).parameters.values()
    task.enqueue(*[0 if p.annotation in (int, "int") else "" for p in params])
"""
RESOLVE_TASKS = """
import sys
from django.utils.module_loading import import_string
bad = []
for path in PATHS:
    try:
        import_string(path)
    except ImportError as problem:
        bad.append(f"{path}: {problem}")
print("\\n".join(bad))
sys.exit(1 if bad else 0)
"""
QUEUED = "SELECT task_path FROM django_tasks_database_dbtaskresult WHERE status = 'READY'"


def task_paths(tree: Path) -> set[str]:
    """The dotted paths of the functions decorated with ``@task`` / ``@task(...)`` in the tree's saferstaff."""
    found = set()
    for path in (tree / "saferstaff").rglob("*.py"):
        module = ".".join(path.relative_to(tree).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            for dec in getattr(node, "decorator_list", []):
                dec = dec.func if isinstance(dec, ast.Call) else dec
                if (dec.id if isinstance(dec, ast.Name) else getattr(dec, "attr", None)) == "task":
                    found.add(f"{module}.{node.name}")
    return found


def queue_every_task(tree: Path, db, var: Path) -> None:
    paths = sorted(task_paths(tree))
    assert paths, f"no @task function found in {tree}"
    run_ok(tree, db, var, "shell", "-v", "0", "-c", f"PATHS = {paths!r}\n{ENQUEUE_TASKS}")
    conn = db.connect()
    try:
        queued = {r[0] for r in conn.execute(QUEUED).fetchall()}
    finally:
        conn.close()
    assert set(paths) <= queued, f"the old code did not queue {sorted(set(paths) - queued)}"


def test_upgrade_leaves_every_queued_task_runnable(upgraded):
    conn = upgraded.db.connect()
    try:
        queued = sorted({r[0] for r in conn.execute(QUEUED).fetchall()})
    finally:
        conn.close()
    assert queued, "no task waiting after the upgrade: the old code's were dropped"
    result = manage(
        REPO, upgraded.db, upgraded.var, "shell", "-v", "0", "-c", f"PATHS = {queued!r}\n{RESOLVE_TASKS}"
    )
    assert result.returncode == 0, (
        f"tasks waiting since before the upgrade that the new code cannot run:\n"
        f"{result.stdout}{result.stderr[-3000:]}"
    )
