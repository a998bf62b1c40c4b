from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "saferstaff.images"
    label = "images"

    def ready(self):
        from saferstaff.images import signals  # noqa: F401
