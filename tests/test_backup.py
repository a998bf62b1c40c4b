"""`saferstaff backup` and `saferstaff restore` (issue 17): a backup taken, the data and files changed, the
backup restored gives back every table's row count and every file's hash, and the audit trail verifies; a damaged
or edited archive is refused before anything changes; a backup never overwrites.

Runs on the database and storage the session runs on: SQLite and the filesystem here; PostgreSQL (pg_dump and
pg_restore of the server's version) in CI's PostgreSQL stage; the S3 bucket in CI's S3 stage. The tests commit
their rows (``transaction=True``): pg_dump and SQLite's backup connection see only committed data."""

import hashlib
import json
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections

from saferstaff.accounts.models import User
from saferstaff.audit.log import record, verify_chain
from saferstaff.audit.models import NO_SCHOOL_CHAIN, AuditEvent, Generation
from saferstaff.ops.backups import seal_of
from saferstaff.schools.models import RoleGrant

pytestmark = pytest.mark.django_db(transaction=True)

FILES = {
    "images/2026/12/class-photo.jpg": b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40,
    "scans/consent/form-17.pdf": b"%PDF-1.7\n" + b"paper consent form " * 300,
    "evidence/screenshot.png": b"\x89PNG\r\n\x1a\n" + b"\x00\x01" * 2000,
}


def table_counts() -> dict[str, int]:
    """Every table's rows, read with Django's own connection (not the code under test)."""
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def file_hashes(folder: str = "") -> dict[str, str]:
    try:
        dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return {}
    hashes = {}
    for name in files:
        path = f"{folder}/{name}" if folder else name
        with default_storage.open(path, "rb") as fh:
            hashes[path] = hashlib.sha256(fh.read()).hexdigest()
    for d in dirs:
        hashes |= file_hashes(f"{folder}/{d}" if folder else d)
    return hashes


def state() -> tuple[dict[str, int], dict[str, str]]:
    return table_counts(), file_hashes()


@pytest.fixture
def school(cast, storage):
    """The cast's schools with a few audited events and uploaded files."""
    for i in range(5):
        record("test.event", cast.member(cast.teacher), school=cast.school, detail={"n": i})
    record("test.event", cast.member(cast.other_teacher, cast.other_school), school=cast.other_school)
    for name, content in FILES.items():
        assert storage.save(name, ContentFile(content)) == name
    return cast


def change_everything(cast):
    """What happens after a backup: a row edited, rows deleted and added (audited), files changed and gone."""
    User.objects.filter(pk=cast.teacher.pk).update(first_name="Changed")
    RoleGrant.objects.filter(membership__user=cast.dsl).delete()
    record("test.after-backup", cast.member(cast.head), school=cast.school)
    default_storage.delete("scans/consent/form-17.pdf")
    default_storage.delete("images/2026/12/class-photo.jpg")
    default_storage.save("images/2026/12/class-photo.jpg", ContentFile(b"another photo"))
    default_storage.save("images/2026/12/uploaded-later.jpg", ContentFile(b"a later upload"))


def _no_school_generation_kept() -> bool:
    """Whether the database has a generation of events of no school yet. The row recording a restore belongs
    to no school and bumps it (ADR 0014: what the Overview kept before the restore is worked out again): a
    restored archive without it gains that row."""
    return Generation.objects.filter(scope=NO_SCHOOL_CHAIN).exists()


def test_backup_then_restore_gives_back_every_row_and_file_and_the_audit_trail_verifies(school, tmp_path):
    before, had_no_school_generation = state(), _no_school_generation_kept()
    dest = tmp_path / "backup"
    call_command("backup", str(dest))
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["tables"] == before[0]
    assert {n: f["sha256"] for n, f in manifest["storage"]["files"].items()} == before[1]
    assert set(before[1]) == set(FILES)

    change_everything(school)
    assert state() != before

    call_command("restore", str(dest), "--yes")

    # Identical, but for the one row that records the restore itself (written after the check), and the trust's
    # figures for the day worked out after it (none were kept when the backup was taken).
    counts, hashes = state()
    assert AuditEvent.objects.filter(action="server.restored", school_id=None).count() == 1
    counts["audit_auditevent"] -= 1
    assert before[0]["audit_keptfortheday"] == 0 < counts["audit_keptfortheday"]
    counts["audit_keptfortheday"] = 0
    counts["audit_generation"] -= not had_no_school_generation
    assert (counts, hashes) == before
    assert User.objects.get(pk=school.teacher.pk).first_name == "Tom"
    assert RoleGrant.objects.filter(membership__user=school.dsl).exists()
    assert not AuditEvent.objects.filter(action="test.after-backup").exists()
    assert verify_chain() == (AuditEvent.objects.count(), None)
    call_command("verify_audit")  # the operator's own check agrees


