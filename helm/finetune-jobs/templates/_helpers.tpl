{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "ftjobs.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name; component suffixes (-api, -worker...) are appended to it. */}}
{{- define "ftjobs.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "ftjobs.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels. Call with (dict "ctx" $ "component" "api"). */}}
{{- define "ftjobs.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ftjobs.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Common labels. Call with (dict "ctx" $ "component" "api"). */}}
{{- define "ftjobs.labels" -}}
helm.sh/chart: {{ include "ftjobs.chart" .ctx }}
{{ include "ftjobs.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: finetune-jobs
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end -}}

{{- define "ftjobs.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "ftjobs.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ftjobs.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The migration hook runs before the release's own ServiceAccount exists on install, so it
uses one that already exists: the user's (serviceAccount.create false) or the namespace's
"default". It mounts no token either way.
*/}}
{{- define "ftjobs.migrationServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
default
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ftjobs.workerGracePeriod" -}}
{{- add .Values.config.workerJobTimeoutSeconds .Values.worker.shutdownGraceExtraSeconds -}}
{{- end -}}

{{- define "ftjobs.secretEnv" -}}
{{- $s := .Values.secret -}}
- name: FTJOBS_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $s.name }}
      key: {{ $s.keys.databaseUrl }}
{{- end -}}

{{/* Secret and plain settings shared by the api, worker and scheduler containers. */}}
{{- define "ftjobs.env" -}}
{{- $s := .Values.secret -}}
{{- $c := .Values.config -}}
{{ include "ftjobs.secretEnv" . }}
- name: FTJOBS_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $s.name }}
      key: {{ $s.keys.redisUrl }}
{{- if .Values.providers.openai.enabled }}
- name: FTJOBS_OPENAI_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s.name }}
      key: {{ $s.keys.openaiApiKey }}
{{- end }}
- name: FTJOBS_OPENAI_WEBHOOK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $s.name }}
      key: {{ $s.keys.openaiWebhookSecret }}
      optional: true
- name: FTJOBS_BLOB_DIR
  value: {{ .Values.blobStorage.mountPath | quote }}
- name: FTJOBS_QUEUE_NAME
  value: {{ $c.queueName | quote }}
{{- with $c.openaiBaseUrl }}
- name: FTJOBS_OPENAI_BASE_URL
  value: {{ . | quote }}
{{- end }}
- name: FTJOBS_OPENAI_TIMEOUT_SECONDS
  value: {{ $c.openaiTimeoutSeconds | quote }}
{{- include "ftjobs.providerEnv" . }}
- name: FTJOBS_MAX_UPLOAD_BYTES
  value: {{ $c.maxUploadBytes | int64 | quote }}
- name: FTJOBS_POLL_INTERVAL_SECONDS
  value: {{ $c.pollIntervalSeconds | quote }}
- name: FTJOBS_SCHEDULER_INTERVAL_SECONDS
  value: {{ $c.schedulerIntervalSeconds | quote }}
- name: FTJOBS_LEASE_SECONDS
  value: {{ $c.leaseSeconds | quote }}
- name: FTJOBS_RETRY_BASE_SECONDS
  value: {{ $c.retryBaseSeconds | quote }}
- name: FTJOBS_RETRY_MAX_SECONDS
  value: {{ $c.retryMaxSeconds | quote }}
- name: FTJOBS_WORKER_JOB_TIMEOUT_SECONDS
  value: {{ $c.workerJobTimeoutSeconds | int64 | quote }}
{{ include "ftjobs.commonEnv" . }}
{{- end -}}

{{/*
The providers beside OpenAI and the choice between them (values: providers). Keys come from the
Secret by reference, only for the providers that are enabled; Azure with workload identity has no
key at all (azure-identity gets an Entra ID token instead).
*/}}
{{- define "ftjobs.providerEnv" -}}
{{- $s := .Values.secret -}}
{{- $p := .Values.providers -}}
{{- with $p.defaultProvider }}
- name: FTJOBS_DEFAULT_PROVIDER
  value: {{ . | quote }}
{{- end }}
{{- if $p.azure.enabled }}
- name: FTJOBS_AZURE_OPENAI_ENDPOINT
  value: {{ required "providers.azure.endpoint is required when providers.azure.enabled is true" $p.azure.endpoint | quote }}
{{- if eq $p.azure.auth "apiKey" }}
- name: FTJOBS_AZURE_OPENAI_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s.name }}
      key: {{ $s.keys.azureOpenaiApiKey }}
{{- end }}
{{- end }}
{{- if $p.together.enabled }}
- name: FTJOBS_TOGETHER_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s.name }}
      key: {{ $s.keys.togetherApiKey }}
{{- with $p.together.baseUrl }}
- name: FTJOBS_TOGETHER_BASE_URL
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- with $p.endDates }}
- name: FTJOBS_PROVIDER_END_DATES
  value: {{ toJson . | quote }}
{{- end }}
{{- end -}}

