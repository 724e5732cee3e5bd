import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Checks, shown } from '../../../core/checks';
import { onOff, yamlValueProblem } from '../yaml';
import { FluentBitAwsCredentials } from './aws';
import { FluentBitBasicAuth, FluentBitOutputOptions } from './options';

/**
 * Internal: what every output plugin file shares: the plugin base class and the
 * checks of one output's values. Nothing here is exported from the package.
 *
 * `FluentBitOutput` (output.ts) wraps one `OutputPlugin`, made by its factories; the
 * plugin files import only this module and `options.ts`, so there is no import cycle.
 */

/** The code of every problem with the outputs. */
export const OUTPUT_INVALID = 'FLUENT_BIT_OUTPUT_INVALID';

/** One property of an output: a value, or a list of values (the property set once per item). */
export type Entry = [string, string | string[]];

/** An output, bound to its place in the config. */
export interface BoundOutput {
  /** The output's properties, in order. */
  readonly entries: Entry[];
  /** The environment they reference. */
  readonly env: { [name: string]: kplus.EnvValue };
  /** The room the output needs on the state volume. */
  readonly diskMebibytes: number;
}

/** Raises a problem of one output (the output's label is added by `FluentBitOutput`). */
export type OutputFail = (problem: string, fix: string) => never;

/** The fix of every value that must stay one line of text. */
export const ONE_LINE_FIX = 'pass a single line of text without control characters or surrounding spaces';
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;
const ENDPOINT = /^https?:\/\/[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;
/** The default of `bufferLimit`. */
export const DEFAULT_BUFFER_LIMIT = Size.mebibytes(128);
/** An HTTP request path (`uri`, `logs_uri`): absolute, of RFC 3986 path characters. */
export const URI_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+;=:@%/]*$/;
const HOST = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$/;

/**
 * One output plugin: its name, its options and its typed properties.
 */
export abstract class OutputPlugin {
  protected constructor(
    /** The plugin (Fluent Bit's `Name`). */
    public readonly plugin: string,
    /** The options every output has. */
    public readonly options: FluentBitOutputOptions,
    /** Whether `retry_limit` is rendered when the user sets none. */
    public readonly defaultRetries = true,
    /** Whether the plugin keeps files of its own in `OutputChecks.storeDir`. */
    public readonly keepsFiles = false,
  ) {}

  /** The plugin's typed properties, checked with `checks`. */
  public abstract entries(checks: OutputChecks): Entry[];
}

/**
 * The checks of one output's values; each returns the value as it is rendered. A
 * failed check raises through `fail`; the checks vocabulary's words are kept.
 */
export class OutputChecks {
  /** The environment the output's lines reference (passwords). */
  public readonly env: { [name: string]: kplus.EnvValue } = {};
  /** The checks vocabulary, raising through `fail`. */
  public readonly vocabulary: Checks;

  public constructor(
    public readonly fail: OutputFail,
    private readonly envPrefix: string,
    /** The directory the output may keep files of its own in (on the state volume). */
    public readonly storeDir: string,
    /** The output's filesystem buffer limit. */
    public readonly bufferLimit: Size,
  ) {
    this.vocabulary = new Checks((_code, problem, fix) => fail(problem, fix));
  }

  /** Static AWS credentials: the container's AWS_* environment variables (one set per container). */
  public awsCredentials(credentials: FluentBitAwsCredentials): void {
    this.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    this.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    if (credentials.sessionToken !== undefined) this.env.AWS_SESSION_TOKEN = credentials.sessionToken;
  }

  /** A DNS name or an IP address. */
  public host(prop: string, host: string): string {
    if (typeof host !== 'string' || !HOST.test(host)) {
      this.fail(`'${prop}' ${shown(host)} is not a valid host name or IP address`, 'pass a DNS name (such as \'fluentd-aggregator.logging\') or an IP address');
    }
    return host;
  }

  /** A port number. */
  public port(prop: string, port: number): string {
    return String(this.vocabulary.port(prop, port));
  }

