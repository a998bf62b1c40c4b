"""The policy engine itself: rule.peek(), the Actor every rule is asked with, one Refused, one definition of each
group of roles, and a rules room that depends only on the rooms below it."""

import ast
import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

import saferstaff
from saferstaff.audit.models import AuditEvent
from saferstaff.photos.library import add_images
from saferstaff.photos.models import ImageTag
from saferstaff.rules import engine
from saferstaff.rules.images import can_publish, may_decide_activity, may_remove_tag
from saferstaff.rules.policies import may_change_role
from saferstaff.schools.models import Role
from saferstaff.schools.roles import TRUST_ADMIN, Actor

from .conftest import signed_in
from .image_samples import approved_activity, jpeg, pupil_with_parents, purpose

SOURCE = Path(saferstaff.__file__).parent


def _decisions() -> int:
    return AuditEvent.objects.filter(action="policy.decision").count()


def test_peek_decides_without_auditing_and_the_plain_call_audits(cast):
    member = cast.member(cast.teacher)
    head, slt = Actor.of(cast.head, cast.school), Actor.of(cast.slt, cast.school)
    before = _decisions()
    assert may_change_role.peek(head, subject=member, role=Role.DSL, grant=True)
    peeked = may_change_role.peek(slt, subject=member, role=Role.DSL, grant=True)
    assert not peeked and peeked.rule == "roles.change" and peeked.sections == ["§2"]
    assert _decisions() == before
    assert not may_change_role(slt, subject=member, role=Role.DSL, grant=True)
    assert _decisions() == before + 1
    event = AuditEvent.objects.filter(action="policy.decision").latest("seq")
    assert event.detail == {"rule": "roles.change", "allowed": False, "sections": ["§2"]}
    assert event.object_id == str(member.pk)


def test_no_one_calls_a_rule_around_its_audit_any_more():
    for path in [*SOURCE.rglob("*.py"), *Path(__file__).parent.rglob("*.py")]:
        assert path == Path(__file__) or "__wrapped__" not in path.read_text(), (
            f"{path}: ask some_rule.peek(...) to decide without an audit event"
        )


def test_a_rule_reads_the_actors_roles_from_the_actor_without_asking_the_database(
    cast, django_assert_num_queries
):
    slt = Actor.of(cast.slt, cast.school)
    activity = SimpleNamespace(
        school_id=cast.school.pk,
        is_requested=True,
        requested_by_id=cast.teacher.pk,
        happens_on=datetime.date.today(),
        not_one_to_one=True,
        device=SimpleNamespace(retired_on=None),
    )
    with django_assert_num_queries(0):
        assert may_decide_activity.peek(slt, subject=activity)
        assert may_remove_tag.peek(slt, subject=activity)


def test_an_actor_holds_no_roles_at_a_school_other_than_their_own(cast):
    head = Actor.of(cast.head, cast.school)
    assert head.is_head and head.is_senior and head.membership == cast.member(cast.head)
    elsewhere = head.at(cast.other_school.pk)
    assert not elsewhere.roles and not elsewhere.is_senior and elsewhere.pk == cast.head.pk
    refused = may_remove_tag.peek(head, subject=SimpleNamespace(school_id=cast.other_school.pk))
    assert not refused and "Ask a senior leader" in refused.summary
    assert Actor.of(cast.trust_admin, cast.school).is_trust_admin
    assert Actor.of(None, cast.school).roles == frozenset()


@pytest.mark.parametrize(
    "who, roles",
    [("head", {Role.HEADTEACHER}), ("trust_admin", {TRUST_ADMIN}), ("office", {Role.OFFICE, Role.STAFF})],
)
def test_the_access_middleware_builds_the_actor_once_for_the_request(cast, who, roles):
    user = getattr(cast, who)
    response = signed_in(user).get(reverse("school_dashboard", kwargs={"school": cast.school.slug}))
    assert response.status_code == 200
    actor = response.wsgi_request.actor
    assert actor.user == user and actor.school == cast.school and actor.roles == roles
    assert actor.membership == (None if who == "trust_admin" else cast.member(user))


def test_refused_is_defined_once_in_the_engine():
    root = Path(saferstaff.__file__).parent
    defining = [
        f.relative_to(root).as_posix()
        for f in root.rglob("*.py")
        if any(
            isinstance(n, ast.ClassDef) and n.name == "Refused" for n in ast.walk(ast.parse(f.read_text()))
        )
    ]
    assert defining == ["rules/engine.py"]
    refusal = engine.refuse(engine.Reason("Not this one", "§5"))
    assert engine.Refused(refusal).decision is refusal and str(engine.Refused(refusal)) == refusal.summary


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield node, node.module or ""
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name


