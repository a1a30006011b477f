# Entry points. Each target sets up what it needs (uv, environment, PostGIS, schema) on a fresh machine.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV = $(shell command -v uv 2>/dev/null || ( [ -x $(HOME)/.local/bin/uv ] && echo $(HOME)/.local/bin/uv ) || echo .tools/uv-venv/bin/uv)
RUN = $(UV) run --frozen --no-sync

.PHONY: setup demo test bench lock
setup:
	@scripts/bootstrap.sh

demo: setup
	$(RUN) python scripts/demo.py

test: setup
	$(RUN) pytest -q -n 2 --dist loadfile

bench: setup
	$(RUN) python -m bench.run_all

lock:
	$(UV) lock
