import datetime
import hashlib
import io
import json
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit import log as audit_log
from saferstaff.audit.context import acting_as
from saferstaff.audit.heads import current_heads, email_head, publish_heads
from saferstaff.audit.log import record, verify_chain
from saferstaff.audit.models import GENESIS, LEGACY_CHAIN, AppendOnly, AuditEvent, Version
from saferstaff.audit.trail import rows_for
from saferstaff.notifications.models import SentEmail
from saferstaff.photos.library import add_images
from saferstaff.schools.models import Pupil, Role

from .conftest import make_person, signed_in
from .image_samples import add_device, approved_activity, jpeg


@pytest.fixture
def chain(db):
    with acting_as(actor_id=7, school_id=3, request_id="req-1"):
        return [record("test.event", ("schools.pupil", n), detail={"n": n}) for n in range(1, 6)]


def test_each_event_holds_the_hash_of_the_one_before(chain):
    assert chain[0].prev_hash == GENESIS and chain[0].seq == 1
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.prev_hash == before.hash and after.seq == before.seq + 1
    assert verify_chain() == (5, None)


def test_events_carry_actor_school_and_request_from_the_context(chain):
    event = AuditEvent.objects.get(seq=1)
    assert (event.actor_id, event.school_id, event.request_id) == (7, 3, "req-1")
    assert (event.object_type, event.object_id) == ("schools.pupil", "1")


def test_each_school_has_its_own_chain_and_rows_with_no_school_one_more(chain):
    other = record("test.event", ("x", 1), school=4)
    loose = record("test.event", ("x", 2), school=None)
    assert (other.chain, other.seq, other.prev_hash) == (4, 1, GENESIS)
    assert (loose.chain, loose.seq) == (0, 1)
    mine = record("test.event", ("x", 3), school=3)
    assert (mine.chain, mine.seq, mine.prev_hash) == (3, 6, chain[-1].hash)
    assert verify_chain() == (8, None)


def test_rows_are_sealed_with_the_key_not_a_plain_hash(chain, settings):
    event = chain[2]
    assert event.v == Version.HMAC_SHA256
    settings.AUDIT_KEY = b"another installation's key, 32 bytes or more"
    assert event.compute_hash() != event.hash
    checked, broken = verify_chain()
    assert checked == 0 and broken.seq == 1 and "changed" in broken.problem


def test_the_model_refuses_to_change_or_delete_an_event(chain):
    with pytest.raises(AppendOnly):
        chain[0].save()
    with pytest.raises(AppendOnly):
        chain[0].delete()


def _raw(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)


def test_verify_names_an_edited_row(chain):
    _raw("UPDATE audit_auditevent SET object_id = %s WHERE seq = 3", ["99"])
    checked, broken = verify_chain()
    assert checked == 2 and broken.seq == 3 and "changed" in broken.problem


def _rehash_from(seq: int, chain_id: int, hasher) -> None:
    """What someone with the database but not the key can do: recompute every hash from ``seq`` on."""
    prev = AuditEvent.objects.get(chain=chain_id, seq=seq - 1).hash if seq > 1 else GENESIS
    for event in AuditEvent.objects.filter(chain=chain_id, seq__gte=seq).order_by("seq"):
        event.prev_hash = prev
        prev = hasher(event)
        _raw(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [event.prev_hash, prev, event.pk],
        )


def test_editing_a_row_and_recomputing_the_later_hashes_without_the_key_is_caught(chain):
    _raw("UPDATE audit_auditevent SET object_id = %s WHERE seq = 3", ["99"])
    # The old, unkeyed way (plain SHA-256), and a guessed key: neither reproduces the seal.
    _rehash_from(
        3, 3, lambda e: hashlib.sha256(json.dumps([e.seq, e.object_id, e.prev_hash]).encode()).hexdigest()
    )
    checked, broken = verify_chain()
    assert checked == 2 and broken.seq == 3 and "changed" in broken.problem
    _rehash_from(3, 3, lambda e: e.compute_hash(key=b"a guessed key"))
    assert verify_chain()[1].seq == 3


def test_with_the_key_a_rewrite_would_pass_which_is_why_the_key_is_not_in_the_database(chain):
    # The control for the test above: the recomputation itself is right; only the key is missing.
    _raw("UPDATE audit_auditevent SET object_id = %s WHERE seq = 3", ["99"])
    _rehash_from(3, 3, lambda e: e.compute_hash())
    assert verify_chain() == (5, None)


def test_verify_names_the_row_after_a_deleted_one(chain):
    _raw("DELETE FROM audit_auditevent WHERE seq = 2")
    checked, broken = verify_chain()
    assert broken.seq == 3 and "missing" in broken.problem


