from typing import Any

from django.db import migrations, models

# The rights an assigned reviewer holds (apps.reports.grants.REVIEWER_PERMISSIONS), as codenames.
_REVIEWER_CODENAMES = ("view_report", "review_report", "approve_report", "view_personal_data_report")


def end_assignments_of_reports_out_of_review(apps: Any, schema_editor: Any) -> None:
    """Reviewers assigned before their rights ended with the review keep none on reports no longer submitted."""
    grants = apps.get_model("reports", "ReportUserObjectPermission")
    grants.objects.filter(permission__codename__in=_REVIEWER_CODENAMES).exclude(
        content_object__status="submitted"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_report_seizure_date_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportgroupobjectpermission",
            name="expires_at",
            field=models.DateTimeField(
                blank=True, db_index=True, help_text="When the grant ends; never when empty.", null=True
            ),
        ),
        migrations.RunPython(end_assignments_of_reports_out_of_review, migrations.RunPython.noop),
    ]
