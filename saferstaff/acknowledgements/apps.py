from django.apps import AppConfig


class AcknowledgementsConfig(AppConfig):
    name = "saferstaff.acknowledgements"
    label = "acknowledgements"
