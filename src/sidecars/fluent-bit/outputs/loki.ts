import { FluentBitBasicAuth, FluentBitOutputOptions } from './options';
import { Entry, OutputChecks, OutputPlugin } from './plugin';
import { shown } from '../../../core/checks';

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_VALUE = /^(\$[A-Za-z0-9_]+(\['[A-Za-z0-9_.-]+'\])*|[A-Za-z0-9_.:/-]+)$/;
const TENANT = /^[A-Za-z0-9_.!*'()-]+$/;

/**
 * How the `loki` output writes each log line.
 */
export enum FluentBitLokiLineFormat {
  /** The record as JSON. */
  JSON = 'json',
  /** The record as `key=value` pairs. */
  KEY_VALUE = 'key_value',
}

/**
 * Options of the `loki` output.
 */
export interface FluentBitLokiOptions extends FluentBitOutputOptions {
  /** The Loki host name or IP address. */
  readonly host: string;

  /**
   * The port.
   *
   * @default 3100
   */
  readonly port?: number;

  /**
   * Stream labels: a fixed value, or `$key` to take the value from the record
   * (for example `{ namespace: '$namespace' }`).
   *
   * @default { job: 'fluent-bit' }
   */
  readonly labels?: { [name: string]: string };

  /**
   * The tenant (`X-Scope-OrgID`).
   *
   * @default - none
   */
  readonly tenantId?: string;

  /**
   * How each line is written.
   *
   * @default FluentBitLokiLineFormat.JSON
   */
  readonly lineFormat?: FluentBitLokiLineFormat;

  /**
   * Basic authentication.
   *
   * @default - none
   */
  readonly auth?: FluentBitBasicAuth;

  /**
   * Use TLS.
   *
   * @default false
   */
  readonly tls?: boolean;

  /**
   * Verify the server certificate (with `tls`).
   *
   * @default true
   */
  readonly tlsVerify?: boolean;
}

/**
 * The `loki` plugin. Made by `FluentBitOutput.loki()`.
 *
 * @internal
 */
export class LokiPlugin extends OutputPlugin {
  public constructor(private readonly loki: FluentBitLokiOptions) {
    super('loki', loki);
  }

  public entries(checks: OutputChecks): Entry[] {
    const o = this.loki;
    const labels = Object.entries(o.labels ?? { job: 'fluent-bit' });
    if (labels.length === 0) {
      checks.fail('the Loki output has no labels', 'pass at least one label (Loki needs a stream label)');
    }
    for (const [label, value] of labels) {
      if (!LABEL.test(label)) {
        checks.fail(`Loki label name ${shown(label)} is not valid`, 'use letters, digits and \'_\', not starting with a digit');
      }
      if (typeof value !== 'string' || !LABEL_VALUE.test(value)) {
        checks.fail(`Loki label '${label}' has the value ${shown(value)}, which is neither a plain value nor a record key`,
          'use letters, digits, \'_\', \'.\', \':\', \'/\', \'-\', or \'$key\' for a record key');
      }
    }
    const tenant: Entry[] = o.tenantId !== undefined
      ? [['tenant_id', checks.pattern('tenantId', o.tenantId, TENANT, 'use letters, digits and \'_\', \'.\', \'-\'')]]
      : [];
    return [
      ['host', checks.host('host', o.host)],
      ['port', checks.port('port', o.port ?? 3100)],
      ['labels', labels.map(([k, v]) => `${k}=${v}`).join(', ')],
      ...tenant,
      ['line_format', checks.vocabulary.oneOf('lineFormat', o.lineFormat ?? FluentBitLokiLineFormat.JSON, FluentBitLokiLineFormat, 'FluentBitLokiLineFormat')],
      ...checks.auth(o.auth, 'http_user', 'http_passwd'),
      ...checks.tls(o.tls, o.tlsVerify),
    ];
  }
}
