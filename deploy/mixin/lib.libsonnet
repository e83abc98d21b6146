// PromQL fragments shared by the rules, the alerts and the dashboard.
{
  // 'cluster, namespace, job' plus any extra labels, for `by (...)` and `on (...)`.
  by(cfg, extra=[]):: std.join(', ', cfg.groupLabels + extra),
  // The SLA labels with the environment labels.
  bySla(cfg):: self.by(cfg, cfg.slaLabels),
  // Leaves out shadow SLAs (handoff_sla_shadow exists only for them), per environment.
  notShadow(cfg):: 'unless on (%s) handoff_sla_shadow{%s}' % [self.by(cfg, ['sla']), cfg.selector],
  // Seconds in a Prometheus duration such as 5m, 1h, 3d, 30d.
  seconds(d)::
    local unit = d[std.length(d) - 1];
    local n = std.parseInt(d[:std.length(d) - 1]);
    n * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[unit],
}
