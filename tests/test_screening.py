"""Check before you post (§4): the screening library on its own (no Django), then the page, the command and
the saved checks."""

import io
import json
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from saferstaff.textcheck.check import MAX_CHARS, Context, check
from saferstaff.textcheck.roster import PupilNames
from saferstaff.textcheck.text import fold

from .conftest import signed_in

BEN = PupilNames("Y383210523001", ("Benjamin", "Ben"), ("Thompson",))
GRACE = PupilNames("K383210523002", ("Grace",), ("Oakley",))
HOPE = PupilNames("Q383210523004", ("Hope",), ("Akhtar",))
MAY = PupilNames("P383210524006", ("May",), ("Lin",))


@pytest.fixture(scope="module")
def school():
    return Context.build(
        "Yeadon Westfield Infant School", aliases=["Westfield Infs"], pupils=[BEN, GRACE, HOPE, MAY]
    )


def kinds(result) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in result.findings]


def test_a_pupil_named_by_first_name_and_initial_is_a_stop_citing_section_4(school):
    result = check("Little Ben T. finally read a whole page on his own!!", school)
    (finding,) = [f for f in result.findings if f.kind == "pupil"]
    assert (finding.text, finding.pupil_upn, finding.section) == ("Ben T.", BEN.key, "4")
    assert result.verdict == "stop" and "identify a pupil" in finding.advice
    assert result.as_json()["findings"][0]["pupil_upn"] == BEN.key


@pytest.mark.parametrize(
    "draft, found",
    [
        ("Ben Thompson read to the whole class today", "Ben Thompson"),
        ("So proud of Benjamin Thompson!", "Benjamin Thompson"),
        ("Grace's mum brought cakes for the staffroom", "Grace"),
        ("Hope in my class finally cracked her number bonds", "Hope"),
        ("well done to ben in my class for his reading", "ben"),
        ("Shout out to our little Grace today", "Grace"),
    ],
)
def test_pupils_are_found_however_they_are_named(school, draft, found):
    assert ("pupil", found) in kinds(check(draft, school))


@pytest.mark.parametrize(
    "draft",
    [
        "Hope everyone has a good half term!",
        "Will you be at the Summer fair?",
        "May half term can't come soon enough",
        "Coffee with Grace on Saturday was lovely",  # a first name with nothing about school
        "Mrs Thompson is retiring after 30 years",  # a colleague sharing a pupil's surname
        "Harry Potter book night was magical",
        "Primary teacher. Mum to Grace & Hope",
        "We live in Yeadon and love it",  # the town alone
        "Christmas shopping at Westfield Stratford. Never again.",
    ],
)
def test_ordinary_words_colleagues_and_the_town_are_not_pupils_or_the_school(school, draft):
    assert check(draft, school).verdict == "ok", kinds(check(draft, school))


@pytest.mark.parametrize(
    "draft, hidden",
    [
        ("Gr\u200bace Oakley did brilliantly", "Gr\u200bace Oakley"),
        ("B\u0435n Thompson did brilliantly", "B\u0435n Thompson"),  # a Cyrillic е
        ("<b>Ben Thompson</b> did brilliantly", "Ben Thompson"),
        ("**Ben\u00a0Thompson** did brilliantly", "Ben\u00a0Thompson"),
        ("\u202eBen Thompson did brilliantly", "Ben Thompson"),
        ("ＢＥＮ ＴＨＯＭＰＳＯＮ did brilliantly", "ＢＥＮ ＴＨＯＭＰＳＯＮ"),
    ],
)
def test_names_hidden_by_invisible_characters_markup_or_lookalike_letters_are_found_as_typed(
    school, draft, hidden
):
    (finding,) = [f for f in check(draft, school).findings if f.kind == "pupil"]
    assert finding.text == hidden and draft[finding.start : finding.end] == hidden


