{{/* Names and labels. */}}
{{- define "govproxy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "govproxy.fullname" -}}
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

{{- define "govproxy.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "govproxy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "govproxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "govproxy.labels" -}}
helm.sh/chart: {{ include "govproxy.chart" . }}
{{ include "govproxy.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: govproxy
{{- end }}

{{/* The server pods (Deployment, Service, HPA, PDB, NetworkPolicy select these). */}}
{{- define "govproxy.serverSelectorLabels" -}}
{{ include "govproxy.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{/* The migration Job's pods: a different component, so the Service never routes to them. */}}
{{- define "govproxy.migrationSelectorLabels" -}}
{{ include "govproxy.selectorLabels" . }}
app.kubernetes.io/component: migration
{{- end }}

{{- define "govproxy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "govproxy.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "govproxy.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "govproxy.settingsName" -}}
{{- printf "%s-settings" (include "govproxy.fullname" .) }}
{{- end }}

{{- define "govproxy.policiesName" -}}
{{- printf "%s-policies" (include "govproxy.fullname" .) }}
{{- end }}

{{/*
The policy files as a dict: relative path -> content. Defaults from files/policies (models.yaml, recognizers.yaml,
rules/*.yaml; minus policies.exclude), then policies.files on top.
*/}}
{{- define "govproxy.policyFiles" -}}
{{- $files := dict }}
{{- if .Values.policies.includeDefaults }}
{{- $prefix := "files/policies/" }}
{{- range $pattern := list "*.yaml" "*.yml" "rules/*.yaml" "rules/*.yml" }}
{{- range $path, $_ := $.Files.Glob (printf "%s%s" $prefix $pattern) }}
{{- $rel := trimPrefix $prefix $path }}
{{- if not (has $rel $.Values.policies.exclude) }}
{{- $_ := set $files $rel ($.Files.Get $path) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- range $rel, $content := .Values.policies.files }}
{{- $_ := set $files $rel $content }}
{{- end }}
{{- toJson $files }}
{{- end }}

{{/*
ConfigMap keys cannot hold "/": rules/00-x.yaml is stored as rules__00-x.yaml and the volume's items put it back
under rules/. Fails on paths that would escape the directory or collide.
*/}}
{{- define "govproxy.policyKey" -}}
{{- $path := . }}
{{- if or (hasPrefix "/" $path) (contains ".." $path) (eq $path "") }}
{{- fail (printf "policies: %q is not a relative path inside the policies directory" $path) }}
{{- end }}
{{- if not (regexMatch "^[-._a-zA-Z0-9/]+$" $path) }}
{{- fail (printf "policies: %q: use letters, digits, '-', '_', '.' and '/' only" $path) }}
{{- end }}
{{- replace "/" "__" $path }}
{{- end }}

{{/*
One egress rule: requires destinations and ports, refuses peers that open everything. Arguments: (list $name $rule).
*/}}
{{- define "govproxy.egressRule" -}}
{{- $name := index . 0 }}
{{- $rule := index . 1 }}
{{- if not $rule.to }}
{{- fail (printf "networkPolicy %s: `to` is empty, which would allow egress to everywhere; name the destinations" $name) }}
{{- end }}
{{- if not $rule.ports }}
{{- fail (printf "networkPolicy %s: `ports` is empty, which would allow every port; name them" $name) }}
{{- end }}
{{- range $peer := $rule.to }}
{{- if not $peer }}
{{- fail (printf "networkPolicy %s: an empty peer ({}) matches every pod; name a selector or an ipBlock" $name) }}
{{- end }}
{{- if and $peer.ipBlock (has $peer.ipBlock.cidr (list "0.0.0.0/0" "::/0")) }}
{{- fail (printf "networkPolicy %s: %s is an allow-all; name the provider's ranges or an egress proxy" $name $peer.ipBlock.cidr) }}
{{- end }}
{{- end }}
- to:
    {{- toYaml $rule.to | nindent 4 }}
  ports:
    {{- toYaml $rule.ports | nindent 4 }}
{{- end }}

{{/* The tmp volume every container writes to (read-only root filesystem). */}}
{{- define "govproxy.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{/* The settings ConfigMap's data (also hashed into the pod annotation). Fixed keys come last and win. */}}
{{- define "govproxy.settingsData" -}}
{{- $data := dict }}
{{- range $name, $value := .Values.extraEnv }}
{{- $_ := set $data $name (toString $value) }}
{{- end }}
{{- range $name, $value := .Values.config }}
{{- $_ := set $data $name (toString $value) }}
{{- end }}
{{- $_ := set $data "GOVPROXY_HOST" "0.0.0.0" }}
{{- $_ := set $data "GOVPROXY_PORT" "8080" }}
{{- $_ := set $data "GOVPROXY_WORKERS" (toString .Values.workers) }}
{{- $_ := set $data "GOVPROXY_POLICIES_DIR" .Values.policies.mountPath }}
{{- $_ := set $data "GOVPROXY_AUTO_MIGRATE" "false" }}
{{- $_ := set $data "PROMETHEUS_MULTIPROC_DIR" "/var/lib/govproxy/metrics" }}
{{- toYaml $data }}
{{- end }}

{{/* The policies volume: every ConfigMap key back at its path (rules/… included); no subPath anywhere. */}}
{{- define "govproxy.policiesVolume" -}}
- name: policies
  configMap:
    name: {{ include "govproxy.policiesName" . }}
    items:
    {{- range $path, $_ := include "govproxy.policyFiles" . | fromJson }}
      - key: {{ include "govproxy.policyKey" $path }}
        path: {{ $path }}
    {{- end }}
{{- end }}

{{/*
Environment from Secrets (secretKeyRef only: the chart never holds a secret value). Arguments: (list $ $server);
the migration Job ($server false) gets the database URL alone.
*/}}
{{- define "govproxy.secretEnv" -}}
{{- $ := index . 0 }}
{{- $server := index . 1 }}
{{- $s := $.Values.secrets }}
{{- if not (and $s.databaseUrl $s.databaseUrl.name $s.databaseUrl.key) }}
{{- fail "secrets.databaseUrl.name and .key are required: the Secret holding GOVPROXY_DATABASE_URL" }}
{{- end }}
- name: GOVPROXY_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $s.databaseUrl.name }}
      key: {{ $s.databaseUrl.key }}
{{- if $server }}
{{- if and $s.redisUrl $s.redisUrl.name (not (and $s.redactionKey $s.redactionKey.name)) }}
{{- fail "secrets.redisUrl needs secrets.redactionKey: shared pseudonym maps are encrypted with a key derived from it" }}
{{- end }}
{{- range $env, $ref := dict "GOVPROXY_REDACTION_KEY" $s.redactionKey "GOVPROXY_AUDIT_ENCRYPTION_KEY" $s.auditEncryptionKey "GOVPROXY_REDIS_URL" $s.redisUrl }}
{{- if and $ref $ref.name }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ required (printf "the Secret key for %s" $env) $ref.key }}
{{- end }}
{{- end }}
{{- range $p := $s.providerKeys }}
{{- if not (regexMatch "^[A-Z_][A-Z0-9_]*$" (toString $p.env)) }}
{{- fail (printf "secrets.providerKeys: env %q must be an environment variable name (as api_key_env in models.yaml)" (toString $p.env)) }}
{{- end }}
- name: {{ $p.env }}
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "secrets.providerKeys %s: name (the Secret)" $p.env) $p.name }}
      key: {{ required (printf "secrets.providerKeys %s: key" $p.env) $p.key }}
      {{- if $p.optional }}
      optional: true
      {{- end }}
{{- end }}
{{- end }}
{{- end }}
