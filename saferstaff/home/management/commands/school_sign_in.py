import os

from allauth.socialaccount.models import SocialApp
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand, CommandError

from saferstaff.accounts.csp import origin
from saferstaff.rules.engine import Refused
from saferstaff.schools.models import School
from saferstaff.schools.signin import set_school_sign_in

SECRET_VARIABLE = "SIGN_IN_CLIENT_SECRET"


class Command(BaseCommand):
    help = (
        "Set up a school's own Microsoft 365 / Google Workspace sign-in: the OpenID Connect app (with --add-app) "
        "and the school's provider id and staff email domain. Checks each, records the change, prints what it set."
    )

    def add_arguments(self, parser):
        parser.add_argument("school", help="the school's slug, as in its address /s/<slug>/")
        parser.add_argument("--provider", required=True, help="the provider id, e.g. westfield-microsoft")
        parser.add_argument("--domain", required=True, help="the staff's email domain, e.g. westfield.sch.uk")
        parser.add_argument(
            "--add-app",
            action="store_true",
            help=f"create (or update) the app first; its client secret is read from ${SECRET_VARIABLE}",
        )
        parser.add_argument("--name", help="with --add-app: the name on the button, e.g. 'Microsoft 365'")
        parser.add_argument("--server-url", help="with --add-app: the tenant's issuer URL")
        parser.add_argument("--client-id", help="with --add-app: the app's client id")

    def handle(self, *args, school, provider, domain, add_app, name, server_url, client_id, **options):
        found = School.objects.filter(slug=school.strip()).first()
        if found is None:
            raise CommandError(
                f"No school has the slug {school!r} (it is in the school's address /s/<slug>/)"
            )
        if add_app:
            self.add_app(provider.strip(), name, server_url, client_id)
        try:
            found = set_school_sign_in(found, provider_id=provider, domain=domain)
        except Refused as refusal:
            raise CommandError(
                "; ".join(f"--{reason.field}: {reason.text}" for reason in refusal.decision.reasons)
            ) from None
        app = SocialApp.objects.get(provider="openid_connect", provider_id=found.sign_in_provider)
        self.stdout.write(
            f"{found.name} ({found.slug}): sign-in through {app.name!r} (provider id {found.sign_in_provider}, "
            f"server {app.settings.get('server_url')}) for addresses ending @{found.sign_in_domain}."
        )
        self.stdout.write(
            "Staff can now use the button on the sign-in page. To make it the only way in, the Headteacher signs "
            "in with it and chooses it under Settings, How staff sign in."
        )

    def add_app(self, provider_id, name, server_url, client_id):
        secret = os.environ.get(SECRET_VARIABLE, "")
        missing = [
            f"--{o}"
            for o, v in (("name", name), ("server-url", server_url), ("client-id", client_id))
            if not v
        ]
        if missing or not secret:
            raise CommandError(
                f"--add-app needs {', '.join(missing + ([] if secret else [f'${SECRET_VARIABLE}']))}"
            )
        server_url = server_url.strip().rstrip("/")
        if not origin(server_url) or not (
            server_url.startswith("https://") or origin(server_url).startswith("http://127.0.0.1")
        ):
            raise CommandError(f"--server-url must be an https address, not {server_url!r}")
        if "/common/" in server_url + "/" or "/organizations/" in server_url + "/":
            raise CommandError(
                "--server-url names any tenant (common/organizations): use the school's tenant id"
            )
        app, _ = SocialApp.objects.update_or_create(
            provider="openid_connect",
            provider_id=provider_id,
            defaults={
                "name": name.strip(),
                "client_id": client_id.strip(),
                "secret": secret,
                "settings": {"server_url": server_url},
            },
        )
        app.sites.add(Site.objects.get_current())