def test_verify_names_an_inserted_row(chain):
    # Someone shifts rows 4-5 up and slips a forged row in as seq 4 with a made-up hash.
    _raw("UPDATE audit_auditevent SET seq = seq + 100 WHERE seq >= 4")
    _raw("UPDATE audit_auditevent SET seq = seq - 99 WHERE seq >= 100")
    forged = AuditEvent(chain=3, school_id=3, seq=4, action="forged", prev_hash="f" * 64, hash="e" * 64)
    forged.save()
    checked, broken = verify_chain()
    assert broken.seq == 4 and checked == 3


def test_verify_audit_command_exits_non_zero_naming_the_row(chain, capsys):
    call_command("verify_audit")
    assert "5 row(s) checked" in capsys.readouterr().out
    _raw("UPDATE audit_auditevent SET action = 'x' WHERE seq = 4")
    with pytest.raises(CommandError, match="school 3's chain, row seq=4"):
        call_command("verify_audit")


def test_verify_walks_more_rows_than_one_batch(db):
    for n in range(12):
        record("bulk", ("x", n))
    assert verify_chain(batch_size=5) == (12, None)


# --- Rows written before chains were keyed ------------------------------------------------------------------


def _legacy_rows(n: int) -> list[AuditEvent]:
    """Rows as the first version wrote them: one chain for every school, plain SHA-256."""
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        event = AuditEvent(
            v=Version.SHA256,
            chain=LEGACY_CHAIN,
            seq=seq,
            at=timezone.now(),
            school_id=seq % 2 + 3,
            action="old.event",
            object_type="x",
            object_id=str(seq),
            prev_hash=prev,
        )
        event.hash = prev = event.compute_hash()
        event.save()
        rows.append(event)
    return rows


def test_rows_from_before_the_upgrade_still_verify_and_the_new_chains_start_from_them(db):
    old = _legacy_rows(4)
    new = [record("new.event", ("x", 1), school=3), record("new.event", ("x", 1), school=4)]
    assert all(event.prev_hash == old[-1].hash and event.seq == 1 for event in new)
    assert verify_chain() == (6, None)


def test_cutting_the_old_rows_short_is_caught_by_the_first_keyed_row(db):
    _legacy_rows(4)
    record("new.event", ("x", 1), school=3)
    _raw("DELETE FROM audit_auditevent WHERE chain = -1 AND seq = 4")
    checked, broken = verify_chain()
    assert (broken.chain, broken.seq) == (3, 1) and "before keyed chains" in broken.problem


def test_rewriting_the_old_rows_with_their_plain_hash_is_caught_by_the_first_keyed_row(db):
    _legacy_rows(4)
    record("new.event", ("x", 1), school=3)
    _raw("UPDATE audit_auditevent SET object_id = '99' WHERE chain = -1 AND seq = 2")
    _rehash_from(2, LEGACY_CHAIN, lambda e: e.compute_hash())
    checked, broken = verify_chain()
    assert checked == 4 and (broken.chain, broken.seq) == (3, 1)


def test_a_plain_hash_row_slipped_into_a_keyed_chain_is_caught(chain):
    forged = AuditEvent(
        v=Version.SHA256,
        chain=3,
        school_id=3,
        seq=6,
        at=timezone.now(),
        action="forged",
        prev_hash=chain[-1].hash,
    )
    forged.hash = forged.compute_hash()
    forged.save()
    assert verify_chain()[1].seq == 6


# --- The signed daily head --------------------------------------------------------------------------------


def test_a_valid_chain_passes_with_its_head(chain, tmp_path, capsys):
    record("test.event", ("x", 1), school=None)
    files = publish_heads(tmp_path, email=False)
    assert sorted(p.name for p in files) == ["no-school.json", "school-3.json"]
    call_command("verify_audit", "--head", str(files[0].parent))
    assert "6 row(s) checked, 2 head(s) found" in capsys.readouterr().out


def test_deleting_the_newest_rows_passes_the_chain_but_not_the_head(chain, tmp_path):
    (head_file,) = publish_heads(tmp_path, email=False)
    _raw("DELETE FROM audit_auditevent WHERE seq >= 4")
    assert verify_chain() == (3, None)  # a shorter chain is still a chain: only the head tells
    with pytest.raises(
        CommandError, match="ended at row seq=5; it now ends at seq=3: the newest rows were deleted"
    ):
        call_command("verify_audit", "--head", str(head_file))


