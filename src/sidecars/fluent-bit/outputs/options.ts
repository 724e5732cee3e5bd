import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

/**
 * HTTP basic authentication for an output. The password never lands in the
 * ConfigMap: it is set as an environment variable of the Fluent Bit container
 * (use `kplus.EnvValue.fromSecretValue(...)`) and referenced as `${NAME}`.
 */
export interface FluentBitBasicAuth {
  /** The user name. */
  readonly user: string;

  /** The password, typically `kplus.EnvValue.fromSecretValue({ secret, key })`. */
  readonly password: kplus.EnvValue;
}

/**
 * What every output accepts.
 */
export interface FluentBitOutputOptions {
  /**
   * The output's name (Fluent Bit's `alias`): it names the output in the metrics
   * (`name` label) and must be unique among the sidecar's outputs.
   *
   * @default - Fluent Bit's own name, `<plugin>.<index>` (for example `forward.0`)
   */
  readonly name?: string;

  /**
   * The tags the output receives (Fluent Bit `Match` pattern).
   *
   * @default '*'
   */
  readonly match?: string;

  /**
   * How many times a failed chunk is retried before it is dropped (and counted in
   * `fluentbit_output_retries_failed_total`).
   *
   * @default 5 (stdout: Fluent Bit's own default)
   */
  readonly retryLimit?: number;

  /**
   * The most this output may hold in the filesystem buffer
   * (`storage.total_limit_size`). When it is reached, Fluent Bit drops the
   * output's oldest chunks to make room (counted in
   * `fluentbit_output_dropped_records_total`, alert FluentBitRecordsDropped); the
   * sidecar's state volume is sized from the sum of these limits.
   *
   * @default Size.mebibytes(128)
   */
  readonly bufferLimit?: Size;

  /**
   * More plugin properties, rendered after the typed ones. Keys are plain
   * identifiers; values are single-line strings (`${NAME}` references are expanded
   * from the container's environment). A key the typed options already set, or
   * `name`/`match`/`match_regex`/`alias`/`storage.total_limit_size`, is an error
   * (in any letter case: Fluent Bit's keys are case-insensitive).
   *
   * @default - none
   */
  readonly properties?: { [key: string]: string };
}
