"""A backup is one folder: the database, every file of the default storage, and ``manifest.json``.

    DEST/manifest.json        what is in the archive, sealed (HMAC, a key derived from AUDIT_KEY)
    DEST/database.sqlite3     SQLite: a copy made with SQLite's online backup API (consistent while the app runs)
    DEST/database.pgdump      PostgreSQL: ``pg_dump -Fc`` of one snapshot
    DEST/files/NAME           each file of the default storage (MEDIA_ROOT, or the S3 bucket) under its own name

The manifest lists the row count of every table (counted in the very snapshot that was dumped), the SHA-256 of
the database copy and of each file, and the applied migrations. ``restore`` checks the seal and every hash before
it touches anything, restores, then checks the counts, the hashes and the audit chains again.

No key is ever written: SECRET_KEY, AUDIT_KEY and FACE_TEMPLATE_KEY (and the evidence signing key) stay apart
from backups. Whoever holds a database and AUDIT_KEY together could rewrite the audit trail; a database and
FACE_TEMPLATE_KEY together open every pupil's face template."""

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from saferstaff.audit.log import record, verify_chain
from saferstaff.audit.models import derived_key

FORMAT = "saferstaff backup 1"
MANIFEST = "manifest.json"
FILES = "files"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024
NOT_INCLUDED = {
    "SECRET_KEY": "signs sessions and links; set it again on the restored server",
    "AUDIT_KEY": "seals the audit trail: with the database it could rewrite the trail; keep it apart",
    "FACE_TEMPLATE_KEY": "seals pupils' face templates (biometric data): with the database it opens them",
    "EVIDENCE_SIGNING_KEY": "signs chronologies; keep the key and certificate apart, as the README says",
}


class BackupRefused(Exception):
    """A backup or restore that must not go ahead; the message says why and what to do."""


# ------------------------------------------------------------------------------------------- helpers ---
def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def seal_of(manifest: dict) -> str:
    """HMAC of the manifest without its seal: an edit by anyone without AUDIT_KEY shows."""
    body = json.dumps(
        {k: v for k, v in manifest.items() if k != "seal"}, sort_keys=True, separators=(",", ":")
    )
    return hmac.new(
        derived_key(settings.AUDIT_KEY, "backup manifest"), body.encode(), hashlib.sha256
    ).hexdigest()


def _vendor() -> str:
    if connection.vendor not in DUMPS:
        raise BackupRefused(f"backups cover SQLite and PostgreSQL, not {connection.vendor}")
    return connection.vendor


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts:
        raise BackupRefused(f"the manifest names a file outside the archive: {name!r}")
    return path


def _version() -> str:
    try:
        return metadata.version("saferstaff")
    except metadata.PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------------------------------- databases ---
