"""The pull-feed sequence, and triggers keeping policy versions and outbox snapshots immutable."""

from django.db import migrations

FORWARD = """
CREATE SEQUENCE IF NOT EXISTS exchange_feed_seq;

CREATE OR REPLACE FUNCTION exchange_sharingpolicy_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'sharing policy versions are immutable; create a new version instead';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER exchange_sharingpolicy_immutable
    BEFORE UPDATE ON exchange_sharingpolicy
    FOR EACH ROW EXECUTE FUNCTION exchange_sharingpolicy_immutable();

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

CREATE TRIGGER exchange_outboxevent_immutable
    BEFORE UPDATE ON exchange_outboxevent
    FOR EACH ROW EXECUTE FUNCTION exchange_outboxevent_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS exchange_outboxevent_immutable ON exchange_outboxevent;
DROP FUNCTION IF EXISTS exchange_outboxevent_immutable();
DROP TRIGGER IF EXISTS exchange_sharingpolicy_immutable ON exchange_sharingpolicy;
DROP FUNCTION IF EXISTS exchange_sharingpolicy_immutable();
DROP SEQUENCE IF EXISTS exchange_feed_seq;
"""


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
