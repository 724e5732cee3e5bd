import * as kplus from 'cdk8s-plus-28';
import { Checks, shown } from '../../../core/checks';
import { confValueProblem, onOff } from '../conf';
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

/** One `key value` line of an `[OUTPUT]` section. */
export type Entry = [string, string];

/** An output, bound to its place in the config. */
export interface BoundOutput {
  /** The `[OUTPUT]` lines. */
  readonly entries: Entry[];
  /** The environment they reference. */
  readonly env: { [name: string]: kplus.EnvValue };
}

/** Raises a problem of one output (the output's label is added by `FluentBitOutput`). */
export type OutputFail = (problem: string, fix: string) => never;

const HOST = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$/;

/**
 * One output plugin: its name, its options and its typed `[OUTPUT]` lines.
 */
export abstract class OutputPlugin {
  protected constructor(
    /** The plugin (Fluent Bit's `Name`). */
    public readonly plugin: string,
    /** The options every output has. */
    public readonly options: FluentBitOutputOptions,
    /** Whether `Retry_Limit` is rendered when the user sets none. */
    public readonly defaultRetries = true,
  ) {}

  /** The plugin's typed lines, checked with `checks`. */
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

  public constructor(public readonly fail: OutputFail, private readonly envPrefix: string) {
    this.vocabulary = new Checks((_code, problem, fix) => fail(problem, fix));
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

  /** Any value that stays one value on its own line. */
  public value(what: string, value: string): string {
    const problem = typeof value === 'string' ? confValueProblem(value) : 'the value is not a string';
    if (problem !== undefined) {
      this.fail(`${what}: ${problem}`, 'pass a single-line value that does not start with \'[\' or \'@\'');
    }
    return value;
  }

  /** The TLS lines. */
  public tls(tls: boolean | undefined, verify: boolean | undefined): Entry[] {
    if (!tls) {
      if (verify !== undefined) {
        this.fail('\'tlsVerify\' is set but \'tls\' is off', 'set \'tls: true\', or leave \'tlsVerify\' unset');
      }
      return [];
    }
    return [['tls', 'On'], ['tls.verify', onOff(verify ?? true)]];
  }

  /** The basic-auth lines; the password goes to an environment variable. */
  public auth(auth: FluentBitBasicAuth | undefined, userKey: string, passwordKey: string): Entry[] {
    if (auth === undefined) return [];
    const variable = `${this.envPrefix}_PASSWORD`;
    this.env[variable] = auth.password;
    return [[userKey, this.value('\'auth.user\'', auth.user)], [passwordKey, `\${${variable}}`]];
  }
}