def _sqlite_tables(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def _migration_heads(execute) -> dict[str, str]:
    """The newest applied migration of each app (their names are numbered)."""
    return dict(sorted(execute("SELECT app, MAX(name) FROM django_migrations GROUP BY app")))


def _dump_sqlite(target: Path) -> tuple[dict[str, int], dict[str, str]]:
    if not Path(connection.settings_dict["NAME"]).is_file():
        raise BackupRefused(f"there is no database at {connection.settings_dict['NAME']}: check DATABASE_URL")
    live = sqlite3.connect(connection.settings_dict["NAME"], timeout=20)
    copy = sqlite3.connect(target)
    try:
        live.backup(copy)  # the online backup API: one consistent copy while the app keeps running
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        problem = copy.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise BackupRefused(f"the copy of the database fails SQLite's check: {problem}")
        # Counted in the copy itself, so they are the counts of exactly what was saved.
        return _sqlite_tables(copy), _migration_heads(lambda sql: copy.execute(sql).fetchall())
    finally:
        copy.close()
        live.close()


def _pg_tool(name: str, pg_bin: Path | None) -> str:
    """pg_dump/pg_restore of the server's own major version (Debian keeps one folder per version)."""
    major = connection.pg_version // 10000
    for folder in [pg_bin, Path(f"/usr/lib/postgresql/{major}/bin")]:
        if folder and (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise BackupRefused(
            f"{name} not found: install the PostgreSQL {major} client (apt-get install postgresql-client-{major}) "
            "or give its folder with --pg-bin"
        )
    return found


def _pg_run(tool: str, args: list[str]) -> None:
    """Run a PostgreSQL client on the configured database; the password goes in PGPASSWORD, never the command
    line (other users of the machine can read command lines)."""
    cfg = connection.settings_dict
    env = os.environ | {"PGPASSWORD": str(cfg.get("PASSWORD") or "")}
    if cfg.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = cfg["OPTIONS"]["sslmode"]
    where = ["--no-password", "--dbname", cfg["NAME"]]
    where += ["--host", cfg["HOST"]] if cfg.get("HOST") else []
    where += ["--port", str(cfg["PORT"])] if cfg.get("PORT") else []
    where += ["--username", cfg["USER"]] if cfg.get("USER") else []
    result = subprocess.run(
        [tool, *args, *where], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        raise BackupRefused(
            f"{Path(tool).name} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}"
        )


def _pg_tables(db, cursor) -> dict[str, int]:
    return {
        table: cursor.execute(f"SELECT COUNT(*) FROM {db.ops.quote_name(table)}").fetchone()[0]
        for table in sorted(db.introspection.table_names(cursor))
    }


def _dump_postgres(target: Path, pg_bin: Path | None) -> tuple[dict[str, int], dict[str, str]]:
    tool = _pg_tool("pg_dump", pg_bin)
    own = connections.create_connection(DEFAULT_DB_ALIAS)  # our own, whatever Django's is doing
    try:
        own.set_autocommit(False)
        with own.cursor() as cursor:
            # pg_dump dumps this transaction's snapshot, and the counts are read in it: they describe the dump.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _pg_run(tool, ["--format=custom", f"--snapshot={snapshot}", "--file", str(target)])
            counts = _pg_tables(own, cursor)

            def execute(sql):
                cursor.execute(sql)
                return cursor.fetchall()

            heads = _migration_heads(execute)
        own.rollback()
        return counts, heads
    finally:
        own.close()


def _live_counts() -> dict[str, int]:
    if connection.vendor == "sqlite":
        live = sqlite3.connect(connection.settings_dict["NAME"], timeout=20)
        try:
            return _sqlite_tables(live)
        finally:
            live.close()
    with connection.cursor() as cursor:
        return _pg_tables(connection, cursor)


# -------------------------------------------------------------------------------------------- files ---
def storage_names(folder: str = "") -> list[str]:
    """Every file in the default storage (a folder tree on disk, or a bucket's keys), through the storage API."""
    try:
        dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:  # a filesystem storage nothing was ever uploaded to
        return []
    names = [f"{folder}/{f}" if folder else f for f in files]
    for d in dirs:
        names += storage_names(f"{folder}/{d}" if folder else d)
    return sorted(names)


def storage_hash(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_out(name: str, target: Path) -> dict:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with default_storage.open(name, "rb") as fh, target.open("wb") as out:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "bytes": size}


# ------------------------------------------------------------------------------------------- backup ---
def make_backup(dest: Path, *, pg_bin: Path | None = None) -> dict:
    """Write an archive into ``dest`` (a new or empty folder). Returns the manifest."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupRefused(
            f"{dest} already exists and is not an empty folder: a backup never overwrites; name a new one"
        )
    vendor = _vendor()
    created_folder = not dest.exists()
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds every child's data: its owner's eyes only
    try:
        dump = dest / DUMPS[vendor]
        tables, heads = _dump_sqlite(dump) if vendor == "sqlite" else _dump_postgres(dump, pg_bin)
        # The files after the database: a file uploaded meanwhile is in the archive with no row yet (harmless);
        # one deleted meanwhile is listed under "vanished".
        files, vanished = {}, []
        for name in storage_names():
            try:
                files[name] = _copy_out(name, dest / FILES / _safe_name(name))
            except FileNotFoundError:
                vanished.append(name)
        manifest = {
            "format": FORMAT,
            "created": timezone.now().isoformat(timespec="seconds"),
            "saferstaff_version": _version(),
            "migrations": heads,
            "database": {
                "vendor": vendor,
                "file": dump.name,
                "sha256": _sha256_file(dump),
                "bytes": dump.stat().st_size,
            },
            "tables": tables,
            "storage": {"backend": settings.STORAGE_BACKEND, "files": files, "vanished": vanished},
            "not_included": NOT_INCLUDED,
        }
        manifest["seal"] = seal_of(manifest)
        # Written last: a folder without a manifest is not an archive, so a backup cut short is never restored.
        (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    except BaseException:
        if created_folder:
            shutil.rmtree(dest, ignore_errors=True)
        else:
            for child in dest.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
    return manifest


# ------------------------------------------------------------------------------------------ restore ---
def check_archive(src: Path) -> dict:
    """The archive's manifest, once its seal and every hash it lists are right and nothing is missing or extra.
    Reads only the archive: a damaged one is refused before anything is touched, naming what is wrong."""
    src = Path(src)
    path = src / MANIFEST
    if not path.is_file():
        raise BackupRefused(f"{src} is not a saferstaff backup: it has no {MANIFEST}")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupRefused(f"{path} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"{path} is not a manifest this version reads (format {FORMAT!r})")
    if not hmac.compare_digest(str(manifest.get("seal", "")), seal_of(manifest)):
        raise BackupRefused(
            f"{path} was edited after the backup, or AUDIT_KEY is not the key the backup was made with: "
            "its seal does not match"
        )
    expected = {str(_safe_name(manifest["database"]["file"])): manifest["database"]["sha256"]}
    expected |= {f"{FILES}/{_safe_name(n)}": f["sha256"] for n, f in manifest["storage"]["files"].items()}
    for name, sha in sorted(expected.items()):
        if not (src / name).is_file():
            raise BackupRefused(f"the archive is missing {name}")
        if _sha256_file(src / name) != sha:
            raise BackupRefused(f"{name} in the archive is damaged: its SHA-256 is not the manifest's")
    present = {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()} - {MANIFEST}
    if extra := sorted(present - set(expected)):
        raise BackupRefused(f"the archive holds files the manifest does not list: {', '.join(extra[:5])}")
    if manifest["database"]["vendor"] != _vendor():
        raise BackupRefused(
            f"the archive holds a {manifest['database']['vendor']} database; this server uses {connection.vendor}"
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    if unknown := sorted(f"{a}.{n}" for a, n in manifest["migrations"].items() if (a, n) not in known):
        raise BackupRefused(
            f"the archive was made by a newer saferstaff (migrations {', '.join(unknown)} are unknown here): "
            "upgrade this server's code first"
        )
    return manifest


def _restore_sqlite(dump: Path) -> None:
    connections.close_all()
    copy = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    live = sqlite3.connect(connection.settings_dict["NAME"], timeout=20)
    try:
        copy.backup(live)  # page by page into the live file, under SQLite's own locks (no half-copied file)
    finally:
        live.close()
        copy.close()


def _refuse_if_in_use() -> None:
    """PostgreSQL lists every session on the database: a web server or worker still connected (they keep
    their connections, CONN_MAX_AGE) would go on writing into the restored database. SQLite cannot tell: it keeps
    no list of who has the file open, so the README asks to stop them first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(NULLIF(application_name, ''), 'pid ' || pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid"
        )
        others = [r[0] for r in cursor.fetchall()]
    if others:
        raise BackupRefused(
            f"{len(others)} other session(s) are connected to the database ({', '.join(others[:5])}): stop the web "
            "server and workers (with PgBouncer, KILL the database on its console) and run the restore again"
        )


def _restore_postgres(dump: Path, tables: dict[str, int], pg_bin: Path | None) -> None:
    tool = _pg_tool("pg_restore", pg_bin)
    connections.close_all()
    # One transaction: a restore that fails part-way leaves the database as it was.
    _pg_run(
        tool, ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error", str(dump)]
    )
    # --clean drops only what the dump holds. Tables made since (by a later version's migrations, when an
    # upgrade is undone) go too, as they do with SQLite's whole-file copy: the restored django_migrations says
    # they were never made, and `migrate` makes them again.
    with connection.cursor() as cursor:
        for table in sorted(set(connection.introspection.table_names(cursor)) - set(tables)):
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")


def _restore_files(src: Path, manifest: dict) -> tuple[int, int]:
    """Make the default storage hold exactly the archive's files. Returns (written, removed)."""
    wanted = manifest["storage"]["files"]
    written = removed = 0
    for name in storage_names():
        if name not in wanted:
            # Uploaded after the backup: no restored row refers to it, and a child's photo must not linger.
            default_storage.delete(name)
            removed += 1
        elif storage_hash(name) == wanted[name]["sha256"]:
            continue
        else:
            default_storage.delete(name)
    for name in sorted(wanted):
        if default_storage.exists(name):
            continue
        # Under its own name, the name being free now (a storage that renamed it anyway shows in the check).
        with (src / FILES / _safe_name(name)).open("rb") as fh:
            default_storage.save(name, File(fh, name=PurePosixPath(name).name))
        written += 1
    return written, removed


@dataclass
class RestoreReport:
    tables: int = 0
    rows: int = 0
    files_written: int = 0
    files_removed: int = 0
    audit_rows: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def restore_archive(src: Path, *, pg_bin: Path | None = None) -> RestoreReport:
    """Replace the database and the files with the archive's, then check them against the manifest and
    verify the audit chains. Stop the web server and workers first."""
    src = Path(src)
    manifest = check_archive(src)
    if connection.vendor == "postgresql":
        _refuse_if_in_use()
    dump = src / manifest["database"]["file"]
    if manifest["database"]["vendor"] == "sqlite":
        _restore_sqlite(dump)
    else:
        _restore_postgres(dump, manifest["tables"], pg_bin)
    report = RestoreReport()
    report.files_written, report.files_removed = _restore_files(src, manifest)
    verify_restore(manifest, report)
    if not report.problems:
        # After the check, so the trail says a restore happened: rows written after the backup are gone, and a
        # daily head newer than the backup no longer matches (verify_audit --head says so).
        record("server.restored", detail={"backup_created": manifest["created"], "tables": report.tables})
    return report


def verify_restore(manifest: dict, report: RestoreReport) -> RestoreReport:
    counts = _live_counts()
    for table, rows in sorted(manifest["tables"].items()):
        if counts.get(table) != rows:
            report.problems.append(
                f"table {table}: {counts.get(table, 'missing')} row(s), the archive had {rows}"
            )
    report.problems += [
        f"table {t}: not in the archive" for t in sorted(set(counts) - set(manifest["tables"]))
    ]
    report.tables, report.rows = len(manifest["tables"]), sum(manifest["tables"].values())
    files = manifest["storage"]["files"]
    present = storage_names()
    for name in sorted(set(files) | set(present)):
        if name not in present:
            report.problems.append(f"file {name}: missing after the restore")
        elif name not in files:
            report.problems.append(f"file {name}: not in the archive")
        elif storage_hash(name) != files[name]["sha256"]:
            report.problems.append(f"file {name}: its SHA-256 is not the archive's")
    report.audit_rows, broken = verify_chain()
    if broken:
        report.problems.append(f"audit trail broken in {broken}")
    code_heads = {
        app: name for app, name in MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()
    }
    if any(code_heads.get(app) != name for app, name in manifest["migrations"].items()):
        report.notes.append("the archive was made by an earlier saferstaff: run `saferstaff migrate` now")
    return report
