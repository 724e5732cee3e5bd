import { ApiObject, Duration, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { promqlProblem } from './_promql';
import { AlertDefinition, checkAlertName, checkSummary } from './_rules';
import { groupByPack, namespaceProblems, sidecarsIn, targetOf } from './_targets';
import { GENERIC_ALERT_PACK } from './generic-pack';
import { AlertSeverity, AlertThresholdUnit } from './pack';
import { Checks, isLabelValue, isQualifiedName } from '../core/checks';
import { errorMessage, Fail, failFor } from '../core/errors';
import { Sidecar } from '../core/sidecar';
import * as mon from '../imports/monitoring.coreos.com';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DEFAULT_RUNBOOK_BASE = 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md';

/**
 * Changes to one generated alert.
 */
export interface AlertOverride {
  /**
   * The alert's severity.
   *
   * @default - the alert's own (see the README's alert table)
   */
  readonly severity?: AlertSeverity;

  /**
   * How long the condition must hold before the alert fires (Prometheus `for`).
   * `Duration.seconds(0)` fires at once.
   *
   * @default - the alert's own
   */
  readonly pendingFor?: Duration;

  /**
   * The threshold, for the alerts that have one: SidecarContainerRestarting
   * (restarts per hour, 3), EnvoyUpstream5xxHigh (a ratio above 0 and at most 1,
   * 0.05), FluentBitBacklogHigh (records, 10000).
   *
   * @default - the alert's own
   */
  readonly threshold?: number;

  /**
   * Leave the alert out.
   *
   * @default false
   */
  readonly disabled?: boolean;
}

/**
 * An alert rule of your own, added to the PrometheusRule next to the generated ones.
 */
export interface AlertRule {
  /**
   * The alert name (letters, digits and '_', not starting with a digit).
   */
  readonly alert: string;

  /**
   * The PromQL expression. Checked with Prometheus's grammar at synth.
   */
  readonly expr: string;

  /**
   * One sentence: what is wrong.
   */
  readonly summary: string;

  /**
   * Details, with Prometheus templating (`{{ $labels.pod }}`).
   *
   * @default - the summary
   */
  readonly description?: string;

  /**
   * How long the condition must hold before the alert fires.
   *
   * @default - fires at once
   */
  readonly pendingFor?: Duration;

  /**
   * The alert's severity.
   *
   * @default AlertSeverity.WARNING
   */
  readonly severity?: AlertSeverity;

  /**
   * Where the on-call engineer reads what to do.
   *
   * @default - none
   */
  readonly runbookUrl?: string;

  /**
   * More labels on the alert.
   *
   * @default - none
   */
  readonly labels?: { [name: string]: string };
}

/**
 * Properties of SidecarAlerts.
 */
export interface SidecarAlertsProps {
  /**
   * Labels on the PrometheusRule and the PodMonitor, so that the Prometheus
   * `ruleSelector` and `podMonitorSelector` pick them up (kube-prometheus-stack
   * selects `release: <its release name>` by default).
   *
   * @default - none
   */
  readonly labels?: { [name: string]: string };

  /**
   * Labels added to every alert (a team, a routing key).
   *
   * @default - none
   */
  readonly alertLabels?: { [name: string]: string };

  /**
   * The base of every generated alert's `runbook_url`; the lower-cased alert name is
   * appended as a fragment (`<base>#sidecarcontainerrestarting`).
   *
   * @default - this library's docs/runbooks.md, which explains every alert
   */
  readonly runbookBaseUrl?: string;

  /**
   * Changes to generated alerts, by alert name.
   *
   * @default - every alert with its own settings
   */
  readonly overrides?: { [alert: string]: AlertOverride };

  /**
   * Alert rules of your own.
   *
   * @default - none
   */
  readonly rules?: AlertRule[];

  /**
   * Render a PodMonitor that scrapes the sidecars' metrics ports.
   *
   * @default true
   */
  readonly podMonitor?: boolean;

  /**
   * How often Prometheus evaluates the rules.
   *
   * @default - Prometheus's global evaluation_interval
   */
  readonly evaluationInterval?: Duration;
}

interface RenderedRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: { [name: string]: string };
  readonly annotations: { [name: string]: string };
}