  /** A value matching `pattern`. */
  public pattern(prop: string, value: string, pattern: RegExp, fix: string): string {
    if (typeof value !== 'string' || !pattern.test(value)) {
      this.fail(`'${prop}' ${shown(value)} is not valid`, fix);
    }
    return value;
  }

  /** Any value that stays one value: one line of text, no control characters. */
  public value(what: string, value: string): string {
    const problem = yamlValueProblem(value);
    if (problem !== undefined) {
      this.fail(`${what}: ${problem}`, ONE_LINE_FIX);
    }
    return value;
  }

  /** The TLS properties. */
  public tls(tls: boolean | undefined, verify: boolean | undefined): Entry[] {
    if (!tls) {
      if (verify !== undefined) {
        this.fail('\'tlsVerify\' is set but \'tls\' is off', 'set \'tls: true\', or leave \'tlsVerify\' unset');
      }
      return [];
    }
    return [['tls', 'on'], ['tls.verify', onOff(verify ?? true)]];
  }

  /** The basic-auth properties; the password goes to an environment variable. */
  public auth(auth: FluentBitBasicAuth | undefined, userKey: string, passwordKey: string): Entry[] {
    if (auth === undefined) return [];
    return [[userKey, this.value('\'auth.user\'', auth.user)], [passwordKey, this.envReference('PASSWORD', auth.password)]];
  }

  /**
   * `value` as the container's environment variable `<prefix>_<suffix>`, referenced as
   * `${...}` (Fluent Bit expands it when it reads the property): how a secret stays out
   * of the ConfigMap.
   */
  public envReference(suffix: string, value: kplus.EnvValue): string {
    const variable = `${this.envPrefix}_${suffix}`;
    this.env[variable] = value;
    return `\${${variable}}`;
  }

  /** An AWS region, such as `eu-west-1`. */
  public region(prop: string, region: string): string {
    return this.pattern(prop, region, AWS_REGION, 'pass an AWS region such as \'eu-west-1\'');
  }

  /** An endpoint override: an http(s) URL of a host and an optional port, no path. */
  public endpoint(prop: string, endpoint: string): string {
    return this.pattern(prop, endpoint, ENDPOINT, 'pass a URL such as \'https://logs.eu-west-1.amazonaws.com\' or \'http://localstack.test:4566\'');
  }

  /** A size in whole MiB, rendered in Fluent Bit's units (`M` is 10^6 bytes, so the value stays below the MiB). */
  public mebibytes(prop: string, size: Size): string {
    return `${this.vocabulary.mebibytes(prop, size)}M`;
  }
}

/**
 * The `header` property (a list: set once per header) of the HTTP-based outputs.
 */
export function headerEntries(checks: OutputChecks, headers: { [name: string]: string } | undefined): Entry[] {
  const values = Object.entries(headers ?? {}).map(([header, value]) => {
    if (!HEADER_NAME.test(header)) {
      checks.fail(`HTTP header name ${shown(header)} is not valid`, 'use an HTTP token (letters, digits, \'-\')');
    }
    return checks.value(`header '${header}'`, `${header} ${value}`);
  });
  return values.length === 0 ? [] : [['header', values]];
}

/**
 * The endpoint, STS and role properties the AWS outputs share, and their credentials.
 */
export function awsEntries(
  checks: OutputChecks,
  o: { endpoint?: string; stsEndpoint?: string; roleArn?: string; credentials?: FluentBitAwsCredentials },
): Entry[] {
  const entries: Entry[] = [];
  if (o.endpoint !== undefined) entries.push(['endpoint', checks.endpoint('endpoint', o.endpoint)]);
  if (o.stsEndpoint !== undefined) entries.push(['sts_endpoint', checks.endpoint('stsEndpoint', o.stsEndpoint)]);
  if (o.roleArn !== undefined) {
    entries.push(['role_arn', checks.pattern('roleArn', o.roleArn, ROLE_ARN, 'pass an IAM role ARN such as \'arn:aws:iam::123456789012:role/logs\'')]);
  }
  if (o.credentials !== undefined) {
    checks.awsCredentials(o.credentials);
  }
  return entries;
}
