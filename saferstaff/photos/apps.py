from django.apps import AppConfig


class PhotosConfig(AppConfig):
    """§5–6: devices, activities, images, publications, takedowns, retention"""

    name = "saferstaff.photos"
    label = "photos"

    def ready(self):
        # Django: a module that imports models loads only once the app registry is ready.
        from django.db.models.signals import post_delete

        from saferstaff.consent.signals import withdrawn
        from saferstaff.photos.models import PlaceCheck, Takedown
        from saferstaff.photos.services import delete_files_with_row
        from saferstaff.photos.takedowns import take_down_on_withdrawal

        withdrawn.connect(take_down_on_withdrawal, dispatch_uid="photos.take_down_on_withdrawal")
        # The evidence files (a check's WARC, a takedown's screenshot) are kept exactly as long as their rows.
        for model in (PlaceCheck, Takedown):
            post_delete.connect(
                delete_files_with_row, sender=model, dispatch_uid=f"photos.files.{model.__name__}"
            )