interface Model {
  readonly groups: Array<{ name: string; rules: RenderedRule[] }>;
  readonly endpoints: mon.PodMonitorSpecPodMetricsEndpoints[];
  readonly selector: mon.PodMonitorSpecSelector;
  readonly namespaces: string[];
  readonly problems: string[];
}

/**
 * Alerts for every sidecar in a scope: one `monitoring.coreos.com/v1`
 * PrometheusRule with the rules that fit the sidecars present (restarts, crash
 * loops and readiness for all of them; the tool's own alerts for Envoy, Fluent Bit,
 * Vault Agent, the config reloader and the StatsD exporter), matching their exact
 * container names and namespaces, and a PodMonitor that scrapes the sidecars'
 * metrics ports with the `namespace`, `pod` and `container` labels the rules use.
 *
 * The sidecars are collected when the app is synthesized, so sidecars created after
 * SidecarAlerts count. Every expression you write (`rules`, `AlertPack.custom()`) is
 * checked with Prometheus's grammar at synth.
 *
 * The readiness and restart alerts read kube-state-metrics (2.11+ for native
 * sidecars' `restart_policy`); the tool alerts read the metrics the PodMonitor
 * scrapes (Prometheus's pod discovery includes init containers' ports since 2.11).
 */
export class SidecarAlerts extends Construct {
  /** The PrometheusRule. */
  public readonly prometheusRule: ApiObject;

  /** The PodMonitor, unless `podMonitor: false`. Left out when no sidecar has metrics. */
  public readonly podMonitor?: ApiObject;

  private readonly labels: { [name: string]: string };
  private readonly alertLabels: { [name: string]: string };
  private readonly runbookBaseUrl: string;
  private readonly overrides: { [alert: string]: AlertOverride };
  private readonly rules: AlertRule[] = [];
  private readonly evaluationInterval?: string;
  private model?: Model;

  public constructor(scope: Construct, id: string, props: SidecarAlertsProps = {}) {
    super(scope, id);
    this.labels = { ...props.labels };
    this.alertLabels = { ...props.alertLabels };
    this.runbookBaseUrl = props.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE;
    this.overrides = { ...props.overrides };

    this.checkObjectLabels(this.labels);
    this.checkAlertLabels(this.alertLabels, 'alertLabels');
    if (!/^https?:\/\/\S+$/.test(this.runbookBaseUrl)) {
      this.failer()('URL_INVALID', `runbook base URL '${this.runbookBaseUrl}' is not an http(s) URL`, 'pass e.g. \'https://wiki.example.com/runbooks/sidecars\' as \'runbookBaseUrl\'');
    }
    for (const [name, override] of Object.entries(this.overrides)) {
      const checks = new Checks(this.failer(name));
      if (override.threshold !== undefined && (typeof override.threshold !== 'number' || !Number.isFinite(override.threshold) || override.threshold < 0)) {
        this.failer(name)('THRESHOLD_INVALID', `threshold ${override.threshold} is not a number, 0 or more`, 'pass a finite number, 0 or more');
      }
      if (override.pendingFor !== undefined) checks.seconds('pendingFor', override.pendingFor);
      if (override.severity !== undefined) checks.oneOf('severity', override.severity, AlertSeverity, 'AlertSeverity');
    }
    if (props.evaluationInterval !== undefined) {
      this.evaluationInterval = promDuration(new Checks(this.failer()).seconds('evaluationInterval', props.evaluationInterval, 1));
    }
    for (const rule of props.rules ?? []) {
      this.addRule(rule);
    }

    this.prometheusRule = new mon.PrometheusRule(this, 'Resource', {
      metadata: { labels: this.labels },
      spec: Lazy.any({
        produce: () => ({
          groups: this.render().groups.map(g => ({
            ...g,
            rules: g.rules.map(r => ({ ...r, expr: mon.PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr) })),
          })),
        }),
      }),
    });

    if (props.podMonitor ?? true) {
      this.podMonitor = new mon.PodMonitor(this, 'PodMonitor', {
        metadata: { labels: this.labels },
        spec: Lazy.any({ produce: () => this.podMonitorSpec() }),
      });
    }

