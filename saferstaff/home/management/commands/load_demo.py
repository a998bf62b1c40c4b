"""A demo trust with two schools, staff in every role, 60 pupils and their guardians — everything a new
user needs to click through saferstaff. All names are made up; emails use the reserved .example domain."""

import datetime
import random
from pathlib import Path

from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from saferstaff.accounts.models import User
from saferstaff.audit.log import acting_as
from saferstaff.conduct import demo as conduct_demo
from saferstaff.incidents import demo as incidents_demo
from saferstaff.photos import demo as photos_demo
from saferstaff.policies.models import PolicyKind
from saferstaff.policies.services import import_policy
from saferstaff.privacy import demo as privacy_demo
from saferstaff.schools.models import EmploymentType, Role, School, Trust, TrustAdmin
from saferstaff.schools.rosters.plan import apply_plan, plan_import
from saferstaff.schools.rosters.records import GuardianRecord, ParsedRoster, PupilRecord
from saferstaff.schools.setup import create_school
from saferstaff.schools.staff import add_staff
from saferstaff.textcheck.upn import upn_check_letter

DEMO_TRUST = "Aire Valley Learning Trust (demo)"
DEMO_SCHOOL = "Westfield Infant School (demo)"
SECOND_SCHOOL = "Moorside Primary School (demo)"

# (email local part, first name, last name, job title, employment type, roles)
PEOPLE = [
    (
        "head",
        "Helen",
        "Hartley",
        "Headteacher",
        EmploymentType.EMPLOYEE,
        {Role.HEADTEACHER, Role.SENIOR_LEADER},
    ),
    (
        "deputy",
        "Samir",
        "Lodge",
        "Deputy Headteacher",
        EmploymentType.EMPLOYEE,
        {Role.SENIOR_LEADER, Role.LINE_MANAGER},
    ),
    (
        "dsl",
        "Dawn",
        "Sutcliffe",
        "Designated Safeguarding Lead",
        EmploymentType.EMPLOYEE,
        {Role.DSL, Role.SENIOR_LEADER},
    ),
    ("manager", "Lee", "Marsden", "Phase Leader", EmploymentType.EMPLOYEE, {Role.LINE_MANAGER, Role.STAFF}),
    ("governor", "Gail", "Oldroyd", "Chair of Governors", EmploymentType.VOLUNTEER, {Role.GOVERNOR}),
    ("dpo", "Priya", "Oakes", "Data Protection Officer", EmploymentType.CONTRACTOR, {Role.DPO}),
    (
        "office",
        "Olive",
        "Barker",
        "School Business Manager",
        EmploymentType.EMPLOYEE,
        {Role.OFFICE, Role.STAFF},
    ),
    ("teacher", "Tom", "Ackroyd", "Class Teacher, Year 1", EmploymentType.EMPLOYEE, {Role.STAFF}),
    ("agency", "Aisha", "Begum", "Teaching Assistant (agency)", EmploymentType.AGENCY, {Role.STAFF}),
    ("volunteer", "Val", "Holroyd", "Reading Volunteer", EmploymentType.VOLUNTEER, {Role.STAFF}),
]
TRUST_ADMIN_LOCAL = "trustadmin"
MFA_LOCALS = {
    "head",
    "deputy",
    "dsl",
    "dpo",
    "office",
    "governor",
    TRUST_ADMIN_LOCAL,
    "moorside.head",
}  # governor: the chair
DOMAIN = "demo.example"

FORENAMES = "Amelia Oliver Isla Noah Ava Arlo Freya Leo Mia Theo Ivy Finley Aria Jack Rosie Oscar Zara Alfie Ruby Harry Maya Ibrahim Evie Yusuf Sofia Jacob Poppy Musa Grace Lily".split()
SURNAMES = "Ahmed Bailey Brook Clegg Crowther Dyson Firth Gill Haigh Hussain Iqbal Jowett Kaur Lumb Mitchell Naylor Patel Pickles Ramsden Shaw Singh Smith Sykes Taylor Walker Whiteley Wood Wright".split()


