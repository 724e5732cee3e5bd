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
   * The output's name (Fluent Bit's `Alias`): it names the output in the metrics
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
   * More plugin properties, rendered after the typed ones. Keys are plain
   * identifiers; values are single-line strings (`${NAME}` references are expanded
   * from the container's environment). A key the typed options already set, or
   * `Name`/`Match`/`Match_Regex`/`Alias`, is an error.
   *
   * @default - none
   */
  readonly properties?: { [key: string]: string };
}
