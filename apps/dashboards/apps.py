from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "apps.dashboards"
    label = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self) -> None:
        # The panels register themselves in the registry (apps.dashboards.panels) when their module loads.
        from apps.reports.counting import counted_change_register

        from . import panel_activity, panel_commodities, panel_defs, panel_persons, panel_quality  # noqa: F401
        from .services import STATISTICS_MARKER

        # The reports' workflow and the uploads' writer tell apps.reports.counting when counted reports change;
        # the summaries' buckets are marked from there (apps.reports never imports this app).
        counted_change_register(STATISTICS_MARKER)
