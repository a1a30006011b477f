"""Leak events may be "unconfirmed": raised for the analyst to see, with no crew sent.

A small daytime pressure alarm waits for the night after it; when that night shows nothing
near it within days of a recognised repair, the detector raises it as ``unconfirmed``
(see ``leakdet.detect.night_confirm``). Downgrading turns such events into ``closed``.

Revision ID: 0006_unconfirmed_leak_events
Revises: 0005_disaster_feeds
Create Date: 2026-11-27
"""
from alembic import op

revision = "0006_unconfirmed_leak_events"
down_revision = "0005_disaster_feeds"
branch_labels = None
depends_on = None

STATUSES = "'new', 'confirmed', 'repaired', 'closed', 'false_alarm'"


def upgrade() -> None:
    op.execute(f"""
        ALTER TABLE water.leak_events DROP CONSTRAINT leak_events_status_check;
        ALTER TABLE water.leak_events ADD CONSTRAINT leak_events_status_check
            CHECK (status IN ({STATUSES}, 'unconfirmed'));
    """)


def downgrade() -> None:
    op.execute(f"""
        UPDATE water.leak_events SET status = 'closed' WHERE status = 'unconfirmed';
        ALTER TABLE water.leak_events DROP CONSTRAINT leak_events_status_check;
        ALTER TABLE water.leak_events ADD CONSTRAINT leak_events_status_check CHECK (status IN ({STATUSES}));
    """)
