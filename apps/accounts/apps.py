from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .roles import sync_role_permissions

        # Role groups get the permissions of apps migrated later (reports, exchange, ...).
        post_migrate.connect(sync_role_permissions, dispatch_uid="rilo-sync-role-permissions")
