"""The immutability triggers of sharing policies and outbox events fire whatever the session's replication role:
a session that may set it to ``replica`` (the uploads' bulk writer, apps/uploads/foreign_keys.py) silences the
triggers of the tables it writes, never these."""

from django.db import migrations

TRIGGERS = (
    ("exchange_sharingpolicy", "exchange_sharingpolicy_immutable"),
    ("exchange_outboxevent", "exchange_outboxevent_immutable"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0009_deliveryattempt_error_parts"),
    ]

    operations = [
        migrations.RunSQL(
            [f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}" for table, trigger in TRIGGERS],
            [f"ALTER TABLE {table} ENABLE TRIGGER {trigger}" for table, trigger in TRIGGERS],
        ),
    ]
