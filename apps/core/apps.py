from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.conf import settings

        from . import lookups  # noqa: F401 (registers ``__any``)
        from .security import checked_policy

        # A policy that would let inline or evaluated script run stops every process at start-up.
        checked_policy(settings.RILO_CONTENT_SECURITY_POLICY)