def test_a_backup_taken_while_the_school_keeps_writing_is_one_consistent_moment(school, tmp_path):
    """Online: audited writes go on in another thread (its own connection) all through the backup. The archive is
    one moment of the database: restored, every table holds the count the manifest says and the audit chain is
    whole (the restore's own check); the writes overlapped the backup (some in it, some after)."""
    stop, written = threading.Event(), []

    def keep_writing():
        try:
            while not stop.is_set():
                record("test.during-backup", school.member(school.head), school=school.school)
                written.append(1)
        finally:
            connections.close_all()  # this thread's own connection

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 5:
            time.sleep(0.01)
        call_command("backup", str(tmp_path / "backup"))
        at_backup = len(written)
        while len(written) < at_backup + 5:
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()
    in_archive = json.loads((tmp_path / "backup" / "manifest.json").read_text())["tables"]["audit_auditevent"]
    assert 6 + 5 <= in_archive < AuditEvent.objects.count()

    call_command("restore", str(tmp_path / "backup"), "--yes")  # non-zero exit on any count or the chain

    assert AuditEvent.objects.filter(action="test.during-backup").count() == in_archive - 6
    assert verify_chain() == (in_archive + 1, None)


def test_restore_undoes_an_upgrade_tables_made_since_the_backup_go(school, tmp_path):
    """The backup taken before an upgrade, restored after it: the database is the archive's again, tables a
    later migration made included (the restored django_migrations says they were never made)."""
    before, had_no_school_generation = table_counts(), _no_school_generation_kept()
    call_command("backup", str(tmp_path / "backup"))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE photos_made_by_a_later_version (id integer PRIMARY KEY)")
        cursor.execute("INSERT INTO photos_made_by_a_later_version VALUES (1)")
    call_command("restore", str(tmp_path / "backup"), "--yes")
    after = table_counts()
    assert "photos_made_by_a_later_version" not in after
    after["audit_auditevent"] -= 1  # the row recording the restore
    after["audit_generation"] -= not had_no_school_generation
    # The restore's last step works out each trust's figures for the day (ready for the first visit).
    assert before["audit_keptfortheday"] == 0 < after["audit_keptfortheday"]
    after["audit_keptfortheday"] = 0
    assert after == before


def test_restore_while_another_connection_is_open(school, tmp_path):
    """PostgreSQL: a web server or worker still connected keeps the restore from starting (nothing changes).
    SQLite cannot see another process's connections (it holds none between requests): the restore goes ahead
    under SQLite's locks, and a connection left open reads the restored database, whole."""
    call_command("backup", str(tmp_path / "backup"))
    change_everything(school)
    changed = state()
    if connection.vendor == "postgresql":
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        other.ensure_connection()
        try:
            with pytest.raises(CommandError, match="1 other session"):
                call_command("restore", str(tmp_path / "backup"), "--yes")
            assert state() == changed
        finally:
            other.close()
        call_command("restore", str(tmp_path / "backup"), "--yes")
    else:
        with sqlite3.connect(connection.settings_dict["NAME"]) as other:
            assert other.execute(
                "SELECT first_name FROM accounts_user WHERE id = ?", [school.teacher.pk]
            ).fetchone()
            call_command("restore", str(tmp_path / "backup"), "--yes")
            assert other.execute(
                "SELECT first_name FROM accounts_user WHERE id = ?", [school.teacher.pk]
            ).fetchone() == ("Tom",)
            assert other.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        other.close()
    assert User.objects.get(pk=school.teacher.pk).first_name == "Tom"


def test_the_manifest_describes_the_archive_and_holds_no_key(school, tmp_path):
    dest = tmp_path / "backup"
    call_command("backup", str(dest))
    assert dest.stat().st_mode & 0o077 == 0  # a new archive folder is its owner's alone
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["storage"]["backend"] == settings.STORAGE_BACKEND
    dump = dest / manifest["database"]["file"]
    assert hashlib.sha256(dump.read_bytes()).hexdigest() == manifest["database"]["sha256"]
    assert manifest["migrations"]["audit"].startswith("0")
    assert manifest["tables"]["audit_auditevent"] == AuditEvent.objects.count() == 6
    assert {"SECRET_KEY", "AUDIT_KEY", "FACE_TEMPLATE_KEY"} <= set(manifest["not_included"])
    keys = [settings.SECRET_KEY.encode(), settings.AUDIT_KEY, *settings.FACE_TEMPLATE_KEYS]
    for path in dest.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [k for k in keys if k in data], f"a key is in {path}"
    if connection.vendor == "sqlite":
        # A copy made with the online backup API: one self-contained file SQLite reads as whole.
        with sqlite3.connect(dump) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert not Path(f"{dump}-wal").exists()


