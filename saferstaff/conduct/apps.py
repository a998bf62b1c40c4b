from django.apps import AppConfig


class ConductConfig(AppConfig):
    """§3, §4, §6 and KCSIE Part 4: contact with pupils, social media, personal equipment, low-level concerns"""

    name = "saferstaff.conduct"
    label = "conduct"

    def ready(self):
        from saferstaff.conduct import signals  # noqa: F401  (connects the receivers)
