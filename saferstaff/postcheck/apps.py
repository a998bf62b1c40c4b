from django.apps import AppConfig


class PostcheckConfig(AppConfig):
    """§4: check a post before publishing it"""

    name = "saferstaff.postcheck"
    label = "postcheck"
