{{/*
Chart name, truncated to 63 characters (DNS label).
*/}}
{{- define "housing.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: release name, plus the chart name when the release name does not contain it.
*/}}
{{- define "housing.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "housing.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: stable across upgrades, never the chart version.
*/}}
{{- define "housing.selectorLabels" -}}
app.kubernetes.io/name: {{ include "housing.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Common labels on every object.
*/}}
{{- define "housing.labels" -}}
helm.sh/chart: {{ include "housing.chart" . }}
{{ include "housing.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: housing
{{- end }}

{{/*
Labels of one component: (dict "ctx" $ "component" "collector")
*/}}
{{- define "housing.componentLabels" -}}
{{ include "housing.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "housing.componentSelectorLabels" -}}
{{ include "housing.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Image reference: (dict "ctx" $ "image" .Values.image.predictor)
*/}}
{{- define "housing.image" -}}
{{- printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion .image.tag) }}
{{- end }}

{{- define "housing.inferenceServiceName" -}}
{{- include "housing.fullname" . }}
{{- end }}

{{- define "housing.collectorName" -}}
{{- printf "%s-collector" (include "housing.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "housing.dashboardName" -}}
{{- printf "%s-dashboard" (include "housing.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "housing.minioName" -}}
{{- printf "%s-minio" (include "housing.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Logger sink: explicit URL or this release's collector Service.
*/}}
{{- define "housing.loggerUrl" -}}
{{- if .Values.inferenceService.logger.url }}
{{- .Values.inferenceService.logger.url }}
{{- else }}
{{- printf "http://%s.%s.svc.cluster.local:%d/" (include "housing.collectorName" .) .Release.Namespace (int .Values.collector.port) }}
{{- end }}
{{- end }}

{{/*
S3 endpoint: explicit, or the chart's MinIO, or empty (AWS).
*/}}
{{- define "housing.s3Endpoint" -}}
{{- if .Values.s3.endpointUrl }}
{{- .Values.s3.endpointUrl }}
{{- else if .Values.minio.enabled }}
{{- printf "http://%s.%s.svc.cluster.local:9000" (include "housing.minioName" .) .Release.Namespace }}
{{- end }}
{{- end }}

{{/*
"true" when any URI the chart passes on is s3:// (then the S3 Secret is required).
*/}}
{{- define "housing.usesS3" -}}
{{- $uris := list .Values.champion.bundleUri -}}
{{- if .Values.challenger.enabled }}{{- $uris = append $uris .Values.challenger.bundleUri -}}{{- end }}
{{- $s3 := or (eq .Values.bundles.store "s3") .Values.minio.enabled -}}
{{- range $uris }}{{- if hasPrefix "s3://" . }}{{- $s3 = true -}}{{- end }}{{- end }}
{{- if $s3 }}true{{- end }}
{{- end }}

{{/*
The bundles root as the training and drift containers see it.
*/}}
{{- define "housing.bundlesUri" -}}
{{- if eq .Values.bundles.store "s3" }}{{ .Values.bundles.s3Uri }}{{ else }}/data/bundles{{ end }}
{{- end }}

{{/*
The STORAGE_URI of the current revision: the challenger's bundle while a canary runs.
*/}}
{{- define "housing.storageUri" -}}
{{- if .Values.challenger.enabled }}{{ .Values.challenger.bundleUri }}{{ else }}{{ .Values.champion.bundleUri }}{{ end }}
{{- end }}

{{/*
"true" when the revision serves pvc://<claim>/latest, the first-install form. KServe mounts a pvc://
URI's path as the volume's subPath (kserve/kserve v0.20.0 pkg/webhook/admission/pod/
storage_initializer_injector.go), and kubelet creates a missing subPath as an empty directory
before the container starts (kubernetes/kubernetes pkg/kubelet/kubelet_pods.go, makeMounts): the
predictor would start on an empty /mnt/models. This form mounts the claim root instead (a
pvc://<claim> URI has no subPath: kserve pkg/utils/storage.go ParsePvcURI) and the predictor waits
for /mnt/models/latest.
*/}}
{{- define "housing.followsLatest" -}}
{{- if eq (include "housing.storageUri" .) (printf "pvc://%s/latest" .Values.persistence.bundles.claimName) }}true{{- end }}
{{- end }}

{{/*
S3 environment (endpoint, region, credentials from the Secret) for training and drift, or nothing:
(dict "ctx" $ "indent" 12)
*/}}
{{- define "housing.s3Env" -}}
{{- if include "housing.usesS3" .ctx }}
{{- include "housing.s3EnvBlock" .ctx | nindent .indent }}
{{- end }}
{{- end }}

{{- define "housing.s3EnvBlock" -}}
{{- with include "housing.s3Endpoint" . -}}
- name: HOUSING_S3_ENDPOINT_URL
  value: {{ . | quote }}
{{ end -}}
- name: AWS_DEFAULT_REGION
  value: {{ .Values.s3.region | quote }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .Values.s3.existingSecret }}
      key: AWS_ACCESS_KEY_ID
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.s3.existingSecret }}
      key: AWS_SECRET_ACCESS_KEY
{{- end }}

{{/*
One env var from a key of an existing Secret: (dict "name" "ENV" "secret" "my-secret" "key" "k")
*/}}
{{- define "housing.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key | quote }}
{{- end }}

{{/*
The bundle verification key for every pod that loads bundles, or nothing: (dict "ctx" $ "indent" 12).
model/signing.py: with HOUSING_BUNDLE_VERIFY_KEY set, unsigned or wrongly signed bundles are refused.
*/}}
{{- define "housing.verifyKeyEnv" -}}
{{- with .ctx.Values.signing }}
{{- if .publicKeySecret }}
{{- include "housing.secretEnv" (dict "name" "HOUSING_BUNDLE_VERIFY_KEY" "secret" .publicKeySecret "key" .publicKeySecretKey) | nindent $.indent }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The bundle signing key, for the training pod only, or nothing: (dict "ctx" $ "indent" 12).
*/}}
{{- define "housing.signingKeyEnv" -}}
{{- with .ctx.Values.signing }}
{{- if .privateKeySecret }}
{{- include "housing.secretEnv" (dict "name" "HOUSING_BUNDLE_SIGNING_KEY" "secret" .privateKeySecret "key" .privateKeySecretKey) | nindent $.indent }}
{{- end }}
{{- end }}
{{- end }}

{{- define "housing.podSecurityContext" -}}
{{ toYaml .Values.podSecurityContext }}
{{- end }}

{{- define "housing.containerSecurityContext" -}}
{{ toYaml .Values.containerSecurityContext }}
{{- end }}

{{/*
imagePullSecrets block, or nothing: (dict "ctx" $ "indent" 6)
*/}}
{{- define "housing.imagePullSecrets" -}}
{{- with .ctx.Values.image.pullSecrets }}
{{- printf "imagePullSecrets:\n%s" (toYaml . | indent 2) | nindent $.indent }}
{{- end }}
{{- end }}

{{/*
Cross-field rules that values.schema.json cannot express (or that KServe's webhook would reject
only at apply time). Collects every problem, then fails once with all of them.
*/}}
{{- define "housing.validateValues" -}}
{{- $errors := list }}
{{- $uriRe := "^(pvc|s3)://[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[^/\\s]+)+/?$" }}
{{- if not (regexMatch $uriRe .Values.champion.bundleUri) }}
{{- $errors = append $errors (printf "champion.bundleUri: %q is not pvc://<claim>/<path> or s3://<bucket>/<path>" .Values.champion.bundleUri) }}
{{- end }}
{{- if .Values.challenger.enabled }}
{{- if not .Values.challenger.bundleUri }}
{{- $errors = append $errors "challenger.bundleUri: required when challenger.enabled is true (set --set challenger.bundleUri=pvc://<claim>/<model_version>)" }}
{{- else if not (regexMatch $uriRe .Values.challenger.bundleUri) }}
{{- $errors = append $errors (printf "challenger.bundleUri: %q is not pvc://<claim>/<path> or s3://<bucket>/<path>" .Values.challenger.bundleUri) }}
{{- else if eq .Values.challenger.bundleUri .Values.champion.bundleUri }}
{{- $errors = append $errors (printf "challenger.bundleUri: %q equals champion.bundleUri; a canary needs a different bundle" .Values.challenger.bundleUri) }}
{{- end }}
{{- end }}
{{- $pct := .Values.challenger.trafficPercent }}
{{- if or (lt (int64 $pct) 0) (gt (int64 $pct) 100) }}
{{- $errors = append $errors (printf "challenger.trafficPercent: %v is outside 0-100" $pct) }}
{{- end }}
{{- if gt (int .Values.inferenceService.minReplicas) (int .Values.inferenceService.maxReplicas) }}
{{- $errors = append $errors (printf "inferenceService.minReplicas (%v) is greater than maxReplicas (%v)" .Values.inferenceService.minReplicas .Values.inferenceService.maxReplicas) }}
{{- end }}
{{- if and (include "housing.usesS3" .) (not .Values.s3.existingSecret) }}
{{- $errors = append $errors "s3.existingSecret: required when MinIO or an s3:// URI is used (a Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; see docs/kubernetes.md)" }}
{{- end }}
{{- range $role, $uri := dict "champion" .Values.champion.bundleUri "challenger" (ternary .Values.challenger.bundleUri "" .Values.challenger.enabled) }}
{{- if and (hasPrefix "s3://" $uri) (regexMatch "(?i)/latest/?$" $uri) }}
{{- $errors = append $errors (printf "%s.bundleUri: %q: S3 has no 'latest' directory (training keeps a LATEST text object, which KServe's storage initializer cannot follow); name a version: s3://<bucket>/<prefix>/<model_version>" $role $uri) }}
{{- end }}
{{- end }}
{{- if and (include "housing.followsLatest" .) .Values.training.enabled (le (int64 .Values.inferenceService.bundleWaitSeconds) (int64 .Values.training.activeDeadlineSeconds)) }}
{{- $errors = append $errors (printf "inferenceService.bundleWaitSeconds (%v) must exceed training.activeDeadlineSeconds (%v): the first revision waits for the training Job's bundle, and Knative fails a revision not Ready within its progress-deadline" .Values.inferenceService.bundleWaitSeconds .Values.training.activeDeadlineSeconds) }}
{{- end }}
{{- if and .Values.signing.publicKeySecret .Values.training.enabled (not .Values.signing.privateKeySecret) }}
{{- $errors = append $errors "signing.privateKeySecret: required when signing.publicKeySecret is set and training.enabled is true: the training Job would publish unsigned bundles, which the predictor, drift and performance jobs refuse" }}
{{- end }}
{{- $cpu := toString (dig "limits" "cpu" "" .Values.training.resources) }}
{{- if and .Values.training.enabled $cpu (regexMatch "^[0-9]+(\\.[0-9]+)?m?$" $cpu) }}
{{- $cores := ternary (divf (float64 (trimSuffix "m" $cpu)) 1000) (float64 $cpu) (hasSuffix "m" $cpu) }}
{{- if gt (float64 .Values.training.threads) (ceil $cores) }}
{{- $errors = append $errors (printf "training.threads (%v) exceeds the training CPU limit (%s, %v cores rounded up): the extra threads would only be throttled" .Values.training.threads $cpu (ceil $cores)) }}
{{- end }}
{{- end }}
{{- if and (eq .Values.bundles.store "pvc") (not .Values.persistence.bundles.enabled) }}
{{- $errors = append $errors "persistence.bundles.enabled: must be true when bundles.store is pvc" }}
{{- end }}
{{- if and (eq .Values.bundles.store "s3") (not (hasPrefix "s3://" .Values.bundles.s3Uri)) }}
{{- $errors = append $errors (printf "bundles.s3Uri: %q must start with s3://" .Values.bundles.s3Uri) }}
{{- end }}
{{- range $role, $uri := dict "champion" .Values.champion.bundleUri "challenger" (ternary .Values.challenger.bundleUri "" .Values.challenger.enabled) }}
{{- if and (hasPrefix "pvc://" $uri) (ne (index (splitList "/" (trimPrefix "pvc://" $uri)) 0) $.Values.persistence.bundles.claimName) }}
{{- $errors = append $errors (printf "%s.bundleUri: %q names a claim other than persistence.bundles.claimName (%s)" $role $uri $.Values.persistence.bundles.claimName) }}
{{- end }}
{{- end }}
{{- if $errors }}
{{- fail (printf "\n\nhousing chart: invalid values:\n  - %s\n" (join "\n  - " $errors)) }}
{{- end }}
{{- end }}

{{/*
One V2 request with the first row of housing.csv: one input per raw column, shape [1].
*/}}
{{- define "housing.sampleRequest" -}}
{"inputs":[{"name":"longitude","shape":[1],"datatype":"FP64","data":[-122.23]},{"name":"latitude","shape":[1],"datatype":"FP64","data":[37.88]},{"name":"housing_median_age","shape":[1],"datatype":"FP64","data":[41.0]},{"name":"total_rooms","shape":[1],"datatype":"FP64","data":[880.0]},{"name":"total_bedrooms","shape":[1],"datatype":"FP64","data":[129.0]},{"name":"population","shape":[1],"datatype":"FP64","data":[322.0]},{"name":"households","shape":[1],"datatype":"FP64","data":[126.0]},{"name":"median_income","shape":[1],"datatype":"FP64","data":[8.3252]},{"name":"ocean_proximity","shape":[1],"datatype":"BYTES","data":["NEAR BAY"]}]}
{{- end }}

{{/*
Cluster-local URL of the predictor (Knative Service <isvc>-predictor).
*/}}
{{- define "housing.predictorLocalUrl" -}}
{{- printf "http://%s-predictor.%s.svc.cluster.local" (include "housing.inferenceServiceName" .) .Release.Namespace }}
{{- end }}