@pytest.mark.parametrize(
    "damage",
    ["a byte of a file", "a byte of the database", "a file missing", "the manifest edited", "a file added"],
)
def test_a_damaged_archive_is_refused_before_anything_changes(school, tmp_path, damage):
    dest = tmp_path / "backup"
    call_command("backup", str(dest))
    manifest_path = dest / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    photo = dest / "files" / "images/2026/12/class-photo.jpg"
    dump = dest / manifest["database"]["file"]
    if damage == "a byte of a file":
        data = bytearray(photo.read_bytes())
        data[100] ^= 0x01
        photo.write_bytes(bytes(data))
        named = "files/images/2026/12/class-photo.jpg"
    elif damage == "a byte of the database":
        data = bytearray(dump.read_bytes())
        data[len(data) // 2] ^= 0x01
        dump.write_bytes(bytes(data))
        named = dump.name
    elif damage == "a file missing":
        (dest / "files" / "scans/consent/form-17.pdf").unlink()
        named = "files/scans/consent/form-17.pdf"
    elif damage == "the manifest edited":
        manifest["tables"]["accounts_user"] -= 1  # self-consistent, but the seal no longer matches
        manifest_path.write_text(json.dumps(manifest, indent=2))
        named = "manifest.json"
    else:
        (dest / "files" / "images" / "slipped-in.jpg").write_bytes(b"not from the backup")
        named = "files/images/slipped-in.jpg"
    change_everything(school)
    changed = state()

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(dest), "--yes")
    assert "Nothing restored" in str(refused.value) and named in str(refused.value)
    with pytest.raises(CommandError, match=named.replace(".", r"\.")):
        call_command("restore", str(dest), "--check")
    assert state() == changed
    assert User.objects.get(pk=school.teacher.pk).first_name == "Changed"


@pytest.mark.parametrize(
    ("edit", "refusal"),
    [
        ({"migrations": {"audit": "9999_from_a_later_version"}}, "made by a newer saferstaff"),
        ({"database": {"vendor": "other"}}, "the archive holds a other database"),
    ],
)
def test_an_archive_this_server_cannot_take_is_refused_before_anything_changes(
    school, tmp_path, edit, refusal
):
    """Sealed with the right key, so the seal passes: a later version's archive, or another engine's."""
    dest = tmp_path / "backup"
    call_command("backup", str(dest))
    manifest = json.loads((dest / "manifest.json").read_text())
    for part, values in edit.items():
        manifest[part] |= values
    manifest["seal"] = seal_of(manifest)
    (dest / "manifest.json").write_text(json.dumps(manifest))
    change_everything(school)
    changed = state()
    with pytest.raises(CommandError, match=refusal):
        call_command("restore", str(dest), "--yes")
    assert state() == changed


def test_restore_needs_yes_and_changes_nothing_without_it(school, tmp_path):
    dest = tmp_path / "backup"
    call_command("backup", str(dest))
    change_everything(school)
    changed = state()
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(dest))
    assert state() == changed
    call_command("restore", str(dest), "--check")  # an intact archive passes the check, which changes nothing
    assert state() == changed


def test_a_backup_never_overwrites(school, tmp_path):
    dest = tmp_path / "backup"
    dest.mkdir()
    (dest / "earlier.txt").write_text("kept")
    with pytest.raises(CommandError, match="already exists and is not an empty folder"):
        call_command("backup", str(dest))
    assert [p.name for p in dest.iterdir()] == ["earlier.txt"]
    a_file = tmp_path / "a-file"
    a_file.write_text("kept")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(a_file))
    assert a_file.read_text() == "kept"
    empty = tmp_path / "empty"
    empty.mkdir()
    call_command("backup", str(empty))
    assert (empty / "manifest.json").is_file()


def test_restore_refuses_a_folder_that_is_not_a_backup(school, tmp_path):
    with pytest.raises(CommandError, match="no manifest.json"):
        call_command("restore", str(tmp_path), "--yes")
    half = tmp_path / "half"
    call_command("backup", str(half))
    (half / "manifest.json").unlink()  # as a backup cut short leaves it: the manifest is written last
    with pytest.raises(CommandError, match="no manifest.json"):
        call_command("restore", str(half), "--yes")
    shutil.rmtree(half)
