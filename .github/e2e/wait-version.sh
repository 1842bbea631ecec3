#!/usr/bin/env bash
# wait-version.sh HOST VERSION: wait until the InferenceService's latest created revision is Ready and
# 20 consecutive requests through the gateway (Host: HOST) are answered by model VERSION.
# Env: NS (namespace), GATEWAY (base URL of Kourier), TIMEOUT_S (default 900).
set -euo pipefail
host="$1" version="$2"
deadline=$(( $(date +%s) + ${TIMEOUT_S:-900} ))
body="$(bash "$(dirname "$0")/v2-request.sh")"
streak=0
while (( $(date +%s) < deadline )); do
  status="$(kubectl -n "$NS" get inferenceservice housing -o json)"
  created="$(jq -r '.status.components.predictor.latestCreatedRevision // ""' <<<"$status")"
  ready="$(jq -r '.status.components.predictor.latestReadyRevision // ""' <<<"$status")"
  if [[ -n "$created" && "$created" == "$ready" ]]; then
    got="$(curl -fsS -H "Host: ${host}" -H 'Content-Type: application/json' \
      "$GATEWAY/v2/models/housing/infer" -d "$body" | jq -r .model_version || true)"
    if [[ "$got" == "$version" ]]; then streak=$((streak + 1)); else streak=0; fi
    if (( streak >= 20 )); then echo "wait-version: ${version} serves all traffic"; exit 0; fi
  fi
  sleep 1
done
echo "wait-version: ${version} did not serve all traffic in time" >&2
kubectl -n "$NS" get inferenceservice housing -o yaml >&2 || true
exit 1
