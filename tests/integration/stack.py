"""A real Airflow deployment started from the test: scheduler, DAG processor, API server and,
for the Celery executor, workers; a throwaway metadata database on the local PostgreSQL.

Processes run in their own sessions and are stopped by their own ids; logs go to files
whose tails are shown when a wait times out.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dags_folder(folder: Path, *dag_ids: str) -> str:
    """A DAG folder with only the DAGs a test needs (and their shared module): the other DAGs'
    schedules would compete for the two cores of a test machine."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("_bnw_common", *dag_ids):
        shutil.copy(REPO / "dags" / f"{name}.py", folder / f"{name}.py")
    return str(folder)


def metadata_env(home: Path, meta_url: str) -> dict:
    """Settings every Airflow process of the stack shares."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta_url,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        # No scheduled runs during the test: only the runs and backfills it asks for.
        "BNW_START_DATE": "2100-01-01",
        "BNW_CATCHUP": "false",
    })
    return env


class Stack:
    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.procs = env, logs, {}
        self.base = env["AIRFLOW__API__BASE_URL"]
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, *args: str, **extra_env: str) -> None:
        log = open(self.logs / f"{name}.log", "w")
        self.procs[name] = subprocess.Popen([AIRFLOW, *args], env={**self.env, **extra_env}, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)       # the process group this stack created
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def tails(self, lines: int = 25) -> str:
        out = []
        for name in self.procs:
            text = (self.logs / f"{name}.log").read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {name} ---\n" + "\n".join(text))
        return "\n".join(out)

    def api(self, method: str, path: str, body: dict | None = None, ok_missing: bool = False):
        req = urllib.request.Request(self.base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            if ok_missing and exc.code == 404:
                return None
            raise AssertionError(f"{method} {path}: {exc.code} {exc.read().decode(errors='replace')}") from exc

    def wait(self, what: str, check, timeout: float, every: float = 2.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise AssertionError(f"{name} exited with {proc.returncode} while waiting for {what}\n"
                                         + self.tails())
            try:
                result = check()
            except (urllib.error.URLError, ConnectionError, OSError):
                result = None
            if result:
                return result
            time.sleep(every)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n" + self.tails())

    def wait_ready(self, dag_ids: list[str], pool_slots: int = 4) -> None:
        self.wait("the API server", lambda: self.api("GET", "/api/v2/monitor/health"), 120)
        if self.api("GET", "/api/v2/pools/bnw_postgis", ok_missing=True) is None:
            self.api("POST", "/api/v2/pools", {"name": "bnw_postgis", "slots": pool_slots,
                                               "description": "PostGIS-heavy tasks", "include_deferred": False})
        for dag_id in dag_ids:
            self.wait(f"DAG {dag_id} to be parsed", lambda d=dag_id: self.api("GET", f"/api/v2/dags/{d}",
                                                                               ok_missing=True), 120)

    def trigger(self, dag_id: str, logical_date: str | None, conf: dict) -> str:
        run = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": logical_date, "conf": conf})
        return run["dag_run_id"]

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 180) -> dict:
        def done():
            run = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] == "failed":
                tis = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
                raise AssertionError(f"{dag_id} {run_id} failed: "
                                     f"{[(t['task_id'], t['state']) for t in tis['task_instances']]}\n" + self.tails())
            return run if run["state"] == "success" else None

        return self.wait(f"{dag_id} run {run_id}", done, timeout)