    this.node.addValidation({ validate: () => this.problems() });
  }

  /**
   * Adds an alert rule of your own. Its expression is checked at synth.
   */
  public addRule(rule: AlertRule): void {
    const fail = this.failer(typeof rule.alert === 'string' ? rule.alert : undefined);
    checkAlertName(fail, rule.alert);
    if (this.rules.some(r => r.alert === rule.alert)) {
      fail('ALERT_DUPLICATE', `there is already an alert named '${rule.alert}'`, 'give your rule another name (tune a generated alert with \'overrides\')');
    }
    checkSummary(fail, rule.summary);
    const checks = new Checks(fail);
    if (rule.pendingFor !== undefined) checks.seconds('pendingFor', rule.pendingFor);
    if (rule.severity !== undefined) checks.oneOf('severity', rule.severity, AlertSeverity, 'AlertSeverity');
    this.checkAlertLabels(rule.labels ?? {}, `labels of alert '${rule.alert}'`);
    this.rules.push({ ...rule, labels: rule.labels ? { ...rule.labels } : undefined });
  }

  private problems(): string[] {
    const model = this.compute();
    if (this.podMonitor !== undefined && model.endpoints.length === 0) {
      // Nothing to scrape: no PodMonitor rather than one that selects nothing.
      this.node.tryRemoveChild(this.podMonitor.node.id);
    }
    return model.problems;
  }

  private render(): Model {
    const model = this.compute();
    if (model.problems.length > 0) {
      throw new Error(model.problems.join('\n'));
    }
    return model;
  }

  private podMonitorSpec(): any {
    const model = this.render();
    return {
      selector: model.selector,
      namespaceSelector: model.namespaces.length > 0 ? { matchNames: model.namespaces } : undefined,
      podMetricsEndpoints: model.endpoints,
    };
  }

  private compute(): Model {
    if (this.model !== undefined) return this.model;
    const sidecars = sidecarsIn(this.node.scope!);
    const problems = namespaceProblems(sidecars, (code, problem, fix) => this.message(code, undefined, problem, fix));
    if (sidecars.length === 0 && this.rules.length === 0) {
      problems.push(this.message('NO_SIDECARS', undefined, `there is no sidecar in scope '${this.node.scope!.node.path}'`, 'create SidecarAlerts in the chart (or app) that holds the sidecars, or add rules of your own'));
    }

    // The packs present: the generic one for every sidecar first, then each sidecar's own.
    const generic = sidecars.length > 0 ? [{ pack: GENERIC_ALERT_PACK, sidecars: [...sidecars] }] : [];
    const packs = groupByPack(sidecars, s => s.alertPack, (s, pack) => {
      problems.push(this.message('ALERT_PACK_NAME_TAKEN', undefined, `two different alert packs are named '${pack.name}' (one of them on sidecar '${s.name}' of workload '${s.workload.node.path}')`,
        'give each alert pack its own name, or pass the same AlertPack object to every sidecar of that kind'));
    }, generic).map(g => ({ pack: g.pack, targets: g.sidecars.map(targetOf) }));
    const definitions = new Map<string, AlertDefinition>();
    for (const { pack } of packs) {
      for (const def of pack._definitions) {
        if (definitions.has(def.alert)) {
          problems.push(this.message('ALERT_DUPLICATE', def.alert, `alert pack '${pack.name}' has an alert named like another pack's`, 'give the alert of your pack another name'));
        }
        definitions.set(def.alert, def);
      }
    }
    for (const rule of this.rules) {
      if (definitions.has(rule.alert)) {
        problems.push(this.message('ALERT_DUPLICATE', rule.alert, `there is already an alert named '${rule.alert}'`, 'give your rule another name (tune a generated alert with \'overrides\')'));
      }
    }
    for (const [name, override] of Object.entries(this.overrides)) {
      const def = definitions.get(name);
      if (def === undefined) {
        problems.push(this.message('ALERT_UNKNOWN', name, '\'overrides\' names an alert that no sidecar in scope generates',
          `name one of ${[...definitions.keys()].join(', ') || 'none (there are no sidecars)'}`));
      } else if (override.threshold !== undefined) {
        if (def.threshold === undefined) {
          problems.push(this.message('THRESHOLD_INVALID', name, 'the alert has no threshold', 'leave \'threshold\' out of its override'));
        } else if (def.threshold.unit === AlertThresholdUnit.RATIO && !(override.threshold > 0 && override.threshold <= 1)) {
          problems.push(this.message('THRESHOLD_INVALID', name, `threshold ${override.threshold} is a ratio, which is above 0 and at most 1`,
            `pass a share: ${override.threshold > 1 && override.threshold <= 100 ? `${override.threshold / 100} for ${override.threshold} %` : 'e.g. 0.05 for 5 %'}`));
        }
      }
    }

    const groups: Array<{ name: string; rules: RenderedRule[] }> = [];
    // The expressions users wrote (their rules, their packs'), checked below.
    const written = new Set<RenderedRule>();
    const push = (group: string, rule: RenderedRule) => {
      let g = groups.find(x => x.name === group);
      if (g === undefined) {
        g = { name: group, rules: [] };
        groups.push(g);
      }
      g.rules.push(rule);
    };

    for (const { pack, targets } of packs) {
      for (const def of pack._definitions) {
        const override = this.overrides[def.alert] ?? {};
        if (override.disabled) continue;
        const applies = def.scrapedOnly ? targets.filter(t => t.scraped) : targets;
        if (applies.length === 0) continue;
        const expr = def.expr(applies, override.threshold ?? def.threshold?.value ?? 0);
        if (expr === undefined) continue;
        const forSeconds = override.pendingFor !== undefined ? override.pendingFor.toSeconds() : def.forSeconds;
        const rendered = this.rule(def, expr, override.severity ?? def.severity, forSeconds);
        if (def.userWritten) written.add(rendered);
        push(`sidecar-${pack.name}`, rendered);
      }
    }
    for (const rule of this.rules) {
      const rendered: RenderedRule = {
        alert: rule.alert,
        expr: rule.expr,
        for: rule.pendingFor && rule.pendingFor.toSeconds() > 0 ? promDuration(rule.pendingFor.toSeconds()) : undefined,
        labels: { ...this.alertLabels, ...rule.labels, severity: rule.severity ?? AlertSeverity.WARNING },
        annotations: {
          summary: rule.summary,
          description: rule.description ?? rule.summary,
          ...(rule.runbookUrl ? { runbook_url: rule.runbookUrl } : {}),
        },
      };
      written.add(rendered);
      push('sidecar-custom', rendered);
    }
    for (const group of groups) {
      for (const rule of group.rules) {
        const problem = written.has(rule) ? promqlProblem(rule.expr) : undefined;
        if (problem !== undefined) {
          problems.push(this.message('PROMQL_INVALID', rule.alert, problem, 'correct the expression (check it in the Prometheus expression browser or with promtool)'));
        }
      }
    }

    const scraped = sidecars.filter(s => s.metrics !== undefined);
    this.model = {
      groups: groups.map(g => ({ name: g.name, ...(this.evaluationInterval ? { interval: this.evaluationInterval } : {}), rules: g.rules })),
      endpoints: endpoints(scraped),
      selector: podSelector(unique(scraped.map(s => s.workload))),
      namespaces: namespacesOf(scraped),
      problems,
    };
    return this.model;
  }

  private rule(def: AlertDefinition, expr: string, severity: string, forSeconds: number): RenderedRule {
    return {
      alert: def.alert,
      expr,
      for: forSeconds > 0 ? promDuration(forSeconds) : undefined,
      labels: { ...this.alertLabels, severity },
      annotations: {
        summary: def.summary,
        description: def.description,
        runbook_url: `${this.runbookBaseUrl}#${def.alert.toLowerCase()}`,
      },
    };
  }

  /** Kubernetes labels: an optional DNS prefix and a name, a value of at most 63 characters. */
  private checkObjectLabels(labels: { [name: string]: string }) {
    for (const [key, value] of Object.entries(labels)) {
      if (!isQualifiedName(key)) {
        this.failer()('LABEL_INVALID', `label name '${key}' in labels is not a valid Kubernetes label key`, 'use an optional DNS prefix and \'/\', then at most 63 letters, digits, \'-\', \'_\' and \'.\'');
      }
      if (!isLabelValue(value)) {
        this.failer()('LABEL_INVALID', `the value of label '${key}' in labels is not a valid Kubernetes label value`, 'use at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit');
      }
    }
  }

  /** Prometheus labels on alerts: the library sets `severity` (and Prometheus `alertname`) itself. */
  private checkAlertLabels(labels: { [name: string]: string }, what: string) {
    for (const [key, value] of Object.entries(labels)) {
      if (!LABEL_NAME.test(key) || key.startsWith('__')) {
        this.failer()('LABEL_INVALID', `label name '${key}' in ${what} is not valid`, 'use letters, digits and \'_\', not starting with a digit or \'__\'');
      }
      if (key === 'severity' || key === 'alertname') {
        this.failer()('LABEL_INVALID', `${what} sets '${key}', which the alert sets itself`, key === 'severity'
          ? 'choose the severity with \'severity\' (or an override), not a label'
          : 'name the alert with \'alert\'');
      }
      if (typeof value !== 'string' || value.includes('\n')) {
        this.failer()('LABEL_INVALID', `the value of label '${key}' in ${what} is not a one-line string`, 'pass a plain string');
      }
    }
  }

  private message(code: string, alert: string | undefined, problem: string, fix: string): string {
    return errorMessage(code, this.subject(alert), problem, fix);
  }

  private subject(alert?: string) {
    return { noun: 'alerts', path: this.node.path, partNoun: alert === undefined ? undefined : 'alert', part: alert };
  }

  private failer(alert?: string): Fail {
    return failFor(this.subject(alert));
  }
}

