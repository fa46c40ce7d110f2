"""The encoding an officer chose for a CSV is kept apart from the codec the check read it with.

Until now the check wrote the codec it read with ("utf-8-sig", "cp1252", "utf-16-le"…) over the encoding chosen,
and the commit's second check and a restart then passed that codec to the reader, which takes only the encodings
offered: the upload failed. Existing uploads are mended so that every later reading gives the same codec: a
checked upload's codec moves to ``detected_encoding``, and ``encoding`` becomes the offered encoding whose reading
gives that codec again ("utf-16-be" has none: detected again, it is found again by its zero bytes). The names are
written out here, as a migration must not follow the code's later lists.
"""

from django.db import migrations, models

# The codec read with (or, for an upload not yet checked, the codec name the encoding chosen was kept under) ->
# the encoding offered whose reading gives it.
_OFFERED = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16",
    "cp1252": "windows-1252",
    "windows-1252": "windows-1252",
}


def _apart(apps, schema_editor):
    Upload = apps.get_model("uploads", "Upload")
    Upload.objects.filter(checked_at__isnull=False).update(detected_encoding=models.F("encoding"))
    for kept, offered in _OFFERED.items():
        if kept != offered:
            Upload.objects.filter(encoding=kept).update(encoding=offered)
    Upload.objects.exclude(encoding__in=set(_OFFERED.values())).exclude(encoding="").update(encoding="")


def _together(apps, schema_editor):
    Upload = apps.get_model("uploads", "Upload")
    Upload.objects.exclude(detected_encoding="").update(encoding=models.F("detected_encoding"))


class Migration(migrations.Migration):
    dependencies = [
        ("uploads", "0004_problem_personal"),
    ]

    operations = [
        migrations.AddField(
            model_name="upload",
            name="detected_encoding",
            field=models.CharField(
                blank=True,
                help_text="CSV: the codec the check read the file with (that of the encoding chosen, or detected).",
                max_length=32,
                verbose_name="encoding read",
            ),
        ),
        migrations.AlterField(
            model_name="upload",
            name="encoding",
            field=models.CharField(
                blank=True,
                help_text="CSV: the encoding the sender chose (empty: detected); every reading of the file uses it.",
                max_length=32,
                verbose_name="encoding chosen",
            ),
        ),
        migrations.RunPython(_apart, _together),
    ]
