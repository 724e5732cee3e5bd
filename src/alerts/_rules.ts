import { AlertSeverity, AlertThresholdUnit } from './pack';
import { Fail } from '../core/errors';

/**
 * Internal: what alert packs are made of, and the PromQL helpers they share. Nothing
 * here is exported from the package.
 */

/**
 * A sidecar as the rules see it.
 */
export interface AlertTarget {
  readonly container: string;
  readonly namespace?: string;
  /** The sidecar runs as an init container (native sidecar, or once-only). */
  readonly init: boolean;
  /** The sidecar runs for the pod's life (not a once-only init container). */
  readonly longRunning: boolean;
  /** Prometheus scrapes its metrics. */
  readonly scraped: boolean;
}

/**
 * One generated alert.
 */
export interface AlertDefinition {
  readonly alert: string;
  readonly summary: string;
  readonly description: string;
  readonly severity: AlertSeverity;
  /** Seconds; 0 for none. */
  readonly forSeconds: number;
  readonly threshold?: { readonly value: number; readonly unit: AlertThresholdUnit };
  /** The alert reads the sidecar's own metrics: only scraped sidecars count. */
  readonly scrapedOnly: boolean;
  /** The PromQL, or undefined when no target applies. */
  readonly expr: (targets: AlertTarget[], threshold: number) => string | undefined;
  /**
   * The expression is the user's (`AlertPack.custom`): SidecarAlerts checks it with
   * Prometheus's grammar at synth. The library's own packs are checked by its tests
   * (lezer-promql and promtool, on every shape of target and threshold).
   */
  readonly userWritten?: boolean;
}

const ALERT_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** An alert name Prometheus accepts. */
export function checkAlertName(fail: Fail, alert: string): void {
  if (typeof alert !== 'string' || !ALERT_NAME.test(alert)) {
    fail('ALERT_NAME_INVALID', `'${alert}' is not a valid alert name`, 'use letters, digits and \'_\', not starting with a digit');
  }
}

/** A one-sentence summary. */
export function checkSummary(fail: Fail, summary: string): void {
  if (typeof summary !== 'string' || summary.trim() === '') {
    fail('ALERT_SUMMARY_MISSING', 'the alert has no summary', 'say in one sentence what is wrong');
  }
}

/** `{{ namespace }}/{{ pod }}` in alert descriptions. */
export const WHERE = '{{ $labels.namespace }}/{{ $labels.pod }}';
/** The labels every per-sidecar aggregation keeps. */
export const BY = 'namespace, pod, container';
/** Leaves out pods that are being deleted. */
export const NOT_DELETING = 'unless on (namespace, pod) kube_pod_deletion_timestamp';

/** The label matchers that select exactly these sidecars' containers. */
export function matchers(targets: AlertTarget[]): string {
  const namespace = namespaceMatcher(targets);
  return namespace === undefined ? containerMatcher(targets) : `${namespace}, ${containerMatcher(targets)}`;
}

/** The matcher of the sidecars' namespaces; undefined when one has none (it may be in any). */
export function namespaceMatcher(targets: AlertTarget[]): string | undefined {
  if (targets.length === 0 || targets.some(t => t.namespace === undefined)) return undefined;
  return eq('namespace', unique(targets.map(t => t.namespace!)));
}

/** The matcher of the sidecars' exact container names. */
export function containerMatcher(targets: AlertTarget[]): string {
  return eq('container', unique(targets.map(t => t.container)));
}

function eq(label: string, values: string[]): string {
  // Container names and namespaces are checked DNS labels, but quote and escape all the
  // same, so no value can add or widen a matcher.
  return values.length === 1
    ? `${label}=${promString(values[0])}`
    : `${label}=~${promString(values.map(v => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'))}`;
}

/** A PromQL double-quoted string literal (Go escapes, which JSON's are a subset of). */
function promString(value: string): string {
  return JSON.stringify(value);
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/**
 * How much the counter `series` (a selector) grew in `window`: the increase of the series
 * that existed `window` ago, and the whole value of those created since (`increase()` sees
 * nothing of the burst that creates a series, such as an error counter's first error).
 */
export function grownIn(series: string, window: string): string {
  return `(increase(${series}[${window}]) and ${series} offset ${window}) or (${series} unless ${series} offset ${window})`;
}

/** `a or b` of the non-empty parts. */
export function either(...parts: Array<string | undefined>): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return present.map(p => `(${p})`).join('\nor\n');
}

/**
 * Native and legacy variants of a kube-state-metrics expression, each given the
 * `select`-ed matchers of its sidecars (the rules' exact `matchers` unless told otherwise).
 */
export function perPlacement(
  targets: AlertTarget[],
  build: (family: 'init_container' | 'container', m: string) => string,
  select: (targets: AlertTarget[]) => string = matchers,
): string | undefined {
  const init = targets.filter(t => t.init);
  const plain = targets.filter(t => !t.init);
  return either(
    init.length > 0 ? build('init_container', select(init)) : undefined,
    plain.length > 0 ? build('container', select(plain)) : undefined,
  );
}
