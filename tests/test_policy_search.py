"""Ask the policy: the sections of the school's published policies ranked by words (BM25) and meaning
(MiniLM sentence embeddings), fused, with the sentence that matters (runs on SQLite and PostgreSQL in CI)."""

from pathlib import Path

from django.urls import reverse

from saferstaff.policies.search import search_sections, terms
from saferstaff.policies.services import import_policy

from .conftest import signed_in, skip_or_fail

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "online-safety-and-social-media-guidance.txt"


def publish_seed(cast):
    if not SEED.exists():
        skip_or_fail(f"the seed guidance is not at {SEED} (it comes with ../shared)")
    version, _ = import_policy(
        cast.school, title="Online Safety", filename="seed.txt", data=SEED.read_bytes()
    )
    version.publish(by=cast.head)
    return version


def test_questions_lose_their_filler_words():
    assert terms("Can I accept a friend request from a parent?") == ["accept", "friend", "request", "parent"]
    assert terms("?!") == []


def test_a_question_in_words_finds_the_right_sections_of_the_seed(cast):
    publish_seed(cast)
    top = [
        h.section.number for h in search_sections(cast.school, "can I accept a friend request from a pupil?")
    ]
    assert "4" in top[:3], top  # §4: "must not add students as friends or respond to friend requests"
    photos = [h.section.number for h in search_sections(cast.school, "taking photographs of children")]
    assert photos[0] == "5", photos
    # Full-text ranking matches words, not meaning: "personal equipment" finds §6 by its title.
    phone = [
        h.section.number for h in search_sections(cast.school, "may I use personal equipment in school?")
    ]
    assert phone[0] == "6", phone


def test_everyday_questions_find_the_sections_that_answer_them_with_the_sentence_that_matters(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish_seed(cast)  # the worker embeds the published version's sentences
    trip = search_sections(cast.school, "Can I use my own phone to take photos on the school trip?")
    assert [h.section.number for h in trip[:2]] == ["5", "6"], [h.section.number for h in trip]
    friend = search_sections(cast.school, "Can I accept a friend request from a parent?")
    assert friend[0].section.number == "4" and "friend" in friend[0].sentence.lower()
    # Hardly a word in common with §3 and §4 ("kid", "followed", "instagram"): found by meaning.
    follow = [
        h.section.number for h in search_sections(cast.school, "a kid from my class followed me on instagram")
    ]
    assert follow[:2] == ["3", "4"], follow


def test_until_a_version_is_embedded_questions_are_answered_by_its_words(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    from types import SimpleNamespace

    from saferstaff.policies import search

    queued = []
    monkeypatch.setattr(search, "index_version", SimpleNamespace(enqueue=queued.append))
    with django_capture_on_commit_callbacks(execute=True):
        version = publish_seed(cast)  # queued, not yet embedded
        hits = search_sections(cast.school, "may I use personal equipment in school?")
        search_sections(cast.school, "and again?")  # queued once, not at every question
    assert hits[0].section.number == "6" and queued == [version.pk, version.pk]


def test_drafts_and_other_schools_are_not_searched(cast):
    version, _ = import_policy(
        cast.other_school, title="Theirs", filename="t.txt", data=b"Section 1 - Zebras\n\nZebra crossings.\n"
    )
    version.publish(by=None)
    import_policy(cast.school, title="Draft", filename="d.txt", data=b"Section 1 - Zebras\n\nZebra rules.\n")
    assert search_sections(cast.school, "zebra") == []
    assert [h.section.title for h in search_sections(cast.other_school, "zebras")] == ["Zebras"]


def test_the_search_page_links_each_section_by_its_anchor(cast):
    version = publish_seed(cast)
    client = signed_in(cast.head)
    client.post(
        reverse("policy_accept", kwargs={"school": cast.school.slug, "pk": version.policy_id, "number": 1}),
        {"understood": "on", "typed_name": "Helen Head"},
    )
    url = reverse("policy_search", kwargs={"school": cast.school.slug})
    page = client.get(url, {"q": "friend request"}).content.decode()
    assert f"/policies/{version.policy_id}/v1/#section-4" in page
    assert "doesn't seem to cover this" in client.get(url, {"q": "xylophone"}).content.decode()


def test_a_question_the_guidance_does_not_cover_is_told_so_with_no_list(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish_seed(cast)  # embedded: nonsense is close to nothing in absolute terms
    for nonsense in ("what is the capital of Peru", "asdf qwer", "recipe for flapjacks"):
        assert search_sections(cast.school, nonsense) == [], nonsense
    assert search_sections(cast.school, "can I accept a friend request from a parent?")
    page = signed_in(cast.teacher).get(
        reverse("policy_search", kwargs={"school": cast.school.slug}), {"q": "what is the capital of Peru"}
    )
    html = page.content.decode()
    assert "The guidance doesn't seem to cover this — ask your designated safeguarding lead" in html
    assert "<ol" not in html.split('id="main-content"')[1]


def test_the_sentence_shown_answers_the_question_rather_than_naming_the_section(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish_seed(cast)

    def shown(question: str, number: str) -> str:
        return next(h.sentence for h in search_sections(cast.school, question) if h.section.number == number)

    # Was the bare title "Definition of Students".
    assert "this term refers to all children" in shown(
        "When it says 'students' does that mean our reception and KS1 kids?", "1.1"
    )
    # Was a sentence about friends the member of staff already has.
    assert "must not add students as friends" in shown(
        "a pupil sent me a freind request on facebook what do i do", "4"
    )


def test_asking_nothing_says_what_to_do_rather_than_showing_an_empty_page(cast):
    """Pressing "Ask" with the box empty showed a page with a heading and nothing else."""
    client = signed_in(cast.head)
    url = reverse("policy_search", kwargs={"school": cast.school.slug})
    for q in ("", "   "):
        page = client.get(url, {"q": q}).content.decode()
        assert "Type a question in the box above" in page
