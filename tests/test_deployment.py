"""The deployment files: compose.yaml is a valid Compose file (``docker compose config`` where the
plugin exists, else the Compose Specification JSON schema vendored in docker/), every service
has a health check, workers run the CeleryExecutor and scale, and no secret is written in it."""
from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DOCKER = Path(__file__).resolve().parents[1] / "docker"
SECRET_KEY = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY$")
REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def _schema_errors(doc: dict) -> list[str]:
    from jsonschema import Draft201909Validator

    schema = json.loads((DOCKER / "compose-spec.json").read_text())
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in Draft201909Validator(schema).iter_errors(doc)]


def _compose_plugin() -> bool:
    docker = shutil.which("docker")
    return bool(docker) and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0


def test_compose_file_is_valid(compose):
    if _compose_plugin():
        subprocess.run(["docker", "compose", "--env-file", str(DOCKER / ".env.example"), "-f",
                        str(DOCKER / "compose.yaml"), "config", "--quiet"], check=True)
    assert _schema_errors(compose) == []
    broken = copy.deepcopy(compose)
    broken["services"]["redis"]["healthcheck"]["every"] = "10s"        # the schema is really applied
    assert any("every" in e for e in _schema_errors(broken))


def test_every_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"service {name} has no health check"


def test_airflow_services_and_scalable_celery_workers(compose):
    services = compose["services"]
    airflow = {n: s for n, s in services.items() if n.startswith("airflow-")}
    assert {"airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
            "airflow-worker"} <= set(airflow)
    assert {"postgis", "redis", "reports"} <= set(services)
    assert services["postgis"]["image"].startswith("postgis/postgis:15-3.")
    for name, service in airflow.items():
        assert service["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert service["environment"]["AIRFLOW_CONN_BNW_POSTGIS"].startswith("postgresql://"), name
    worker = services["airflow-worker"]
    assert worker["command"] == "celery worker"
    assert "container_name" not in worker and "ports" not in worker       # replicas must not collide
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    init = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in init and "platform_core.db import migrate" in init and "pools set bnw_postgis" in init


def _environments(compose):
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        yield name, env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env)


def test_no_secret_is_written_in_the_compose_file(compose):
    for name, items in _environments(compose):
        for key, value in items:
            value = str(value)
            if SECRET_KEY.search(key):
                assert REFERENCE.fullmatch(value), f"{name}: {key} must come from docker/.env, not the file"
            # Credentials inside URIs too: user:password@ must be references.
            for cred in re.findall(r"://([^@/]+)@", value):
                assert ":" not in cred or re.fullmatch(r"\$\{\w+\}:\$\{\w+\}", cred), f"{name}: {key} has a literal password"


def test_env_example_defines_every_reference_and_holds_no_secret(compose):
    text = (DOCKER / "compose.yaml").read_text()
    example = dict(line.split("=", 1) for line in (DOCKER / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    # ${VAR} is compose interpolation from docker/.env; $${VAR} is left for the container's shell.
    required = {m.group(1) for m in re.finditer(r"(?<!\$)\$\{([A-Z0-9_]+)(?::\?[^}]*)?\}", text)}
    assert required - set(example) == set()
    for key, value in example.items():
        if SECRET_KEY.search(key):
            assert value == "change-me", f".env.example: {key} must be a placeholder"


def test_dockerfile_builds_on_the_official_image_from_the_lockfile():
    text = (DOCKER / "Dockerfile").read_text()
    assert re.search(r"^FROM apache/airflow:3\.3\.2-python3\.11$", text, re.M)
    assert "uv export --frozen" in text and "uv.lock" in text
    pinned = re.search(r'"apache-airflow==\$\{AIRFLOW_VERSION\}"', text)
    assert pinned, "the image's Airflow must stay pinned while installing the project"
