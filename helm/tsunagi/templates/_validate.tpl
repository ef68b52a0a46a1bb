{{/*
Fail early, with a clear message, on settings the binary would reject at start-up.
Included from configmap.yaml, which every install renders.
*/}}
{{- define "tsunagi.validate" -}}
{{- $c := .Values.config }}
{{- if not (has $c.mode (list "production" "development")) }}
{{- fail (printf "config.mode must be production or development, got %q" $c.mode) }}
{{- end }}
{{- if not (has $c.telemetry.logFormat (list "json" "pretty")) }}
{{- fail (printf "config.telemetry.logFormat must be json or pretty, got %q" $c.telemetry.logFormat) }}
{{- end }}
{{- if or (lt (int $c.auth.accessTtlSecs) 1) (gt (int $c.auth.accessTtlSecs) 900) }}
{{- fail "config.auth.accessTtlSecs must be between 1 and 900" }}
{{- end }}
{{- if le (int $c.auth.refreshTtlSecs) (int $c.auth.accessTtlSecs) }}
{{- fail "config.auth.refreshTtlSecs must be greater than config.auth.accessTtlSecs" }}
{{- end }}
{{- if lt (int $c.database.maxConnections) 1 }}
{{- fail "config.database.maxConnections must be at least 1" }}
{{- end }}
{{- if not .Values.secrets.existingSecret }}
{{- if lt (len .Values.secrets.jwtSecret) 32 }}
{{- fail "secrets.jwtSecret must be at least 32 bytes (e.g. `openssl rand -base64 48`), or set secrets.existingSecret" }}
{{- end }}
{{- end }}
{{- range $name := list "api" "worker" }}
{{- $pdb := (index $.Values $name).pdb }}
{{- if and $pdb.enabled $pdb.minAvailable $pdb.maxUnavailable }}
{{- fail (printf "%s.pdb: set only one of minAvailable and maxUnavailable" $name) }}
{{- end }}
{{- end }}
{{- end }}
