from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    """§1–2, §7: policies, versions, read and accept"""

    name = "saferstaff.policies"
    label = "policies"

    def ready(self):
        # Django: a module that imports models loads only once the app registry is ready.
        from saferstaff.policies.models import version_published
        from saferstaff.policies.search import index_when_published

        version_published.connect(index_when_published, dispatch_uid="policies.index_when_published")
