#!/usr/bin/env bash
# Make sure a PostGIS database is reachable and print nothing else than progress on stderr.
#
# - With DATABASE_URL set: use that server as it is (only the postgis extension is created).
# - Otherwise (Debian/Ubuntu): install PostgreSQL + PostGIS where missing, start or create a
#   local cluster, create the database (default: bnwater) and the postgis extension.
# Other systems: provide PostgreSQL >= 14 with PostGIS >= 3 yourself and export DATABASE_URL.
set -euo pipefail

DB_NAME="${BNW_DB_NAME:-bnwater}"
log() { echo "[ensure-postgis] $*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

psql_url() { PGOPTIONS="-c client_min_messages=warning" psql "$1" -v ON_ERROR_STOP=1 -qAt "${@:2}"; }

if [ -n "${DATABASE_URL:-}" ]; then
    url="${DATABASE_URL/postgresql+psycopg:/postgresql:}"
    log "using DATABASE_URL server"
    command -v psql >/dev/null 2>&1 || { log "psql not found; cannot check $url"; exit 0; }
    psql_url "$url" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    log "no apt-get: install PostgreSQL + PostGIS and set DATABASE_URL (see README)"; exit 1
fi

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then $SUDO apt-get update -qq >/dev/null; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! command -v pg_lsclusters >/dev/null 2>&1; then
    log "installing PostgreSQL"
    apt_install postgresql postgresql-contrib
fi
PG_VER="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
if [ ! -f "/usr/share/postgresql/${PG_VER}/extension/postgis.control" ]; then
    log "installing postgresql-${PG_VER}-postgis-3"
    apt_install "postgresql-${PG_VER}-postgis-3"
fi

if ! pg_lsclusters -h | grep -q .; then
    log "creating cluster ${PG_VER}/main"
    $SUDO pg_createcluster "$PG_VER" main >/dev/null
fi
read -r ver name port status _ < <(pg_lsclusters -h | head -n1)
if [ "$status" != "online" ]; then
    log "starting cluster $ver/$name"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || $SUDO pg_ctlcluster "$ver" "$name" start
fi

as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$*"; else sudo -u postgres sh -c "$*"; fi; }
# Local clusters made by Debian use peer auth on the socket; we connect over TCP as postgres,
# so make sure that role can log in without a password from 127.0.0.1 (trust, dev machines only).
if ! psql "postgresql://postgres@127.0.0.1:${port}/postgres" -qAt -c "select 1" >/dev/null 2>&1; then
    hba="/etc/postgresql/$ver/$name/pg_hba.conf"
    log "allowing local TCP trust for postgres in $hba (development set-up)"
    $SUDO sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" reload || $SUDO pg_ctlcluster "$ver" "$name" reload
fi
base="postgresql://postgres@127.0.0.1:${port}"
if [ "$(psql_url "$base/postgres" -c "select 1 from pg_database where datname='${DB_NAME}'")" != "1" ]; then
    log "creating database ${DB_NAME}"
    psql_url "$base/postgres" -c "CREATE DATABASE \"${DB_NAME}\"" >/dev/null
fi
psql_url "$base/${DB_NAME}" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
log "PostGIS ready at $base/${DB_NAME}"
