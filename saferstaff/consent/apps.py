from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


def _decide_the_undecided(using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """After ``migrate``: keep the consent states of schools that have none yet (ADR 0018)."""
    from saferstaff.consent.decided import never_decided, redecide_all

    if using == DEFAULT_DB_ALIAS:
        redecide_all(never_decided())


class ConsentConfig(AppConfig):
    """§5: consent to images of pupils"""

    name = "saferstaff.consent"
    label = "consent"

    def ready(self):
        # Django: a module that imports models loads only once the app registry is ready.
        from saferstaff.consent import signals  # noqa: F401  (connects the receivers)

        post_migrate.connect(_decide_the_undecided, sender=self)
