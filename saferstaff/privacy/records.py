"""§8 (UK GDPR art. 30 and 35): the record of processing activities and the DPIA for biometric face matching,
built from the LIVE configuration each time — which rooms are installed, what each processes and why, the
retention of each kind of record, which roles open each room's pages and how many people hold them, the
processors the settings name — so neither drifts from what saferstaff really does.

Each is a list of sections of (label, value) pairs, all text: no personal data, only the school's own
settings and counts. An export (``export``) keeps it as it was (``Export``: content + sha256), so the page and
the PDF show, field by field, what changed since the last export."""

import hashlib
import json
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import URLPattern, URLResolver, get_resolver

from saferstaff.access import ACCESS_MAP
from saferstaff.audit.log import record
from saferstaff.biometrics.models import FaceTemplate
from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.privacy.models import Export
from saferstaff.privacy.schedule import schedule
from saferstaff.rules.engine import enforce
from saferstaff.rules.privacy import may_export_records
from saferstaff.schools.models import Role, RoleGrant, SchoolSettings

# What each room processes: (app label, room, what, whose, purpose, lawful basis, the guidance's §). A room is
# listed when its app is installed.
ROOMS = (
    ("schools", "People", "Staff, pupils and guardians as imported from the MIS; roles", "Staff, pupils, guardians",
     "Knowing who works at the school and which pupils and guardians it serves", "Public task (art. 6(1)(e))",
     "§1, §8"),
    ("policies", "Policies", "Versions of the school's policies; who accepted them and when", "Staff",
     "Showing that staff have read and accepted the guidance", "Public task (art. 6(1)(e))", "§2"),
    ("consent", "Consent", "Consent answers from guardians, pupils and senior leaders; links sent to guardians",
     "Pupils, guardians", "Knowing where each pupil's image may be used", "Consent (art. 6(1)(a))", "§5"),
    ("photos", "Images", "Images and videos of pupils, photo activities, where images were published",
     "Pupils, staff", "School photographs, taken and used only within consent", "Consent (art. 6(1)(a)); "
     "public task in school", "§5"),
    ("biometrics", "Face matching", "Face templates (biometric: special category) and faces found in images",
     "Pupils", "Finding images of pupils without consent so that they are blurred or not used",
     "Consent (art. 6(1)(a)); explicit consent (art. 9(2)(a)); PoFA 2012 ss. 26–28", "§5"),
    ("publishing", "Publishing", "Requests to publish images and their checks", "Pupils, staff",
     "Checking each publication against consent before it goes out", "Consent (art. 6(1)(a))", "§5"),
    ("postcheck", "Check a post", "Drafts of posts staff check, and saved checks", "Staff; pupils named in drafts",
     "Helping staff post safely about the school", "Legitimate interests of the school (art. 6(1)(f))", "§7"),
    ("conduct", "Conduct", "Disclosures of contact with pupils; contact and equipment permissions; low-level "
     "concerns", "Staff, pupils", "Safe working practice and safeguarding", "Legal obligation (art. 6(1)(c): "
     "KCSIE)", "§3, §4, §6"),
    ("incidents", "Incidents", "Incident reports, cases, allegations about staff, evidence, referrals",
     "Pupils, staff, others", "Responding to online-safety incidents and safeguarding children",
     "Public task (art. 6(1)(e)); DPA 2018 Sch. 1 para. 18 for special category data", "§9"),
    ("privacy", "Data protection", "The sharing log, subject access requests, breaches, holds, destruction "
     "certificates", "Pupils, guardians, staff", "Meeting the school's duties under UK GDPR",
     "Legal obligation (art. 6(1)(c))", "§8"),
    ("notifications", "Notifications", "Items waiting for staff; content-free emails", "Staff",
     "Telling staff something waits for them", "Public task (art. 6(1)(e))", "§8"),
    ("audit", "Audit trail", "Who did what and when: ids and codes, never content", "Staff",
     "Accountability and security (art. 5(2), 32)", "Legal obligation (art. 6(1)(c))", "§8"),
)  # fmt: skip
NO_THIRD_PARTY = "Nothing goes to a third-party service: face matching, text checks and PDFs run on the school's own server."


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str

    @property
    def kind(self) -> str:
        return "added" if not self.before else "removed" if not self.after else "changed"


