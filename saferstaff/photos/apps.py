from django.apps import AppConfig


class PhotosConfig(AppConfig):
    """§5–6: devices, activities, images, publications, takedowns, retention"""

    name = "saferstaff.photos"
    label = "photos"

    def ready(self):
        # Django: a module that imports models loads only once the app registry is ready.
        from saferstaff.consent.signals import withdrawn
        from saferstaff.photos.takedowns import take_down_on_withdrawal

        withdrawn.connect(take_down_on_withdrawal, dispatch_uid="photos.take_down_on_withdrawal")
