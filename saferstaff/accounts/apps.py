from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "saferstaff.accounts"
    label = "accounts"
    verbose_name = "Accounts"
