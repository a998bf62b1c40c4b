from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """§5: publishing a copy of an image"""

    name = "saferstaff.publishing"
    label = "publishing"
