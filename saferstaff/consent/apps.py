from django.apps import AppConfig


class ConsentConfig(AppConfig):
    """§5: consent to images of pupils"""

    name = "saferstaff.consent"
    label = "consent"

    def ready(self):
        # Django: a module that imports models loads only once the app registry is ready.
        from saferstaff.consent import signals  # noqa: F401  (connects the receivers)
