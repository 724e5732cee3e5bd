import type { RE2JS } from 're2js';
import { StatsdMapping, StatsdMappingAction, StatsdMatchType, StatsdObserverType, StatsdMetricType } from './mapping';
import { wholeSeconds } from '../../core/checks';
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

  let captures: Captures;
  if (matchType === StatsdMatchType.GLOB) {
    if (!GLOB.test(m.match)) {
      fail(`${rule} is not a valid glob`, 'use dot-separated components of letters, digits, \'_\' and \'-\' (the first not starting with a digit), or \'*\' for a whole component; use StatsdMatchType.REGEX for a regular expression');
    }
    captures = { count: m.match.split('.').filter(c => c === '*').length, names: [] };
  } else {
    captures = regexCaptures(m.match, rule, fail);
  }

  if (action === StatsdMappingAction.MAP && m.name === undefined) {
    fail(`${rule} has no metric name`, 'pass \'name\', the Prometheus metric the matched StatsD metrics become');
  }
  const givenName = m.name ?? 'dropped';
  if (!METRIC_NAME.test(givenName)) {
    fail(`${rule}: '${givenName}' is not a valid metric name`, 'use letters, digits and \'_\', not starting with a digit, with $1 or ${1} for captures');
  }
  const metricName = renderTemplate(givenName, captures, matchType, `${rule}: name '${givenName}'`, fail);

  const labels: { [name: string]: string } = {};
  for (const [label, value] of Object.entries(m.labels ?? {})) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      fail(`${rule}: '${label}' is not a valid label name`, 'use at least two letters, digits and \'_\', not starting with a digit or \'__\'');
    }
    if (typeof value !== 'string') fail(`${rule}: label '${label}' has no string value`, 'pass a string');
    labels[label] = renderTemplate(value, captures, matchType, `${rule}: label '${label}'`, fail);
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
  const ttl = m.ttl === undefined ? undefined : wholeSeconds(m.ttl);
  if (m.ttl !== undefined && (ttl === undefined || ttl === 0)) {
    fail(`${rule}: the ttl is not a whole, positive number of seconds`, 'pass e.g. Duration.minutes(5) as \'ttl\'');
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

/** What a match captures: numbered groups (`$1`...) and, for a regular expression, named ones. */
interface Captures {
  readonly count: number;
  readonly names: string[];
}

/**
 * The capture groups of an RE2 expression, checked by a real RE2 implementation (re2js, a
 * port of RE2/J, which follows Go's `regexp/syntax`: the exporter compiles `match` with Go's
 * `regexp.Compile`, pkg/mapper/mapper.go:163 at v0.28.0), or an error for one RE2 refuses.
 */
function regexCaptures(source: string, rule: string, fail: Problem): Captures {
  let re: RE2JS;
  try {
    // Loaded on first use: an app without regular-expression mappings never loads it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const re2js: typeof import('re2js') = require('re2js');
    re = re2js.RE2JS.compile(source);
  } catch (e) {
    const reason = (e as Error).message.replace(/^error parsing regexp: /, '');
    if (/unsupported Perl syntax: `\(\?<?[=!]/.test(reason)) {
      fail(`${rule} uses a lookaround, which the exporter's regular expressions (RE2) do not support`, 'rewrite the expression without (?=, (?!, (?<= or (?<!');
    }
    if (/invalid escape sequence: `\\[1-9]`/.test(reason)) {
      fail(`${rule} uses a backreference, which the exporter's regular expressions (RE2) do not support`, 'rewrite the expression without \\1, \\2, ...');
    }
    return fail(`${rule} is not a valid regular expression (${reason})`, 'correct the expression (RE2 syntax, as Go\'s regexp package reads it)');
  }
  return { count: re.groupCount(), names: Object.keys(re.namedGroups()) };
}

/**
 * A name or label value as the exporter must see it to mean what the user wrote, or an
 * error. Every `$` starts a capture reference, rendered as `${n}` (or `${name}`):
 *
 * - glob rules are expanded by the exporter's own formatter (pkg/mapper/fsm/formatter.go at
 *   v0.28.0): its reference pattern `\$\{?([a-zA-Z0-9_\$]+)\}?` (line 24) is greedy, so
 *   `$1_total` is read as the reference `1_total`, which is not a number and becomes ''
 *   (lines 45-49); `${1}_total` stops at the `}`. The template then goes through
 *   `fmt.Sprintf` (line 75) whenever it has a reference: a literal `%` is written `%%`.
 * - regex rules are expanded by Go's `regexp.ExpandString` (pkg/mapper/mapper.go:352 and
 *   365), which reads `$1_total` as the group named `1_total`: again ''.
 *
 * So `$1_total` means capture 1 followed by `_total`, and is rendered `${1}_total`.
 */
function renderTemplate(template: string, captures: Captures, matchType: StatsdMatchType, what: string, fail: Problem): string {
  // $0 is a regular expression's whole match; a glob has only its '*' captures.
  const regex = matchType === StatsdMatchType.REGEX;
  const first = regex ? 0 : 1;
  let out = '';
  let references = 0;
  const refRe = /\$(?:\{([A-Za-z0-9_]+)\}|([0-9]+)|([A-Za-z_][A-Za-z0-9_]*))?/g;
  let last = 0;
  for (const ref of template.matchAll(refRe)) {
    out += template.slice(last, ref.index);
    last = ref.index! + ref[0].length;
    const name = ref[1] ?? ref[2] ?? ref[3];
    if (name === undefined) {
      fail(`${what} has a '$' that starts no capture reference`, 'write $1 or ${1} for a capture; the exporter has no escape for a literal \'$\'');
    }
    if (/^[0-9]+$/.test(name!)) {
      const n = Number(name);
      if (n < first || n > captures.count) {
        fail(`${what} uses $${n}, but the match has ${captures.count} capture${captures.count === 1 ? '' : 's'}`, 'refer only to the match\'s captures ($1 for the first \'*\' or group)');
      }
    } else if (!regex || !captures.names.includes(name!)) {
      fail(`${what} uses \${${name}}, which names no capture of the match`,
        regex ? 'refer to a numbered capture ($1, or ${1} before a letter, digit or \'_\') or to a named group (?P<name>...)' : 'refer to the glob\'s captures by number: $1 for the first \'*\'');
    }
    out += `\${${name}}`;
    references++;
  }
  out += template.slice(last);
  // The glob formatter runs a template with references through fmt.Sprintf; without one it is kept as it is.
  return !regex && references > 0 ? out.replace(/%/g, '%%') : out;
}
