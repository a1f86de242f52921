#!/usr/bin/env bash
# 压力测试 · Load test of search, match, read and write endpoints with wrk.
#
#   scripts/load.sh [sqlite|postgres] [DOCS]
#
# Generates a corpus of DOCS documents (half needs, half capabilities; once,
# kept in $LOAD_DIR), imports it into a fresh database, starts a release
# `duijie serve`, waits for the index, then runs wrk against each endpoint
# and prints one line per endpoint: requests/s, p50 and p99 latency.
# Needs: a release build (cargo build --release), wrk (apt-get install wrk),
# for postgres a server on 127.0.0.1:5432 (trust auth, user postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
docs=${2:-100000}
bin=${DUIJIE_BIN:-target/release/duijie}
work=${LOAD_DIR:-/tmp/duijie-load}
duration=${LOAD_SECONDS:-20}
conns=${LOAD_CONNECTIONS:-32}
port=${LOAD_PORT:-18090}
base="http://127.0.0.1:$port"

command -v wrk >/dev/null || { echo "wrk 未安装 · install wrk (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "没有 $bin · build first: cargo build --release" >&2; exit 1; }
mkdir -p "$work"
corpus="$work/corpus-$docs"
if [ ! -f "$corpus/.done" ]; then
  "$bin" gen "$corpus" --needs $((docs / 2)) --capabilities $((docs / 2)) --seed 7 >/dev/null
  touch "$corpus/.done"
fi

data="$work/data-$backend-$docs-$$"
rm -rf "$data" && mkdir -p "$data"
pgdb=""
case "$backend" in
  sqlite) url="sqlite://$data/duijie.db?mode=rwc" ;;
  postgres)
    pgdb="duijie_load_$$"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $pgdb"
    url="postgres://postgres@127.0.0.1:5432/$pgdb" ;;
  *) echo "backend: sqlite | postgres" >&2; exit 2 ;;
esac
export DUIJIE_DATA_DIR="$data" DUIJIE_DATABASE_URL="$url"
# The per-token rate limit would cap the measured rate of one token.
export DUIJIE_TOKEN_RATE_PER_MINUTE=0
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [ -n "$pgdb" ] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" || true
  rm -rf "$data"
}
trap cleanup EXIT

t0=$(date +%s)
"$bin" import "$corpus" >/dev/null
echo "# imported $docs documents into $backend in $(( $(date +%s) - t0 )) s"

# Accounts: an enterprise member (writes) and staff (matching sees every need).
org=$(grep -m1 '"kind": *"enterprise"' "$corpus/organizations.jsonl" | sed 's/.*"id": *"\([^"]*\)".*/\1/')
echo "load-test-password" | "$bin" user add load-ent --role enterprise_member --org "$org" --password-stdin >/dev/null
echo "load-test-password" | "$bin" user add load-staff --role program_staff --password-stdin >/dev/null
ent_token=$("$bin" token create load-ent --name load | grep -o 'dj_[A-Za-z0-9_-]*' | head -1)
staff_token=$("$bin" token create load-staff --name load | grep -o 'dj_[A-Za-z0-9_-]*' | head -1)

"$bin" serve --bind "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
server=$!
# Ready when the index holds every document (the first build runs at start).
for _ in $(seq 1 600); do
  total=$(curl -sf "$base/api/v1/search?kind=capability&per_page=1" 2>/dev/null | sed -n 's/.*"total":\([0-9]*\).*/\1/p' || true)
  [ -n "$total" ] && [ "$total" -gt 0 ] && break
  sleep 1
done
sleep 2
echo "# server ready after $(( $(date +%s) - t0 )) s"

# Request lists: queries from the generator's vocabulary (need titles),
# records by id, needs to match.
lists="$work/lists-$docs"
mkdir -p "$lists"
python3 - "$corpus" "$lists" <<'PY'
import json, sys, urllib.parse
corpus, lists = sys.argv[1], sys.argv[2]
def rows(name, n):
    with open(f"{corpus}/{name}.jsonl", encoding="utf-8") as f:
        for i, line in zip(range(n), f):
            yield json.loads(line)
with open(f"{lists}/search", "w") as out:
    # Queries: the first words of need titles (12 characters).
    for r in rows("needs", 2000):
        out.write("/api/v1/search?kind=capability&q=" + urllib.parse.quote(r["title"][:12]) + "\n")
with open(f"{lists}/read", "w") as out:
    for r in rows("capabilities", 2000):
        out.write(f"/api/v1/capabilities/{r['id']}\n")
with open(f"{lists}/match", "w") as out:
    for r in rows("needs", 500):
        out.write(f"/api/v1/needs/{r['id']}/matches\n")
PY

run() { # name, lua, token, paths
  local name=$1 lua=$2 token=$3 paths=${4:-}
  local out
  out=$(LOAD_PATHS="$paths" LOAD_TOKEN="$token" wrk -t2 -c"$conns" -d"${duration}s" --latency \
    -s "scripts/load/$lua" "$base" 2>"$data/wrk-$name.err")
  local rps p50 p99 non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  printf 'endpoint=%-7s backend=%-8s docs=%s conns=%s rps=%s p50=%s p99=%s non2xx=%s errors5xx=%s\n' \
    "$name" "$backend" "$docs" "$conns" "$rps" "$p50" "$p99" "${non2xx:-0}" \
    "$(grep -c 'server error' "$data/wrk-$name.err" || true)"
}

# LOAD_ENDPOINTS picks some of them (default: all, in this order).
for endpoint in ${LOAD_ENDPOINTS:-search match read write}; do
  case "$endpoint" in
    search) run search rotate.lua "" "$lists/search" ;;
    match) run match rotate.lua "$staff_token" "$lists/match" ;;
    read) run read rotate.lua "" "$lists/read" ;;
    write) run write post_need.lua "$ent_token" ;;
  esac
done
