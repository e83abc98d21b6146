// The handoff monitoring mixin (https://monitoring.mixins.dev conventions):
//   prometheusRules     recording rules (deploy/prometheus/handoff.rules.yml, first groups)
//   prometheusAlerts    alerts          (the same file, last groups)
//   grafanaDashboards   { 'handoff.json': ... } (deploy/grafana/dashboards/)
// Configure through _config (config.libsonnet). `deploy/mixin/generate` writes the
// files this repository ships; deploy/check fails when they differ from the mixin.
(import 'config.libsonnet')
+ (import 'rules.libsonnet')
+ (import 'alerts.libsonnet')
+ (import 'dashboard.libsonnet')
