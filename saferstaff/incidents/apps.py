from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """§9 (and §2, §4; KCSIE Part 4): incidents, cyberbullying of staff, allegations, the evidence vault"""

    name = "saferstaff.incidents"
    label = "incidents"
