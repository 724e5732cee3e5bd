import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { isPortNumber, sidecarError } from './_util';
import { SidecarImages } from './images';
import { SidecarProfile } from './profile';
import { Sidecar, SidecarKind, SidecarOptions } from './sidecar';

/** The uid:gid prom/statsd-exporter runs as (`USER 65534`, nobody, on Prometheus' busybox base). */
const METRICS_PORT_NAME = 'statsd-metrics';
const STATSD_UID = 65534;
const DEFAULT_NAME = 'statsd-exporter';
const CONFIG_DIR = '/etc/statsd-exporter';
const MAPPING_FILE = 'mapping.yaml';

/**
 * How a mapping's `match` is read.
 */
export enum StatsdMatchType {
  /** Dot-separated components, `*` matching one whole component (`$1`, `$2`, ... in name and labels). */
  GLOB = 'glob',
  /** A regular expression (RE2 syntax) over the whole StatsD name; groups are `$1`, `$2`, ... */
  REGEX = 'regex',
}

/**
 * The StatsD metric type a mapping is limited to.
 */
export enum StatsdMetricType {
  /** Counters (`|c`). */
  COUNTER = 'counter',
  /** Gauges (`|g`). */
  GAUGE = 'gauge',
  /** Timers, histograms and distributions (`|ms`, `|h`, `|d`). */
  OBSERVER = 'observer',
}

/**
 * How timers and histograms are exported.
 */
export enum StatsdObserverType {
  /** A Prometheus histogram. */
  HISTOGRAM = 'histogram',
  /** A Prometheus summary. */
  SUMMARY = 'summary',
}

/**
 * What a mapping does with the metrics it matches.
 */
export enum StatsdMappingAction {
  /** Export them under the mapping's name and labels. */
  MAP = 'map',
  /** Drop them. */
  DROP = 'drop',
}

/**
 * One statsd_exporter mapping rule: StatsD metrics matching `match` become the
 * Prometheus metric `name` with `labels`.
 */
export interface StatsdMapping {
  /**
   * The StatsD metric names this rule matches: a glob such as
   * `myapp.*.requests` (the default), or a regular expression.
   */
  readonly match: string;

  /**
   * The Prometheus metric name: letters, digits and `_`, not starting with a
   * digit, with `$1`/`${1}` for the match's captures.
   *
   * @default - required for StatsdMappingAction.MAP
   */
  readonly name?: string;

  /**
   * How `match` is read.
   *
   * @default StatsdMatchType.GLOB
   */
  readonly matchType?: StatsdMatchType;

  /**
   * Labels (name to value); values may use the match's captures (`$1`).
   *
   * @default - none
   */
  readonly labels?: { [name: string]: string };

  /**
   * Only match StatsD metrics of this type.
   *
   * @default - every type
   */
  readonly matchMetricType?: StatsdMetricType;

  /**
   * How timers and histograms are exported.
   *
   * @default - the exporter's default (summary)
   */
  readonly observerType?: StatsdObserverType;

  /**
   * Histogram buckets (strictly increasing), for StatsdObserverType.HISTOGRAM.
   *
   * @default - the exporter's default buckets
   */
  readonly histogramBuckets?: number[];

  /**
   * HELP text of the metric.
   *
   * @default - the exporter's generic help
   */
  readonly help?: string;

  /**
   * Map or drop the matched metrics.
   *
   * @default StatsdMappingAction.MAP
   */
  readonly action?: StatsdMappingAction;

  /**
   * Forget a series after this long without updates.
   *
   * @default - never
   */
  readonly ttl?: Duration;

  /**
   * Let labels sent with the metric (DogStatsD tags) override the mapping's.
   *
   * @default false
   */
  readonly honorLabels?: boolean;
}

/**
 * Properties of a StatsdExporterSidecar.
 */
export interface StatsdExporterSidecarProps extends SidecarOptions {
  /**
   * The pod to add the exporter to.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * Mapping rules, in order (the first matching glob or regex rule wins).
   *
   * @default - none: metric names are converted by the exporter's default rules
   */
  readonly mappings?: StatsdMapping[];

  /**
   * The port the app sends StatsD lines to, on UDP (and TCP).
   *
   * @default 9125
   */
  readonly statsdPort?: number;

