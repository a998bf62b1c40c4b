from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "saferstaff.notifications"
    label = "notifications"
