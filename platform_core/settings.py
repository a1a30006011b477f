"""Runtime settings, read from the environment once.

Every setting has a default that works on a developer machine set up by ``make``;
deployments override them with environment variables (or Airflow connections,
which the DAGs translate into ``DATABASE_URL``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bnwater"


def _normalise_url(url: str) -> str:
    # Accept plain libpq URLs (postgresql://, postgres://) and pin the psycopg 3 driver.
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str
    reports_dir: Path
    work_dir: Path
    local_timezone: str

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            database_url=_normalise_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)),
            reports_dir=Path(os.environ.get("BNW_REPORTS_DIR", REPO_ROOT / "reports")),
            work_dir=Path(os.environ.get("BNW_WORK_DIR", REPO_ROOT / "work")),
            local_timezone=os.environ.get("BNW_LOCAL_TZ", "Asia/Brunei"),
        )


def get_settings() -> Settings:
    return Settings.from_env()
