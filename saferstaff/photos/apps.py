from django.apps import AppConfig


class PhotosConfig(AppConfig):
    """§5–6: devices, activities, images, publications, takedowns, retention"""

    name = "saferstaff.photos"
    label = "photos"