  /**
   * Also accept StatsD over TCP, on the same port number.
   *
   * @default true
   */
  readonly tcp?: boolean;

  /**
   * The port of the Prometheus metrics.
   *
   * @default 9102
   */
  readonly metricsPort?: number;

  /**
   * The app's environment variable with the exporter's host.
   *
   * @default 'STATSD_HOST'
   */
  readonly hostEnvName?: string;

  /**
   * The app's environment variable with the StatsD port.
   *
   * @default 'STATSD_PORT'
   */
  readonly portEnvName?: string;

  /**
   * The statsd-exporter image.
   *
   * @default SidecarImages.STATSD_EXPORTER
   */
  readonly image?: string;
}

/**
 * App metrics over StatsD, exported for Prometheus: prom/statsd-exporter next to
 * the app.
 *
 * - StatsD on `127.0.0.1:9125`, UDP (port `statsd-udp`) and TCP (`statsd-tcp`);
 *   the app gets `STATSD_HOST=127.0.0.1` and `STATSD_PORT=9125`.
 * - Prometheus metrics on the named port `statsd-metrics` (9102, `/metrics`).
 * - Typed mapping rules rendered to `mapping.yaml` in a ConfigMap (id `Resource`),
 *   mounted read-only at `/etc/statsd-exporter` (`--statsd.mapping-config`);
 *   every rule is checked the way the exporter checks it at start.
 * - Gates the app's start on `/-/ready` (no StatsD line is lost to an exporter
 *   not listening yet); liveness on `/-/healthy`.
 * - METRICS_EXPORTER resources (20m/32Mi, limits 100m/128Mi); runs as uid/gid
 *   65534, the image's own user (`USER 65534`); read-only root filesystem.
 *
 * Image: `prom/statsd-exporter:v0.28.0`. Container name `statsd-exporter`. In
 * LEGACY mode it is an ordinary container, so a LEGACY exporter on a Job or
 * CronJob is refused (use NATIVE there).
 */
export class StatsdExporterSidecar extends Sidecar {
  /** The mapping-config ConfigMap, when there are mapping rules. */
  public readonly configMap?: kplus.ConfigMap;

  /** The StatsD port the app sends to. */
  public readonly statsdPort: number;

  public constructor(scope: Construct, id: string, props: StatsdExporterSidecarProps) {
    const workload = props.workload;
    const name = props.name ?? DEFAULT_NAME;
    const fail = (problem: string, fix: string): never => {
      throw new Error(sidecarError(workload, name, problem, fix));
    };
    const statsdPort = props.statsdPort ?? 9125;
    const metricsPort = props.metricsPort ?? 9102;
    for (const [prop, port] of [['statsdPort', statsdPort], ['metricsPort', metricsPort]] as const) {
      if (!isPortNumber(port)) fail(`${prop} ${port} is not a valid port number`, `use an integer from 1 to 65535 as '${prop}'`);
    }
    const tcp = props.tcp ?? true;
    if (tcp && statsdPort === metricsPort) {
      fail(`the StatsD TCP port and the metrics port are both ${statsdPort}`, 'give \'statsdPort\' and \'metricsPort\' different numbers, or set \'tcp\' to false');
    }
    const mappings = props.mappings ?? [];
    const rendered = mappings.map((m, i) => renderMapping(m, i, fail));
    const mappingYaml = rendered.length > 0 ? stringify({ mappings: rendered }, { lineWidth: 0 }) : undefined;

    const probe = (path: string, failureThreshold: number) => kplus.Probe.fromHttpGet(path, {
      port: metricsPort,
      periodSeconds: Duration.seconds(5),
      timeoutSeconds: Duration.seconds(2),
      failureThreshold,
    });

    super(scope, id, {
      ...props,
      name,
      workload,
      image: props.image ?? SidecarImages.STATSD_EXPORTER,
      profile: SidecarProfile.METRICS_EXPORTER,
      kind: SidecarKind.STATSD_EXPORTER,
      metrics: { portName: METRICS_PORT_NAME, path: '/metrics' },
      ports: [
        { name: 'statsd-udp', number: statsdPort, protocol: kplus.Protocol.UDP },
        ...(tcp ? [{ name: 'statsd-tcp', number: statsdPort, protocol: kplus.Protocol.TCP }] : []),
        { name: METRICS_PORT_NAME, number: metricsPort, protocol: kplus.Protocol.TCP },
      ],
      args: [
        `--statsd.listen-udp=:${statsdPort}`,
        `--statsd.listen-tcp=${tcp ? `:${statsdPort}` : ''}`,
        `--web.listen-address=:${metricsPort}`,
        ...(mappingYaml !== undefined ? [`--statsd.mapping-config=${CONFIG_DIR}/${MAPPING_FILE}`] : []),
      ],
      startupProbe: probe('/-/ready', 12),
      readiness: probe('/-/ready', 3),
      liveness: probe('/-/healthy', 6),
      user: props.user ?? STATSD_UID,
      group: props.group ?? STATSD_UID,
    });
    this.statsdPort = statsdPort;

    if (mappingYaml !== undefined) {
      this.configMap = new kplus.ConfigMap(this, 'Resource', { data: { [MAPPING_FILE]: mappingYaml } });
      const volume = kplus.Volume.fromConfigMap(this, 'MappingVolume', this.configMap, { name: `${name}-mapping` });
      this.container.mount(CONFIG_DIR, volume, { readOnly: true });
    }

    this.addAppEnvVariable(props.hostEnvName ?? 'STATSD_HOST', kplus.EnvValue.fromValue('127.0.0.1'));
    this.addAppEnvVariable(props.portEnvName ?? 'STATSD_PORT', kplus.EnvValue.fromValue(String(statsdPort)));
  }
}

