from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """§9 (and §2, §4; KCSIE Part 4): incidents, cyberbullying of staff, allegations, the evidence vault"""

    name = "saferstaff.incidents"
    label = "incidents"

    def ready(self):
        # The audit trail's filter of cases (incidents.access.case_events), and the escalation receiver.
        from saferstaff.conduct.signals import concern_escalated
        from saferstaff.incidents import access  # noqa: F401
        from saferstaff.incidents.services import open_from_concern, recount_lado_clocks
        from saferstaff.schools.closures import closure_days_changed

        concern_escalated.connect(open_from_concern, dispatch_uid="incidents.open_from_concern")
        closure_days_changed.connect(recount_lado_clocks, dispatch_uid="incidents.recount_lado_clocks")
