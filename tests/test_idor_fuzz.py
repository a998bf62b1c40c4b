"""Another school's ids, fuzzed through every object page: each person of the first school, in every role, asks
for a page under their own school's address with the ids of the other school's object (a school of the same
trust, then of another trust), with ids nobody has, with numbers too long for an id, by GET and by POST with
form fields. Every answer is a 404 (a 403 where the access map keeps that role out, a 405 where the page takes
no such request); never a 200 with the other school's data, never a 500, and nothing of the other school is
written.

The pages are found from the URL conf (tests/test_tenancy.py ``object_pages``: every page whose address takes
an id), their objects made by tests/test_access_map.py ``sample_kwargs``: a new page is covered, or fails by
name, without editing this file. Deterministic in `make test` (tests/fuzzing.py); longer with
SAFERSTAFF_FUZZ_SECONDS."""

import pytest
from django.apps import apps
from django.urls import reverse
from hypothesis import strategies as st

from saferstaff.access import ACCESS_MAP, TRUST_ADMIN
from saferstaff.schools.models import Trust

from .conftest import signed_in
from .fuzzing import FUZZ_SECONDS, run_fuzz
from .test_access_map import all_url_names, sample_kwargs
from .test_tenancy import PERSONAL_OBJECTS, object_pages

PATTERNS = dict(all_url_names())
SENTINEL = 987654321987654300  # 18 digits: reversed into the address, then replaced by the drawn id

# Ids: the other school's own, one nobody has, 0, and numbers longer than an id may be (no page matches).
NOT_AN_ID = st.one_of(st.integers(10**9, 10**18 - 1), st.just(0), st.integers(10**18, 10**30))
FIELDS = ["decision", "outcome", "note", "text", "status", "confirm", "reason", "answer", "roles", "pupil", "member",
          "typed_name", "title", "what", "action", "delete", "release", "publish", "n", "pk", "school"]  # fmt: skip
FORM = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=8)),
    st.one_of(
        st.text(max_size=20), st.integers(0, 10**6).map(str), st.sampled_from(["yes", "no", "on", "1"])
    ),
    max_size=4,
)


def id_params(name) -> list[str]:
    return sorted(k for k, conv in PATTERNS[name].pattern.converters.items() if k not in {"school", "trust"}
                  and type(conv).__name__ in {"IdConverter", "IntConverter"})  # fmt: skip


def other_schools_rows(school) -> dict[str, int]:
    """How many rows of each saferstaff table belong to ``school`` (what a write would change)."""
    counts = {}
    for model in apps.get_models():
        if model.__module__.startswith("saferstaff.") and any(f.name == "school" for f in model._meta.fields):
            counts[model._meta.label] = model._default_manager.filter(school=school).count()
    return counts


def test_the_fuzz_reaches_every_object_page():
    pages = object_pages()
    assert len(pages) >= 45, pages
    assert all(id_params(name) for name in pages if name not in {"retention_rule"}), (
        "an object page whose id is not an <id:...> in its address: teach id_params its converter"
    )


@pytest.mark.parametrize("name", object_pages())
def test_another_schools_ids_are_404_for_every_role(name, cast):
    people = {**cast.by_role(), TRUST_ADMIN: cast.trust_admin}
    if name in PERSONAL_OBJECTS:
        pk, _owner = PERSONAL_OBJECTS[name](cast)
        kwargs = {"pk": pk}
    else:
        kwargs = sample_kwargs(name, cast, cast.other_school, cast.other_teacher)
    theirs = {key: kwargs[key] for key in id_params(name)}
    sentinels = {key: SENTINEL + i for i, key in enumerate(theirs)}
    template = reverse(name, kwargs={**kwargs, **sentinels, **({} if name in PERSONAL_OBJECTS else
                                                                {"school": cast.school.slug})})  # fmt: skip
    clients = {role: signed_in(user, confirmed=True) for role, user in people.items()}
    another_trust = Trust.objects.create(name="Far Trust", slug="far-trust")
    before = other_schools_rows(cast.other_school)

    def ask(case):
        role, method, trust, ids, form = case
        cast.other_school.trust = another_trust if trust == "another" else cast.trust
        cast.other_school.save(update_fields=["trust"])
        path = template
        for key, value in ids.items():
            path = path.replace(str(sentinels[key]), str(theirs[key] if value == "theirs" else value))
        client = clients[role]
        response = client.get(path) if method == "get" else client.post(path, form)
        allowed = role in ACCESS_MAP[name] or name in PERSONAL_OBJECTS
        expected = {404, 405} if allowed else {403, 404}
        assert response.status_code in expected, (
            f"{name} {method.upper()} {path} as {role} ({trust} trust): {response.status_code}, expected "
            f"{sorted(expected)}"
        )

    # The edges every run tries, whatever hypothesis draws: their id, 0, the largest id, one digit more.
    first = next(
        (r for r in sorted(people) if r in ACCESS_MAP[name] or name in PERSONAL_OBJECTS), TRUST_ADMIN
    )
    for value in ("theirs", 0, 10**18 - 1, 10**18):
        for method in ("get", "post"):
            ask((first, method, "another", dict.fromkeys(theirs, value), {}))
    ids = st.fixed_dictionaries({key: st.one_of(st.just("theirs"), NOT_AN_ID) for key in theirs})
    case = st.tuples(st.sampled_from(sorted(people)), st.sampled_from(["get", "post"]),
                     st.sampled_from(["same", "another"]), ids, FORM)  # fmt: skip
    run_fuzz(ask, case, examples=6, seconds=FUZZ_SECONDS / 10)
    cast.other_school.trust = cast.trust
    cast.other_school.save(update_fields=["trust"])
    assert other_schools_rows(cast.other_school) == before, f"{name}: the other school's rows changed"


@pytest.mark.parametrize("name", ["device_edit", "consent_purpose_edit"])
def test_id_0_in_an_edit_address_is_no_new_object(name, cast):
    # Found by the fuzz above: /devices/0/ and /consent/uses/0/ opened the "add" form (0 read as "no id").
    url = reverse(name, kwargs={"school": cast.school.slug, "pk": 0})
    client = signed_in(cast.head, confirmed=True)
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Zero", "asset_tag": "ZERO-1"}).status_code == 404
