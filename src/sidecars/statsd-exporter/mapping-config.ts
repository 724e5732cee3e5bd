import { StatsdMapping, StatsdMappingAction, StatsdMatchType, StatsdObserverType, StatsdMetricType } from './mapping';
import { Fail } from '../../core/errors';

/**
 * Internal: the mapping rules rendered to the exporter's `mapping.yaml` objects, checked
 * the way the exporter checks them at start. Nothing here is exported from the package.
 */

type Problem = (problem: string, fix: string) => never;

/** The mapping rules as the exporter's YAML objects. */
export function renderMappings(mappings: StatsdMapping[], fail: Fail): Array<{ [key: string]: unknown }> {
  const problem: Problem = (p, f) => fail('STATSD_MAPPING_INVALID', p, f);
  return mappings.map((m, i) => renderMapping(m, i, problem));
}

/** A metric name (with `$n` captures), as statsd_exporter checks it. */
const METRIC_NAME = /^([a-zA-Z_]|\$\{?\d+\}?)([a-zA-Z0-9_]|\$\{?\d+\}?)*$/;
/** A label name, as statsd_exporter checks it (two characters at least). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]+$/;
/** A glob match, as statsd_exporter checks it. */
const GLOB = /^(\*|[a-zA-Z_][a-zA-Z0-9_-]*)(\.\*|\.[a-zA-Z0-9_][a-zA-Z0-9_-]*)*$/;

function renderMapping(m: StatsdMapping, i: number, fail: Problem): { [key: string]: unknown } {
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
function regexCaptures(source: string, rule: string, fail: Problem): number {
  if (/\(\?<?[=!]/.test(source)) {
    fail(`${rule} uses a lookaround, which the exporter's regular expressions (RE2) do not support`, 'rewrite the expression without (?=, (?!, (?<= or (?<!');
  }
  if (/\\[1-9]/.test(source)) {
    fail(`${rule} uses a backreference, which the exporter's regular expressions (RE2) do not support`, 'rewrite the expression without \\1, \\2, ...');
  }
  let re: RegExp;
  try {
    re = new RegExp(`(?:${source.replace(/\(\?P</g, '(?<')})|`);
  } catch (e) {
    return fail(`${rule} is not a valid regular expression (${(e as Error).message})`, 'correct the expression (RE2 syntax)');
  }
  return re.exec('')!.length - 1;
}

function checkCaptures(template: string, captures: number, matchType: StatsdMatchType, what: string, fail: Problem) {
  // $0 is a regular expression's whole match; a glob has only its '*' captures.
  const first = matchType === StatsdMatchType.REGEX ? 0 : 1;
  for (const ref of template.matchAll(/\$\{?(\d+)\}?/g)) {
    const n = Number(ref[1]);
    if (n < first || n > captures) {
      fail(`${what} uses $${n}, but the match has ${captures} capture${captures === 1 ? '' : 's'}`, 'refer only to the match\'s captures ($1 for the first \'*\' or group)');
    }
  }
}
