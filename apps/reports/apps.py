from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = _("Seizure and offence reports")

    def ready(self) -> None:
        from apps.jobs.kinds import runner_register

        from .export_jobs import KIND, report_export_keep, report_export_run

        runner_register(KIND, report_export_run, keeper=report_export_keep)
