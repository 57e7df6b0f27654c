#!/usr/bin/env bash
# gigcheck against Hurl 8.0.1 on the same workload, side by side, on this machine.
#
#   bench/run.sh            # 10 runs of each, after a warm-up
#   RUNS=20 bench/run.sh
#
# The workload, at three sizes: 50, 500 and 5 000 scenarios × 4 steps = 200, 2 000 and 20 000
# requests (RUNS, RUNS_2000 and RUNS_20000 runs of each: 10, 9 and 5 by default), against a
# fixed-response target on 127.0.0.1 (bench/target.rs): log in (capture the token), list orders
# with the token (two JSONPath checks), create an order (capture its id), cancel it (a `contains`
# check). The same workload is generated as gigcheck specs (files of 100 scenarios) and as one
# .hurl file per scenario. Both tools write a JUnit report (a new file each run), as a CI step
# does; the same commands without a report option are measured too (gigcheck then still writes
# its own reports/junit.xml). Both tools must pass every run, and both must fail when a wrong
# value is planted. The curl floor is one curl process sending the same requests over one
# connection, with no checks.
#
# Hurl is installed with `cargo install hurl --version 8.0.1 --locked` into $BENCH_TOOLS
# (default: target/bench-tools), once; it needs libcurl4-openssl-dev, libxml2-dev and
# libclang-dev, which are installed with apt when missing. Set HURL=/path/to/hurl to use another.
#
# Also measured: the whole plan on the embedded default (servers started and stopped
# included), and 2 500 vs 10 000 generated scenarios (peak memory and time per request).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${RUNS:-10}
TOOLS=${BENCH_TOOLS:-$ROOT/target/bench-tools}
WORK=$(mktemp -d)
trap 'kill "${TARGET_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

say() { printf '\n== %s\n' "$*"; }

say "building gigcheck and the target (release)"
cargo build --release --locked --quiet --bin gigcheck --example bench-target
BUILT=${CARGO_TARGET_DIR:-$ROOT/target}/release
GIGCHECK=$BUILT/gigcheck
TARGET_BIN=$BUILT/examples/bench-target

HURL=${HURL:-$TOOLS/bin/hurl}
if [ ! -x "$HURL" ]; then
  say "installing Hurl 8.0.1 into $TOOLS"
  missing=()
  for pkg in libcurl4-openssl-dev libxml2-dev libclang-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
    $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  cargo install hurl --version 8.0.1 --locked --root "$TOOLS"
fi
"$HURL" --version | head -1

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
"$TARGET_BIN" "$PORT" >/dev/null &
TARGET_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "$BASE/api/orders" && break; sleep 0.1; done
curl -s -o /dev/null "$BASE/api/orders" || { echo "the target did not start on $BASE" >&2; exit 1; }

# One spec file's scenarios: spec_file FILE FIRST LAST EXPECTED_TOTAL
spec_file() {
  local file=$1 first=$2 last=$3 total=$4
  {
    echo "name: Benchmark $first-$last"
    echo "scenarios:"
    for i in $(seq "$first" "$last"); do
      cat <<EOF
  - name: flow $i
    steps:
      - request: { method: POST, url: /api/auth/login, json: { email: bench@example.test, password: bench-password } }
        expect: { status: 200 }
        capture: { token: \$.token }
      - request: { method: GET, url: /api/orders, bearer: "{{token}}" }
        expect: { status: 200, body: { \$.pagination.total: $total, '\$.orders[0].status': pending } }
      - request: { method: POST, url: /api/orders, bearer: "{{token}}", json: { items: [{ product_id: 1, quantity: 1 }] } }
        expect: { status: 201 }
        capture: { order_id: \$.order.id }
      - request: { method: POST, url: "/api/orders/{{order_id}}/cancel", bearer: "{{token}}" }
        expect: { status: 200, body: { \$.message: { contains: cancelled } } }
EOF
    done
  } >"$file"
}

