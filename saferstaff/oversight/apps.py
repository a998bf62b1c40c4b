from django.apps import AppConfig


class OversightConfig(AppConfig):
    """§2: governors and the Headteacher ensure the guidance is shared and followed — the figures every report
    reads (one function each), and the school's self-review of its online safety."""

    name = "saferstaff.oversight"
    label = "oversight"

    def ready(self):
        # Django: a module that imports models loads only once the app registry is ready.
        from django.db.models.signals import post_delete

        from saferstaff.oversight.models import GovernorsReport
        from saferstaff.photos.services import delete_files_with_row

        # A report's PDF is kept exactly as long as its row, as photos' WARCs and screenshots are: deleted after
        # the commit, retried by the daily job while the storage is unreachable.
        post_delete.connect(
            delete_files_with_row, sender=GovernorsReport, dispatch_uid="oversight.files.GovernorsReport"
        )
