"""Create the role groups; their permissions are granted by roles.sync_role_permissions after migrate."""

from django.db import migrations

ROLES = ["officer", "national_coordinator", "rilo_analyst", "rilo_administrator", "partner_system", "auditor"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
