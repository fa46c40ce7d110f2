from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0008_delivery_reason_parts"),
    ]

    operations = [
        migrations.AddField(
            model_name="deliveryattempt",
            name="error_parts",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
