from django.apps import AppConfig


class BiometricsConfig(AppConfig):
    """§5: face templates and album screening"""

    name = "saferstaff.biometrics"
    label = "biometrics"