@pytest.mark.parametrize(
    "draft, found",
    [
        ("Call me on 07700 900123", "07700 900123"),
        ("ring +44 7700 900123 after six", "+44 7700 900123"),
        ("office: (0113) 496 0123", "(0113) 496 0123"),
        ("or 020 7946 0018", "020 7946 0018"),
        ("email jo.bloggs@example.com", "jo.bloggs@example.com"),
        ("She lives at 14 Harrogate Road", "14 Harrogate Road"),
        ("postcode LS19 7XB", "LS19 7XB"),
        ("born 3 March 2019", "3 March 2019"),
        ("UPN Y383210523001 for the transfer", "Y383210523001"),
        ("NHS number 943 476 5919", "943 476 5919"),
        ("NI QQ 12 34 56 C", "QQ 12 34 56 C"),
    ],
)
def test_personal_data_is_found(school, draft, found):
    assert ("personal_data", found) in kinds(check(draft, school))


@pytest.mark.parametrize(
    "draft",
    [
        "See you all on 3 March for the trip",  # a date, not a birth date
        "Tickets £12.50, doors 18:30, raffle number 123456",
        "Final score 17-14 to the staff",
        "Y383210523002 is what a wrong check letter looks like",  # not a UPN
        "NHS 943 476 5918 is not a real one",  # wrong check digit
        "Order 07700 90 was lost",
    ],
)
def test_dates_prices_scores_and_bad_check_digits_are_not_personal_data(school, draft):
    assert not [f for f in check(draft, school).findings if f.kind == "personal_data"], kinds(
        check(draft, school)
    )


def test_the_school_is_found_by_its_short_forms_and_a_bio_naming_it_is_a_stop(school):
    for draft, found in [
        ("Reading café at Westfield Infants this Thursday", "Westfield Infants"),
        ("Proud to be part of the #YWIS family", "YWIS"),
        ("Amazing turnout for #WestfieldInfants Christmas fair", "WestfieldInfants"),
        ("Back at Westfield Infs tomorrow", "Westfield Infs"),
    ]:
        result = check(draft, school)
        assert ("school", found) in kinds(result) and result.verdict == "review", draft
    assert check("Teacher at Westfield Infants | views my own", school, form="bio").verdict == "stop"


@pytest.mark.parametrize(
    "draft",
    [
        "The new head is brilliant, the staffroom feels like a family again.",
        "Some of the kids in my class are so funny, today one asked if teachers sleep at school.",
    ],
)
def test_kind_posts_about_the_school_community_are_not_called_harassment(school, draft):
    result = check(draft, school)
    assert result.verdict == "ok" and result.findings == [], kinds(result)


def test_a_tone_finding_is_think_again_unless_the_model_is_sure(school, monkeypatch):
    from saferstaff.textcheck import tone

    draft = "The parents in Year 2 are feral scum and their kids are thick as mince."
    sure = check(draft, school)
    assert [(f.kind, f.verdict) for f in sure.findings] == [("tone", "stop")] and sure.verdict == "stop"
    unsure = {**tone.model(), "stop_threshold": 1.01}  # the same draft, scored below "sure"
    monkeypatch.setattr(tone, "model", lambda: unsure)
    unsure_result = check(draft, school)
    assert [(f.kind, f.verdict) for f in unsure_result.findings] == [("tone", "review")]
    assert unsure_result.verdict == "review"


def test_the_warm_posts_that_measure_false_stops_are_never_trained_on():
    from pathlib import Path

    from saferstaff.textcheck import train_tone

    data = Path(__file__).parent / "data" / "screening" / "warm.jsonl"
    warm = {json.loads(line)["text"] for line in data.read_text().splitlines() if line.strip()}
    train = Path(__file__).parents[1] / "saferstaff" / "textcheck" / "data" / "tone_train.jsonl"
    trained = {json.loads(line)["text"] for line in train.read_text().splitlines() if line.strip()}
    assert len(warm) >= 300 and not warm & trained
    assert train_tone.DEV.name == "drafts.jsonl"  # the stop threshold's set: the development set


def test_a_photo_with_faces_needs_their_consent(school):
    result = check("Sports day!", school, faces=2)
    assert [(f.kind, f.section) for f in result.findings] == [("image", "5")] and result.verdict == "review"


def test_empty_and_huge_drafts(school):
    assert check("", school).verdict == "ok" and check("   \n", school).findings == []
    huge = check("Ben Thompson " * 100_000, school)
    assert huge.too_long and huge.findings == []