def _pages_by_app() -> dict[str, set[str]]:
    """The URL names of each app's pages (from the live URL configuration)."""
    found: dict[str, set[str]] = {}

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns)
            elif isinstance(p, URLPattern) and p.name:
                parts = p.callback.__module__.split(".")
                if parts[0] == "saferstaff" and len(parts) > 1:
                    found.setdefault(parts[1], set()).add(p.name)

    walk(get_resolver().url_patterns)
    return found


def _who(school, roles: set[str], holders: dict[str, int]) -> str:
    if not roles:
        return "Nobody at the school through its pages"
    return "; ".join(
        f"{Role(r).label} ({holders.get(r, 0)})" for r in Role.values if r in roles
    )  # the school's order of roles


def _holders(school) -> dict[str, int]:
    grants = RoleGrant.objects.filter(school=school, membership__ended_on__isnull=True)
    return dict(grants.values_list("role").annotate(n=Count("membership", distinct=True)))


def _retention(school) -> list[tuple[str, str]]:
    """Each kind's period as the school's schedule has it now (its own period, with why, where it changed one)."""
    rows = []
    for line in schedule(school.pk).values():
        whose = "the school's own period" if line.rule else "default"
        rows.append((line.kind.label, f"{line.words} ({whose}: {line.source})"))
    return rows


def _processors(school) -> list[tuple[str, str]]:
    mail = settings.MAILERS["default"]
    if mail["BACKEND"].endswith("smtp.EmailBackend"):
        email = f"The school's email server ({mail['OPTIONS']['host']}): alerts only, no content"
    else:
        email = "None: emails are written to files on the server"
    storage = settings.STORAGES["default"]
    if settings.STORAGE_BACKEND == "s3":
        where = storage["OPTIONS"].get("endpoint_url") or "Amazon S3"
        files = f"S3-compatible storage ({where}, bucket {storage['OPTIONS'].get('bucket_name')})"
    else:
        files = "The server's own disk"
    sign_in = (
        f"The school's own sign-in ({school.sign_in_provider}, {school.sign_in_domain}): identity only"
        if school.sign_in_provider
        else "None: staff sign in with saferstaff's own accounts"
    )
    return [("Email", email), ("Files", files), ("Sign-in", sign_in), ("Third parties", NO_THIRD_PARTY)]


def processing_record(school) -> dict:
    """The record of processing activities (art. 30) as the school runs saferstaff now."""
    pages, holders = _pages_by_app(), _holders(school)
    sections = []
    for app, room, what, whose, purpose, basis, section in ROOMS:
        if not apps.is_installed(f"saferstaff.{app}"):
            continue
        roles = set().union(*(ACCESS_MAP.get(name, frozenset()) for name in pages.get(app, ())))
        fields = [
            ("What it processes", what),
            ("Whose data", whose),
            ("Purpose", purpose),
            ("Lawful basis", basis),
            ("The guidance", section),
            ("Who has access (people holding the role)", _who(school, roles, holders)),
        ]
        sections.append({"title": room, "fields": fields})
    sections.append({"title": "Retention", "fields": _retention(school)})
    sections.append({"title": "Processors", "fields": _processors(school)})
    return {"title": f"Record of processing activities: {school.name}", "sections": sections}


def _biometric(school):
    return Purpose.objects.filter(school=school, biometric=True).first()


