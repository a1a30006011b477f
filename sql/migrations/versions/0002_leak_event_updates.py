"""Leak event updates: later alarms explained by an open event update it instead of opening a new one.

Revision ID: 0002_leak_event_updates
Revises: 0001_foundation
Create Date: 2026-11-25
"""
from alembic import op

revision = "0002_leak_event_updates"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE water.leak_event_updates (
        event_id     bigint NOT NULL REFERENCES water.leak_events(id) ON DELETE CASCADE,
        run_day      date NOT NULL,
        observed_at  timestamptz NOT NULL,
        est_flow_lps double precision,
        candidates   jsonb NOT NULL,          -- [[link_id, probability], ...] of the new alarm
        details      jsonb,
        PRIMARY KEY (event_id, observed_at)
    );
    CREATE INDEX leak_event_updates_day_idx ON water.leak_event_updates (run_day);
    ALTER TABLE water.leak_events ADD COLUMN status_changed_at timestamptz;
    ALTER TABLE water.leak_events ADD COLUMN status_note text;
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE IF EXISTS water.leak_event_updates;
    ALTER TABLE water.leak_events DROP COLUMN IF EXISTS status_changed_at;
    ALTER TABLE water.leak_events DROP COLUMN IF EXISTS status_note;
    """)
