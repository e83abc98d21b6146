// Recording rules. Short windows (5m to 6h) are rates of the raw counters; long windows
// (1d, 3d, 7d and the budget period) are built from the recorded 5m rates with
// sum_over_time, as Sloth and Pyrra do, so no rule reads days of raw samples. Every
// aggregation keeps the environment labels (_config.groupLabels), so two deployments
// with the same SLA names never merge, and drops `instance`, so the replicas of one
// deployment add up. Shadow SLAs are left out of everything alerts read.
local lib = import 'lib.libsonnet';

{
  local cfg = $._config,
  local sel = cfg.selector,
  local bySla = lib.bySla(cfg),
  local notShadow = lib.notShadow(cfg),

  // Windows the burn-rate alerts and the dashboard read.
  local shortWindows = ['5m', '30m', '1h', '2h', '6h'],
  local longWindows = std.uniq(std.sort(['1d', '3d', '7d', cfg.budgetPeriod], lib.seconds), function(w) lib.seconds(w)),

  local rate(kind, w) = {
    record: 'sla:handoff_sla_%s:rate%s' % [kind, w],
    expr: 'sum by (%s) (rate(handoff_sla_%s_total{%s}[%s]))\n  %s\n' % [bySla, kind, sel, w, notShadow],
  },
  // Decided instances per second over a long window, from the recorded 5m rates.
  local longSum(kind, w, by=bySla) =
    'sum by (%s) (sum_over_time(sla:handoff_sla_%s:rate5m[%s]))' % [by, kind, w],
  local shortSum(kind, w, by=bySla) =
    local series = 'sla:handoff_sla_%s:rate%s' % [kind, w];
    if by == bySla then series else 'sum by (%s) (%s)' % [by, series],
  local sumOf(kind, w, by=bySla) =
    if std.member(shortWindows, w) then shortSum(kind, w, by) else longSum(kind, w, by),
  // kind / (met + breached) over window w. No decisions in the window gives NaN (0/0):
  // no data, not 0 % or 100 %.
  local ratio(level, kind, w, by) = {
    record: '%s:handoff_sla_%s:ratio%s' % [level, kind, w],
    expr: '%s\n  /\n(%s + %s)\n' % [sumOf(kind, w, by), sumOf('met', w, by), sumOf('breached', w, by)],
  },

  prometheusRules+:: {
    groups+: [
      {
        name: 'handoff-sla-objectives',
        rules: [
          {
            record: 'handoff:sla_objective_override:ratio',
            expr: 'vector(%g)' % cfg.objectives[sla],
            labels: { sla: sla },
          }
          for sla in std.objectFields(cfg.objectives)
        ] + [
          // One objective per configured SLA: an override if one is recorded (here from
          // _config.objectives, or in a rule file of your own), else the default.
          {
            record: 'sla:handoff_sla_objective:ratio',
            expr: |||
              max by (sla) (handoff:sla_objective_override:ratio)
                or
              0 * max by (sla) (handoff_sla_target_seconds{%s}) + %g
            ||| % [sel, cfg.defaultObjective],
          },
        ],
      },
      {
        // One group: Prometheus evaluates a group's rules in order at one timestamp,
        // so the ratios read the rates of the same evaluation.
        name: 'handoff-sla',
        rules:
          [rate(kind, w) for w in shortWindows for kind in ['met', 'breached']]
          + [ratio('sla', 'breached', w, bySla) for w in shortWindows + longWindows]
          + [ratio('sla', 'met', w, bySla) for w in ['1h', '1d', '7d']]
          + [ratio('owner', 'met', w, lib.by(cfg, ['owner'])) for w in ['1h', '1d', '7d']]
          + [
            // 1 = the whole budget of the period is left, 0 = spent, below 0 = overspent.
            {
              record: 'sla:handoff_sla_error_budget:remaining',
              expr: |||
                1 - sla:handoff_sla_breached:ratio%s
                  / on (sla) group_left ()
                (1 - sla:handoff_sla_objective:ratio)
              ||| % cfg.budgetPeriod,
            },
          ],
      },
      {
        name: 'handoff-journey',
        rules: [
          // Journey breaches per second, by the stage that was late first ("none":
          // every stage kept its own promise).
          {
            record: 'sla:handoff_journey_breached:rate5m',
            expr: 'sum by (%s) (rate(handoff_journey_breached_total{%s}[5m]))\n  %s\n'
                  % [lib.by(cfg, cfg.slaLabels + ['first_late_stage']), sel, notShadow],
          },
          // Share of a journey's breaches over a day in which no stage was late: the
          // promise is tighter than its stages add up to.
          {
            record: 'sla:handoff_journey_breached_none:ratio1d',
            expr: |||
              sum by (%(by)s) (sum_over_time(sla:handoff_journey_breached:rate5m{first_late_stage="none"}[1d]))
                /
              sum by (%(by)s) (sum_over_time(sla:handoff_journey_breached:rate5m[1d]))
            ||| % { by: bySla },
          },
        ],
      },
    ],
  },
}
