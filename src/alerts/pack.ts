import { Duration } from 'cdk8s';
import { AlertDefinition, AlertTarget, checkAlertName, checkSummary, matchers } from './_rules';
import { Checks, isDnsLabel } from '../core/checks';
import { failFor } from '../core/errors';

/**
 * Alert packs: the rules one kind of sidecar brings to `SidecarAlerts`. Each named
 * sidecar owns its pack (next to its code, with its promtool tests); the generic pack
 * (restarts, crash loops, readiness) applies to every sidecar; a `Sidecar` of your own
 * can bring a pack made with `AlertPack.custom()`.
 */

/**
 * How urgent an alert is: the `severity` label Alertmanager routes on.
 */
export enum AlertSeverity {
  /** Someone must act now (logs are lost, secrets are not renewed, traffic fails). */
  CRITICAL = 'critical',
  /** Something is wrong and needs attention soon. */
  WARNING = 'warning',
  /** Worth knowing; nobody needs to be woken. */
  INFO = 'info',
}

/**
 * What an alert's threshold counts, which decides the values it accepts.
 */
export enum AlertThresholdUnit {
  /** A number of events or records: any number, 0 or more. */
  COUNT = 'COUNT',
  /** A share: above 0 and at most 1 (0.05 is 5 %). */
  RATIO = 'RATIO',
}

/**
 * One rule of an alert pack of your own.
 */
export interface AlertPackRule {
  /**
   * The alert name (letters, digits and '_', not starting with a digit), unique
   * among every pack.
   */
  readonly alert: string;

  /**
   * The PromQL expression. Write `$sidecar` inside each selector that must match the
   * pack's sidecars: it becomes their exact `namespace` and `container` matchers,
   * e.g. `increase(rclone_errors_total{$sidecar}[10m]) > 0`. Checked with
   * Prometheus's grammar at synth.
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
}

/** The placeholder of a custom rule's expression for the sidecars' matchers. */
const SELECTOR = '$sidecar';

/**
 * The alert rules one kind of sidecar brings to `SidecarAlerts`.
 */
export class AlertPack {
  /**
   * A pack of your own, for a `Sidecar` running a tool the library does not know.
   *
   * @param name the pack's name (its rule group is `sidecar-<name>`)
   * @param rules the rules; each expression uses `$sidecar` for the sidecars' matchers
   */
  public static custom(name: string, rules: AlertPackRule[]): AlertPack {
    if (!isDnsLabel(name)) {
      failFor({ noun: 'alert pack', path: String(name) })('NAME_INVALID', `pack name ${JSON.stringify(name)} is not a DNS label`, 'use lower-case letters, digits and \'-\', at most 63 characters');
    }
    if (rules.length === 0) {
      failFor({ noun: 'alert pack', path: name })('ALERT_PACK_EMPTY', 'the pack has no rules', 'pass at least one rule');
    }
    const seen = new Set<string>();
    return new AlertPack(name, rules.map(r => {
      const fail = failFor({ noun: 'alert pack', path: name, partNoun: 'alert', part: String(r.alert) });
      checkAlertName(fail, r.alert);
      if (seen.has(r.alert)) fail('ALERT_DUPLICATE', `the pack has two alerts named '${r.alert}'`, 'give every rule its own alert name');
      seen.add(r.alert);
      checkSummary(fail, r.summary);
      if (typeof r.expr !== 'string' || !r.expr.includes(SELECTOR)) {
        fail('ALERT_PACK_SELECTOR_MISSING', 'the expression does not use $sidecar, so it would match every container, not the pack\'s sidecars',
          'write $sidecar inside the selectors of the sidecar\'s metrics, e.g. rate(my_errors_total{$sidecar}[5m]) > 0');
      }
      const forSeconds = r.pendingFor === undefined ? 0 : new Checks(fail).seconds('pendingFor', r.pendingFor);
      const severity = new Checks(fail).oneOf('severity', r.severity ?? AlertSeverity.WARNING, AlertSeverity, 'AlertSeverity');
      return {
        alert: r.alert,
        summary: r.summary,
        description: r.description ?? r.summary,
        severity,
        forSeconds,
        scrapedOnly: false,
        expr: (targets: AlertTarget[]) => r.expr.split(SELECTOR).join(matchers(targets)),
        userWritten: true,
      };
    }));
  }

  /** @internal */
  public static _builtIn(name: string, definitions: AlertDefinition[]): AlertPack {
    return new AlertPack(name, definitions);
  }

  /** The pack's name; its rules are the group `sidecar-<name>`. */
  public readonly name: string;

  /** @internal */
  public readonly _definitions: AlertDefinition[];

  private constructor(name: string, definitions: AlertDefinition[]) {
    this.name = name;
    this._definitions = definitions;
  }

  /** The names of the pack's alerts. */
  public get alertNames(): string[] {
    return this._definitions.map(d => d.alert);
  }
}

