#!/usr/bin/env bash
# Genius Loci's two entry points, each installing what it needs first:
#   ./run.sh demo   install, then run the site and one worker on this machine (embedded defaults)
#   ./run.sh test   install, then run the whole test suite, and the integration tests once more
#                   against a throwaway PostgreSQL server (tests/postgres.py)
# and the pieces: ./run.sh install | web | worker | test-postgres [pytest args]
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3.11}
VENV=.venv

apt_install() {
  # Installs the Debian packages given that are missing (as root, or through sudo).
  local missing=() pkg
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV" 2>/dev/null || { apt_install python3.11-venv; rm -rf "$VENV"; "$PYTHON" -m venv "$VENV"; }
  fi
  local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "Installing Python packages (the first time takes a few minutes)..."
    "$VENV/bin/pip" install -q --disable-pip-version-check -e ".[test]"
    touch "$stamp"
  fi
}

install_static() {
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

install() {
  install_python
  install_static
  export HF_HUB_OFFLINE=1
  "$VENV/bin/python" manage.py migrate --no-input -v0
  "$VENV/bin/python" manage.py collectstatic --no-input -v0
}

load_demo_data() {
  "$VENV/bin/python" manage.py load_cities
  local folder
  for folder in models/*/; do
    [ -f "$folder/config.json" ] && "$VENV/bin/python" manage.py register_model "$folder" --activate
  done
  return 0
}

worker() {
  exec "$VENV/bin/celery" -A config worker -Q gpu,default --pool solo --concurrency 1 -l "${CELERY_LOG_LEVEL:-warning}"
}

serve() {
  local address=${GENIUS_LOCI_ADDRESS:-127.0.0.1:8000}
  echo
  echo "Genius Loci is at http://$address/  (Ctrl-C stops it)"
  echo
  "$VENV/bin/gunicorn" -c config/gunicorn.py --bind "$address" --access-logfile - --log-level warning
}

worker_forever() {
  # The demo's worker, started again whenever it exits (a crash, the OOM killer), a second later.
  # It shares the machine's cores with the web processes, below them (nice 10): a visitor waits on
  # the web's answer, while a job waits in a queue anyway (docs/BENCHMARKS.md, "Load and faults").
  local child status
  trap 'kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
  while true; do
    nice -n 10 "$VENV/bin/celery" --quiet -A config worker -Q gpu,default --pool solo --concurrency 1 -l warning &
    child=$!
    wait "$child" && status=0 || status=$?
    echo "The worker exited (status $status); starting it again." >&2
    sleep 1
  done
}

demo() {
  install
  load_demo_data
  worker_forever &
  WORKER_PID=$!
  trap 'kill "$WORKER_PID" 2>/dev/null; wait "$WORKER_PID" 2>/dev/null' EXIT INT TERM
  serve
}

test_setup() {
  apt_install redis-server chromium postgresql
  install_python
  install_static
  export HF_HUB_OFFLINE=1 GENIUS_LOCI_VAR_DIR="$PWD/var/test" GENIUS_LOCI_EVAL_CACHE="$PWD/var/test/eval-cache"
  rm -rf var/test
}

test() {
  # With no arguments (what CI runs): the whole suite on the embedded defaults (SQLite), then the
  # tests with real workers and brokers again on PostgreSQL; with arguments, pytest with them only.
  test_setup
  local status=0
  "$VENV/bin/python" -m pytest "$@" || status=$?
  if [ $# -eq 0 ]; then
    "$VENV/bin/python" -m tests.postgres -m integration || status=$?
  fi
  return "$status"
}

test_postgres() {
  # pytest (by default the integration tests) against a throwaway PostgreSQL cluster.
  test_setup
  [ $# -gt 0 ] || set -- -m integration
  "$VENV/bin/python" -m tests.postgres "$@"
}

case "${1:-}" in
  demo) demo ;;
  test) shift; test "$@" ;;
  test-postgres) shift; test_postgres "$@" ;;
  install) install ;;
  web) install; serve ;;
  worker) worker ;;
  *) echo "usage: ./run.sh demo | test [pytest args] | test-postgres [pytest args] | install | web | worker" >&2; exit 2 ;;
esac
