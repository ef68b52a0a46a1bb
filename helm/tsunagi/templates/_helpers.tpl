{{/* Chart name, truncated to the 63-character DNS label limit. */}}
{{- define "tsunagi.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name; suffixes like -worker are appended, so keep room. */}}
{{- define "tsunagi.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tsunagi.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels. */}}
{{- define "tsunagi.labels" -}}
helm.sh/chart: {{ include "tsunagi.chart" . }}
{{ include "tsunagi.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tsunagi
{{- end }}

{{- define "tsunagi.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tsunagi.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels and selector labels for one component. Call with (dict "root" $ "component" "api"). */}}
{{- define "tsunagi.componentLabels" -}}
{{ include "tsunagi.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "tsunagi.componentSelectorLabels" -}}
{{ include "tsunagi.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "tsunagi.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tsunagi.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tsunagi.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "tsunagi.configMapName" -}}
{{ include "tsunagi.fullname" . }}-config
{{- end }}

{{/* Secret used by api and worker. */}}
{{- define "tsunagi.secretName" -}}
{{- default (include "tsunagi.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Secret holding the admin URL for the migration Job. */}}
{{- define "tsunagi.migrationSecretName" -}}
{{- $existing := default .Values.secrets.existingSecret .Values.migrations.existingSecret }}
{{- default (printf "%s-migrate" (include "tsunagi.fullname" .)) $existing }}
{{- end }}

{{/* True ("true") when the chart renders the migration hook Secret itself. */}}
{{- define "tsunagi.migrationSecretManaged" -}}
{{- if not (or .Values.migrations.existingSecret .Values.secrets.existingSecret) }}true{{ end }}
{{- end }}

{{/*
OTEL_RESOURCE_ATTRIBUTES value. Call with (dict "root" $ "component" "api").
Pod and namespace names are expanded by the kubelet from the env vars defined before it.
*/}}
{{- define "tsunagi.otelResourceAttributes" -}}
{{- $attrs := list "k8s.namespace.name=$(POD_NAMESPACE)" "k8s.pod.name=$(POD_NAME)" "k8s.node.name=$(NODE_NAME)" }}
{{- $attrs = append $attrs (printf "service.version=%s" .root.Chart.AppVersion) }}
{{- $attrs = append $attrs (printf "tsunagi.component=%s" .component) }}
{{- range $k, $v := .root.Values.config.telemetry.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%v" $k $v) }}
{{- end }}
{{- join "," $attrs }}
{{- end }}

{{/*
Environment shared by api and worker: downward API, OTel resource, the three
app secrets. The admin URL is deliberately absent. Call with (dict "root" $ "component" "api").
*/}}
{{- define "tsunagi.appEnv" -}}
{{- $secret := include "tsunagi.secretName" .root -}}
{{- $keys := .root.Values.secrets.keys -}}
- name: POD_NAME
  valueFrom: {fieldRef: {fieldPath: metadata.name}}
- name: POD_NAMESPACE
  valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
- name: NODE_NAME
  valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
- name: HOST_IP
  valueFrom: {fieldRef: {fieldPath: status.hostIP}}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ include "tsunagi.otelResourceAttributes" . | quote }}
- name: TSUNAGI_DATABASE__URL
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: {{ $keys.databaseUrl }}}}
- name: TSUNAGI_REDIS__URL
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: {{ $keys.redisUrl }}}}
- name: TSUNAGI_AUTH__JWT_SECRET
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: {{ $keys.jwtSecret }}}}
- name: TSUNAGI_SECRETS__DATA_KEY
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: {{ $keys.dataKey }}}}
{{- end }}

{{/* Pod-template annotations that roll pods when config or the chart-managed Secret changes. */}}
{{- define "tsunagi.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}

{{/* Writable /tmp plus user volumes. */}}
{{- define "tsunagi.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
- name: plugin-cache
  emptyDir:
    sizeLimit: {{ .Values.config.plugins.cacheSizeLimit }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "tsunagi.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: plugin-cache
  mountPath: /var/cache/tsunagi/plugins
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Soft spread over nodes and zones. Call with (dict "root" $ "component" "api"). */}}
{{- define "tsunagi.topologySpread" -}}
{{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
- maxSkew: 1
  topologyKey: {{ . }}
  whenUnsatisfiable: ScheduleAnyway
  labelSelector:
    matchLabels:
      {{- include "tsunagi.componentSelectorLabels" $ | nindent 6 }}
{{- end }}
{{- end }}
