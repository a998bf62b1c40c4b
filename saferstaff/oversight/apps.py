from django.apps import AppConfig


class OversightConfig(AppConfig):
    """§2: governors and the Headteacher ensure the guidance is shared and followed — the figures every report
    reads (one function each), and the school's self-review of its online safety."""

    name = "saferstaff.oversight"
    label = "oversight"