/** A metric name (with `$n` captures), as statsd_exporter checks it. */
const METRIC_NAME = /^([a-zA-Z_]|\$\{?\d+\}?)([a-zA-Z0-9_]|\$\{?\d+\}?)*$/;
/** A label name, as statsd_exporter checks it (two characters at least). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]+$/;
/** A glob match, as statsd_exporter checks it. */
const GLOB = /^(\*|[a-zA-Z_][a-zA-Z0-9_-]*)(\.\*|\.[a-zA-Z0-9_][a-zA-Z0-9_-]*)*$/;

function renderMapping(m: StatsdMapping, i: number, fail: (problem: string, fix: string) => never): { [key: string]: unknown } {
  const rule = `mapping ${i} ('${m.match}')`;
  const matchType = m.matchType ?? StatsdMatchType.GLOB;
  const action = m.action ?? StatsdMappingAction.MAP;
  if (!Object.values(StatsdMatchType).includes(matchType)) fail(`${rule}: '${matchType}' is not a match type`, 'pass a StatsdMatchType');
  if (!Object.values(StatsdMappingAction).includes(action)) fail(`${rule}: '${action}' is not a mapping action`, 'pass a StatsdMappingAction');
  if (typeof m.match !== 'string' || m.match.length === 0) fail(`mapping ${i} has an empty 'match'`, 'pass the StatsD metric names the rule matches');

  let captures: number;
  if (matchType === StatsdMatchType.GLOB) {
    if (!GLOB.test(m.match)) {
      fail(`${rule} is not a valid glob`, 'use dot-separated components of letters, digits, \'_\' and \'-\' (the first not starting with a digit), or \'*\' for a whole component; use StatsdMatchType.REGEX for a regular expression');
    }
    captures = m.match.split('.').filter(c => c === '*').length;
  } else {
    captures = regexCaptures(m.match, rule, fail);
  }

  if (action === StatsdMappingAction.MAP && m.name === undefined) {
    fail(`${rule} has no metric name`, 'pass \'name\', the Prometheus metric the matched StatsD metrics become');
  }
  const metricName = m.name ?? 'dropped';
  if (!METRIC_NAME.test(metricName)) {
    fail(`${rule}: '${metricName}' is not a valid metric name`, 'use letters, digits and \'_\', not starting with a digit, with $1 or ${1} for captures');
  }
  checkCaptures(metricName, captures, matchType, `${rule}: name '${metricName}'`, fail);

  const labels: { [name: string]: string } = {};
  for (const [label, value] of Object.entries(m.labels ?? {})) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      fail(`${rule}: '${label}' is not a valid label name`, 'use at least two letters, digits and \'_\', not starting with a digit or \'__\'');
    }
    if (typeof value !== 'string') fail(`${rule}: label '${label}' has no string value`, 'pass a string');
    checkCaptures(value, captures, matchType, `${rule}: label '${label}'`, fail);
    labels[label] = value;
  }

  const buckets = m.histogramBuckets;
  if (buckets !== undefined) {
    if (m.observerType !== StatsdObserverType.HISTOGRAM) {
      fail(`${rule} has histogram buckets but is not a histogram`, 'set \'observerType\' to StatsdObserverType.HISTOGRAM, or drop \'histogramBuckets\'');
    }
    if (buckets.length === 0 || buckets.some((b, j) => !Number.isFinite(b) || (j > 0 && b <= buckets[j - 1]))) {
      fail(`${rule}: histogram buckets [${buckets.join(', ')}] are not finite and strictly increasing`, 'pass e.g. [0.005, 0.01, 0.05, 0.1, 0.5, 1]');
    }
  }
  if (m.observerType !== undefined && !Object.values(StatsdObserverType).includes(m.observerType)) {
    fail(`${rule}: '${m.observerType}' is not an observer type`, 'pass a StatsdObserverType');
  }
  if (m.matchMetricType !== undefined && !Object.values(StatsdMetricType).includes(m.matchMetricType)) {
    fail(`${rule}: '${m.matchMetricType}' is not a metric type`, 'pass a StatsdMetricType');
  }
  let ttl: number | undefined;
  if (m.ttl !== undefined) {
    try {
      ttl = m.ttl.toSeconds();
    } catch {
      ttl = undefined;
    }
    if (ttl === undefined || ttl <= 0) fail(`${rule}: the ttl is not a whole, positive number of seconds`, 'pass e.g. Duration.minutes(5) as \'ttl\'');
  }

  const out: { [key: string]: unknown } = { match: m.match };
  if (matchType !== StatsdMatchType.GLOB) out.match_type = matchType;
  if (m.matchMetricType !== undefined) out.match_metric_type = m.matchMetricType;
  out.name = metricName;
  if (action !== StatsdMappingAction.MAP) out.action = action;
  if (Object.keys(labels).length > 0) out.labels = labels;
  if (m.help !== undefined) out.help = m.help;
  if (m.observerType !== undefined) out.observer_type = m.observerType;
  if (buckets !== undefined) out.histogram_options = { buckets: [...buckets] };
  if (ttl !== undefined) out.ttl = `${ttl}s`;
  if (m.honorLabels) out.honor_labels = true;
  return out;
}

