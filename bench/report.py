"""Benchmark plumbing: a scratch PostGIS database and writing results into docs/benchmarks.md."""
from __future__ import annotations

import os
import platform
import re
from contextlib import contextmanager
from datetime import datetime, timezone

from platform_core.settings import REPO_ROOT

DOC = REPO_ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    return f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def use_kept_run(database: str, work_dir) -> None:
    """Point this process at a kept ``bench.ltown_year`` run: its scratch ``database`` (on the
    configured server) and its ``BNW_WORK_DIR``, for the scripts that diagnose such a run."""
    from sqlalchemy.engine import make_url

    from platform_core.settings import get_settings

    os.environ["BNW_WORK_DIR"] = str(work_dir)
    os.environ["DATABASE_URL"] = make_url(get_settings().database_url).set(database=database) \
        .render_as_string(hide_password=False)


@contextmanager
def scratch_database():
    """A fresh migrated database on the configured server, dropped afterwards; with
    ``BNW_KEEP_SCRATCH=1`` it is kept (its name is printed) for diagnosis, e.g. by
    ``bench/night_localization.py``. Drop it yourself when done."""
    from platform_core.db import temporary_database

    keep = os.environ.get("BNW_KEEP_SCRATCH", "") not in ("", "0")
    with temporary_database("bnw_bench", keep=keep) as url:
        if keep:
            print("scratch database kept:", url.rsplit("/", 1)[-1])
        yield url


def write_section(key: str, body: str) -> None:
    """Replace (or append) the section ``key`` of docs/benchmarks.md with ``body``."""
    DOC.parent.mkdir(parents=True, exist_ok=True)
    doc = DOC.read_text() if DOC.exists() else "# Benchmarks\n\nEach section is rewritten by the bench script named in it.\n"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = f"<!-- bench:{key} -->\n{body.rstrip()}\n\n_Measured {stamp} on {machine()}._\n<!-- /bench:{key} -->"
    pattern = re.compile(rf"<!-- bench:{re.escape(key)} -->.*?<!-- /bench:{re.escape(key)} -->", re.S)
    doc = pattern.sub(lambda _: block, doc) if pattern.search(doc) else doc.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(doc)
