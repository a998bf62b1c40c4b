from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    """§1–2, §7: policies, versions, read and accept"""

    name = "saferstaff.policies"
    label = "policies"
