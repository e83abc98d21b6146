// Alerts. Severity `page` wakes someone; `ticket` can wait for working hours. Every
// alert has an absolute runbook_url (_config.runbookBaseUrl) whose anchor is its name.
// Shadow SLAs never alert: the SLA alerts read recorded series that leave them out.
local lib = import 'lib.libsonnet';

{
  local cfg = $._config,
  local sel = cfg.selector,
  local bySla = lib.bySla(cfg),
  local by(extra) = lib.by(cfg, extra),

  local alert(name, severity, expr, summary, description, forDuration=null) = {
    alert: name,
    expr: expr,
    [if forDuration != null then 'for']: forDuration,
    labels: { severity: severity },
    annotations: {
      summary: summary,
      // One line, as Alertmanager and pagers show it.
      description: std.strReplace(std.stripChars(description, '\n'), '\n', ' '),
      runbook_url: '%s#%s' % [cfg.runbookBaseUrl, std.asciiLower(name)],
    },
  },

  // Multi-window, multi-burn-rate (Google SRE workbook, ch. 5): the budget is
  // 1 - objective; a burn rate of 1 spends it exactly over the budget period.
  local burn(factor, long, short) = |||
    (
        sla:handoff_sla_breached:ratio%(long)s > on (sla) group_left () (%(factor)s * (1 - sla:handoff_sla_objective:ratio))
      and
        sla:handoff_sla_breached:ratio%(short)s > on (sla) group_left () (%(factor)s * (1 - sla:handoff_sla_objective:ratio))
    )
  ||| % { factor: factor, long: long, short: short },

  prometheusAlerts+:: {
    groups+: [
      {
        name: 'handoff-sla-alerts',
        rules: [
          alert(
            'HandoffSlaErrorBudgetBurnFast', 'page',
            burn('14.4', '1h', '5m') + 'or\n' + burn('6', '6h', '30m'),
            'SLA {{ $labels.sla }} is burning its error budget fast',
            |||
              {{ $value | humanizePercentage }} of the decided instances of SLA {{ $labels.sla }}
              ({{ $labels.from }} → {{ $labels.to }}, owner {{ $labels.owner }}) breached over the
              last hour (or 6 hours), 14.4× (or 6×) the budget the objective allows. At this rate
              the budget of %s is gone within %s (or %s).
            ||| % [cfg.budgetPeriod, '%dh' % std.floor(lib.seconds(cfg.budgetPeriod) / 3600 / 14.4),
                   '%dh' % std.floor(lib.seconds(cfg.budgetPeriod) / 3600 / 6)],
          ),
          alert(
            'HandoffSlaErrorBudgetBurnSlow', 'ticket',
            burn('3', '1d', '2h') + 'or\n' + burn('1', '3d', '6h'),
            'SLA {{ $labels.sla }} met ratio is below its objective',
            |||
              {{ $value | humanizePercentage }} of the decided instances of SLA {{ $labels.sla }}
              ({{ $labels.from }} → {{ $labels.to }}, owner {{ $labels.owner }}) breached over the
              last day (or 3 days): 3× (or 1×) the budget the objective allows.
            |||,
          ),
          // Breaches are counted at the deadline, so this fires as soon as an instance
          // passes it, whether or not it has been stopped since. Alertmanager groups
          // these per department and holds them back while the SLA's burn-rate page fires.
          alert(
            'HandoffSlaBreached', 'ticket',
            'sla:handoff_sla_breached:rate5m * 300 > 0',
            'SLA {{ $labels.sla }} breached ({{ $labels.from }} → {{ $labels.to }})',
            |||
              About {{ $value | printf "%.0f" }} instance(s) of SLA {{ $labels.sla }}
              ({{ $labels.from }} → {{ $labels.to }}) passed their deadline in the last 5 minutes.
              Accountable department: {{ $labels.owner }}. GET /api/v1/instances?sla={{ $labels.sla }}&state=overdue
              lists the orders.
            |||,
          ),
          // Open instances past their deadline and not stopped: more now than 30m ago.
          alert(
            'HandoffSlaOverdueGrowing', 'ticket',
            |||
              (
                sum by (%(by)s) (handoff_sla_open{%(sel)s, state="overdue"}) > 0
                  and
                sum by (%(by)s) (delta(handoff_sla_open{%(sel)s, state="overdue"}[30m])) > 0
              )
              %(notShadow)s
            ||| % { by: bySla, sel: sel, notShadow: lib.notShadow(cfg) },
            'Overdue {{ $labels.sla }} instances keep piling up',
            |||
              {{ $value }} open instance(s) of SLA {{ $labels.sla }} ({{ $labels.from }} → {{ $labels.to }})
              are past their deadline, and the number has grown over the last 30 minutes.
              {{ $labels.owner }} is not catching up.
            |||,
            '15m',
          ),
          alert(
            'HandoffJourneyPromiseTighterThanStages', 'ticket',
            'sla:handoff_journey_breached_none:ratio1d > %g' % cfg.journeyNoneShareThreshold,
            'Journey {{ $labels.sla }} breaks while every stage is on time',
            |||
              In {{ $value | humanizePercentage }} of the breaches of journey {{ $labels.sla }}
              over the last day, every stage met its own target (first late stage "none"): our
              promise is tighter than our stages. Tighten the stage targets or loosen the
              journey's target; no department is at fault.
            |||,
            '1h',
          ),
        ],
      },
      {
        name: 'handoff-pipeline-alerts',
        rules: [
          // The frontier advances with event time, or with the wall clock once a
          // partition is caught up and idle (idle_timeout), so it normally lags the wall
          // clock by about lateness + idle_timeout. While it stands still no deadline can
          // breach: breaches go undetected. 0 means "no frontier yet".
          alert(
            'HandoffFrontierStalled', 'page',
            'time() - max by (%s) (handoff_partition_frontier_timestamp_seconds{%s} > 0) > %d'
            % [by(['instance', 'topic', 'partition']), sel, cfg.frontierAgeThreshold],
            'handoffd frontier of {{ $labels.topic }}/{{ $labels.partition }} is {{ $value | humanizeDuration }} behind',
            |||
              The event-time frontier of partition {{ $labels.topic }}/{{ $labels.partition }} on
              {{ $labels.instance }} is {{ $value | humanizeDuration }} behind the wall clock.
              Deadlines in that partition are not being decided: breaches are late or missing.
            |||,
            '5m',
          ),
          alert(
            'HandoffConsumerLagHigh', 'ticket',
            'max by (%s) (handoff_kafka_consumer_lag{%s}) > %d'
            % [by(['instance', 'topic', 'partition']), sel, cfg.consumerLagThreshold],
            'handoffd is {{ $value }} messages behind on {{ $labels.topic }}/{{ $labels.partition }}',
            |||
              handoffd on {{ $labels.instance }} has been more than %d messages behind the high
              watermark of {{ $labels.topic }}/{{ $labels.partition }} for 10 minutes.
            ||| % cfg.consumerLagThreshold,
            '10m',
          ),
          // Checkpoints are written every checkpoint.interval (default 10s).
          alert(
            'HandoffCheckpointStale', 'ticket',
            'time() - max by (%s) (handoff_checkpoint_last_success_timestamp_seconds{%s}) > %d'
            % [by(['instance']), sel, cfg.checkpointAgeThreshold],
            'handoffd on {{ $labels.instance }} has not checkpointed for {{ $value | humanizeDuration }}',
            |||
              The last successful checkpoint of {{ $labels.instance }} is {{ $value | humanizeDuration }} old.
              A restart now would re-read everything since then from Kafka, and nothing older
              than Kafka's retention can be re-read.
            |||,
            '5m',
          ),
          alert(
            'HandoffConfigReloadFailed', 'ticket',
            'max by (%s) (handoff_config_last_reload_successful{%s}) == 0' % [by(['instance']), sel],
            'handoffd on {{ $labels.instance }} rejected its new config',
            |||
              The last config reload of {{ $labels.instance }} failed; it keeps running the old
              config. The log line "reload failed" has the file:line:col of every error.
            |||,
            '5m',
          ),
          alert(
            'HandoffDown', 'page',
            'up{%s} == 0' % sel,
            'handoffd {{ $labels.instance }} is down',
            |||
              Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for 2 minutes.
              While it is down no SLA is decided and no breach is reported.
            |||,
            '2m',
          ),
          alert(
            'HandoffAbsent', 'page',
            'absent(up{%s})' % sel,
            'No handoffd target is known to Prometheus',
            |||
              Prometheus has had no target matching {%s} for 5 minutes: the service
              discovery (ServiceMonitor, scrape config) lost it or it was never deployed.
            ||| % sel,
            '5m',
          ),
        ],
      },
    ],
  },
}