def dpia(school) -> dict:
    """The DPIA for biometric face matching (UK GDPR art. 35; art. 9; PoFA 2012 ss. 26–28), filled from the
    school's settings."""
    purpose, options = _biometric(school), SchoolSettings.for_school(school)
    on = purpose is not None and purpose.active
    consented = (
        ConsentRecord.objects.filter(school=school, purpose=purpose).values("pupil").distinct().count()
        if purpose is not None
        else 0
    )
    enrolled = FaceTemplate.objects.filter(school=school).values("pupil").distinct().count()
    kept = schedule(school.pk)["face_templates"]
    enrolers = _who(school, set(ACCESS_MAP["pupil_faces"]), _holders(school))
    keys = len(settings.FACE_TEMPLATE_KEYS)
    sections = [
        {"title": "The processing", "fields": [
            ("Face matching", "On: guardians are asked for consent" if on else "Off: the school does not ask for it"),
            ("What is processed", "A template (numbers) made from one photo of each enrolled pupil; faces found in "
             "the school's own photos are compared with the templates"),
            ("Purpose", "Finding photos of pupils whose guardians have not consented, so they are blurred or not "
             "used (§5)"),
            ("Models", "Run on the school's own server" + (" (stand-in models)" if settings.FACE_MODELS == "standin"
                                                           else "")),
            ("Automatic match threshold", f"{options.face_auto_threshold:.2f}"),
            ("Review threshold", f"{options.face_review_threshold:.2f}"),
            ("Publishing blurred images without consent", "Allowed" if options.publish_blurred_without_consent
             else "Not allowed"),
        ]},
        {"title": "Consent and the law", "fields": [
            ("Pupils with a face-matching consent answer recorded", str(consented)),
            ("Pupils enrolled (with a template)", str(enrolled)),
            ("Protection of Freedoms Act 2012 ss. 26–28", "Written consent of at least one parent and no objection "
             "from any parent; the child's own objection or refusal stops it, whatever the parents say; a "
             "reasonable alternative for pupils not enrolled (their photos are checked by hand)"),
            ("UK GDPR art. 9", "Biometric data to identify a person is special category: explicit consent "
             "(art. 9(2)(a))"),
            ("UK GDPR art. 35", "Systematic processing of children's special category data: a DPIA before it starts "
             "and when it changes"),
        ]},
        {"title": "Who and where", "fields": [
            ("Who may enrol pupils (people holding the role)", enrolers),
            ("Where templates are kept", "In the school's saferstaff database, never exported"),
            ("How they are encrypted", f"Fernet (AES-128 with HMAC-SHA256), key derived by HKDF from the server's "
             f"face-template key; {keys} key{'s' if keys != 1 else ''} in use"),
            ("Retention", f"Erased at once when consent is withdrawn or objected to, and by the next daily run "
             f"once the pupil has left ({kept.source})"),
        ]},
        {"title": "Risks and mitigations", "fields": [
            ("A wrong match", "Below the automatic threshold a person reviews it; an unknown face is blurred"),
            ("Templates stolen", "Encrypted at rest; the key is not in the database; keys rotate"),
            ("Processing without consent", "Enrolment refused without a parent's written consent or with any "
             "objection (rules.biometrics)"),
            ("Kept too long", "Erased by the daily job when consent goes or the pupil leaves"),
            ("Sent to a third party", NO_THIRD_PARTY),
        ]},
    ]  # fmt: skip
    return {"title": f"DPIA: biometric face matching at {school.name}", "sections": sections}


BUILDERS = {Export.Kind.PROCESSING: processing_record, Export.Kind.DPIA: dpia}


def _flat(content: dict) -> dict[str, str]:
    return {
        f"{section['title']} › {label}": str(value)
        for section in content.get("sections", [])
        for label, value in section["fields"]
    }


def changes(before: dict | None, after: dict) -> list[Change]:
    """Field by field, what differs between two versions (in the order of ``after``, then what was removed)."""
    if before is None:
        return []
    old, new = _flat(before), _flat(after)
    found = [Change(k, old.get(k, ""), v) for k, v in new.items() if old.get(k) != v]
    return found + [Change(k, v, "") for k, v in old.items() if k not in new]


def _canonical(content: dict) -> dict:
    return json.loads(json.dumps(content))  # tuples as lists: as the JSON field gives it back


def last_export(school, kind: str) -> Export | None:
    return Export.objects.filter(school=school, kind=kind).order_by("-made_at", "-pk").first()


def current(school, kind: str) -> tuple[dict, Export | None, list[Change]]:
    """The live version, the last export and what changed since it."""
    content = _canonical(BUILDERS[kind](school))
    last = last_export(school, kind)
    return content, last, changes(last.content if last else None, content)


def export(actor, kind: str) -> tuple[Export, Export | None, list[Change]]:
    """Keep the live version as exported (with its hash), audited; returns it, the export before it and what
    changed since that one."""
    decision = may_export_records(actor)
    enforce(decision)
    school = actor.school
    content, previous, changed = current(school, kind)
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    with transaction.atomic():
        made = Export.objects.create(
            school=school, kind=kind, content=content, sha256=digest, made_by=actor.user
        )
        record(
            "privacy.records.exported",
            made,
            detail={"kind": kind, "changes": len(changed), "previous": previous.pk if previous else None},
        )
    return made, previous, changed