def test_a_head_whose_row_was_replaced_is_caught(chain, tmp_path):
    (head_file,) = publish_heads(tmp_path, email=False)
    _raw("DELETE FROM audit_auditevent WHERE seq = 5")
    record("test.event", ("x", 1), school=3)  # a new row 5, correctly sealed
    with pytest.raises(CommandError, match="was replaced"):
        call_command("verify_audit", "--head", str(head_file))


def test_a_head_edited_or_signed_with_another_key_is_refused(chain, tmp_path, settings):
    (head_file,) = publish_heads(tmp_path, email=False)
    head = json.loads(head_file.read_text())
    head_file.write_text(json.dumps({**head, "seq": 2}))
    with pytest.raises(CommandError, match="signature does not match"):
        call_command("verify_audit", "--head", str(head_file))
    with pytest.raises(CommandError, match="Cannot read the head"):
        call_command("verify_audit", "--head", str(tmp_path / "missing.json"))


def test_the_daily_head_goes_to_the_dpo_and_names_no_one(cast, tmp_path, settings, capsys):
    settings.AUDIT_HEAD_DIR = tmp_path
    record("pupil.viewed", ("schools.pupil", 12), school=cast.school)
    call_command("audit_head")
    assert "1 audit head(s) written" in capsys.readouterr().out
    (message,) = mail.outbox
    assert message.to == [cast.dpo.email]
    (head,) = current_heads()
    assert head["school"] == cast.school.pk and head["hash"] in message.body
    for name in (cast.dpo.first_name, cast.head.last_name, "pupil.viewed", "schools.pupil"):
        assert name not in message.body
    # Pasted back from the email, the head still checks.
    pasted = tmp_path / "from-email.txt"
    pasted.write_text(message.body)
    call_command("verify_audit", "--head", str(pasted))


def test_a_seal_email_that_cannot_leave_is_sent_once_when_the_mail_server_is_back(cast, tmp_path, settings):
    """The head's email is a job of its own: with the SMTP server down the file is still written and the job
    fails with a connection error (the worker runs such a job again later, ops.worker.TRANSIENT); run again
    once the server is back it sends the email, and a third run sends nothing more."""
    settings.AUDIT_HEAD_DIR = tmp_path
    record("pupil.viewed", ("schools.pupil", 12), school=cast.school)
    working = settings.MAILERS
    settings.MAILERS = {  # nothing listens on port 9
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    (written,) = publish_heads(tmp_path)
    assert written.exists() and mail.outbox == []
    assert not SentEmail.objects.filter(key__startswith="audit-head:").exists()
    with pytest.raises(OSError):
        email_head.call(cast.school.pk, written.read_text())
    settings.MAILERS = working
    email_head.call(cast.school.pk, written.read_text())
    email_head.call(cast.school.pk, written.read_text())
    (message,) = mail.outbox
    assert message.to == [cast.dpo.email] and json.loads(written.read_text())["hash"] in message.body


def test_run_daily_writes_the_heads(cast, tmp_path, settings):
    settings.AUDIT_HEAD_DIR = tmp_path
    record("pupil.viewed", ("schools.pupil", 12), school=cast.school)
    call_command("run_daily", stdout=io.StringIO())
    assert (tmp_path / timezone.localdate().isoformat() / f"school-{cast.school.pk}.json").exists()


# --- Page views: one row per page ------------------------------------------------------------------------


@pytest.fixture
def three_photos(cast, storage):
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    files = [(f"{n}.jpg", jpeg(colour=(n * 80, 9, 9))) for n in range(3)]
    images = add_images(activity, files, by=cast.teacher)
    return activity, images


def _view_with_thumbnails(client, url) -> list[str]:
    page = client.get(url)
    assert page.status_code == 200
    srcs = [
        src.replace("&amp;", "&")
        for src in re.findall(r'<img src="([^"]+/thumbnail/[^"]*)"', page.content.decode())
    ]
    for src in srcs:
        response = client.get(src)
        assert response.status_code == 200 and b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    return srcs


@pytest.mark.parametrize("page", ["image_list", "activity_detail"])
def test_a_page_of_images_is_one_audit_row_listing_them_and_it_covers_their_thumbnails(
    cast, three_photos, page
):
    activity, images = three_photos
    kwargs = {"school": cast.school.slug} | ({"pk": activity.pk} if page == "activity_detail" else {})
    last = AuditEvent.objects.order_by("-pk").first().pk
    srcs = _view_with_thumbnails(signed_in(cast.head), reverse(page, kwargs=kwargs))
    assert len(srcs) == 3
    (row,) = AuditEvent.objects.filter(pk__gt=last)
    assert (row.action, row.actor_id, row.school_id) == ("images.listed", cast.head.pk, cast.school.pk)
    assert sorted(row.detail["images"]) == sorted(i.pk for i in images)


def test_a_thumbnail_not_covered_by_the_viewers_own_recent_listing_is_recorded_on_its_own(
    cast, three_photos, monkeypatch
):
    activity, (image, *_) = three_photos
    head = signed_in(cast.head)
    dsls_page = signed_in(cast.dsl).get(reverse("image_list", kwargs={"school": cast.school.slug}))
    dsls_listing = AuditEvent.objects.filter(action="images.listed", actor_id=cast.dsl.pk).get()
    assert dsls_page.status_code == 200
    other_image = add_images(activity, [("x.jpg", jpeg(colour=(200, 1, 1)))], by=cast.teacher)[0]
    head.get(reverse("image_list", kwargs={"school": cast.school.slug}) + f"?activity={activity.pk}&page=9")
    heads_listing = AuditEvent.objects.filter(action="images.listed", actor_id=cast.head.pk).latest("pk")
    thumbnail = reverse("image_thumbnail", kwargs={"school": cast.school.slug, "pk": other_image.pk})
    for query in ("", f"?listing={dsls_listing.pk}", "?listing=99999999999999999999999", "?listing=x"):
        last = AuditEvent.objects.order_by("-pk").first().pk
        assert head.get(thumbnail + query).status_code == 200
        (row,) = AuditEvent.objects.filter(pk__gt=last)
        assert (row.action, row.object_id) == ("images.thumbnail_viewed", str(other_image.pk)), query
    # The head's own listing that showed the image covers it — but not once it is more than an hour old.
    assert other_image.pk in heads_listing.detail["images"]
    last = AuditEvent.objects.order_by("-pk").first().pk
    assert head.get(thumbnail + f"?listing={heads_listing.pk}").status_code == 200
    assert not AuditEvent.objects.filter(pk__gt=last).exists()
    monkeypatch.setattr(audit_log, "LISTING_COVERS", datetime.timedelta(0))
    head.get(thumbnail + f"?listing={heads_listing.pk}")
    assert AuditEvent.objects.filter(pk__gt=last, action="images.thumbnail_viewed").count() == 1


def test_a_clients_request_id_is_not_trusted_unless_the_operator_says_so(client, settings):
    sent = "forged-request-id-1"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=sent)["X-Request-ID"] != sent
    settings.TRUST_REQUEST_ID_HEADER = True
    assert client.get("/healthz", HTTP_X_REQUEST_ID=sent)["X-Request-ID"] == sent


