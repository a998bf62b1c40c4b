from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.urls import reverse

from saferstaff.schools.models import Trust
from saferstaff.schools.setup import create_trust


class Command(BaseCommand):
    help = (
        "Set up a trust or Local Authority and its first admin. Prints the link where the admin sets their "
        "password (it works once, for PASSWORD_RESET_TIMEOUT: 3 days) and, last, the trust's slug."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", choices=Trust.Kind.values, default=Trust.Kind.TRUST)
        parser.add_argument("--admin-email", required=True, help="the first admin's work email address")

    def handle(self, *args, name, kind, admin_email, **options):
        try:
            validate_email(admin_email.strip())
        except ValidationError:
            raise CommandError(f"--admin-email is not an email address: {admin_email!r}") from None
        trust, admin = create_trust(name=name, kind=kind, admin_email=admin_email)
        self.stdout.write(f"Created {trust.name} with its first admin.")
        if admin.has_usable_password():
            self.stdout.write("The admin already has an account: they sign in with it and see the trust.")
        else:
            link = reverse(
                "account_reset_password_from_key",
                kwargs={
                    "uidb36": user_pk_to_url_str(admin),
                    "key": default_token_generator.make_token(admin),
                },
            )
            self.stdout.write(f"Send the admin this link to set their password: {settings.SITE_URL}{link}")
        self.stdout.write(trust.slug)
