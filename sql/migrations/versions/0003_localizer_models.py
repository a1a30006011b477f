"""Trained leak localizers per network, stored in the database so every worker can load them.

Revision ID: 0003_localizer_models
Revises: 0002_leak_event_updates
Create Date: 2026-11-26
"""
from alembic import op

revision = "0003_localizer_models"
down_revision = "0002_leak_event_updates"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE water.localizer_models (
    id           serial PRIMARY KEY,
    network_id   integer NOT NULL REFERENCES water.networks(id) ON DELETE CASCADE,
    version      text NOT NULL,
    kind         text NOT NULL,
    inp_sha256   text NOT NULL,
    trained_at   timestamptz NOT NULL DEFAULT now(),
    n_scenarios  integer NOT NULL,
    params       jsonb NOT NULL,
    metrics      jsonb NOT NULL,
    model        bytea NOT NULL,
    UNIQUE (network_id, version)
);
COMMENT ON TABLE water.localizer_models IS
    'Fitted leak localizers (pickled estimator). The newest row for the network''s current model (inp_sha256) is used; '
    'leak_events.model_version names the one that produced each event.';
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS water.localizer_models")