# --- The audit trail page ---------------------------------------------------------------------------------


def _trail(user, **query):
    return signed_in(user).get(reverse("audit_trail", kwargs={"school": "westfield-infant"}), query)


@pytest.fixture
def trail(cast):
    amelia = Pupil.objects.create(
        school=cast.school,
        legal_forename="Amelia",
        legal_surname="Oakes",
        date_of_birth=datetime.date(2019, 3, 1),
    )
    noah = Pupil.objects.create(
        school=cast.school,
        legal_forename="Noah",
        legal_surname="Reed",
        date_of_birth=datetime.date(2019, 4, 1),
    )
    record("pupil.viewed", amelia, actor=cast.dsl)
    record("pupil.viewed", noah, actor=cast.office)
    record("images.consent.register_viewed", None, school=cast.school, actor=cast.office,
           detail={"pupils": [noah.pk, amelia.pk]})  # fmt: skip
    record("role.granted", cast.member(cast.teacher), actor=cast.head, detail={"role": "dsl"})
    old = record("membership.viewed", cast.member(cast.teacher), actor=cast.dsl)
    _raw(
        "UPDATE audit_auditevent SET at = %s WHERE id = %s",
        [timezone.now() - datetime.timedelta(days=40), old.pk],
    )
    return {"amelia": amelia, "noah": noah, "old": old}


def test_the_trail_shows_who_did_what_to_which_record_with_names(cast, trail):
    response = _trail(cast.head)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Dawn Dsl" in page and "Opened a pupil&#x27;s record" in page and "Amelia Oakes" in page
    assert "Gave a role" in page and "role: dsl" in page and "Tom Teacher" in page
    assert AuditEvent.objects.filter(
        action="audit.viewed", actor_id=cast.head.pk, school_id=cast.school.pk
    ).exists()


def test_the_trail_filters_by_person(cast, trail):
    page = _trail(cast.dpo, person=cast.office.pk).content.decode()
    assert "Noah Reed" in page and "Saw the consent register" in page
    assert "Amelia Oakes" not in page and "Gave a role" not in page