# The rules sit below every room that keeps records of pupils and policies (pyproject.toml's layers): a rule
# reads what it is given, and imports only the engine, the people and their roles, the audit trail, and the
# clocks (plain Python: which days are working days, for KCSIE's one working day).
RULES_MAY_IMPORT = (
    "saferstaff.rules", "saferstaff.schools", "saferstaff.audit.log", "saferstaff.clocks", "django.utils",
)  # fmt: skip


def test_the_rules_import_only_the_rooms_below_them_and_never_inside_a_function():
    for path in sorted((SOURCE / "rules").glob("*.py")):
        tree = ast.parse(path.read_text())
        top_level = {id(n) for n in tree.body}
        for node, module in _imports(tree):
            assert id(node) in top_level, f"{path.name}:{node.lineno} imports {module} inside a function"
            if module.startswith(("saferstaff", "django")):
                assert module.startswith(RULES_MAY_IMPORT), f"{path.name}:{node.lineno} imports {module}"


def _role_groups(tree: ast.AST):
    """Set, frozenset and tuple literals of two or more ``Role.X``: a group of roles written out."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Set | ast.Tuple | ast.List):
            roles = [
                e
                for e in node.elts
                if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.value.id == "Role"
            ]
            if len(roles) >= 2:
                yield node


def test_each_group_of_roles_is_written_once_in_schools_roles():
    roles_module = SOURCE / "schools" / "roles.py"
    # The check finds a group written the way a stray one would be.
    assert len(list(_role_groups(ast.parse("SENIOR = (Role.HEADTEACHER, Role.SENIOR_LEADER)")))) == 1
    scanned, elsewhere = 0, []
    for path in sorted(SOURCE.rglob("*.py")):
        # A person's own roles in the demo data are not a group the rules use.
        if (
            path == roles_module
            or "migrations" in path.parts
            or "management" in path.parts
            or path.name == "demo.py"
        ):
            continue
        scanned += 1
        elsewhere += [
            f"{path.relative_to(SOURCE)}:{node.lineno}" for node in _role_groups(ast.parse(path.read_text()))
        ]
    assert scanned > 50
    assert elsewhere == [], "these write a group of roles: use schools/roles.py"


def test_every_rule_of_the_guidance_lives_in_the_rules_room():
    for path in sorted(SOURCE.rglob("*.py")):
        if (SOURCE / "rules") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    called = decorator.func if isinstance(decorator, ast.Call) else decorator
                    assert not (isinstance(called, ast.Name) and called.id == "rule"), (
                        f"{path.relative_to(SOURCE)}:{node.lineno} declares the rule {node.name}: "
                        "move it to saferstaff/rules/"
                    )


def test_the_publishing_rule_never_passes_a_tagged_pupil_whose_consent_it_was_not_given(cast, storage):
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    image = add_images(activity, [("a.jpg", jpeg())], by=cast.teacher)[0]
    ImageTag.objects.create(school=cast.school, image=image, pupil=pupil_with_parents(cast.school)[0])
    website, newsletter = purpose(cast.school, "website"), purpose(cast.school, "print")
    teacher = Actor.of(cast.teacher, cast.school)
    with pytest.raises(KeyError):
        can_publish.peek(teacher, subject=image, channel=website, consent={})
    with pytest.raises(KeyError):  # the states of another channel are not this one's
        can_publish.peek(teacher, subject=image, channel=website, consent=image.consent_on(newsletter))
    assert not can_publish.peek(teacher, subject=image, channel=website, consent=image.consent_on(website))


def test_the_door_helpers_raise_with_the_reason_and_the_field():
    ok = engine.allow()
    assert engine.enforce(ok) is ok
    with pytest.raises(engine.Refused) as no:
        engine.enforce(engine.refuse(engine.Reason("Not yours", "§8", "who")))
    assert no.value.decision.reasons[0].field == "who"
    said = engine.refused("Say why", "§8", "why").decision
    assert not said and said.reasons == (engine.Reason("Say why", "§8", "why"),)
    engine.require("§9", what="something")  # filled in: nothing raised
    with pytest.raises(engine.Refused) as empty:
        engine.require("§9", {"what": "Say what happened"}, what="  ", how="")
    assert [(r.text, r.field) for r in empty.value.decision.reasons] == [
        ("Say what happened", "what"), ("This cannot be left empty", "how"),
    ]  # fmt: skip
