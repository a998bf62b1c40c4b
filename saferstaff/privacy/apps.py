from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """§8 (UK GDPR, DPA 2018): the sharing log, subject access, breaches, one retention schedule, legal holds"""

    name = "saferstaff.privacy"
    label = "privacy"

    def ready(self):
        # A referral recorded in an incident opens its entry in the sharing log (incidents imports nothing above).
        from saferstaff.incidents.signals import contact_recorded
        from saferstaff.privacy.sharing import from_referral

        contact_recorded.connect(from_referral, dispatch_uid="privacy.from_referral")
