from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "saferstaff.audit"
    label = "audit"
