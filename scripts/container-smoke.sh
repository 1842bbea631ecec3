#!/usr/bin/env bash
# Container smoke test (CI: `make container-smoke`; docs/containers.md).
#
# Builds the three images of the Dockerfile with podman on a Python base image made from Debian
# packages (no registry can be reached here), runs the predictor image the way KServe runs
# `kserve-container` (bundle read-only at /mnt/models, read-only root FS, tmpfs /tmp, user 10001,
# port 8080) and checks it over HTTP; checks what each image carries; runs the collector.
# Prints "N passed, M failed" and exits non-zero on any failure.
#
# Needs root for apt-get and podman (as CI has), .venv (make venv) and the dataset.
# Env: HOUSING_DATA_PATH (../shared/datasets/housing.csv), BASE_IMAGE, IMAGE_TAG (ci),
#      KEEP_WORK=1 keeps the temp dir (bundle, logs, containers.conf).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=${BASE_IMAGE:-localhost/housing-python-base:3.11-bookworm}
IMAGE_TAG=${IMAGE_TAG:-ci}
PY=${PY:-.venv/bin/python}
HOUSING_DATA_PATH=${HOUSING_DATA_PATH:-../shared/datasets/housing.csv}
WORK=$(mktemp -d /tmp/housing-ctr.XXXXXX)
t0=$(date +%s)
step() { echo "== [$(( $(date +%s) - t0 ))s] $*"; }
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
cids=()
# No systemd here: podman logs an error for each healthcheck timer it cannot start (harmless).
nosd() { "$@" 2> >(grep -v 'unable to get systemd connection' >&2); }
cleanup() {
    for c in "${cids[@]}"; do podman rm -f "$c" >/dev/null 2>&1 || true; done
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---- podman on this machine (docs/containers.md: runc, ulimits, netavark) ----------------------
need=()
for tool in podman runc netavark:/usr/lib/podman/netavark iptables mmdebstrap curl; do
    name=${tool%%:*}; path=${tool#*:}
    if [ "$path" != "$tool" ]; then [ -x "$path" ] || need+=("$name")
    else command -v "$name" >/dev/null 2>&1 || need+=("$name"); fi
done
if [ ${#need[@]} -gt 0 ]; then
    step "install ${need[*]}"
    if [ "$(id -u)" != 0 ]; then
        echo "container-smoke: needs root to install ${need[*]}" >&2; exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
        podman runc netavark iptables mmdebstrap curl ca-certificates >/dev/null
fi
# crun refuses this machine's cgroup v1+v2 hybrid: runc. podman's default ulimits exceed the hard
# limits (no CAP_SYS_RESOURCE): ask for exactly what is allowed.
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu); pidmax=$(cat /proc/sys/kernel/pid_max)
if [ "$nofile" = unlimited ]; then nofile=1048576; fi
if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pidmax" ]; then nproc=$pidmax; fi
cat > "$WORK/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
[network]
network_backend = "netavark"
EOF
export CONTAINERS_CONF="$WORK/containers.conf"
podman info --format 'podman {{.Version.Version}}, storage {{.Store.GraphDriverName}},'\
' cgroups {{.Host.CgroupsVersion}}, network {{.Host.NetworkBackend}}'

# ---- base image from Debian packages (cached across runs) --------------------------------------
if ! podman image exists "$BASE_IMAGE"; then
    step "base image $BASE_IMAGE (mmdebstrap bookworm: python3, python3-venv, ca-certificates)"
    TMPDIR=/dev/shm mmdebstrap --quiet --variant=apt \
        --include=python3,python3-venv,ca-certificates \
        --aptopt='Acquire::Languages "none"' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        bookworm "$WORK/base.tar"
    podman import --quiet --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' \
        "$WORK/base.tar" "$BASE_IMAGE" >/dev/null
    rm -f "$WORK/base.tar"
fi

# ---- the three images, built side by side while the host trains a small bundle ---------------
git_sha=$(git rev-parse --short=12 HEAD 2>/dev/null || echo nogit)
PRED=localhost/housing-predictor:$IMAGE_TAG
TRAIN=localhost/housing-training:$IMAGE_TAG
MON=localhost/housing-monitoring:$IMAGE_TAG
build() {  # target: build localhost/housing-<target>:$IMAGE_TAG; log and seconds in $WORK
    local start rc; start=$(date +%s)
    # The machine's TLS egress CA lives only in the host bundle: mounted for the RUN steps (pip),
    # not baked in. --format docker keeps HEALTHCHECK (OCI drops it).
    podman build --format docker --target "$1" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        --build-arg "GIT_SHA=$git_sha" \
        -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
        -t "localhost/housing-$1:$IMAGE_TAG" . > "$WORK/build-$1.log" 2>&1 && rc=0 || rc=$?
    echo $(( $(date +%s) - start )) > "$WORK/build-$1.seconds"
    return $rc
}
step "podman build --target predictor, training, monitoring; host training (in parallel)"
targets=(predictor training monitoring)
pids=()
for target in "${targets[@]}"; do build "$target" & pids+=($!); done
"$PY" -m training --data "$HOUSING_DATA_PATH" --sample-rows 3000 --cv-folds 0 \
    --publish-uri "$WORK/bundles" > "$WORK/train.log" 2>&1 &
train_pid=$!
built=()
for i in "${!targets[@]}"; do
    target=${targets[$i]}
    if wait "${pids[$i]}"; then
        size=$(podman image inspect --format '{{.Size}}' "localhost/housing-$target:$IMAGE_TAG")
        ok "build --target $target ($(cat "$WORK/build-$target.seconds")s, $((size / 1000000)) MB)"
        built+=("$target")
    else
        tail -n 30 "$WORK/build-$target.log"; bad "build --target $target"
    fi
done
is_built() { [[ " ${built[*]} " == *" $1 "* ]]; }
bundle=""
if wait "$train_pid"; then
    bundle=$(find "$WORK/bundles" -mindepth 2 -maxdepth 2 -name manifest.json | head -1)
    bundle=$(dirname "$bundle")
    chmod -R a+rX "$WORK"   # read by uid 10001 in the container
    ok "host training published $(basename "$bundle")"
else
    tail -n 20 "$WORK/train.log"; bad "host training"
fi
step "built"

# ---- what each image carries (run as built: read-only root, tmpfs /tmp) ------------------------
# One-shot runs: no healthcheck timer (no systemd here: podman would log an error for each).
RO=(--rm --no-healthcheck --read-only --read-only-tmpfs=false --tmpfs "/tmp:rw,mode=1777,size=256m")
has() {  # image, python modules that must import
    local image=$1; shift
    podman run "${RO[@]}" --entrypoint python "$image" -c \
        "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]" "$@"
}
lacks() {  # image, distributions that must be absent
    local image=$1; shift
    podman run "${RO[@]}" --entrypoint python "$image" -c \
        "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in sys.argv[1:]))" "$@"
}
if is_built predictor; then
    check "predictor image imports kserve, predictor" has "$PRED" kserve predictor.server
    check "predictor image has no evidently, matplotlib, pip" lacks "$PRED" evidently matplotlib pip
fi
if is_built training; then
    check "training image imports matplotlib, training" has "$TRAIN" matplotlib training.job
    check "training image has no kserve, evidently, pip" lacks "$TRAIN" kserve evidently pip
    check "training image: housing-train --help" podman run "${RO[@]}" "$TRAIN" --help >/dev/null
fi
if is_built monitoring; then
    check "monitoring image imports evidently, monitoring" has "$MON" evidently monitoring.drift
    check "monitoring image has no kserve, matplotlib, pip" lacks "$MON" kserve matplotlib pip
fi

# ---- the predictor as KServe runs it -----------------------------------------------------------
# KServe: the bundle at /mnt/models; the chart: read-only root FS, emptyDir /tmp, no capabilities.
run_predictor() {  # models dir, extra args...: podman run -d ..., prints the container id
    local models=$1; shift
    nosd podman run -d --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,mode=1777,size=256m \
        --cap-drop=ALL --security-opt=no-new-privileges \
        -v "$models:/mnt/models:ro" -p 127.0.0.1::8080 "$PRED" "$@"
}
if is_built predictor && [ -n "$bundle" ]; then
    step "podman run $PRED (bundle read-only at /mnt/models)"
    cid=$(run_predictor "$bundle"); cids+=("$cid")
    port=$(podman port "$cid" 8080 | head -1 | sed 's/.*://')
    url="http://127.0.0.1:$port"
    for _ in $(seq 1 120); do
        curl -fsS -o /dev/null "$url/v2/health/ready" 2>/dev/null && break
        [ "$(podman inspect --format '{{.State.Running}}' "$cid")" = true ] || break
        sleep 1
    done
    step "predictor up on $url"
    status() { curl -sS -o /dev/null -w '%{http_code}' "$@"; }
    check "GET /v2/health/live is 200" test "$(status "$url/v2/health/live")" = 200
    check "GET /v2/health/ready is 200" test "$(status "$url/v2/health/ready")" = 200
    check "GET /v2/models/housing/ready is 200" \
        test "$(status "$url/v2/models/housing/ready")" = 200
    infer_body() {  # ocean_proximity value -> a V2 request, one input per raw column, shape [1]
        python3 - "$1" <<'EOF'
import json, sys
row = {"longitude": -122.23, "latitude": 37.88, "housing_median_age": 41.0, "total_rooms": 880.0,
       "total_bedrooms": 129.0, "population": 322.0, "households": 126.0, "median_income": 8.3252}
inputs = [{"name": k, "datatype": "FP64", "shape": [1], "data": [v]} for k, v in row.items()]
inputs.append({"name": "ocean_proximity", "datatype": "BYTES", "shape": [1], "data": [sys.argv[1]]})
print(json.dumps({"id": "smoke-1", "inputs": inputs}))
EOF
    }
    infer_body "NEAR BAY" > "$WORK/infer.json"
    curl -sS -o "$WORK/infer.out" -w '%{http_code}' -H 'content-type: application/json' \
        --data @"$WORK/infer.json" "$url/v2/models/housing/infer" > "$WORK/infer.code" || true
    echo "infer: HTTP $(cat "$WORK/infer.code") $(head -c 400 "$WORK/infer.out")"
    check "POST /v2/models/housing/infer returns median_house_value" python3 - "$WORK" <<'EOF'
import json, pathlib, sys
work = pathlib.Path(sys.argv[1])
body = json.loads((work / "infer.out").read_text())
out = {o["name"]: o for o in body["outputs"]}["median_house_value"]
value = float(out["data"][0])
code = (work / "infer.code").read_text()
sys.exit(not (code == "200" and out["shape"] == [1] and 1e4 <= value <= 1e6))
EOF
    infer_body "LAKE" > "$WORK/bad.json"
    code=$(curl -sS -o "$WORK/bad.out" -w '%{http_code}' -H 'content-type: application/json' \
        --data @"$WORK/bad.json" "$url/v2/models/housing/infer" || true)
    check "unknown ocean_proximity is a 400 naming the column" \
        sh -c "[ '$code' = 400 ] && grep -q ocean_proximity '$WORK/bad.out'"
    check "GET /metrics is 200" test "$(status "$url/metrics")" = 200
    uid=$(podman exec "$cid" id -u 2>/dev/null || echo "?")
    check "predictor runs as uid $uid (not root)" sh -c "[ '$uid' != 0 ] && [ '$uid' != '?' ]"
    check "podman healthcheck run (GET /v2/health/live)" podman healthcheck run "$cid"
    if [ "$fail" -gt 0 ]; then podman logs --tail 30 "$cid" 2>&1 | cut -c1-300; fi

    step "predictor with an empty /mnt/models must exit non-zero"
    mkdir -p "$WORK/empty" && chmod 755 "$WORK/empty"
    ecid=$(run_predictor "$WORK/empty"); cids+=("$ecid")
    rc=$(timeout 120 podman wait "$ecid" 2>/dev/null || echo timeout)
    echo "exit code: $rc; last log line: $(podman logs --tail 1 "$ecid" 2>&1 | cut -c1-300)"
    check "empty /mnt/models: exits non-zero (got $rc), no half-working server" \
        sh -c "[ '$rc' != timeout ] && [ '$rc' != 0 ]"
else
    bad "predictor run checks skipped (no image or no bundle)"
fi

# ---- the monitoring image's collector and its HEALTHCHECK --------------------------------------
if is_built monitoring; then
    step "podman run $MON (housing-collector)"
    mkdir -p "$WORK/events" && chmod 777 "$WORK/events"
    mcid=$(nosd podman run -d --read-only --read-only-tmpfs=false \
        --tmpfs /tmp:rw,mode=1777,size=128m \
        --cap-drop=ALL -e HOUSING_EVENTS_URI=/data/events -v "$WORK/events:/data/events" "$MON")
    cids+=("$mcid")
    healthy=1
    for _ in $(seq 1 60); do
        podman healthcheck run "$mcid" >/dev/null 2>&1 && { healthy=0; break; }
        [ "$(podman inspect --format '{{.State.Running}}' "$mcid")" = true ] || break
        sleep 1
    done
    check "monitoring image: collector passes podman healthcheck run" test "$healthy" = 0
    [ "$healthy" = 0 ] || podman logs --tail 20 "$mcid" 2>&1 | cut -c1-300
fi

step "image sizes"
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "housing-" || true
step "done"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
