#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers for the integration tests and prints the URL to use.
# Uses $DATABASE_URL when set; otherwise the machine's server at 127.0.0.1:5432 (trust auth),
# starting it with pg_ctlcluster when it is down. Fails loudly (exit 1) when no server can be had:
# integration tests are never skipped.
set -euo pipefail
url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
hostport="${url#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=5432
ready() { pg_isready -q -h "$host" -p "$port" -t 3 >/dev/null 2>&1; }
if ! command -v pg_isready >/dev/null 2>&1; then
  echo "ERROR: pg_isready not found: install PostgreSQL client tools (apt-get install postgresql-client)" >&2
  exit 1
fi
if ! ready; then
  echo "==> PostgreSQL at $host:$port is not answering; trying to start the local cluster" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
    done
  fi
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
if ! ready; then
  echo "ERROR: PostgreSQL is not reachable at $host:$port and could not be started." >&2
  echo "       The integration tests need it; set DATABASE_URL to a reachable server." >&2
  exit 1
fi
echo "$url"