def demo_password(local: str) -> str:
    return f"Westfield-{local}-demo-2026"


def demo_totp_secret(local: str) -> str:
    # Fixed per account so that the README and printed instructions stay true between runs.
    import base64
    import hashlib

    return base64.b32encode(hashlib.sha256(f"saferstaff-demo-{local}".encode()).digest()[:20]).decode()


def demo_roster(school: School, count: int = 60) -> ParsedRoster:
    rng = random.Random(2026)
    today = datetime.date(2026, 9, 1)
    pupils = []
    for n in range(count):
        year = ["R", "1", "2"][n % 3]
        age = {"R": 4, "1": 5, "2": 6}[year]
        dob = datetime.date(today.year - age - 1, 9, 1) + datetime.timedelta(days=rng.randrange(365))
        body = f"{school.la_number}{school.establishment_number}{(today.year - age + 4) % 100:02d}{n + 1:03d}"
        surname = rng.choice(SURNAMES)
        guardians = (
            GuardianRecord(
                surname=surname,
                forename=rng.choice(["Sarah", "Emma", "Fatima", "Claire", "Nadia", "Laura"]),
                title="Mrs",
                email=f"parent{n + 1}a@{DOMAIN}",
                phone=f"07700 900{n:03d}",
                relationship="Mother",
                parental_responsibility=True,
                contact_order=1,
            ),
            GuardianRecord(
                surname=surname if n % 4 else rng.choice(SURNAMES),
                forename=rng.choice(["James", "Imran", "Mark", "Daniel", "Ravi", "Paul"]),
                title="Mr",
                email=f"parent{n + 1}b@{DOMAIN}",
                phone=f"07700 901{n:03d}",
                relationship="Father" if n % 5 else "Step-father",
                parental_responsibility=bool(n % 5),
                contact_order=2,
            ),
        )
        pupils.append(
            PupilRecord(
                upn=upn_check_letter(body) + body,
                legal_forename=rng.choice(FORENAMES),
                legal_surname=surname,
                preferred_forename="",
                date_of_birth=dob,
                year_group=year,
                adult_at_risk=False,
                guardians=guardians,
                where=f"demo pupil {n + 1}",
            )
        )
    # A pupil the "check before you post" walkthrough names (README): Ben Thompson, Year 1.
    body = f"{school.la_number}{school.establishment_number}{(today.year - 5 + 4) % 100:02d}{count + 1:03d}"
    pupils.append(
        PupilRecord(
            upn=upn_check_letter(body) + body, legal_forename="Benjamin", legal_surname="Thompson",
            preferred_forename="Ben", date_of_birth=datetime.date(2020, 10, 14), year_group="1",
            adult_at_risk=False,
            guardians=(
                GuardianRecord(surname="Thompson", forename="Kerry", title="Ms", email=f"parent{count + 1}a@{DOMAIN}",
                               phone=f"07700 900{count:03d}", relationship="Mother", parental_responsibility=True,
                               contact_order=1),
            ),
            where=f"demo pupil {count + 1}",
        )
    )  # fmt: skip
    return ParsedRoster(format="demo", pupils=tuple(pupils))


