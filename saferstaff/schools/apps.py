from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "saferstaff.schools"
    label = "schools"
