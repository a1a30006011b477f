#!/usr/bin/env bash
# `make airflow`: a local Airflow (api-server, scheduler, dag-processor, triggerer in one command)
# on the project's DAGs, for a data engineer to explore. Its home and metadata DB (SQLite) live
# under work/airflow (ignored by git); the platform database is the one DATABASE_URL names.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-.tools/uv-venv/bin/uv}"
RUN="$UV run --frozen --no-sync"

export AIRFLOW_HOME="$PWD/work/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$PWD/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${BNW_AIRFLOW_USER:-admin}:admin"
export AIRFLOW__API__PORT="${BNW_AIRFLOW_PORT:-8080}"
export BNW_CATCHUP="${BNW_CATCHUP:-false}"          # exploring: no months of catch-up runs
db="${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/bnwater}"
# The DAGs read the platform database from the bnw_postgis connection (libpq URI form).
export AIRFLOW_CONN_BNW_POSTGIS="postgresql://${db#*://}"
mkdir -p "$AIRFLOW_HOME"

$RUN airflow db migrate >/dev/null
$RUN airflow pools set bnw_postgis 4 "PostGIS-heavy tasks of the platform" >/dev/null
cat <<MSG
[airflow] UI and REST API:  http://localhost:${AIRFLOW__API__PORT}
[airflow] login:            user ${BNW_AIRFLOW_USER:-admin}; password in the file below (written on first start)
[airflow]                   $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated
[airflow] platform DB:      bnw_postgis -> ${AIRFLOW_CONN_BNW_POSTGIS%%@*}@... (DATABASE_URL)
[airflow] DAGs are paused when first seen; unpause them in the UI. Ctrl-C stops everything.
MSG
exec $RUN airflow standalone
