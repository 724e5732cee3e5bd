import { onOff } from '../yaml';
import { FluentBitBasicAuth, FluentBitOutputOptions } from './options';
import { Entry, OutputChecks, OutputPlugin } from './plugin';

const INDEX = /^[a-z0-9][a-z0-9_.+-]*$/;
const INDEX_FIX = 'use lower-case letters, digits, \'_\', \'.\', \'+\' and \'-\'';

/**
 * Options of the `es` (Elasticsearch / OpenSearch-compatible) output.
 */
export interface FluentBitElasticsearchOptions extends FluentBitOutputOptions {
  /** The Elasticsearch host name or IP address. */
  readonly host: string;

  /**
   * The port.
   *
   * @default 9200
   */
  readonly port?: number;

  /**
   * The index to write to (ignored with `logstashPrefix`).
   *
   * @default 'fluent-bit'
   */
  readonly index?: string;

  /**
   * Write to daily indices `<logstashPrefix>-YYYY.MM.DD` (Logstash_Format).
   *
   * @default - a single index (`index`)
   */
  readonly logstashPrefix?: string;

  /**
   * Leave out the mapping type, as Elasticsearch 8 requires.
   *
   * @default true
   */
  readonly suppressTypeName?: boolean;

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
 * The `es` plugin. Made by `FluentBitOutput.elasticsearch()`.
 *
 * @internal
 */
export class ElasticsearchPlugin extends OutputPlugin {
  public constructor(private readonly es: FluentBitElasticsearchOptions) {
    super('es', es);
  }

  public entries(checks: OutputChecks): Entry[] {
    const o = this.es;
    const index: Entry[] = o.logstashPrefix !== undefined
      ? [['logstash_format', 'on'], ['logstash_prefix', checks.pattern('logstashPrefix', o.logstashPrefix, INDEX, INDEX_FIX)]]
      : [['index', checks.pattern('index', o.index ?? 'fluent-bit', INDEX, INDEX_FIX)]];
    return [
      ['host', checks.host('host', o.host)],
      ['port', checks.port('port', o.port ?? 9200)],
      ...index,
      ['suppress_type_name', onOff(o.suppressTypeName ?? true)],
      ...checks.auth(o.auth, 'http_user', 'http_passwd'),
      ...checks.tls(o.tls, o.tlsVerify),
    ];
  }
}
