// The Grafana dashboard. Every Prometheus query carries _config.selector and the
// environment variables (cluster, job; instance where the series still has it), so one
// dashboard serves every deployment in a shared Prometheus.
local lib = import 'lib.libsonnet';

{
  local cfg = $._config,
  local ds = { type: 'prometheus', uid: '${datasource}' },
  // Matchers: environment (recorded series), plus instance (raw series), plus the SLA filters.
  local env = '%s, cluster=~"$cluster", job=~"$job"' % cfg.selector,
  local raw = env + ', instance=~"$instance"',
  local slaFilter = 'sla=~"$sla", owner=~"$owner", from=~"$from", to=~"$to"',
  local rawSla = raw + ', ' + slaFilter,
  local envSla = env + ', ' + slaFilter,
  // Accountability panels leave shadow SLAs out.
  local notShadow = 'unless on (%s) handoff_sla_shadow{%s}' % [lib.by(cfg, ['sla']), env],

  local ratioThresholds = { mode: 'absolute', steps: [
    { color: 'red', value: null },
    { color: 'orange', value: 0.95 },
    { color: 'green', value: 0.99 },
  ] },
  local countThresholds(orange, red) = { mode: 'absolute', steps: [
    { color: 'green', value: null },
    { color: 'orange', value: orange },
    { color: 'red', value: red },
  ] },
  local reduce = { calcs: ['lastNotNull'], fields: '', values: false },
  local legendTable = { displayMode: 'table', placement: 'right', showLegend: true, calcs: ['lastNotNull'] },

  // A panel; `targets` is a list of [expr, legendFormat] or [expr, legendFormat, fields
  // added to that target]. Layout (gridPos) and ids are filled in by `layout` below.
  local panel(type, title, description, unit, targets, w, h, defaults={}, extra={}) = {
    type: type,
    title: title,
    description: description,
    datasource: ds,
    w:: w,
    h:: h,
    fieldConfig: {
      defaults: {
        unit: unit,
        color: { mode: if type == 'timeseries' then 'palette-classic' else 'thresholds' },
        [if type == 'timeseries' then 'custom']: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: 10,
          showPoints: 'never',
          spanNulls: false,
        },
      } + defaults,
      overrides: [],
    },
    options: {
      timeseries: { legend: legendTable, tooltip: { mode: 'multi', sort: 'desc' } },
      stat: { reduceOptions: reduce, colorMode: 'background', graphMode: 'none', textMode: 'value_and_name', orientation: 'horizontal' },
      bargauge: { orientation: 'horizontal', displayMode: 'gradient', showUnfilled: true, reduceOptions: reduce },
      table: {},
    }[type],
    targets: [
      {
        refId: std.char(65 + i),
        datasource: ds,
        expr: targets[i][0],
        legendFormat: targets[i][1],
        range: type == 'timeseries',
        instant: type != 'timeseries',
      } + (if std.length(targets[i]) > 2 then targets[i][2] else {})
      for i in std.range(0, std.length(targets) - 1)
    ],
  } + extra,
  local ts(title, description, unit, targets, w=12, h=8, defaults={}, extra={}) =
    panel('timeseries', title, description, unit, targets, w, h, defaults, extra),
  local stat(title, description, unit, targets, w=6, h=4, defaults={}) =
    panel('stat', title, description, unit, targets, w, h, defaults),
  local bars(title, description, unit, targets, w=8, h=8, defaults={}) =
    panel('bargauge', title, description, unit, targets, w, h, defaults),
  local percent = { min: 0, max: 1 },

  // met / (met + breached) of the selected SLAs, by `by`, over `range`.
  local metRatio(by, range, selector) =
    local inc(kind) = 'increase(handoff_sla_%s_total{%s}[%s])' % [kind, selector, range];
    |||
      sum by (%(by)s) (%(met)s %(ns)s)
      /
      (sum by (%(by)s) (%(met)s %(ns)s) + sum by (%(by)s) (%(breached)s %(ns)s))
    ||| % { by: by, met: inc('met'), breached: inc('breached'), ns: notShadow },

  local rows = [
    {
      title: 'Accountability: who hands over on time',
      panels: [
        bars('Met ratio by department pair (dashboard range)',
             'met / (met + breached) over the selected time range, per handoff from → to. An instance counts as met when it stopped within its target, as breached at its deadline; cancelled and still-running instances are in neither. Shadow SLAs are left out. Empty: no decisions in the range.',
             'percentunit', [[metRatio('from, to', '$__range', rawSla), '{{from}} → {{to}}']],
             defaults=percent { thresholds: ratioThresholds }),
        ts('Met ratio by department pair (1h window)',
           'Per from → to pair, from the recording rules sla:handoff_sla_met:rate1h and sla:handoff_sla_breached:rate1h (shadow SLAs left out).',
           'percentunit', [[|||
             sum by (from, to) (sla:handoff_sla_met:rate1h{%(s)s})
             /
             (sum by (from, to) (sla:handoff_sla_met:rate1h{%(s)s}) + sum by (from, to) (sla:handoff_sla_breached:rate1h{%(s)s}))
           ||| % { s: envSla }, '{{from}} → {{to}}']], w=10, defaults=percent),
        stat('Met ratio by owner (7d)',
             'Accountable department (owner) over 7 days: owner:handoff_sla_met:ratio7d.',
             'percentunit', [['owner:handoff_sla_met:ratio7d{%s, owner=~"$owner"}' % env, '{{owner}}']],
             h=8, defaults=percent { thresholds: ratioThresholds }),
        bars('Error budget remaining (%s)' % cfg.budgetPeriod,
             'Share of the error budget (1 - objective) left over the last %s, per SLA: 1 = untouched, 0 = spent, below 0 = overspent (sla:handoff_sla_error_budget:remaining).' % cfg.budgetPeriod,
             'percentunit', [['sla:handoff_sla_error_budget:remaining{%s}' % envSla, '{{sla}}']],
             w=24, h=6, defaults={ max: 1, thresholds: { mode: 'absolute', steps: [
               { color: 'red', value: null },
               { color: 'orange', value: 0 },
               { color: 'green', value: 0.25 },
             ] } }),
      ],
    },
    {
      title: 'Breaches and overdue orders',
      panels: [
        // Exemplars: the order behind a breach (docs/reference/http-api.md#exemplars-in-grafana).
        ts('Breaches over time', 'Instances that passed their deadline, per SLA, counted at the deadline. The dots are exemplars: the latest order that breached, when Prometheus stores exemplars.', 'short',
           [['sum by (sla) (increase(handoff_sla_breached_total{%s}[$__rate_interval]))' % rawSla, '{{sla}}', { exemplar: true }]], h=8),
        stat('Overdue now', 'Open instances past their deadline and not stopped yet (handoff_sla_open{state="overdue"}).', 'short',
             [['sum(handoff_sla_open{%s, state="overdue"})' % rawSla, 'overdue']], h=8, defaults={ thresholds: countThresholds(1, 10) }),
        stat('Worst overdue', 'How far past its deadline the worst open instance is (handoff_sla_max_overdue_seconds).', 's',
             [['max(handoff_sla_max_overdue_seconds{%s})' % rawSla, 'worst']], h=8, defaults={ thresholds: countThresholds(1, 3600) }),
        bars('Overdue now by SLA', 'Open overdue instances per SLA and owner.', 'short',
             [['sum by (sla, owner) (handoff_sla_open{%s, state="overdue"}) > 0' % rawSla, '{{sla}} ({{owner}})']],
             w=24, h=6, defaults={ thresholds: countThresholds(1, 10) }),
        {
          type: 'table',
          title: 'Worst offenders (open overdue orders)',
          description: "From handoffd's HTTP API GET /api/v1/instances?state=overdue (most overdue first), through the JSON API datasource plugin marcusolsson-json-datasource pointed at handoffd (e.g. http://handoffd:9464). Without that plugin this panel shows an error; the same list is curl http://handoffd:9464/api/v1/instances?state=overdue. See docs/operations.md.",
          datasource: { type: 'marcusolsson-json-datasource', uid: '${instances_api}' },
          w:: 24,
          h:: 9,
          fieldConfig: {
            defaults: { unit: 'none', color: { mode: 'palette-classic' } },
            overrides: [{ matcher: { id: 'byName', options: 'elapsed' }, properties: [{ id: 'unit', value: 's' }] }],
          },
          options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
          targets: [{
            refId: 'A',
            datasource: { type: 'marcusolsson-json-datasource', uid: '${instances_api}' },
            method: 'GET',
            urlPath: '/api/v1/instances',
            queryParams: 'state=overdue&limit=20',
            cacheDurationSeconds: 0,
            fields: [
              { jsonPath: '$..sla', name: 'sla' },
              { jsonPath: '$..key', name: 'order' },
              { jsonPath: '$..cycle', name: 'cycle', type: 'number' },
              { jsonPath: '$..state', name: 'state' },
              { jsonPath: '$..started_at', name: 'started', type: 'time' },
              { jsonPath: '$..deadline', name: 'deadline', type: 'time' },
              { jsonPath: '$..breached_at', name: 'breached', type: 'time' },
              { jsonPath: '$..elapsed_seconds', name: 'elapsed', type: 'number' },
            ],
          }],
        },
      ],
    },
    {
      title: 'How long handoffs take',
      panels: [
        local q(p) = 'histogram_quantile(%s, sum by (le) (rate(handoff_sla_elapsed_seconds_bucket{%s}[$__rate_interval])))' % [p, rawSla];
        ts('Elapsed time quantiles vs target: $sla',
           'p50/p90/p99 of the elapsed SLA time at stop, from handoff_sla_elapsed_seconds_bucket (buckets at fractions of the target, so quantiles between buckets are interpolated), against handoff_sla_target_seconds. One panel per selected SLA.',
           's', [[q('0.5'), 'p50'], [q('0.9'), 'p90'], [q('0.99'), 'p99'],
                 ['max(handoff_sla_target_seconds{%s})' % rawSla, 'target']],
           extra={
             repeat: 'sla',
             repeatDirection: 'h',
             maxPerRow: 2,
             fieldConfig+: { overrides: [{
               matcher: { id: 'byName', options: 'target' },
               properties: [
                 { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
                 { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
               ],
             }] },
           }),
        ts('p90 elapsed as a fraction of the target',
           'Above 100 %: more than 10 % of the stops took longer than the target. Comparable across SLAs with different targets.',
           'percentunit', [[|||
             histogram_quantile(0.9, sum by (sla, le) (rate(handoff_sla_elapsed_seconds_bucket{%(s)s}[$__rate_interval])))
             / on (sla) max by (sla) (handoff_sla_target_seconds{%(s)s})
           ||| % { s: rawSla }, '{{sla}}']]),
      ],
    },
    {
      title: 'Accountability along the chain',
      panels: [
        local held = 'increase(handoff_journey_held_seconds_total{%s}[$__range])' % rawSla;
        bars('Share of lead time held by each department',
             "Of the elapsed time of the selected journeys' stopped instances in the range, the share each department (or `paused`) held the order (handoff_journey_held_seconds_total).",
             'percentunit', [['sum by (department) (%s)\n/ ignoring (department) group_left ()\nsum (%s)' % [held, held], '{{department}}']],
             defaults=percent { thresholds: { mode: 'absolute', steps: [{ color: 'blue', value: null }] } }),
        bars('Journey breaches by baton',
             'Journey breaches in the range by who held the order just before the deadline (handoff_journey_breached_total, label baton).',
             'short', [['sum by (sla, baton) (increase(handoff_journey_breached_total{%s}[$__range])) > 0' % rawSla, '{{sla}}: {{baton}}']],
             defaults={ thresholds: countThresholds(1, 10) }),
        bars('Journey breaches by first late stage',
             'Journey breaches in the range by the stage that was late first. "every department on time" (first_late_stage="none"): each stage met its own target and the end-to-end promise still broke; the stage targets do not add up to it.',
             'short', [[|||
               label_replace(
                 sum by (sla, first_late_stage) (increase(handoff_journey_breached_total{%s}[$__range])) > 0,
                 "first_late_stage", "every department on time", "first_late_stage", "none")
             ||| % rawSla, '{{sla}}: {{first_late_stage}}']],
             defaults={ thresholds: countThresholds(1, 10) }),
        stat('Breaches with every department on time (1d)',
             'Share of each journey\'s breaches over the last day whose first late stage is "none" (sla:handoff_journey_breached_none:ratio1d). Above %g %% the alert HandoffJourneyPromiseTighterThanStages opens a ticket: our promise is tighter than our stages.' % (100 * cfg.journeyNoneShareThreshold),
             'percentunit', [['sla:handoff_journey_breached_none:ratio1d{%s}' % envSla, '{{sla}}']],
             w=12, h=6, defaults=percent { thresholds: { mode: 'absolute', steps: [
               { color: 'green', value: null },
               { color: 'red', value: cfg.journeyNoneShareThreshold },
             ] } }),
        bars('Paused time by reason',
             'Working time the selected SLAs spent paused in the range, by the pause reason (handoff_sla_paused_seconds_total, counted when a pause ends; only SLAs with pause_reasons).',
             's', [['sum by (sla, reason) (increase(handoff_sla_paused_seconds_total{%s}[$__range])) > 0' % rawSla, '{{sla}}: {{reason}}']],
             w=12, h=6, defaults={ thresholds: { mode: 'absolute', steps: [{ color: 'blue', value: null }] } }),
      ],
    },
    {
      title: 'Changing an SLA: shadow vs live',
      panels: [
        local ratioOf(sla) =
          local inc(kind) = 'sum(increase(handoff_sla_%s_total{%s, sla="%s"}[$__range]))' % [kind, raw, sla];
          '%s\n/\n(%s + %s)' % [inc('met'), inc('met'), inc('breached')];
        bars('Shadow vs live: met ratio (dashboard range)',
             'The met ratio of the shadow SLA chosen in "Shadow SLA" (shadow: true: exported, never alerted or sent) beside the live SLA it would replace, chosen in "Live SLA", over the same range and the same orders.',
             'percentunit', [[ratioOf('$shadow'), 'shadow $shadow'], [ratioOf('$live'), 'live $live']],
             w=12, defaults=percent { thresholds: ratioThresholds }),
        ts('Shadow vs live: breaches over time',
           'Breaches per interval of the shadow SLA and of the live SLA it would replace.',
           'short', [
             ['sum(increase(handoff_sla_breached_total{%s, sla="$shadow"}[$__rate_interval]))' % raw, 'shadow $shadow'],
             ['sum(increase(handoff_sla_breached_total{%s, sla="$live"}[$__rate_interval]))' % raw, 'live $live'],
           ]),
      ],
    },
    {
      title: 'Pipeline health',
      panels: [
        ts('Consumer lag', 'Messages behind the high watermark per topic/partition (handoff_kafka_consumer_lag).', 'short',
           [['sum by (topic, partition) (handoff_kafka_consumer_lag{%s})' % raw, '{{topic}}/{{partition}}']], w=8),
        ts('Frontier age',
           'Wall clock minus the event-time frontier per partition. Normally about lateness + idle_timeout; while it grows no deadline can breach (alert HandoffFrontierStalled at %ds).' % cfg.frontierAgeThreshold,
           's', [['time() - max by (topic, partition) (handoff_partition_frontier_timestamp_seconds{%s} > 0)' % raw, '{{topic}}/{{partition}}']],
           w=8, defaults={ thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: cfg.frontierAgeThreshold }] } }),
        ts('Events consumed and rejected', 'Records read per topic, and rejected, duplicate, late and ignored events per second.', 'ops', [
          ['sum by (topic) (rate(handoff_events_consumed_total{%s}[$__rate_interval]))' % raw, 'consumed {{topic}}'],
          ['sum by (reason) (rate(handoff_events_rejected_total{%s}[$__rate_interval]))' % raw, 'rejected {{reason}}'],
          ['sum(rate(handoff_events_duplicate_total{%s}[$__rate_interval]))' % raw, 'duplicate'],
          ['sum(rate(handoff_events_late_total{%s}[$__rate_interval]))' % raw, 'late'],
          ['sum(rate(handoff_events_ignored_total{%s}[$__rate_interval]))' % raw, 'ignored'],
        ], w=8),
        stat('Checkpoint age', 'Seconds since the last successful checkpoint per instance (alert HandoffCheckpointStale at %ds).' % cfg.checkpointAgeThreshold, 's',
             [['time() - max by (instance) (handoff_checkpoint_last_success_timestamp_seconds{%s} > 0)' % raw, '{{instance}}']],
             w=8, defaults={ thresholds: countThresholds(60, cfg.checkpointAgeThreshold) }),
        ts('Checkpoint duration p99', 'From the handoff_checkpoint_duration_seconds histogram.', 's',
           [['histogram_quantile(0.99, sum by (instance, le) (rate(handoff_checkpoint_duration_seconds_bucket{%s}[$__rate_interval])))' % raw, '{{instance}}']],
           w=8, h=4),
        stat('Build and config', 'handoff_build_info and whether the last config reload succeeded.', 'none', [
          ['max by (version, revision) (handoff_build_info{%s})' % raw, '{{version}} ({{revision}})'],
          ['min(handoff_config_last_reload_successful{%s})' % raw, 'last reload ok'],
        ], w=8, defaults={ thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] } }),
      ],
    },
    {
      title: 'Flow',
      panels: [
        ts('Instances started, met, breached, cancelled', 'Per second over $__rate_interval, all selected SLAs together.', 'ops', [
          ['sum(rate(handoff_sla_%s_total{%s}[$__rate_interval]))' % [kind, rawSla], kind]
          for kind in ['started', 'met', 'breached', 'cancelled']
        ]),
        ts('Warnings by SLA and threshold', 'warn_at thresholds reached (fractions of the target): early signs of breaches to come.', 'short',
           [['sum by (sla, threshold) (increase(handoff_sla_warnings_total{%s}[$__rate_interval]))' % rawSla, '{{sla}} @ {{threshold}}']]),
      ],
    },
  ],

  // Rows one under the other; in a row, panels flow left to right and wrap at 24 columns.
  local layout(rows) =
    local place(state, p) =
      local wraps = state.x + p.w > 24;
      local x = if wraps then 0 else state.x;
      local y = if wraps then state.y + state.h else state.y;
      {
        x: x + p.w,
        y: y,
        h: if wraps then p.h else std.max(state.h, p.h),
        panels: state.panels + [p { gridPos: { h: p.h, w: p.w, x: x, y: y } }],
      };
    local addRow(state, row) =
      local header = { type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: state.y }, panels: [] };
      local placed = std.foldl(place, row.panels, { x: 0, y: state.y + 1, h: 0, panels: [] });
      { y: placed.y + placed.h, panels: state.panels + [header] + placed.panels };
    local all = std.foldl(addRow, rows, { y: 0, panels: [] }).panels;
    [all[i] { id: i + 1 } for i in std.range(0, std.length(all) - 1)],

  local variable(name, label, query, multi=true) = {
    name: name,
    label: label,
    type: 'query',
    datasource: ds,
    query: { query: query, refId: name + '-variable-query', qryType: 1 },
    refresh: 2,
    sort: 1,
    multi: multi,
    includeAll: multi,
    [if multi then 'allValue']: '.*',
    [if multi then 'current']: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    hide: 0,
    regex: '',
  },
  local datasourceVariable(name, label, type) = {
    name: name,
    label: label,
    type: 'datasource',
    query: type,
    hide: 0,
    refresh: 1,
    regex: '',
    options: [],
    multi: false,
    includeAll: false,
  },
  local slas = 'handoff_sla_target_seconds{%s}' % env,

  grafanaDashboards+:: {
    'handoff.json': {
      title: cfg.dashboardTitle,
      uid: cfg.dashboardUid,
      description: 'Handoff SLAs between departments, from handoffd. Generated by the handoff monitoring mixin (deploy/mixin); metrics: docs/reference/metrics.md.',
      tags: cfg.dashboardTags,
      timezone: 'browser',
      editable: true,
      graphTooltip: 1,
      schemaVersion: 42,
      version: 1,
      refresh: '30s',
      time: { from: 'now-24h', to: 'now' },
      timepicker: {},
      fiscalYearStartMonth: 0,
      liveNow: false,
      annotations: { list: [{
        name: 'Annotations & Alerts',
        builtIn: 1,
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        type: 'dashboard',
        datasource: { type: 'grafana', uid: '-- Grafana --' },
      }] },
      templating: { list: [
        datasourceVariable('datasource', 'Prometheus', 'prometheus'),
        datasourceVariable('instances_api', 'handoffd API (JSON)', 'marcusolsson-json-datasource'),
        variable('cluster', 'Cluster', 'label_values(handoff_build_info{%s}, cluster)' % cfg.selector),
        variable('job', 'Job', 'label_values(handoff_build_info{%s, cluster=~"$cluster"}, job)' % cfg.selector),
        variable('instance', 'Instance', 'label_values(handoff_build_info{%s}, instance)' % env),
        variable('owner', 'Owner', 'label_values(%s, owner)' % slas),
        variable('from', 'From', 'label_values(%s, from)' % slas),
        variable('to', 'To', 'label_values(%s, to)' % slas),
        variable('sla', 'SLA', 'label_values(handoff_sla_target_seconds{%s, owner=~"$owner", from=~"$from", to=~"$to"}, sla)' % env),
        variable('shadow', 'Shadow SLA', 'label_values(handoff_sla_shadow{%s}, sla)' % env, multi=false),
        variable('live', 'Live SLA', 'label_values(%s, sla)' % slas, multi=false),
      ] },
      panels: layout(rows),
    },
  },
}
