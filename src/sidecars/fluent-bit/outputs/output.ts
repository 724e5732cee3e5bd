import { Fail } from '../../../core/errors';
import { printable, TAG, yamlKeyProblem } from '../yaml';
import { CloudWatchLogsPlugin, FluentBitCloudWatchLogsOptions } from './cloudwatch-logs';
import { CustomPlugin, FluentBitCustomOutputOptions } from './custom';
import { ElasticsearchPlugin, FluentBitElasticsearchOptions } from './elasticsearch';
import { FluentBitForwardOptions, ForwardPlugin } from './forward';
import { FluentBitHttpOptions, HttpPlugin } from './http';
import { FluentBitLokiOptions, LokiPlugin } from './loki';
import { FluentBitOpenTelemetryOptions, OpenTelemetryPlugin } from './opentelemetry';
import { BoundOutput, DEFAULT_BUFFER_LIMIT, Entry, OUTPUT_INVALID, OutputChecks, OutputPlugin } from './plugin';
import { FluentBitS3Options, S3Plugin } from './s3';
import { FluentBitStdoutOptions, StdoutPlugin } from './stdout';

/** Keys the sidecar sets on every output; extra properties may not set them. */
const RESERVED_KEYS = ['name', 'match', 'match_regex', 'alias', 'storage.total_limit_size'];

const ALIAS = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Where Fluent Bit sends the logs: one entry of `pipeline.outputs`. Several
 * outputs can be used at once.
 */
export class FluentBitOutput {
  /**
   * Fluentd's forward protocol, to a Fluentd or Fluent Bit aggregator.
   */
  public static forward(options: FluentBitForwardOptions): FluentBitOutput {
    return new FluentBitOutput(new ForwardPlugin(options));
  }

  /**
   * The container's stdout, one JSON record per line (for `kubectl logs` and
   * node-level collectors).
   */
  public static stdout(options: FluentBitStdoutOptions = {}): FluentBitOutput {
    return new FluentBitOutput(new StdoutPlugin(options));
  }

  /**
   * Elasticsearch (the `es` plugin).
   */
  public static elasticsearch(options: FluentBitElasticsearchOptions): FluentBitOutput {
    return new FluentBitOutput(new ElasticsearchPlugin(options));
  }

  /**
   * Grafana Loki.
   */
  public static loki(options: FluentBitLokiOptions): FluentBitOutput {
    return new FluentBitOutput(new LokiPlugin(options));
  }

  /**
   * Any HTTP endpoint.
   */
  public static http(options: FluentBitHttpOptions): FluentBitOutput {
    return new FluentBitOutput(new HttpPlugin(options));
  }

  /**
   * OpenTelemetry (OTLP/HTTP, protobuf) to a collector or any OTLP endpoint: the
   * `opentelemetry` plugin, logs to `logsUri` (`/v1/logs`).
   */
  public static openTelemetry(options: FluentBitOpenTelemetryOptions): FluentBitOutput {
    return new FluentBitOutput(new OpenTelemetryPlugin(options));
  }

  /**
   * Amazon CloudWatch Logs (the `cloudwatch_logs` plugin). Credentials come from
   * the pod's identity (IRSA or EKS Pod Identity) or from environment variables
   * set from Secrets (`credentials`): never from the ConfigMap.
   */
  public static cloudWatchLogs(options: FluentBitCloudWatchLogsOptions): FluentBitOutput {
    return new FluentBitOutput(new CloudWatchLogsPlugin(options));
  }

  /**
   * Amazon S3 or an S3-compatible store (the `s3` plugin, `endpoint` for MinIO and
   * friends). Credentials as for `cloudWatchLogs`.
   */
  public static s3(options: FluentBitS3Options): FluentBitOutput {
    return new FluentBitOutput(new S3Plugin(options));
  }

  /**
   * Any other output plugin, with its properties in `properties`.
   */
  public static custom(options: FluentBitCustomOutputOptions): FluentBitOutput {
    return new FluentBitOutput(new CustomPlugin(options));
  }

  /** The plugin (Fluent Bit's `Name`). */
  public readonly plugin: string;

  /** The output's name (`alias`), when one was given. */
  public readonly name?: string;

  private readonly impl: OutputPlugin;

  private constructor(impl: OutputPlugin) {
    this.impl = impl;
    this.plugin = impl.plugin;
    this.name = impl.options.name;
  }

  /**
   * The output's name in Fluent Bit (and in its metrics' `name` label) when it is
   * the `index`th output.
   *
   * @internal
   */
  public _nameAt(index: number): string {
    return this.name ?? `${this.plugin}.${index}`;
  }

  /**
   * The output's properties and the environment they reference, with every value
   * checked: the checks every output shares here, the plugin's own in its file.
   * Problems are raised through `fail`, labelled with the output.
   *
   * @internal
   */
  public _bind(index: number, fail: Fail, stateDir: string, filesystem: boolean): BoundOutput {
    const label = `output ${index} (${printable(String(this.plugin))})`;
    const checks = new OutputChecks((problem, fix) => fail(OUTPUT_INVALID, `${label}: ${problem}`, fix), `FLB_OUTPUT_${index}`,
      `${stateDir}/${this.plugin}.${index}`, this.impl.options.bufferLimit ?? DEFAULT_BUFFER_LIMIT);
    const o = this.impl.options;
    const head: Entry[] = [['name', this.plugin]];
    if (o.name !== undefined) {
      head.push(['alias', checks.pattern('name', o.name, ALIAS, 'use letters, digits, \'_\', \'.\' and \'-\'')]);
    }
    head.push(['match', checks.pattern('match', o.match ?? '*', TAG, 'use a tag pattern of letters, digits, \'_\', \'.\', \'-\' and \'*\'')]);
    const body = this.impl.entries(checks);
    const retries = o.retryLimit ?? (this.impl.defaultRetries ? 5 : undefined);
    const tail: Entry[] = retries === undefined ? [] : [['retry_limit', String(checks.vocabulary.integer('retryLimit', retries, 1))]];
    const bufferMebibytes = checks.vocabulary.mebibytes('bufferLimit', checks.bufferLimit);
    if (filesystem) tail.push(['storage.total_limit_size', `${bufferMebibytes}M`]);
    const taken = new Set([...head, ...body, ...tail].map(([k]) => k.toLowerCase()));
    const extra: Entry[] = Object.entries(o.properties ?? {}).map(([key, value]): Entry => {
      const keyProblem = yamlKeyProblem(key);
      if (keyProblem !== undefined) {
        checks.fail(`property ${keyProblem}`, 'use the plugin\'s property name as documented by Fluent Bit');
      }
      if (RESERVED_KEYS.includes(key.toLowerCase())) {
        checks.fail(`property '${key}' is set by the sidecar`, 'use the \'name\' and \'match\' options instead');
      }
      if (taken.has(key.toLowerCase())) {
        checks.fail(`property '${key}' is already set by the output's options`, `remove '${key}' from 'properties' and use the typed option`);
      }
      taken.add(key.toLowerCase());
      return [key, checks.value(`property '${key}'`, value)];
    });
    // On the state volume: the output's share of the filesystem buffer, and the S3
    // output's own store_dir (limited to the same size).
    const diskMebibytes = (filesystem ? bufferMebibytes : 0) + (this.impl.keepsFiles ? bufferMebibytes : 0);
    return { entries: [...head, ...body, ...tail, ...extra], env: checks.env, diskMebibytes };
  }
}
