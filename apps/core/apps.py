from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.conf import settings

        from .security import checked_policy

        # A policy that would let inline or evaluated script run stops every process at start-up.
        checked_policy(settings.RILO_CONTENT_SECURITY_POLICY)