# generate WORKLOAD_DIR SCENARIOS EXPECTED_TOTAL: the specs in files of 100 scenarios (as a
# suite of that size would be written), and one .hurl file per scenario.
generate() {
  local dir=$1 count=$2 total=$3
  mkdir -p "$dir/specs" "$dir/hurl"
  for first in $(seq 1 100 "$count"); do
    last=$((first + 99 < count ? first + 99 : count))
    spec_file "$dir/specs/bench-$first.yaml" "$first" "$last" "$total"
  done
  [ "${SPECS_ONLY:-}" = 1 ] && return
  for i in $(seq "$count"); do
    cat >"$dir/hurl/flow-$i.hurl" <<EOF
POST {{base}}/api/auth/login
{"email": "bench@example.test", "password": "bench-password"}
HTTP 200
[Captures]
token: jsonpath "\$.token"

GET {{base}}/api/orders
Authorization: Bearer {{token}}
HTTP 200
[Asserts]
jsonpath "\$.pagination.total" == $total
jsonpath "\$.orders[0].status" == "pending"

POST {{base}}/api/orders
Authorization: Bearer {{token}}
{"items": [{"product_id": 1, "quantity": 1}]}
HTTP 201
[Captures]
order_id: jsonpath "\$.order.id"

POST {{base}}/api/orders/{{order_id}}/cancel
Authorization: Bearer {{token}}
HTTP 200
[Asserts]
jsonpath "\$.message" contains "cancelled"
EOF
  done
}

# The curl floor: the same 200 requests from one curl process, one connection, no checks.
curl_config() {
  local file=$1 count=$2 token=bench-token-0123456789abcdef
  : >"$file"
  for i in $(seq "$count"); do
    [ "$i" -gt 1 ] && echo "next" >>"$file"
    cat >>"$file" <<EOF
url = "$BASE/api/auth/login"
request = "POST"
header = "Content-Type: application/json"
data = "{\"email\": \"bench@example.test\", \"password\": \"bench-password\"}"
output = "/dev/null"
next
url = "$BASE/api/orders"
header = "Authorization: Bearer $token"
output = "/dev/null"
next
url = "$BASE/api/orders"
request = "POST"
header = "Authorization: Bearer $token"
header = "Content-Type: application/json"
data = "{\"items\": [{\"product_id\": 1, \"quantity\": 1}]}"
output = "/dev/null"
next
url = "$BASE/api/orders/42/cancel"
request = "POST"
header = "Authorization: Bearer $token"
output = "/dev/null"
EOF
  done
}

generate "$WORK/planted" 50 2

# Both write a JUnit report, each run into a file of its own (`{run}`: see bench/measure.py).
gig() { echo "$GIGCHECK run $1/specs --base-url $BASE --junit $WORK/junit-gigcheck-{run}.xml --no-color $2"; }
# Hurl is given the folder: it runs every .hurl file in it (5 000 paths would pass the argument limit).
hurl_cmd() { echo "$HURL --test --no-color --variable base=$BASE --report-junit $WORK/junit-hurl-{run}.xml $2 $1/hurl"; }
# The same without a report option (gigcheck still writes its default JUnit report).
gig_bare() { echo "$GIGCHECK run $1/specs --base-url $BASE --no-color $2"; }
hurl_bare() { echo "$HURL --test --no-color --variable base=$BASE $2 $1/hurl"; }

say "a planted wrong value (\$.pagination.total == 2) makes both fail"
# A failed check is exit 1 for gigcheck and 4 for Hurl; anything else (a spec error…) is not it.
set +e
$(gig "$WORK/planted" "" | sed 's/{run}/planted/') >/dev/null 2>&1; gig_code=$?
$(hurl_cmd "$WORK/planted" "" | sed 's/{run}/planted/') >/dev/null 2>&1; hurl_code=$?
set -e
if [ "$gig_code" -ne 1 ] || [ "$hurl_code" -ne 4 ]; then
  echo "expected failed checks (gigcheck 1, Hurl 4), got gigcheck $gig_code, Hurl $hurl_code" >&2
  exit 1
fi
echo "both failed their checks, as they must (gigcheck exit 1, Hurl exit 4)"

