from django.apps import AppConfig


class BiometricsConfig(AppConfig):
    """§5: face templates and album screening"""

    name = "saferstaff.biometrics"
    label = "biometrics"

    def ready(self):
        # Django: a module that imports models loads only once the app registry is ready.
        from saferstaff.biometrics.erasure import erase_on_withdrawal
        from saferstaff.consent.signals import withdrawn

        withdrawn.connect(erase_on_withdrawal, dispatch_uid="biometrics.erase_on_withdrawal")
