#!/usr/bin/env bash
# Offline checks of the Kubernetes packaging that are not pytest tests (tests/charts covers the rest):
#   helm lint --strict (helm 3 and helm 4) and helm template for every charts/housing/ci/*-values.yaml,
#   checkov on the rendered manifests, yamllint, check-jsonschema on skaffold.yaml and the kind config,
#   actionlint (with shellcheck on every `run:` block) on .github/workflows, shellcheck on every shell
#   script of the repository (tests/charts/shell_scripts.py: *.sh and sh/bash shebangs).
# Needs scripts/install-k8s-tools.sh first and the dev venv (.venv). Schemas: HOUSING_K8S_SCHEMAS
# (CI: ../shared/k8s); without it (GitHub) the KServe CRD and skaffold's schema are downloaded at the
# pinned tags and sha256-checked. The kind config's schema is the project's k8s/kind-cluster.schema.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
HELM="${HOUSING_HELM:-${ROOT}/.tools/bin/helm}"
HELM4="${HOUSING_HELM4:-${ROOT}/.tools/bin/helm4}"
CHECKOV="${ROOT}/.venv-checkov/bin/checkov"
VENV_BIN="${HOUSING_VENV_BIN:-${ROOT}/.venv/bin}"
export HELM_CACHE_HOME=/tmp/housing-helm/cache HELM_CONFIG_HOME=/tmp/housing-helm/config HELM_DATA_HOME=/tmp/housing-helm/data

fail() { printf 'check-k8s: %s\n' "$*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

for tool in "${HELM}" "${HELM4}" "${CHECKOV}"; do
  [[ -x "${tool}" ]] || fail "${tool} missing: run scripts/install-k8s-tools.sh"
done
for tool in yamllint check-jsonschema python actionlint shellcheck; do
  [[ -x "${VENV_BIN}/${tool}" ]] || fail "${VENV_BIN}/${tool} missing: install the dev extras (.[dev])"
done

OUT="$(mktemp -d)"
trap 'rm -rf "${OUT}"' EXIT

shopt -s nullglob
values_files=(charts/housing/ci/*-values.yaml)
(( ${#values_files[@]} > 0 )) || fail "no charts/housing/ci/*-values.yaml"

for values in "${values_files[@]}"; do
  name="$(basename "${values}" -values.yaml)"
  step "helm lint --strict / template: ${name}"
  "${HELM}" lint --strict charts/housing -f "${values}"
  "${HELM4}" lint --strict charts/housing -f "${values}" >/dev/null
  "${HELM}" template housing charts/housing --namespace housing -f "${values}" > "${OUT}/${name}.yaml"
  "${HELM4}" install housing charts/housing --namespace housing --dry-run=client -f "${values}" >/dev/null
done

step "checkov (skips justified in tests/charts/checkov.yaml)"
"${CHECKOV}" --config-file tests/charts/checkov.yaml -d "${OUT}"

step "yamllint"
"${VENV_BIN}/yamllint" -c tests/charts/yamllint.yaml --strict \
  charts/housing/Chart.yaml charts/housing/values.yaml charts/housing/ci/*.yaml \
  skaffold.yaml k8s/kind-cluster.yaml k8s/skaffold-minio-values.yaml

step "check-jsonschema: skaffold.yaml, k8s/kind-cluster.yaml"
skaffold_schema="$("${VENV_BIN}/python" -c "import sys; sys.path.insert(0, 'tests/charts'); import chart_support as cs; print(cs.pinned_path('skaffold'))")"
"${VENV_BIN}/check-jsonschema" --schemafile "${skaffold_schema}" skaffold.yaml
# kind publishes no schema: the project's own, written from kind v0.30.0 (header of the file).
"${VENV_BIN}/check-jsonschema" --schemafile k8s/kind-cluster.schema.json k8s/kind-cluster.yaml

step "actionlint + shellcheck: .github/workflows, every shell script"
PATH="${VENV_BIN}:${PATH}" "${VENV_BIN}/actionlint" .github/workflows/*.yaml
mapfile -t shell_scripts < <("${VENV_BIN}/python" tests/charts/shell_scripts.py)
(( ${#shell_scripts[@]} > 0 )) || fail "no shell scripts found (tests/charts/shell_scripts.py)"
"${VENV_BIN}/shellcheck" "${shell_scripts[@]}"

step "values table in charts/housing/README.md"
"${VENV_BIN}/python" tests/charts/chart_values_table.py

printf '\ncheck-k8s: all checks passed\n'