{{/*
The metrics token, api pods only (the only ones serving HTTP). With a ServiceMonitor the key
must exist: a pod that cannot read it does not start, so a rollout stops on the missing key
instead of every scrape failing with 404. Without one it is optional: a Prometheus of your own
may still use it, and a Secret without it leaves /metrics answering 404.
*/}}
{{- define "ftjobs.metricsTokenEnv" -}}
- name: FTJOBS_METRICS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secret.name }}
      key: {{ .Values.secret.keys.metricsToken }}
      {{- if not .Values.metrics.serviceMonitor.enabled }}
      optional: true
      {{- end }}
{{- end -}}

{{/* The web console's settings: api pods only (the console is served by the api). */}}
{{- define "ftjobs.consoleEnv" -}}
- name: FTJOBS_CONSOLE_SECURE_COOKIE
  value: {{ .Values.console.secureCookie | quote }}
- name: FTJOBS_CONSOLE_SESSION_SECONDS
  value: {{ .Values.console.sessionSeconds | quote }}
- name: FTJOBS_CONSOLE_SIGNINS_PER_MINUTE
  value: {{ .Values.console.signinsPerMinute | quote }}
{{- end -}}

{{/* True when the pods authenticate to Azure OpenAI with AKS workload identity. */}}
{{- define "ftjobs.azureWorkloadIdentity" -}}
{{- $azure := .Values.providers.azure -}}
{{- if and $azure.enabled (eq $azure.auth "workloadIdentity") -}}
true
{{- end -}}
{{- end -}}

{{/*
Labels of the api, worker and scheduler pod templates beyond the selector: podLabels, plus the
label that makes the workload-identity webhook inject the Entra ID token (it wins over podLabels).
*/}}
{{- define "ftjobs.podLabels" -}}
{{- $labels := dict -}}
{{- if include "ftjobs.azureWorkloadIdentity" . -}}
{{- $_ := set $labels "azure.workload.identity/use" "true" -}}
{{- end -}}
{{- $labels = merge $labels .Values.podLabels -}}
{{- with $labels }}
{{- toYaml . }}
{{- end }}
{{- end -}}

{{/* Log level and the user's extra settings: every container, the migration Job included. */}}
{{- define "ftjobs.commonEnv" -}}
- name: FTJOBS_LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
{{- range $name, $value := .Values.extraEnv }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- define "ftjobs.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "ftjobs.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Volumes. Call with (dict "ctx" $ "blobs" true|false). */}}
{{- define "ftjobs.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .ctx.Values.tmpSizeLimit }}
{{- if .blobs }}
{{- $b := .ctx.Values.blobStorage }}
- name: blobs
{{- if eq $b.type "emptyDir" }}
  emptyDir:
    sizeLimit: {{ $b.emptyDirSizeLimit }}
{{- else }}
  persistentVolumeClaim:
    claimName: {{ include "ftjobs.blobClaimName" .ctx }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "ftjobs.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .blobs }}
- name: blobs
  mountPath: {{ .ctx.Values.blobStorage.mountPath }}
{{- end }}
{{- end -}}

{{- define "ftjobs.blobClaimName" -}}
{{- if eq .Values.blobStorage.type "existingClaim" -}}
{{- required "blobStorage.existingClaim is required when blobStorage.type is existingClaim" .Values.blobStorage.existingClaim -}}
{{- else -}}
{{- printf "%s-blobs" (include "ftjobs.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* Pod template annotations: the chart-made Secret's checksum rolls pods when it changes. */}}
{{- define "ftjobs.podAnnotations" -}}
{{- if .Values.secret.create }}
checksum/secret: {{ .Values.secret.values | toJson | sha256sum }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Scheduling fields of a component's pod spec. Call with the component's values. */}}
{{- define "ftjobs.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