/** A Prometheus duration: `90s`, `5m`, `1h`. */
function promDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function namespacesOf(sidecars: Sidecar[]): string[] {
  const namespaces = sidecars.map(s => s.workload.metadata.namespace);
  if (namespaces.some(n => n === undefined)) return [];
  return unique(namespaces as string[]).sort();
}

/**
 * One scrape endpoint per (container, port, path), keeping only that container's
 * targets and giving the series the labels kube-state-metrics uses.
 */
function endpoints(sidecars: Sidecar[]): mon.PodMonitorSpecPodMetricsEndpoints[] {
  const seen = new Map<string, mon.PodMonitorSpecPodMetricsEndpoints>();
  for (const s of sidecars) {
    const { portName, path = '/metrics' } = s.metrics!;
    const key = `${s.name} ${portName} ${path}`;
    if (seen.has(key)) continue;
    const [pathOnly, query] = splitQuery(path);
    seen.set(key, {
      port: portName,
      path: pathOnly,
      params: query,
      relabelings: [
        {
          sourceLabels: ['__meta_kubernetes_pod_container_name'],
          regex: s.name,
          action: mon.PodMonitorSpecPodMetricsEndpointsRelabelingsAction.KEEP,
        },
        ...[
          ['__meta_kubernetes_namespace', 'namespace'],
          ['__meta_kubernetes_pod_name', 'pod'],
          ['__meta_kubernetes_pod_container_name', 'container'],
        ].map(([source, target]) => ({
          sourceLabels: [source],
          targetLabel: target,
          action: mon.PodMonitorSpecPodMetricsEndpointsRelabelingsAction.REPLACE,
        })),
      ],
    });
  }
  return [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, e]) => e);
}

