from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "saferstaff.ops"
    label = "ops"