class Command(BaseCommand):
    help = "Load the demo trust, schools, staff (every role), 61 pupils and guardians. Prints how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing if any school exists")
        parser.add_argument(
            "--policy",
            help="a guidance document (.txt, .docx) to publish as the demo school's online safety guidance",
        )

    def handle(self, *args, if_empty=False, policy=None, **options):
        if settings.PRODUCTION:
            # The demo accounts' passwords and second-factor secrets are published in the README.
            raise CommandError(
                "load_demo refuses to run in production (SAFERSTAFF_ENV=production): its accounts' passwords "
                "and second-factor secrets are public. Load the demo only on a development or training copy."
            )
        if if_empty and School.objects.exists():
            self.stdout.write(
                "Schools already exist; demo not loaded (sign-in details: README, 'Demo accounts')."
            )
            return
        if School.objects.filter(name=DEMO_SCHOOL).exists():
            self.stdout.write("The demo school is already loaded.")
            self._print_accounts()
            return
        with transaction.atomic(), acting_as():
            self._load()
            if policy:
                self._publish_policy(Path(policy))
        self._print_accounts()

    def _publish_policy(self, path: Path) -> None:
        """The school's guidance, published by the Headteacher, so "Ask the policy", the checks' citations
        and acceptances have it to work with."""
        school = School.objects.get(name=DEMO_SCHOOL)
        head = User.objects.get(email=f"head@{DOMAIN}")
        version, _notes = import_policy(
            school, title="Online safety and social media guidance", kind=PolicyKind.ONLINE_SAFETY,
            filename=path.name, data=path.read_bytes(),
        )  # fmt: skip
        version.publish(by=head)
        self.stdout.write(f"Published {path.name} as the demo school's online safety guidance.")

    def _user(self, local, first, last):
        user = User.objects.create_user(
            email=f"{local}@{DOMAIN}", password=demo_password(local), first_name=first, last_name=last
        )
        if local in MFA_LOCALS:
            TOTP.activate(user, demo_totp_secret(local))
        return user

    def _load(self):
        trust = Trust.objects.create(name=DEMO_TRUST, slug="aire-valley-demo")
        admin = self._user(TRUST_ADMIN_LOCAL, "Tariq", "Mahmood")
        TrustAdmin.objects.create(trust=trust, user=admin)
        school = create_school(
            name=DEMO_SCHOOL,
            urn="199001",
            la_number="383",
            establishment_number="2999",
            trust=trust,
            by=admin,
        )
        second = create_school(
            name=SECOND_SCHOOL,
            urn="199002",
            la_number="383",
            establishment_number="2998",
            trust=trust,
            by=admin,
        )
        users = {}
        for local, first, last, title, kind, roles in PEOPLE:
            users[local] = self._user(local, first, last)
            add_staff(
                school,
                email=users[local].email,
                first_name=first,
                last_name=last,
                roles=roles,
                employment_type=kind,
                job_title=title,
                by=admin,
                invite=False,
            )
        # A person can belong to two schools with different roles: the phase leader also line-manages at Moorside.
        add_staff(
            second,
            email=users["manager"].email,
            first_name="Lee",
            last_name="Marsden",
            roles={Role.LINE_MANAGER},
            job_title="Maths lead (one day a week)",
            by=admin,
            invite=False,
        )
        moorside_head = self._user("moorside.head", "Martin", "Exley")
        add_staff(
            second,
            email=moorside_head.email,
            first_name="Martin",
            last_name="Exley",
            roles={Role.HEADTEACHER},
            job_title="Headteacher",
            by=admin,
            invite=False,
        )
        governor = school.memberships.get(user=users["governor"])
        governor.is_chair_of_governors = True
        governor.save()
        apply_plan(plan_import(school, demo_roster(school)))
        photos_demo.load(school, users)
        conduct_demo.load(school, users)
        incidents_demo.load(school, users)
        privacy_demo.load(school, users)

    def _print_accounts(self):
        w = self.stdout.write
        w("")
        w(f"Demo accounts (sign in at {settings.SITE_URL}{reverse('account_login')}):")
        w(f"  {'email':<28} {'password':<34} {'authenticator (TOTP) secret'}")
        locals_ = [p[0] for p in PEOPLE] + [TRUST_ADMIN_LOCAL, "moorside.head"]
        for local in locals_:
            secret = demo_totp_secret(local) if local in MFA_LOCALS else "-"
            w(f"  {local + '@' + DOMAIN:<28} {demo_password(local):<34} {secret}")
        w("Accounts with a secret need a 6-digit code: add the secret to any authenticator app,")
        w("or run: oathtool --totp -b SECRET")
