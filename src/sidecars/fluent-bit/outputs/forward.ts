import { FluentBitOutputOptions } from './options';
import { Entry, OutputChecks, OutputPlugin } from './plugin';

/**
 * Options of the `forward` output (Fluentd / Fluent Bit aggregator).
 */
export interface FluentBitForwardOptions extends FluentBitOutputOptions {
  /** The aggregator's host name or IP address. */
  readonly host: string;

  /**
   * The aggregator's port.
   *
   * @default 24224
   */
  readonly port?: number;

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
 * The `forward` plugin. Made by `FluentBitOutput.forward()`.
 *
 * @internal
 */
export class ForwardPlugin extends OutputPlugin {
  public constructor(private readonly forward: FluentBitForwardOptions) {
    super('forward', forward);
  }

  public entries(checks: OutputChecks): Entry[] {
    const o = this.forward;
    return [
      ['host', checks.host('host', o.host)],
      ['port', checks.port('port', o.port ?? 24224)],
      ...checks.tls(o.tls, o.tlsVerify),
    ];
  }
}
