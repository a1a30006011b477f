#!/usr/bin/env bash
# The Celery scale-out test needs a Redis broker on 127.0.0.1:6379 (it uses its own db index).
# Start a non-persistent local one if none answers and redis-server is installed.
set -euo pipefail
log() { echo "[ensure-redis] $*" >&2; }
ping() { python3 - <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", 6379), timeout=2)
    s.sendall(b"PING\r\n"); sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}
if ping; then exit 0; fi
if ! command -v redis-server >/dev/null 2>&1; then
    log "no Redis on 127.0.0.1:6379 and redis-server is not installed (apt-get install redis-server)"; exit 1
fi
log "starting redis-server on 127.0.0.1:6379 (no persistence)"
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
for _ in $(seq 20); do ping && exit 0; sleep 0.5; done
log "redis-server did not answer"; exit 1
