#!/usr/bin/env bash
# `make demo`: the main job end to end in local mode, on the same code the cluster runs.
# data -> train -> bundle -> batch predictions -> KServe predictor -> 7 simulated days of V2
# requests -> prediction events -> labels -> Evidently drift and performance reports per day ->
# dashboard. Offline: HOUSING_DATA_PATH=/path/to/housing.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
export DO_NOT_TRACK=1 OMP_NUM_THREADS=1
BIN=.venv/bin
ART=${HOUSING_ARTIFACTS:-artifacts}
PORT=${HOUSING_DEMO_PORT:-8080}
DASH_PORT=${HOUSING_DASHBOARD_PORT:-8000}
RUN=$ART/run
mkdir -p "$RUN" "$ART/batch"
step() { printf '\n== %s\n' "$*"; }
wait_http() {  # url, seconds, pid: fail fast if the process died
  for _ in $(seq 1 "$2"); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    kill -0 "$3" 2>/dev/null || { echo "process $3 exited; see its log in $RUN" >&2; return 1; }
    sleep 1
  done
  echo "timed out waiting for $1" >&2; return 1
}
bash scripts/demo-stop.sh >/dev/null 2>&1 || true

step "1/6 dataset (sha256-verified; HOUSING_DATA_PATH, else cache, else download)"
DATA=$($BIN/python -c "from training.settings import TrainSettings as S; from model.data import locate
s = S(); print(locate(s.data_path, s.data_cache))")
echo "$DATA"

step "2/6 train and publish a bundle to $ART/bundles (5-fold CV, hold-out, report)"
$BIN/housing-train --data "$DATA" --publish-uri "$ART/bundles"
BUNDLE=$(readlink -f "$ART/bundles/latest")

step "3/6 batch predictions for 200 districts"
$BIN/python - "$DATA" "$ART/batch/sample.csv" <<'PY'
import sys
from pathlib import Path
from model.data import load
from model.schema import TARGET
load(Path(sys.argv[1])).frame.sample(200, random_state=1).drop(columns=[TARGET]).rename_axis("district").to_csv(sys.argv[2])
PY
$BIN/housing-batch --bundle "$BUNDLE" --input "$ART/batch/sample.csv" --output "$ART/batch/predictions.csv" \
  --id-column district --interval

step "4/6 KServe predictor on 127.0.0.1:$PORT (events -> $ART/events)"
HOUSING_EVENTS_URI="$ART/events" nohup $BIN/housing-predictor --model_dir "$BUNDLE" --http_port "$PORT" \
  > "$RUN/predictor.log" 2>&1 &
echo $! > "$RUN/predictor.pid"
wait_http "http://127.0.0.1:$PORT/v2/health/ready" 120 "$(cat "$RUN/predictor.pid")"
CURL="curl -s -X POST http://127.0.0.1:$PORT/v2/models/housing/infer -H 'content-type: application/json' -d '{\"inputs\": [
  {\"name\": \"longitude\", \"datatype\": \"FP64\", \"shape\": [1], \"data\": [-122.23]},
  {\"name\": \"latitude\", \"datatype\": \"FP64\", \"shape\": [1], \"data\": [37.88]},
  {\"name\": \"housing_median_age\", \"datatype\": \"FP64\", \"shape\": [1], \"data\": [41]},
  {\"name\": \"total_rooms\", \"datatype\": \"FP64\", \"shape\": [1], \"data\": [880]},
  {\"name\": \"total_bedrooms\", \"datatype\": \"FP64\", \"shape\": [1], \"data\": [129]},
  {\"name\": \"population\", \"datatype\": \"FP64\", \"shape\": [1], \"data\": [322]},
  {\"name\": \"households\", \"datatype\": \"FP64\", \"shape\": [1], \"data\": [126]},
  {\"name\": \"median_income\", \"datatype\": \"FP64\", \"shape\": [1], \"data\": [8.3252]},
  {\"name\": \"ocean_proximity\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [\"NEAR BAY\"]}],
  \"outputs\": [{\"name\": \"median_house_value\"}, {\"name\": \"median_house_value_lower\"}, {\"name\": \"median_house_value_upper\"}]}'"
echo "\$ $CURL"
eval "$CURL"; echo

step "5/6 seven simulated days of traffic (median_income rising from day 4), labels for days 1-5"
DAYS=${HOUSING_DEMO_DAYS:-7}
$BIN/python scripts/demo_traffic.py --data "$DATA" --url "http://127.0.0.1:$PORT/v2/models/housing/infer" \
  --days "$DAYS" --phases "$RUN/days.jsonl" --labels "$ART/labels.jsonl"
want=$((DAYS * 40 + 1))
for _ in $(seq 1 30); do  # the event writer is asynchronous: wait until every event is on disk
  n=$(cat "$ART"/events/*/*/*.jsonl 2>/dev/null | wc -l)
  [ "$n" -ge "$want" ] && break; sleep 1
done
# Sale prices arrive later: store them (keyed by the V2 response id and row), then one drift run
# and one performance report per simulated day, so every panel over time has a point per day.
$BIN/housing-feedback ingest "$ART/labels.jsonl" --labels-dir "$ART/labels"
$BIN/python -c 'import json, sys
for line in open(sys.argv[1]): d = json.loads(line); print(d["day"], d["start"], d["end"])' "$RUN/days.jsonl" |
while read -r day start end; do
  echo "-- day $day: drift and performance of [$start, $end)"
  $BIN/housing-drift --events-uri "$ART/events" --bundles-uri "$ART/bundles" --workspace "$ART/workspace" \
    --reports-dir "$ART/reports/drift" --start "$start" --end "$end" > "$RUN/drift-day$day.json"
  $BIN/housing-feedback report --labels-dir "$ART/labels" --events-uri "$ART/events" \
    --bundles-uri "$ART/bundles" --workspace "$ART/workspace" --reports-dir "$ART/reports/performance" \
    --start "$start" --end "$end" > "$RUN/performance-day$day.json"
  $BIN/python scripts/demo_summary.py "$ART/reports/drift" "$ART/reports/performance"
done

step "6/6 Evidently dashboard on 127.0.0.1:$DASH_PORT"
nohup $BIN/housing-dashboard --workspace "$ART/workspace" --port "$DASH_PORT" > "$RUN/dashboard.log" 2>&1 &
echo $! > "$RUN/dashboard.pid"
wait_http "http://127.0.0.1:$DASH_PORT/" 60 "$(cat "$RUN/dashboard.pid")"
PROJECT=$(curl -fsS "http://127.0.0.1:$DASH_PORT/api/projects" | $BIN/python -c \
  "import json, sys; print(next(p['id'] for p in json.load(sys.stdin) if p['name'] == 'housing'))")

cat <<DONE

Done. Everything is under $ART/:
  bundle           $BUNDLE  (report: $BUNDLE/report/evaluation.md)
  batch            $ART/batch/predictions.csv
  predictor        http://127.0.0.1:$PORT/v2/models/housing  (still running; log $RUN/predictor.log)
  events           $ART/events/
  drift reports    $ART/reports/drift/
  labels           $ART/labels/  (performance reports: $ART/reports/performance/)
  dashboard        http://127.0.0.1:$DASH_PORT/projects/$PROJECT  (still running)
Stop the predictor and the dashboard with: make stop
DONE
