#!/bin/bash
# First start of the PostGIS container: the platform's own database and role, beside Airflow's.
# (The official postgres image runs this once, when the data volume is empty.)
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v bnw_user="$BNW_DB_USER" -v bnw_password="$BNW_DB_PASSWORD" -v bnw_db="$BNW_DB_NAME" <<'SQL'
CREATE ROLE :"bnw_user" LOGIN PASSWORD :'bnw_password';
CREATE DATABASE :"bnw_db" OWNER :"bnw_user";
\connect :"bnw_db"
CREATE EXTENSION IF NOT EXISTS postgis;
SQL