def test_the_trail_filters_by_record_and_finds_the_lists_that_showed_it(cast, trail):
    page = _trail(cast.head, record_type="schools.pupil", record_id=trail["amelia"].pk).content.decode()
    assert "Amelia Oakes" in page and "Saw the consent register" in page and "Noah Reed" not in page
    assert "Gave a role" not in page
    page = _trail(cast.head, record_type="schools.membership").content.decode()
    assert "Gave a role" in page and "Opened a staff record" in page and "Amelia" not in page


def test_the_trail_filters_by_date_range(cast, trail):
    today = timezone.localdate()
    page = _trail(cast.head, date_from=today.isoformat(), date_to=today.isoformat()).content.decode()
    assert "Gave a role" in page and "Opened a staff record" not in page
    old_day = (today - datetime.timedelta(days=40)).isoformat()
    page = _trail(cast.head, date_from=old_day, date_to=old_day).content.decode()
    assert "Opened a staff record" in page and "Gave a role" not in page


def test_the_trail_is_paged(cast, trail):
    for _ in range(55):
        record("pupil.viewed", trail["noah"], actor=cast.office)
    first = _trail(cast.head).content.decode()
    assert first.count('<tr class="govuk-table__row">') == 51 and "Page 1 of 2" in first  # 50 rows + header
    second = _trail(cast.head, page=2).content.decode()
    assert "Page 2 of 2" in second and second.count('<tr class="govuk-table__row">') > 1


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"record_id": "12"}, "record_type", "Choose the type of record"),
        ({"record_type": "schools.pupil", "record_id": "12; drop"}, "record_id", "in digits"),
        ({"record_type": "no.such"}, "record_type", "Select a valid choice"),
        ({"person": "99999999"}, "person", "Select a valid choice"),
        ({"date_from": "31/02/2026"}, "date_from", "Enter a valid date"),
        ({"date_from": "2026-12-02", "date_to": "2026-12-01"}, "date_to", "same as or after"),
    ],
)
def test_bad_filters_are_named_never_a_500(cast, trail, query, field, message):
    response = _trail(cast.head, **query)
    page = response.content.decode()
    assert response.status_code == 200 and f'href="#id_{field}"' in page and message in page


def test_only_the_head_and_the_dpo_read_the_trail_and_only_their_own_schools(cast, trail):
    assert _trail(cast.dpo).status_code == 200
    for user in (cast.teacher, cast.dsl, cast.governor, cast.slt):
        assert _trail(user).status_code == 403
    other_head = make_person("oona.head@other.example", cast.other_school, {Role.HEADTEACHER})
    assert _trail(other_head).status_code == 404
    # Their own school's trail holds nothing of Westfield's.
    url = reverse("audit_trail", kwargs={"school": cast.other_school.slug})
    page = signed_in(other_head).get(url, {"record_type": "schools.pupil", "record_id": trail["amelia"].pk})
    assert "No events match" in page.content.decode()


def test_names_only_for_a_role_that_may_open_the_record(cast, trail):
    events = list(AuditEvent.objects.filter(school_id=cast.school.pk, action="pupil.viewed"))
    as_governor = {row.record for row in rows_for(cast.school, frozenset({Role.GOVERNOR}), events)}
    assert as_governor == {f"Pupil {trail['amelia'].pk}", f"Pupil {trail['noah'].pk}"}
    as_dpo = {row.record for row in rows_for(cast.school, frozenset({Role.DPO}), events)}
    assert as_dpo == {"Amelia Oakes", "Noah Reed"}
    # An id from another school never turns into that school's pupil's name.
    stray = record("pupil.viewed", ("schools.pupil", trail["amelia"].pk), school=cast.other_school)
    assert rows_for(cast.other_school, frozenset({Role.HEADTEACHER}), [stray])[0].record.startswith("Pupil ")


def test_an_activity_is_named_by_its_title_found_by_its_record_type(cast):
    """The trail names a photo activity without importing the photos room: it finds the model filed under
    "images.activity" and reads the school's own rows only."""
    activity = approved_activity(cast.school, cast.teacher, cast.head)
    event = record("activity.viewed", activity, actor=cast.head)
    assert event.object_type == "images.activity"
    (row,) = rows_for(cast.school, frozenset({Role.HEADTEACHER}), [event])
    assert row.record == "Nativity play" and str(activity.pk) in row.record_url
    stray = record("activity.viewed", ("images.activity", activity.pk), school=cast.other_school)
    (row,) = rows_for(cast.other_school, frozenset({Role.HEADTEACHER}), [stray])
    assert row.record == f"Photo activity {activity.pk}" and row.record_url == ""
