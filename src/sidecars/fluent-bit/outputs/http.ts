import { FluentBitBasicAuth, FluentBitOutputOptions } from './options';
import { Entry, headerEntries, OutputChecks, OutputPlugin, URI_PATH } from './plugin';

/**
 * The body format of the `http` output.
 */
export enum FluentBitHttpFormat {
  /** One JSON array of records per request. */
  JSON = 'json',
  /** One JSON record per line. */
  JSON_LINES = 'json_lines',
  /** JSON records one after another. */
  JSON_STREAM = 'json_stream',
  /** MessagePack. */
  MSGPACK = 'msgpack',
  /** Graylog Extended Log Format. */
  GELF = 'gelf',
}

/**
 * Options of the `http` output.
 */
export interface FluentBitHttpOptions extends FluentBitOutputOptions {
  /** The HTTP server's host name or IP address. */
  readonly host: string;

  /**
   * The port.
   *
   * @default - 443 with `tls`, else 80
   */
  readonly port?: number;

  /**
   * The request path.
   *
   * @default '/'
   */
  readonly uri?: string;

  /**
   * The body format.
   *
   * @default FluentBitHttpFormat.JSON
   */
  readonly format?: FluentBitHttpFormat;

  /**
   * Extra request headers.
   *
   * @default - none
   */
  readonly headers?: { [name: string]: string };

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
 * The `http` plugin. Made by `FluentBitOutput.http()`.
 *
 * @internal
 */
export class HttpPlugin extends OutputPlugin {
  public constructor(private readonly http: FluentBitHttpOptions) {
    super('http', http);
  }

  public entries(checks: OutputChecks): Entry[] {
    const o = this.http;
    const headers = headerEntries(checks, o.headers);
    return [
      ['host', checks.host('host', o.host)],
      ['port', checks.port('port', o.port ?? (o.tls ? 443 : 80))],
      ['uri', checks.pattern('uri', o.uri ?? '/', URI_PATH, 'pass an absolute path such as \'/logs\'')],
      ['format', checks.vocabulary.oneOf('format', o.format ?? FluentBitHttpFormat.JSON, FluentBitHttpFormat, 'FluentBitHttpFormat')],
      ...headers,
      ...checks.auth(o.auth, 'http_user', 'http_passwd'),
      ...checks.tls(o.tls, o.tlsVerify),
    ];
  }
}

