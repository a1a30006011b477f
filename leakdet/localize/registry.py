"""Storing and loading trained localizers (one row per version in ``water.localizer_models``).

Models live in the database, not on a worker's disk, so any worker of a scaled-out
deployment can use the model another worker trained. Only pickles this platform wrote are
ever loaded from that table.
"""
from __future__ import annotations

import hashlib
import json
import pickle
from functools import lru_cache

from sqlalchemy import text


def save_localizer(conn, network_id: int, inp_sha256: str, estimator, n_scenarios: int, metrics: dict) -> str:
    """Store a fitted localizer; returns its version (``xgb-<sha>``, stable for identical models)."""
    blob = pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL)
    version = f"xgb-{hashlib.sha256(blob).hexdigest()[:12]}"
    conn.execute(text(
        """INSERT INTO water.localizer_models (network_id, version, kind, inp_sha256, n_scenarios, params, metrics, model)
           VALUES (:n, :v, :k, :sha, :ns, CAST(:p AS jsonb), CAST(:m AS jsonb), :blob)
           ON CONFLICT (network_id, version) DO UPDATE SET trained_at = now(), metrics = EXCLUDED.metrics"""),
        {"n": network_id, "v": version, "k": type(estimator).__name__, "sha": inp_sha256, "ns": n_scenarios,
         "p": json.dumps(estimator.get_params(), default=str), "m": json.dumps(metrics, default=str), "blob": blob})
    return version


def latest_version(conn, network_id: int, inp_sha256: str) -> str | None:
    """The newest localizer trained on this exact network model, if any."""
    return conn.execute(text(
        """SELECT version FROM water.localizer_models WHERE network_id = :n AND inp_sha256 = :sha
           ORDER BY trained_at DESC, id DESC LIMIT 1"""), {"n": network_id, "sha": inp_sha256}).scalar()


@lru_cache(maxsize=4)
def _unpickle(blob: bytes):
    return pickle.loads(blob)


def load_localizer(conn, network_id: int, version: str):
    blob = conn.execute(text("SELECT model FROM water.localizer_models WHERE network_id = :n AND version = :v"),
                        {"n": network_id, "v": version}).scalar()
    return None if blob is None else _unpickle(bytes(blob))