# One size of the workload: SCENARIOS scenarios (4 requests each), RUNS runs of each command.
measure_size() {
  local scenarios=$1 runs=$2 requests=$(($1 * 4))
  say "$requests requests: $runs runs each, alternating, after a warm-up"
  generate "$WORK/w$requests" "$scenarios" 1
  curl_config "$WORK/curl$requests.cfg" "$scenarios"
  python3 bench/measure.py "$runs" \
    "gigcheck-seq-$requests=$(gig "$WORK/w$requests" "--jobs 1")" \
    "hurl-seq-$requests=$(hurl_cmd "$WORK/w$requests" "--jobs 1")" \
    "gigcheck-par-$requests=$(gig "$WORK/w$requests" "")" \
    "hurl-par-$requests=$(hurl_cmd "$WORK/w$requests" "--parallel")" \
    "curl-floor-$requests=curl -s -K $WORK/curl$requests.cfg" \
    "bare-gigcheck-seq-$requests=$(gig_bare "$WORK/w$requests" "--jobs 1")" \
    "bare-hurl-seq-$requests=$(hurl_bare "$WORK/w$requests" "--jobs 1")" \
    "bare-gigcheck-par-$requests=$(gig_bare "$WORK/w$requests" "")" \
    "bare-hurl-par-$requests=$(hurl_bare "$WORK/w$requests" "--parallel")" >>"$WORK/results.jsonl"
  rm -f "$WORK"/junit-*.xml
}
: >"$WORK/results.jsonl"
measure_size 50 "$RUNS"
measure_size 500 "${RUNS_2000:-9}"
measure_size 5000 "${RUNS_20000:-5}"

say "the whole plan on the embedded default (servers started and stopped included)"
python3 bench/measure.py "$RUNS" "plan=$GIGCHECK run specs --ci --junit $WORK/plan.xml --no-color" >>"$WORK/results.jsonl"

say "scale: 2 500 and 10 000 generated scenarios (10 000 and 40 000 requests)"
SPECS_ONLY=1 generate "$WORK/s2500" 2500 1
SPECS_ONLY=1 generate "$WORK/s10000" 10000 1
python3 bench/measure.py 1 \
  "scale-2500=$(gig "$WORK/s2500" "")" \
  "scale-10000=$(gig "$WORK/s10000" "")" >>"$WORK/results.jsonl"
rm -f "$WORK"/junit-*.xml

say "results ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))"
python3 - "$WORK/results.jsonl" <<'EOF'
import json, sys
r = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    r[d["name"]] = d
print(f"{'command':<22} {'wall ms':>9} {'cpu ms':>9} {'peak MiB':>9}")
for name, d in r.items():
    print(f"{name:<22} {d['wall_ms']:>9.1f} {d['cpu_ms']:>9.1f} {d['rss_mib']:>9.1f}")
def ratio(a, b, key):
    return r[a][key] / r[b][key]
print()
for title, prefix in (("both writing JUnit", ""), ("no report option", "bare-")):
    print(f"gigcheck / Hurl, {title:<22} wall    cpu  memory")
    for n in (200, 2000, 20000):
        for mode in ("seq", "par"):
            a, b = f"{prefix}gigcheck-{mode}-{n}", f"{prefix}hurl-{mode}-{n}"
            print(f"  {n:>6} {mode:<31} {ratio(a, b, 'wall_ms'):>6.2f} {ratio(a, b, 'cpu_ms'):>6.2f} {ratio(a, b, 'rss_mib'):>7.2f}")
print()
print("gigcheck parallel / curl floor (wall): " + ", ".join(
    f"{n}: {ratio(f'gigcheck-par-{n}', f'curl-floor-{n}', 'wall_ms'):.2f}" for n in (200, 2000, 20000)))
per_req_200 = r["gigcheck-par-200"]["wall_ms"] / 200
per_req_10k = r["scale-10000"]["wall_ms"] / 40000
print(f"per request: 200 requests {per_req_200:.3f} ms, 40 000 requests {per_req_10k:.3f} ms "
      f"({per_req_10k / per_req_200:.2f}×)")
print(f"peak memory: 2 500 scenarios {r['scale-2500']['rss_mib']:.1f} MiB, "
      f"10 000 scenarios {r['scale-10000']['rss_mib']:.1f} MiB")
EOF
