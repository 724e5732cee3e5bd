import * as kplus from 'cdk8s-plus-28';
import { FluentBitBasicAuth, FluentBitOutputOptions } from './options';
import { Entry, headerEntries, OutputChecks, OutputPlugin, URI_PATH } from './plugin';

/**
 * Options of the `opentelemetry` output (OTLP over HTTP, protobuf).
 */
export interface FluentBitOpenTelemetryOptions extends FluentBitOutputOptions {
  /** The OTLP receiver's host name or IP address (a collector, or a vendor's endpoint). */
  readonly host: string;

  /**
   * The port.
   *
   * @default 4318
   */
  readonly port?: number;

  /**
   * The path logs are posted to.
   *
   * @default '/v1/logs'
   */
  readonly logsUri?: string;

  /**
   * Extra request headers (plain values: use `bearerToken` for a secret).
   *
   * @default - none
   */
  readonly headers?: { [name: string]: string };

  /**
   * A bearer token, sent as `Authorization: Bearer <token>`; it becomes an
   * environment variable of the sidecar (use `kplus.EnvValue.fromSecretValue`).
   *
   * @default - none
   */
  readonly bearerToken?: kplus.EnvValue;

  /**
   * Basic authentication.
   *
   * @default - none
   */
  readonly auth?: FluentBitBasicAuth;

  /**
   * Compress the requests with gzip.
   *
   * @default false
   */
  readonly compress?: boolean;

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
 * The `opentelemetry` plugin. Made by `FluentBitOutput.openTelemetry()`.
 *
 * @internal
 */
export class OpenTelemetryPlugin extends OutputPlugin {
  public constructor(private readonly otel: FluentBitOpenTelemetryOptions) {
    super('opentelemetry', otel);
  }

  public entries(checks: OutputChecks): Entry[] {
    const o = this.otel;
    const headers = headerEntries(checks, o.headers);
    if (o.bearerToken !== undefined) {
      if (Object.keys(o.headers ?? {}).some(h => h.toLowerCase() === 'authorization')) {
        checks.fail('\'bearerToken\' and an Authorization header are both set', 'keep one of them');
      }
      const token = `Authorization Bearer ${checks.envReference('TOKEN', o.bearerToken)}`;
      if (headers.length === 0) headers.push(['header', [token]]);
      else (headers[0][1] as string[]).push(token);
    }
    return [
      ['host', checks.host('host', o.host)],
      ['port', checks.port('port', o.port ?? 4318)],
      ['logs_uri', checks.pattern('logsUri', o.logsUri ?? '/v1/logs', URI_PATH, 'pass an absolute path such as \'/v1/logs\'')],
      ...headers,
      ...checks.auth(o.auth, 'http_user', 'http_passwd'),
      ...(o.compress ? [['compress', 'gzip'] as Entry] : []),
      ...checks.tls(o.tls, o.tlsVerify),
    ];
  }
}
