"""Replays render from the current state (``Delivery.replayed_at``); superseded versions lose their
personal fields after the feed's retention period (``OutboxEvent.personal_scrubbed_at``), the only
change of a snapshot the immutability trigger now allows, once."""

from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION exchange_outboxevent_immutable() RETURNS trigger AS $$
BEGIN
    IF NEW.uuid IS DISTINCT FROM OLD.uuid
       OR NEW.report_uuid IS DISTINCT FROM OLD.report_uuid
       OR NEW.report_version IS DISTINCT FROM OLD.report_version
       OR NEW.type IS DISTINCT FROM OLD.type
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR (OLD.personal_scrubbed_at IS NOT NULL
           AND NEW.personal_scrubbed_at IS DISTINCT FROM OLD.personal_scrubbed_at)
       OR (NEW.snapshot::text IS DISTINCT FROM OLD.snapshot::text
           AND NOT (OLD.personal_scrubbed_at IS NULL AND NEW.personal_scrubbed_at IS NOT NULL)) THEN
        RAISE EXCEPTION 'outbox events are immutable (only fanned_out_at may be set, and personal data scrubbed once)';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION exchange_outboxevent_immutable() RETURNS trigger AS $$
BEGIN
    IF NEW.uuid IS DISTINCT FROM OLD.uuid
       OR NEW.report_uuid IS DISTINCT FROM OLD.report_uuid
       OR NEW.report_version IS DISTINCT FROM OLD.report_version
       OR NEW.type IS DISTINCT FROM OLD.type
       OR NEW.snapshot::text IS DISTINCT FROM OLD.snapshot::text
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'outbox events are immutable (only fanned_out_at may be set)';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0006_partner_region_required_and_agreements"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="replayed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="outboxevent",
            name="personal_scrubbed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
