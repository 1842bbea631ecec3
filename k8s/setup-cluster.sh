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
# Needs: kubectl, helm (3.8+ for OCI charts), internet access.
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

for tool in kubectl helm; do
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
# The chart sets a pod securityContext (runAsUser/runAsGroup/fsGroup); Knative drops those fields unless
# kubernetes.podspec-securitycontext is enabled (knative/serving knative-v1.21.1 pkg/apis/serving/fieldmask.go,
# PodSecurityContextMask). The emptyDir behind the read-only root FS's /tmp needs
# kubernetes.podspec-volumes-emptydir (already "enabled" by default in pkg/apis/config/features.go; set
# explicitly so a cluster-wide override cannot break the chart). No PVC flags: the bundles claim is added by
# KServe's pod mutating webhook (kserve/kserve v0.20.0 pkg/webhook/admission/pod/storage_initializer_injector.go),
# after Knative has validated the revision.
kubectl patch configmap/config-features -n knative-serving --type merge -p '{"data":{
  "kubernetes.podspec-securitycontext":"enabled",
  "kubernetes.podspec-volumes-emptydir":"enabled"}}'
# skaffold loads images into kind without a registry; Knative would fail to resolve their tags to
# digests. Unqualified names (housing-predictor:<tag>) normalise to index.docker.io.
kubectl patch configmap/config-deployment -n knative-serving --type merge \
  -p '{"data":{"registries-skipping-tag-resolving":"kind.local,ko.local,dev.local,index.docker.io,docker.io"}}'

log "KServe ${KSERVE_VERSION}: CRDs and controller from oci://ghcr.io/kserve/charts"
# inferenceservice-config is rendered by the kserve-resources chart from these values
# (kserve/kserve v0.20.0 charts/kserve-resources/files/common/configmap-patch.yaml): set them as values,
# so the next `helm upgrade kserve` keeps them (a kubectl patch of the ConfigMap would be undone).
#   deploymentMode=Knative            -> deploy.defaultDeploymentMode
#   disableIstioVirtualHost=true      -> ingress.disableIstioVirtualHost (Kourier, no Istio)
helm upgrade --install kserve-crd oci://ghcr.io/kserve/charts/kserve-crd \
  --version "${KSERVE_VERSION}" --namespace kserve --create-namespace --wait
helm upgrade --install kserve oci://ghcr.io/kserve/charts/kserve-resources \
  --version "${KSERVE_VERSION}" --namespace kserve --create-namespace --wait \
  --set kserve.controller.deploymentMode=Knative \
  --set kserve.controller.gateway.disableIstioVirtualHost=true \
  --set-string kserve.controller.gateway.domain="${KNATIVE_DOMAIN}"
kubectl -n kserve wait --for=condition=Available deployment/kserve-controller-manager --timeout=300s

log "checks"
kubectl get clusterstoragecontainer default -o name   # the storage initializer for s3:// (pvc:// is a plain mount)
kubectl get crd inferenceservices.serving.kserve.io -o jsonpath='{.metadata.name}{"\n"}'
kubectl -n kourier-system get service kourier
log "done: KServe ${KSERVE_VERSION} (Knative mode, Kourier) is ready; next: skaffold dev (docs/kubernetes.md)"
