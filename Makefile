# Entry points. Each target sets up what it needs (uv, environment, PostGIS, schema) on a fresh machine.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV = $(shell command -v uv 2>/dev/null || ( [ -x $(HOME)/.local/bin/uv ] && echo $(HOME)/.local/bin/uv ) || echo .tools/uv-venv/bin/uv)
RUN = $(UV) run --frozen --no-sync

.PHONY: setup demo test test-integration airflow bench lock
setup:
	@scripts/bootstrap.sh

demo: setup
	$(RUN) python scripts/demo.py

test: setup
	$(RUN) pytest -q -n 2 --dist loadfile

# Real Airflow services (scheduler, dag-processor, api-server; LocalExecutor, then Celery with two
# workers on the local Redis) on throwaway PostgreSQL databases; a few minutes.
test-integration: setup
	scripts/ensure-redis.sh
	BNW_INTEGRATION=1 $(RUN) pytest -q -p no:xdist tests/integration

# A local `airflow standalone` on the project's DAGs (home under work/airflow; prints the login).
airflow: setup
	UV=$(UV) scripts/airflow-standalone.sh

bench: setup
	$(RUN) python -m bench.run_all

lock:
	$(UV) lock
