import { Duration } from 'cdk8s';

/**
 * The StatsD exporter's mapping rules: the types users write, and their rendering to
 * the exporter's `mapping.yaml`, checked the way the exporter checks them at start.
 */

/**
 * How a mapping's `match` is read.
 */
export enum StatsdMatchType {
  /** Dot-separated components, `*` matching one whole component (`$1`, `$2`, ... in name and labels). */
  GLOB = 'glob',
  /**
   * A regular expression (RE2 syntax, as Go's regexp package reads it), searched anywhere
   * in the StatsD name (not anchored: write `^...$` to match the whole name); groups are
   * `$1`, `$2`, ... Regex rules are tried only after every glob rule has failed to match.
   */
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
   * digit, with `$1`/`${1}` for the match's captures. `$1_total` means capture 1
   * followed by `_total` (it is written `${1}_total` for the exporter, which would
   * otherwise read a reference named `1_total`).
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
   * Labels (name to value); values may use the match's captures (`$1`, `${1}`, and
   * `${name}` for a named group of a regex). Every `$` must start such a reference.
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
