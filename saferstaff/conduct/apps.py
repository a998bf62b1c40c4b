from django.apps import AppConfig


class ConductConfig(AppConfig):
    """§3, §4, §6 and KCSIE Part 4: contact with pupils, social media, personal equipment, low-level concerns"""

    name = "saferstaff.conduct"
    label = "conduct"

    def ready(self):
        # Connects the receivers, and the audit trail's filter of concerns (conduct.access.concern_events).
        from saferstaff.conduct import access, signals  # noqa: F401