/** The number of capture groups of an RE2 expression, or an error for one RE2 does not accept. */
function regexCaptures(source: string, rule: string, fail: (problem: string, fix: string) => never): number {
  if (/\(\?<?[=!]/.test(source)) {
    fail(`${rule} uses a lookaround, which the exporter's regular expressions (RE2) do not support`, 'rewrite the expression without (?=, (?!, (?<= or (?<!');
  }
  if (/\\[1-9]/.test(source)) {
    fail(`${rule} uses a backreference, which the exporter's regular expressions (RE2) do not support`, 'rewrite the expression without \\1, \\2, ...');
  }
  let re: RegExp;
  try {
    re = new RegExp(`${source.replace(/\(\?P</g, '(?<')}|`);
  } catch (e) {
    return fail(`${rule} is not a valid regular expression (${(e as Error).message})`, 'correct the expression (RE2 syntax)');
  }
  return re.exec('')!.length - 1;
}

function checkCaptures(template: string, captures: number, matchType: StatsdMatchType, what: string, fail: (problem: string, fix: string) => never) {
  // $0 is a regular expression's whole match; a glob has only its '*' captures.
  const first = matchType === StatsdMatchType.REGEX ? 0 : 1;
  for (const ref of template.matchAll(/\$\{?(\d+)\}?/g)) {
    const n = Number(ref[1]);
    if (n < first || n > captures) {
      fail(`${what} uses $${n}, but the match has ${captures} capture${captures === 1 ? '' : 's'}`, 'refer only to the match\'s captures ($1 for the first \'*\' or group)');
    }
  }
}
