#!/usr/bin/env bash
# Install what KServe v0.20.0 needs in Knative mode on the current kubectl context (the kind cluster of
# k8s/kind-cluster.yaml): cert-manager, Knative Serving (CRDs + core), Kourier, the Knative settings the
# housing chart relies on, then KServe v0.20.0 (CRDs + controller + the default ClusterStorageContainer,
# i.e. the storage initializer) from its OCI Helm charts.
#
# NOT RUN HERE: the development and CI machines reach no Kubernetes API and no GitHub/ghcr.io, so this
# script was written from the KServe v0.20.0 sources (kserve-deps.env, hack/setup/infra/manage.kserve-helm.sh,
# the Kourier guide) and the Knative docs, and has not been executed. Versions are pinned to the ones
# KServe v0.20.0 itself tests with (kserve-deps.env at tag v0.20.0). Report problems with exact output.
#
# Needs: kubectl, helm (3.8+ for OCI charts), python3 (edits KServe's JSON configmap), internet access.
# Idempotent: re-running applies the same manifests and settings again.
set -euo pipefail

CERT_MANAGER_VERSION="${CERT_MANAGER_VERSION:-v1.17.0}"
KNATIVE_SERVING_VERSION="${KNATIVE_SERVING_VERSION:-knative-v1.21.1}"
KOURIER_VERSION="${KOURIER_VERSION:-knative-v1.21.0}"
KSERVE_VERSION="${KSERVE_VERSION:-v0.20.0}"
# Fixed domain: curl with the Host header (no DNS on a laptop). Kourier's gateway is NodePort 31080,
# mapped to localhost:8081 by k8s/kind-cluster.yaml.
KNATIVE_DOMAIN="${KNATIVE_DOMAIN:-example.com}"
KOURIER_NODE_PORT="${KOURIER_NODE_PORT:-31080}"

log() { printf '\n[setup-cluster] %s\n' "$*"; }

for tool in kubectl helm python3; do
  command -v "${tool}" >/dev/null || { echo "setup-cluster: ${tool} not found" >&2; exit 1; }
done
kubectl cluster-info >/dev/null

log "cert-manager ${CERT_MANAGER_VERSION}"
kubectl apply -f "https://github.com/cert-manager/cert-manager/releases/download/${CERT_MANAGER_VERSION}/cert-manager.yaml"
kubectl -n cert-manager wait --for=condition=Available deployment --all --timeout=300s

log "Knative Serving ${KNATIVE_SERVING_VERSION}: CRDs, then core"
kubectl apply -f "https://github.com/knative/serving/releases/download/${KNATIVE_SERVING_VERSION}/serving-crds.yaml"
kubectl wait --for=condition=Established --timeout=120s crd/services.serving.knative.dev
kubectl apply -f "https://github.com/knative/serving/releases/download/${KNATIVE_SERVING_VERSION}/serving-core.yaml"
kubectl -n knative-serving wait --for=condition=Available deployment --all --timeout=300s

log "Kourier ${KOURIER_VERSION} as the Knative ingress"
kubectl apply -f "https://github.com/knative/net-kourier/releases/download/${KOURIER_VERSION}/kourier.yaml"
kubectl patch configmap/config-network -n knative-serving --type merge \
  -p '{"data":{"ingress-class":"kourier.ingress.networking.knative.dev"}}'
kubectl -n kourier-system wait --for=condition=Available deployment --all --timeout=300s
# kind has no LoadBalancer: expose the gateway on a fixed NodePort that kind maps to the laptop.
kubectl -n kourier-system patch service kourier --type merge -p "{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"name\":\"http2\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080,\"nodePort\":${KOURIER_NODE_PORT}}]}}"

log "Knative settings used by charts/housing"
# Domain: <isvc>-predictor.<namespace>.example.com, reached with a Host header.
kubectl patch configmap/config-domain -n knative-serving --type merge -p "{\"data\":{\"${KNATIVE_DOMAIN}\":\"\"}}"
# The chart sets a pod securityContext (runAsUser/fsGroup/seccomp) and KServe mounts pvc:// bundles as
# volumes; Knative gates both behind feature flags. emptyDir backs the read-only root FS's /tmp.
kubectl patch configmap/config-features -n knative-serving --type merge -p '{"data":{
  "kubernetes.podspec-securitycontext":"enabled",
  "kubernetes.podspec-persistent-volume-claim":"enabled",
  "kubernetes.podspec-persistent-volume-write":"enabled",
  "kubernetes.podspec-emptydir":"enabled"}}'
# skaffold loads images into kind without a registry; Knative would fail to resolve their tags to
# digests. Unqualified names (housing-predictor:<tag>) normalise to index.docker.io.
kubectl patch configmap/config-deployment -n knative-serving --type merge \
  -p '{"data":{"registries-skipping-tag-resolving":"kind.local,ko.local,dev.local,index.docker.io,docker.io"}}'

log "KServe ${KSERVE_VERSION}: CRDs and controller from oci://ghcr.io/kserve/charts"
helm upgrade --install kserve-crd oci://ghcr.io/kserve/charts/kserve-crd \
  --version "${KSERVE_VERSION}" --namespace kserve --create-namespace --wait
helm upgrade --install kserve oci://ghcr.io/kserve/charts/kserve-resources \
  --version "${KSERVE_VERSION}" --namespace kserve --create-namespace --wait
kubectl -n kserve wait --for=condition=Available deployment/kserve-controller-manager --timeout=300s

log "KServe inferenceservice-config: Knative default mode, no Istio VirtualService (Kourier)"
update_isvc_config() {  # update_isvc_config <data key> <python expression editing dict `c`>
  local key="$1" expr="$2" current updated
  current="$(kubectl -n kserve get configmap inferenceservice-config -o "jsonpath={.data.${key}}")"
  updated="$(printf '%s' "${current}" | python3 -c "import json,sys; c=json.load(sys.stdin); ${expr}; print(json.dumps(c, indent=2))")"
  kubectl -n kserve patch configmap inferenceservice-config --type merge \
    -p "$(python3 -c 'import json,sys; print(json.dumps({"data": {sys.argv[1]: sys.argv[2]}}))' "${key}" "${updated}")"
}
update_isvc_config ingress 'c["disableIstioVirtualHost"] = True'
update_isvc_config deploy 'c["defaultDeploymentMode"] = "Knative"'
kubectl -n kserve rollout restart deployment/kserve-controller-manager
kubectl -n kserve rollout status deployment/kserve-controller-manager --timeout=300s

log "checks"
kubectl get clusterstoragecontainer default -o name   # the storage initializer for pvc:// and s3://
kubectl get crd inferenceservices.serving.kserve.io -o jsonpath='{.metadata.name}{"\n"}'
kubectl -n kourier-system get service kourier
log "done: KServe ${KSERVE_VERSION} (Knative mode, Kourier) is ready; next: skaffold dev (docs/kubernetes.md)"
