from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "saferstaff.policy"
    label = "policy"
