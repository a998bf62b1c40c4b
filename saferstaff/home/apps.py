from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "saferstaff.home"
    label = "home"