function splitQuery(path: string): [string, { [key: string]: string[] } | undefined] {
  const q = path.indexOf('?');
  if (q < 0) return [path, undefined];
  const params: { [key: string]: string[] } = {};
  for (const [key, value] of new URLSearchParams(path.slice(q + 1))) {
    (params[key] ??= []).push(value);
  }
  return [path.slice(0, q), params];
}

/**
 * The pods of the workloads. cdk8s-plus selects a workload's pods by one label
 * (`cdk8s.io/metadata.addr`) unless told otherwise; when every workload is selected
 * by plain labels sharing a key, one `In` expression selects them all. Otherwise
 * every pod of the namespaces is a candidate, and the endpoints' container filter
 * does the selecting.
 */
function podSelector(workloads: kplus.AbstractPod[]): mon.PodMonitorSpecSelector {
  if (workloads.length === 0) return {};
  const selectors = workloads.map(w => w.toPodSelectorConfig().labelSelector._toKube());
  if (selectors.length === 1) {
    const only = selectors[0];
    return {
      matchLabels: only.matchLabels,
      matchExpressions: only.matchExpressions?.map(e => ({ key: e.key, operator: e.operator, values: e.values })),
    };
  }
  const plain = selectors.every(s => (s.matchExpressions ?? []).length === 0 && Object.keys(s.matchLabels ?? {}).length > 0);
  if (plain) {
    const shared = Object.keys(selectors[0].matchLabels!).find(k => selectors.every(s => k in s.matchLabels!));
    if (shared !== undefined) {
      return {
        matchExpressions: [{
          key: shared,
          operator: 'In',
          values: unique(selectors.map(s => s.matchLabels![shared])).sort(),
        }],
      };
    }
  }
  return {};
}
