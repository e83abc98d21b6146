// The knobs of the handoff monitoring mixin. Override any of them in your own jsonnet:
//   (import 'handoff/mixin.libsonnet') + { _config+:: { selector: 'job="handoffd-prod"' } }
{
  _config+:: {
    // Selects handoffd's series (and its `up`) in every rule, alert and panel.
    selector: 'job=~"handoffd.*"',
    // Labels that tell one deployment from another in a shared Prometheus (or Thanos,
    // Mimir). Every aggregation keeps them, so staging and production never merge.
    groupLabels: ['cluster', 'namespace', 'job'],
    // Labels every SLA series carries (from config, so no extra cardinality).
    slaLabels: ['sla', 'from', 'to', 'owner'],
    // Absolute base of the runbook: each alert's runbook_url is this, '#', its name.
    runbookBaseUrl: 'https://example.com/handoff/docs/operations.md',

    // Share of decided instances that must be met, for every SLA not in `objectives`.
    defaultObjective: 0.99,
    // Per-SLA objectives, e.g. { order_to_invoice: 0.995 }.
    objectives: {},
    // The period the error budget is spent over (burn rate 1 spends it exactly).
    budgetPeriod: '30d',

    // Pipeline alert thresholds.
    consumerLagThreshold: 10000,  // messages
    frontierAgeThreshold: 300,  // seconds
    checkpointAgeThreshold: 300,  // seconds
    // A journey whose breaches had every stage on time (first_late_stage="none") more
    // than this share of the time, over a day, promises more than its stages add up to.
    journeyNoneShareThreshold: 0.25,

    // Grafana.
    dashboardUid: 'handoff-sla',
    dashboardTitle: 'handoff: SLA accountability',
    dashboardTags: ['handoff', 'sla'],
  },
}
