#!/bin/sh
# Runs once, when the postgres container creates its data volume (the image runs every
# /docker-entrypoint-initdb.d/*.sh then, as the `postgres` user, on a server listening only on its
# Unix socket). Creates the role the app and the migrations use and its database.
#
# The role owns the database, so the migrations can create and alter the tables in it, and it is
# nothing more: not a superuser, no CREATEDB, no CREATEROLE, no access to other databases'
# objects. A SQL injection or a stolen DATABASE_URL then reaches the gatehouse tables only, not
# the server (no COPY ... PROGRAM, no reading files, no other roles).
set -eu

# The password is passed as a psql variable and quoted by psql (:'password'), never spliced into
# the SQL text by the shell.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  --set password="$(cat "${APP_DB_PASSWORD_FILE:?APP_DB_PASSWORD_FILE must name the app role password file}")" <<'SQL'
CREATE ROLE gatehouse LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'password';
CREATE DATABASE gatehouse OWNER gatehouse;
REVOKE ALL ON DATABASE gatehouse FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE gatehouse TO gatehouse;
SQL
echo "created role gatehouse (not a superuser) and its database"