def test_no_quadratic_blow_up_on_long_or_repetitive_text(school):
    for text in [
        "a" * MAX_CHARS,
        "Ben " * (MAX_CHARS // 4),
        "07700 " * (MAX_CHARS // 6),
        "<b>" * (MAX_CHARS // 3),
    ]:
        started = time.perf_counter()
        check(text, school)
        assert time.perf_counter() - started < 1.0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_unicode_is_checked_without_error_and_spans_point_into_the_draft(text):
    context = Context.build("Yeadon Westfield Infant School", pupils=[BEN, GRACE])
    result = check(text + " Ben Thompson in my class", context)
    for f in result.findings:
        assert 0 <= f.start <= f.end <= len(text) + 25
        assert f.text == (text + " Ben Thompson in my class")[f.start : f.end]
    folded = fold(text)
    assert list(folded.origin) == sorted(folded.origin) and len(folded.origin) == len(folded.text) + 1


# --- In saferstaff ---------------------------------------------------------------------------------------------


@pytest.fixture
def roster(cast):
    from saferstaff.schools.models import Pupil as PupilRow

    PupilRow.objects.create(
        school=cast.school, upn="Y383210523001", legal_forename="Benjamin", preferred_forename="Ben",
        legal_surname="Thompson", date_of_birth="2019-10-01", year_group="1",
    )  # fmt: skip
    return cast


def test_check_post_prints_the_json_later_checks_read(roster, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("Little Ben T. finally read a whole page on his own!!"))
    call_command("check_post", "--school", roster.school.slug, "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "stop"
    assert out["findings"][0] == {
        "kind": "pupil", "start": 7, "end": 13, "text": "Ben T.", "section": "4",
        "advice": out["findings"][0]["advice"], "pupil_upn": "Y383210523001",
    }  # fmt: skip


def test_the_context_is_rebuilt_when_the_roster_changes(roster):
    from saferstaff.postcheck.drafts import check_draft
    from saferstaff.schools.models import Pupil as PupilRow

    def pupils():
        return [
            f.text
            for f in check_draft(roster.school, "Well done Ava Price in my class", with_pupils=True).findings
            if f.kind == "pupil"
        ]

    assert pupils() == []
    PupilRow.objects.create(school=roster.school, upn="", legal_forename="Ava", legal_surname="Price",
                            date_of_birth="2019-10-01", year_group="1", source_id="ava")  # fmt: skip
    assert pupils() == ["Ava Price"]


def test_the_page_marks_what_it_found_and_keeps_nothing_unless_asked(roster):
    from saferstaff.audit.models import AuditEvent
    from saferstaff.postcheck.models import SavedCheck

    url = reverse("draft_check", kwargs={"school": roster.school.slug})
    client = signed_in(roster.teacher)
    events = AuditEvent.objects.count()
    page = client.post(url, {"text": "Little Ben T. finally read a whole page!!", "form": "post"})
    html = page.content.decode()
    assert (
        page.status_code == 200
        and "Don't post this" in html
        and '<mark class="app-mark" id="mark-1">Ben T.' in html
    )
    assert not SavedCheck.objects.exists() and AuditEvent.objects.count() == events
    assert "Ben T." not in str(list(AuditEvent.objects.values_list("detail", flat=True)))
    client.post(url, {"text": "Hope everyone has a lovely half term", "form": "post", "save": "on"})
    saved = SavedCheck.objects.get()
    assert (saved.author, saved.verdict) == (roster.teacher, "ok")
    event = AuditEvent.objects.get(action="drafts.check_saved")
    assert "Hope" not in json.dumps(event.detail)
    # Its author deletes it; nobody else can.
    delete = reverse("draft_check_delete", kwargs={"school": roster.school.slug, "pk": saved.pk})
    assert signed_in(roster.head).post(delete).status_code == 404
    assert client.post(delete).status_code == 302 and not SavedCheck.objects.exists()
    assert AuditEvent.objects.filter(action="drafts.check_deleted").count() == 1


def test_the_page_refuses_an_empty_or_enormous_draft_with_a_message(roster):
    url = reverse("draft_check", kwargs={"school": roster.school.slug})
    client = signed_in(roster.teacher)
    assert "Enter your draft" in client.post(url, {"text": "  ", "form": "post"}).content.decode()
    page = client.post(url, {"text": "x" * (MAX_CHARS + 1), "form": "post"})
    assert page.status_code == 400 and "Check one post or profile at a time" in page.content.decode()


def test_the_api_answers_in_json_and_refuses_bad_input_in_json(roster):
    url = reverse("draft_check_api", kwargs={"school": roster.school.slug})
    client = signed_in(roster.teacher)
    answer = client.post(
        url, {"text": "Little Ben T. read!", "form": "post"}, content_type="application/json"
    )
    body = answer.json()
    assert answer.status_code == 200 and body["verdict"] == "stop" and body["sections"] == ["4"]
    assert (body["findings"][0]["kind"], body["findings"][0]["text"]) == ("pupil", "Ben T.")
    assert client.post(url, "not json", content_type="application/json").status_code == 400
    assert client.post(url, "[" * 100_000, content_type="application/json").status_code == 400
    assert client.post(url, {"text": 3}, content_type="application/json").json()["error"].startswith("Send")
    huge = client.post(url, {"text": "x" * (MAX_CHARS + 1)}, content_type="application/json")
    assert huge.status_code == 413 and "one post" in huge.json()["error"]
    assert signed_in(roster.other_teacher).post(
        url, {"text": "hi"}, content_type="application/json"
    ).status_code in (403, 404)


def test_a_photo_with_faces_is_checked_and_forgotten(roster, settings, tmp_path):
    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image as PILImage

    from saferstaff.faces.standin import draw_face

    settings.FACE_MODELS = "standin"
    settings.MEDIA_ROOT = str(tmp_path)
    image = np.full((240, 320, 3), 90, dtype=np.uint8)
    draw_face(image, (40, 40, 80, 80), 7)
    out = io.BytesIO()
    PILImage.fromarray(image[:, :, ::-1]).save(out, "PNG")
    url = reverse("draft_check", kwargs={"school": roster.school.slug})
    page = signed_in(roster.teacher).post(
        url, {"text": "Sports day!", "form": "post", "photo": SimpleUploadedFile("day.png", out.getvalue())}
    )
    html = page.content.decode()
    assert "A photo of people" in html and "explicit consent" in html and "Think again" in html
    assert not any(tmp_path.iterdir())  # not kept
    broken = signed_in(roster.teacher).post(
        url,
        {
            "text": "Sports day!",
            "form": "post",
            "photo": SimpleUploadedFile("day.jpg", b"\xff\xd8 not a photo"),
        },
    )
    assert broken.status_code == 400 and "could not be read" in broken.content.decode()


def test_names_among_other_scripts_and_emoji_are_found(school):
    draft = "بہت اچھا 👏 Ben Thompson przeczytał całą stronę w mojej klasie 🎉"
    (finding,) = [f for f in check(draft, school).findings if f.kind == "pupil"]
    assert finding.text == "Ben Thompson" and draft[finding.start : finding.end] == "Ben Thompson"


def test_the_headteacher_adds_the_names_the_school_goes_by(roster):
    from saferstaff.postcheck.drafts import check_draft

    url = reverse("school_settings", kwargs={"school": roster.school.slug})
    head = signed_in(roster.head, confirmed=True)
    form = {
        "pupil_voice_age": 12,
        "reminder_days": "3,7,14",
        "escalate_after_days": 14,
    }
    refused = head.post(url, {**form, "name_aliases": "WI\nThe Field"})
    assert refused.status_code == 200 and "at least 3 letters" in refused.content.decode()
    assert check_draft(roster.school, "Back at The Field tomorrow", with_pupils=True).verdict == "ok"
    assert head.post(url, {**form, "name_aliases": "The Field\n  Westy Infs  "}).status_code == 302
    result = check_draft(roster.school, "Back at The Field tomorrow, then Westy Infs", with_pupils=True)
    assert [f.text for f in result.findings if f.kind == "school"] == ["The Field", "Westy Infs"]


def test_the_api_and_saved_checks_never_say_which_pupil_a_name_is(roster):
    from saferstaff.postcheck.models import SavedCheck

    url = reverse("draft_check_api", kwargs={"school": roster.school.slug})
    client = signed_in(roster.teacher)
    body = client.post(url, {"text": "Ben Thompson in my class"}, content_type="application/json").json()
    assert body["findings"][0]["kind"] == "pupil" and "pupil_upn" not in body["findings"][0]
    page = reverse("draft_check", kwargs={"school": roster.school.slug})
    client.post(page, {"text": "Ben Thompson in my class", "form": "post", "save": "on"})
    assert "pupil_upn" not in SavedCheck.objects.get().findings[0]
    assert "Y383210523001" not in client.post(page, {"text": "Ben Thompson", "form": "post"}).content.decode()


def test_a_saved_check_is_kept_and_discarded_only_through_the_model(roster):
    """The page keeps and deletes a check through ``SavedCheck.keep`` and ``discard``: never which pupil a
    name is, each recorded."""
    from saferstaff.audit.models import AuditEvent
    from saferstaff.postcheck.drafts import check_draft
    from saferstaff.postcheck.models import SavedCheck

    result = check_draft(roster.school, "Ben Thompson in my class", with_pupils=True, form="post", faces=0)
    saved = SavedCheck.keep(roster.school, roster.teacher, form="post", text="Ben Thompson", result=result)
    assert saved.findings and "pupil_upn" not in saved.findings[0]
    assert AuditEvent.objects.get(action="drafts.check_saved").detail == {"verdict": result.verdict}
    saved.discard()
    assert (
        not SavedCheck.objects.exists() and AuditEvent.objects.filter(action="drafts.check_deleted").exists()
    )


def test_checks_are_limited_per_minute(roster, monkeypatch):
    from saferstaff.postcheck import views

    monkeypatch.setattr(views, "CHECKS_PER_MINUTE", 3)
    url = reverse("draft_check_api", kwargs={"school": roster.school.slug})
    client = signed_in(roster.teacher)
    codes = [
        client.post(url, {"text": "hello"}, content_type="application/json").status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_the_page_and_the_api_share_one_count_per_person(roster, monkeypatch):
    from django.core.cache import cache

    from saferstaff.postcheck import views

    cache.clear()
    monkeypatch.setattr(views, "CHECKS_PER_MINUTE", 2)
    api = reverse("draft_check_api", kwargs={"school": roster.school.slug})
    page = reverse("draft_check", kwargs={"school": roster.school.slug})
    client = signed_in(roster.teacher)
    assert client.post(api, {"text": "hello"}, content_type="application/json").status_code == 200
    assert client.post(page, {"text": "hello", "form": "post"}).status_code == 200
    refused = client.post(page, {"text": "hello", "form": "post"})
    assert "Too many checks in a minute" in refused.content.decode()
    # Another person has their own count.
    other = signed_in(roster.head)
    assert other.post(api, {"text": "hello"}, content_type="application/json").status_code == 200


def test_a_long_draft_of_put_downs_is_checked_in_linear_time(school):
    started = time.perf_counter()
    check("he fat " * (MAX_CHARS // 7), school)
    assert time.perf_counter() - started < 0.5


def test_accented_and_curly_apostrophe_names_on_the_roster_are_found():
    context = Context.build("Westfield Infant School", pupils=[PupilNames("A1", ("Zoë",), ("O’Brien",))])
    for draft in ["Well done Zoë O’Brien!", "Well done Zoe O'Brien!", "Well done ZOË O'BRIEN!"]:
        assert [f.kind for f in check(draft, context).findings] == ["pupil"], draft


def test_an_alias_of_invisible_characters_is_refused_and_would_match_nothing():
    from saferstaff.schools.forms import SchoolSettingsForm

    form = SchoolSettingsForm(data={"pupil_voice_age": 12, "reminder_days": "3",
                                    "escalate_after_days": 14, "name_aliases": "\u200b\u200b\u200b\u200b"})  # fmt: skip
    assert not form.is_valid() and "name_aliases" in form.errors
    context = Context.build("Westfield Infant School", aliases=["\u200b\u200b\u200b"])
    assert check("A lovely day", context).verdict == "ok"


def test_commands_name_an_unknown_school_with_where_to_find_its_slug(db):
    from django.core.management.base import CommandError

    for command in (["check_post", "--json"], ["calibrate_faces"]):
        with pytest.raises(CommandError, match="no school with the slug 'nowhere'.*create_school"):
            call_command(*command, "--school", "nowhere")
