from django.core.management.base import CommandError
from django.db import transaction
from django.utils.text import slugify

from saferstaff.accounts.models import User
from saferstaff.audit.log import record
from saferstaff.schools.models import School, SchoolSettings, Trust, TrustAdmin


def create_school(
    *, name: str, urn: str, la_number: str, establishment_number: str, trust: Trust | None = None, by=None
) -> School:
    with transaction.atomic():
        school = School.objects.create(
            trust=trust,
            name=name.strip(),
            slug=School.unique_slug_for(name),
            urn=urn,
            la_number=la_number,
            establishment_number=establishment_number,
        )
        SchoolSettings.objects.create(school=school)
        record("school.created", school, school=school, actor=by)
    return school


def create_trust(*, name: str, kind: str, admin_email: str) -> tuple[Trust, User]:
    """A trust or Local Authority and its first admin (an account with no password yet: they set one from
    the link ``create_trust`` prints, then add a second factor at their first sign-in). The admin then sets up
    the schools and invites their staff from the trust's page."""
    name = name.strip()
    slug = slugify(name)[:80]
    if not slug:
        raise CommandError("--name must not be empty")
    if Trust.objects.filter(slug=slug).exists():
        raise CommandError(f"A trust or Local Authority with the slug {slug!r} is already set up")
    with transaction.atomic():
        trust = Trust.objects.create(name=name, slug=slug, kind=kind)
        email = User.objects.normalize_email(admin_email.strip()).lower()
        admin = User.objects.filter(email=email).first() or User.objects.create_user(email=email)
        TrustAdmin.objects.create(trust=trust, user=admin)
        record("trust.created", trust, detail={"kind": kind})
        record("trust.admin_added", trust, detail={"user_id": admin.pk})
    return trust, admin


def school_for_command(slug: str) -> School:
    """The school a management command's --school names, or a CommandError that says where to find a slug."""
    school = School.objects.filter(slug=slug).first()
    if school is None:
        raise CommandError(
            f"There is no school with the slug '{slug}': `saferstaff create_school` prints it, and it is in the "
            "address of the school's pages (/s/<slug>/)."
        )
    return school
