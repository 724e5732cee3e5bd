import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ConfError, ConfSection, confKeyProblem, confValueProblem, onOff, printable, renderConf } from './_fluent-bit-conf';
import { TextCache } from './_memo';
import { dnsLabelFrom, isPortNumber, sidecarError, wholeSeconds } from './_util';
import { SidecarImages } from './images';
import { SidecarProfile } from './profile';
import { Sidecar, SidecarKind, SidecarOptions } from './sidecar';

const CONFIG_DIR = '/fluent-bit/etc';
const STATE_DIR = '/var/fluent-bit/state';
/** The distroless base image's `nonroot` user (the image itself declares no USER, so it would run as root). */
const NONROOT_UID = 65532;
/** Time on top of Grace for the last flush cycle and the exit itself. */
const SHUTDOWN_MARGIN_SECONDS = 5;
/** Keys the sidecar sets on every output; extra properties may not set them. */
const RESERVED_OUTPUT_KEYS = ['name', 'match', 'match_regex', 'alias'];

const HOST = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$/;
const TAG = /^[A-Za-z0-9_.*-]+$/;
const ALIAS = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const PLUGIN = /^[a-z][a-z0-9_]*$/;
const PARSER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const FILE_PATTERN = /^[A-Za-z0-9_.*?-]+$/;
const URI = /^\/[A-Za-z0-9\-._~!$&'()*+;=:@%/]*$/;
const ES_INDEX = /^[a-z0-9][a-z0-9_.+-]*$/;
const LOKI_LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LOKI_LABEL_VALUE = /^(\$[A-Za-z0-9_]+(\['[A-Za-z0-9_.-]+'\])*|[A-Za-z0-9_.:/-]+)$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const TENANT = /^[A-Za-z0-9_.!*'()-]+$/;

/** A problem with a user value: what is wrong and how to fix it. */
interface Problem {
  readonly problem: string;
  readonly fix: string;
}

/** An output, bound to its place in the config. */
interface BoundOutput {
  readonly entries: Array<[string, string]>;
  readonly env: { [name: string]: kplus.EnvValue };
  readonly problems: Problem[];
}

/**
 * Fluent Bit's log level.
 */
export enum FluentBitLogLevel {
  /** No logging. */
  OFF = 'off',
  /** Errors only. */
  ERROR = 'error',
  /** Errors and warnings. */
  WARN = 'warn',
  /** Errors, warnings and informational messages. */
  INFO = 'info',
  /** Everything above plus debug messages. */
  DEBUG = 'debug',
  /** Everything (only in builds with trace enabled). */
  TRACE = 'trace',
}

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
 * How the `loki` output writes each log line.
 */
export enum FluentBitLokiLineFormat {
  /** The record as JSON. */
  JSON = 'json',
  /** The record as `key=value` pairs. */
  KEY_VALUE = 'key_value',
}

/**
 * The format of a parser.
 */
export enum FluentBitParserFormat {
  /** JSON. */
  JSON = 'json',
  /** A regular expression with named captures (`regex` is required). */
  REGEX = 'regex',
  /** Labeled tab-separated values. */
  LTSV = 'ltsv',
  /** `key=value` pairs. */
  LOGFMT = 'logfmt',
}

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
 * Options of the `stdout` output (records as JSON lines on the container's stdout).
 */
export interface FluentBitStdoutOptions extends FluentBitOutputOptions {}

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
 * Options of any other output plugin.
 */
export interface FluentBitCustomOutputOptions extends FluentBitOutputOptions {
  /** The plugin name (Fluent Bit's `Name`, for example `kafka` or `s3`). */
  readonly plugin: string;
}

/**
 * Where Fluent Bit sends the logs: one `[OUTPUT]` section. Several outputs can be
 * used at once.
 */
export class FluentBitOutput {
  /**
   * Fluentd's forward protocol, to a Fluentd or Fluent Bit aggregator.
   */
  public static forward(options: FluentBitForwardOptions): FluentBitOutput {
    return new FluentBitOutput('forward', options, checks => [
      ['Host', checks.host('host', options.host)],
      ['Port', checks.port('port', options.port ?? 24224)],
      ...checks.tls(options.tls, options.tlsVerify),
    ]);
  }

  /**
   * The container's stdout, one JSON record per line (for `kubectl logs` and
   * node-level collectors).
   */
  public static stdout(options: FluentBitStdoutOptions = {}): FluentBitOutput {
    return new FluentBitOutput('stdout', options, () => [
      ['Format', 'json_lines'],
    ], false);
  }

  /**
   * Elasticsearch (the `es` plugin).
   */
  public static elasticsearch(options: FluentBitElasticsearchOptions): FluentBitOutput {
    return new FluentBitOutput('es', options, checks => [
      ['Host', checks.host('host', options.host)],
      ['Port', checks.port('port', options.port ?? 9200)],
      ...(options.logstashPrefix !== undefined
        ? [['Logstash_Format', 'On'], ['Logstash_Prefix', checks.match('logstashPrefix', options.logstashPrefix, ES_INDEX, 'use lower-case letters, digits, \'_\', \'.\', \'+\' and \'-\'')]] as Array<[string, string]>
        : [['Index', checks.match('index', options.index ?? 'fluent-bit', ES_INDEX, 'use lower-case letters, digits, \'_\', \'.\', \'+\' and \'-\'')]] as Array<[string, string]>),
      ['Suppress_Type_Name', onOff(options.suppressTypeName ?? true)],
      ...checks.auth(options.auth, 'HTTP_User', 'HTTP_Passwd'),
      ...checks.tls(options.tls, options.tlsVerify),
    ]);
  }

  /**
   * Grafana Loki.
   */
  public static loki(options: FluentBitLokiOptions): FluentBitOutput {
    return new FluentBitOutput('loki', options, checks => {
      const labels = Object.entries(options.labels ?? { job: 'fluent-bit' });
      if (labels.length === 0) {
        checks.fail('the Loki output has no labels', 'pass at least one label (Loki needs a stream label)');
      }
      for (const [label, value] of labels) {
        if (!LOKI_LABEL.test(label)) {
          checks.fail(`Loki label name '${printable(label)}' is not valid`, 'use letters, digits and \'_\', not starting with a digit');
        }
        if (!LOKI_LABEL_VALUE.test(value)) {
          checks.fail(`Loki label '${label}' has the value '${printable(value)}', which is neither a plain value nor a record key`, 'use letters, digits, \'_\', \'.\', \':\', \'/\', \'-\', or \'$key\' for a record key');
        }
      }
      return [
        ['Host', checks.host('host', options.host)],
        ['Port', checks.port('port', options.port ?? 3100)],
        ['Labels', labels.map(([k, v]) => `${k}=${v}`).join(', ')],
        ...(options.tenantId !== undefined ? [['Tenant_ID', checks.match('tenantId', options.tenantId, TENANT, 'use letters, digits and \'_\', \'.\', \'-\'')]] as Array<[string, string]> : []),
        ['Line_Format', options.lineFormat ?? FluentBitLokiLineFormat.JSON],
        ...checks.auth(options.auth, 'HTTP_User', 'HTTP_Passwd'),
        ...checks.tls(options.tls, options.tlsVerify),
      ];
    });
  }

  /**
   * Any HTTP endpoint.
   */
  public static http(options: FluentBitHttpOptions): FluentBitOutput {
    return new FluentBitOutput('http', options, checks => {
      const headers = Object.entries(options.headers ?? {});
      for (const [header, value] of headers) {
        if (!HEADER_NAME.test(header)) {
          checks.fail(`HTTP header name '${printable(header)}' is not valid`, 'use an HTTP token (letters, digits, \'-\')');
        }
        checks.value(`header '${header}'`, `${header} ${value}`);
      }
      return [
        ['Host', checks.host('host', options.host)],
        ['Port', checks.port('port', options.port ?? (options.tls ? 443 : 80))],
        ['URI', checks.match('uri', options.uri ?? '/', URI, 'pass an absolute path such as \'/logs\'')],
        ['Format', options.format ?? FluentBitHttpFormat.JSON],
        ...headers.map(([header, value]) => ['Header', `${header} ${value}`] as [string, string]),
        ...checks.auth(options.auth, 'HTTP_User', 'HTTP_Passwd'),
        ...checks.tls(options.tls, options.tlsVerify),
      ];
    });
  }

  /**
   * Any other output plugin, with its properties in `properties`.
   */
  public static custom(options: FluentBitCustomOutputOptions): FluentBitOutput {
    return new FluentBitOutput(options.plugin, options, checks => {
      if (!PLUGIN.test(options.plugin ?? '')) {
        checks.fail(`'${printable(String(options.plugin))}' is not an output plugin name`, 'pass the plugin\'s name, lower-case letters, digits and \'_\' (for example \'kafka\')');
      }
      return [];
    });
  }

  /** The plugin (Fluent Bit's `Name`). */
  public readonly plugin: string;

  /** The output's name (`Alias`), when one was given. */
  public readonly name?: string;

  private readonly options: FluentBitOutputOptions;
  private readonly retries: boolean;
  private readonly body: (checks: OutputChecks) => Array<[string, string]>;

  private constructor(plugin: string, options: FluentBitOutputOptions, body: (checks: OutputChecks) => Array<[string, string]>, retries = true) {
    this.plugin = plugin;
    this.name = options.name;
    this.options = { ...options };
    this.body = body;
    this.retries = retries;
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
   * The `[OUTPUT]` entries, the environment they reference, and the problems
   * found in the user's values.
   *
   * @internal
   */
  public _bind(index: number): BoundOutput {
    const label = `output ${index} (${this.plugin})`;
    const checks = new OutputChecks(label, `FLB_OUTPUT_${index}`);
    const o = this.options;
    const head: Array<[string, string]> = [['Name', this.plugin]];
    if (o.name !== undefined) {
      head.push(['Alias', checks.match('name', o.name, ALIAS, 'use letters, digits, \'_\', \'.\' and \'-\'')]);
    }
    head.push(['Match', checks.match('match', o.match ?? '*', TAG, 'use a tag pattern of letters, digits, \'_\', \'.\', \'-\' and \'*\'')]);
    const body = this.body(checks);
    if (o.retryLimit !== undefined && (!Number.isInteger(o.retryLimit) || o.retryLimit < 1)) {
      checks.fail(`${label}: retryLimit ${o.retryLimit} is not a positive integer`, 'pass a whole number of retries, 1 or more');
    }
    const tail: Array<[string, string]> = this.retries || o.retryLimit !== undefined ? [['Retry_Limit', String(o.retryLimit ?? 5)]] : [];
    const taken = new Set([...head, ...body, ...tail].map(([k]) => k.toLowerCase()));
    const extra: Array<[string, string]> = [];
    for (const [key, value] of Object.entries(o.properties ?? {})) {
      const keyProblem = confKeyProblem(key);
      if (keyProblem !== undefined) {
        checks.fail(`${label}: property ${keyProblem}`, 'use the plugin\'s property name as documented by Fluent Bit');
        continue;
      }
      if (RESERVED_OUTPUT_KEYS.includes(key.toLowerCase())) {
        checks.fail(`${label}: property '${key}' is set by the sidecar`, 'use the \'name\' and \'match\' options instead');
        continue;
      }
      if (taken.has(key.toLowerCase())) {
        checks.fail(`${label}: property '${key}' is already set by the output's options`, `remove '${key}' from 'properties' and use the typed option`);
        continue;
      }
      taken.add(key.toLowerCase());
      extra.push([key, checks.value(`property '${key}'`, value)]);
    }
    return { entries: [...head, ...body, ...tail, ...extra], env: checks.env, problems: checks.problems };
  }
}

/** Validation helpers for one output; problems are collected, not thrown. */
class OutputChecks {
  public readonly problems: Problem[] = [];
  public readonly env: { [name: string]: kplus.EnvValue } = {};

  public constructor(private readonly label: string, private readonly envPrefix: string) {}

  public fail(problem: string, fix: string): void {
    this.problems.push({ problem: problem.startsWith(this.label) ? problem : `${this.label}: ${problem}`, fix });
  }

  public host(field: string, host: string): string {
    if (typeof host !== 'string' || !HOST.test(host)) {
      this.fail(`${field} '${printable(String(host))}' is not a valid host name or IP address`, 'pass a DNS name (such as \'fluentd-aggregator.logging\') or an IP address');
    }
    return host;
  }

  public port(field: string, port: number): string {
    if (!isPortNumber(port)) {
      this.fail(`${field} ${port} is not a valid port number`, 'use an integer from 1 to 65535');
    }
    return String(port);
  }

  public match(field: string, value: string, pattern: RegExp, fix: string): string {
    if (typeof value !== 'string' || !pattern.test(value)) {
      this.fail(`${field} '${printable(String(value))}' is not valid`, fix);
    }
    return value;
  }

  public value(field: string, value: string): string {
    const problem = typeof value === 'string' ? confValueProblem(value) : 'the value is not a string';
    if (problem !== undefined) {
      this.fail(`${field}: ${problem}`, 'pass a single-line value that does not start with \'[\' or \'@\'');
    }
    return value;
  }

  public tls(tls: boolean | undefined, verify: boolean | undefined): Array<[string, string]> {
    if (!tls) {
      if (verify !== undefined) {
        this.fail('tlsVerify is set but tls is off', 'set \'tls: true\', or leave \'tlsVerify\' unset');
      }
      return [];
    }
    return [['tls', 'On'], ['tls.verify', onOff(verify ?? true)]];
  }

  public auth(auth: FluentBitBasicAuth | undefined, userKey: string, passwordKey: string): Array<[string, string]> {
    if (auth === undefined) return [];
    const variable = `${this.envPrefix}_PASSWORD`;
    this.env[variable] = auth.password;
    return [[userKey, this.value('auth.user', auth.user)], [passwordKey, `\${${variable}}`]];
  }
}

/**
 * A parser in `parsers.conf`, next to the built-in `json` and `docker` parsers.
 */
export interface FluentBitParser {
  /** The parser's name (letters, digits, `_`, `.`, `-`). */
  readonly name: string;

  /** The format. */
  readonly format: FluentBitParserFormat;

  /**
   * The regular expression, with named captures (required for REGEX, not allowed
   * otherwise). Ruby syntax, single line.
   *
   * @default - none
   */
  readonly regex?: string;

  /**
   * The field that holds the record's time.
   *
   * @default - the time the record was read
   */
  readonly timeKey?: string;

  /**
   * The strptime format of `timeKey` (for example `%Y-%m-%dT%H:%M:%S.%L%z`).
   *
   * @default - none
   */
  readonly timeFormat?: string;

  /**
   * Keep the time field in the record after parsing it.
   *
   * @default false
   */
  readonly timeKeep?: boolean;
}

/**
 * Properties of a Fluent Bit sidecar.
 */
export interface FluentBitSidecarProps extends SidecarOptions {
  /**
   * The pod to add the sidecar to: a Deployment, StatefulSet, DaemonSet, Job,
   * CronJob or Pod.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * Where the logs go (at least one).
   */
  readonly outputs: FluentBitOutput[];

  /**
   * The image.
   *
   * @default SidecarImages.FLUENT_BIT
   */
  readonly image?: string;

  /**
   * The directory the app writes its log files to: a shared emptyDir mounted
   * read-write into the app containers and read-only into Fluent Bit.
   *
   * @default '/var/log/app'
   */
  readonly logDir?: string;

  /**
   * The file name pattern Fluent Bit tails in `logDir` (no '/' or ',').
   *
   * @default '*.log'
   */
  readonly logFiles?: string;

  /**
   * The name of the shared log volume (a volume of this name already in the pod
   * is reused).
   *
   * @default 'app-logs'
   */
  readonly logVolumeName?: string;

  /**
   * The size limit of the shared log volume.
   *
   * @default Size.gibibytes(1)
   */
  readonly logVolumeSizeLimit?: Size;

  /**
   * The tag of the tailed records (`*` expands to the file path).
   *
   * @default 'app.*'
   */
  readonly tag?: string;

  /**
   * Parse each line with a parser (a FILTER `parser` on `parseKey`, keeping the
   * other fields).
   *
   * @default true
   */
  readonly parseLogs?: boolean;

  /**
   * The parser for the log lines: `json`, `docker` or one of `parsers`.
   *
   * @default 'json'
   */
  readonly parser?: string;

  /**
   * The record field that holds the raw line.
   *
   * @default 'log'
   */
  readonly parseKey?: string;

  /**
   * Parsers of your own, added to `json` and `docker`.
   *
   * @default - none
   */
  readonly parsers?: FluentBitParser[];

  /**
   * The cluster name added to every record (`cluster` field).
   *
   * @default - no `cluster` field
   */
  readonly clusterName?: string;

  /**
   * Add `namespace`, `pod` and `node` (from the Downward API) to every record.
   *
   * @default true
   */
  readonly addPodMetadata?: boolean;

  /**
   * How often records are flushed to the outputs (whole seconds).
   *
   * @default Duration.seconds(1)
   */
  readonly flush?: Duration;

  /**
   * How long Fluent Bit keeps flushing after SIGTERM (SERVICE `Grace`, whole
   * seconds). The sidecar's shutdown budget is Grace plus 5 seconds.
   *
   * @default Duration.seconds(5)
   */
  readonly grace?: Duration;

  /**
   * Fluent Bit's own log level.
   *
   * @default FluentBitLogLevel.INFO
   */
  readonly logLevel?: FluentBitLogLevel;

  /**
   * Read files found at start from the beginning (not only new lines).
   *
   * @default true
   */
  readonly readFromHead?: boolean;

  /**
   * How often the log directory is scanned for new files (whole seconds).
   *
   * @default Duration.seconds(5)
   */
  readonly refreshInterval?: Duration;

  /**
   * The memory the tail input may buffer before it pauses (Mem_Buf_Limit).
   *
   * @default Size.mebibytes(50)
   */
  readonly memBufLimit?: Size;

  /**
   * Skip lines longer than the buffer instead of stopping the file.
   *
   * @default true
   */
  readonly skipLongLines?: boolean;

  /**
   * The size limit of the state volume (the tail position database).
   *
   * @default Size.mebibytes(64)
   */
  readonly stateSizeLimit?: Size;

  /**
   * The port of Fluent Bit's HTTP server (health and metrics).
   *
   * @default 2020
   */
  readonly httpPort?: number;

  /**
   * Make the readiness probe fail when outputs keep failing (Fluent Bit's health
   * check). A not-ready native sidecar makes the whole pod not ready, so a log
   * backend outage would take the app out of its Services: off by default, and
   * the FluentBitOutputRetriesFailed alert reports delivery failures instead.
   *
   * @default false
   */
  readonly readinessOnDelivery?: boolean;
}

/**
 * Fluent Bit as a log-shipping sidecar: it tails the app's log files from a
 * shared emptyDir and sends them to one or more outputs.
 *
 * What it adds to the pod: the `fluent-bit` container (native sidecar, started
 * first: startRank 100), a ConfigMap with the generated `fluent-bit.conf` and
 * `parsers.conf` mounted read-only at `/fluent-bit/etc`, the shared log volume
 * (read-write in the app, read-only in Fluent Bit), and a state volume for the
 * tail position database. The HTTP server on port 2020 (`flb-metrics`) serves the
 * startup and readiness probes and the Prometheus metrics
 * (`/api/v2/metrics/prometheus`). The pod's grace period grows by Grace + 5s so
 * that logs written just before the app exits are still shipped, and a hash of the
 * config in a pod annotation rolls the pods when the config changes.
 *
 * Image and user: `fluent/fluent-bit` is distroless (no shell, so every probe is
 * an HTTP GET) and declares no USER, so it would run as root. The sidecar runs it
 * as uid/gid 65532, the distroless base's `nonroot` user; it only needs to read
 * its config and the app's log files (which must be readable by others, as files
 * created with the usual umask 022 are) and to write its state volume.
 */
export class FluentBitSidecar extends Sidecar {
  /** The ConfigMap with `fluent-bit.conf` and `parsers.conf`. */
  public readonly configMap: kplus.ConfigMap;

  /** The generated `fluent-bit.conf`. */
  public readonly fluentBitConf: string;

  /** The generated `parsers.conf`. */
  public readonly parsersConf: string;

  /** The shared log directory. */
  public readonly logDir: string;

  /** The names of the outputs in Fluent Bit (the `name` label of their metrics), in order. */
  public readonly outputNames: string[];

  /** How long Fluent Bit keeps flushing after SIGTERM. */
  public readonly grace: Duration;

  /** The port of the HTTP server (health and metrics). */
  public readonly httpPort: number;

  /**
   * A hash of the generated config, set as the pod annotation
   * `cdk8s-sidecars.io/<name>-config` so that a config change rolls the pods
   * (Fluent Bit reads its config only at start).
   */
  public readonly configHash: string;

  public constructor(scope: Construct, id: string, props: FluentBitSidecarProps) {
    const workload = props.workload;
    const name = props.name ?? 'fluent-bit';
    const fail = (problem: string, fix: string): never => {
      throw new Error(sidecarError(workload, name, problem, fix));
    };

    const flush = positiveSeconds(props.flush ?? Duration.seconds(1), 'flush', fail);
    const grace = positiveSeconds(props.grace ?? Duration.seconds(5), 'grace', fail);
    const refresh = positiveSeconds(props.refreshInterval ?? Duration.seconds(5), 'refreshInterval', fail);
    const httpPort = props.httpPort ?? 2020;
    if (!isPortNumber(httpPort)) {
      fail(`httpPort ${httpPort} is not a valid port number`, 'use an integer from 1 to 65535');
    }
    const logLevel = props.logLevel ?? FluentBitLogLevel.INFO;
    if (!Object.values(FluentBitLogLevel).includes(logLevel)) {
      fail(`'${logLevel}' is not a Fluent Bit log level`, 'pass a FluentBitLogLevel');
    }

    const logDir = (props.logDir ?? '/var/log/app').replace(/(.)\/+$/, '$1');
    if (!/^\/[A-Za-z0-9_.\/-]*$/.test(logDir) || logDir.split('/').includes('..') || logDir === '/') {
      fail(`logDir '${printable(logDir)}' is not an absolute directory path`, 'pass an absolute path of letters, digits, \'_\', \'.\', \'-\' and \'/\' (not \'/\' itself), such as \'/var/log/app\'');
    }
    if ([CONFIG_DIR, STATE_DIR].some(p => p === logDir || p.startsWith(`${logDir}/`) || logDir.startsWith(`${p}/`))) {
      fail(`logDir '${logDir}' overlaps the sidecar's own '${CONFIG_DIR}' or '${STATE_DIR}'`, 'put the logs in a directory of their own, such as \'/var/log/app\'');
    }
    const logFiles = props.logFiles ?? '*.log';
    if (!FILE_PATTERN.test(logFiles)) {
      fail(`logFiles '${printable(logFiles)}' is not a file name pattern`, 'pass a pattern of letters, digits, \'_\', \'.\', \'-\', \'*\' and \'?\' (no \'/\' or \',\'), such as \'*.log\'');
    }
    const tag = props.tag ?? 'app.*';
    if (!TAG.test(tag)) {
      fail(`tag '${printable(tag)}' is not a valid tag`, 'use letters, digits, \'_\', \'.\', \'-\' and \'*\', such as \'app.*\'');
    }
    const parseKey = props.parseKey ?? 'log';
    if (confKeyProblem(parseKey) !== undefined) {
      fail(`parseKey '${printable(parseKey)}' is not a plain field name`, 'use letters, digits, \'_\', \'.\' and \'-\', starting with a letter');
    }
    if (props.clusterName !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(props.clusterName)) {
      fail(`clusterName '${printable(props.clusterName)}' is not valid`, 'use letters, digits, \'_\', \'.\' and \'-\'');
    }

    const { sections: parsers, names: parserNames } = parserSections(props.parsers ?? [], fail);
    const parser = props.parser ?? 'json';
    if ((props.parseLogs ?? true) && !parserNames.includes(parser)) {
      fail(`parser '${printable(parser)}' is not defined`, `use one of ${parserNames.map(p => `'${p}'`).join(', ')}, or add it to 'parsers'`);
    }

    const outputs = props.outputs ?? [];
    if (outputs.length === 0) {
      fail('no outputs are configured, so the logs would go nowhere', 'pass at least one output, such as FluentBitOutput.forward({ host, port })');
    }
    const outputNames = outputs.map((o, i) => o._nameAt(i));
    outputNames.forEach((n, i) => {
      if (outputNames.indexOf(n) !== i) {
        fail(`two outputs are named '${n}' (outputs ${outputNames.indexOf(n)} and ${i})`, 'give each output its own \'name\'');
      }
    });
    const bound = outputs.map((o, i) => o._bind(i));
    for (const b of bound) {
      for (const p of b.problems) fail(p.problem, p.fix);
    }

    const service: Array<[string, string]> = [
      ['Flush', String(flush)],
      ['Grace', String(grace)],
      ['Log_Level', logLevel],
      ['Daemon', 'off'],
      ['Parsers_File', `${CONFIG_DIR}/parsers.conf`],
      ['HTTP_Server', 'On'],
      ['HTTP_Listen', '0.0.0.0'],
      ['HTTP_Port', String(httpPort)],
      ['Health_Check', 'On'],
    ];
    const input: Array<[string, string]> = [
      ['Name', 'tail'],
      ['Path', `${logDir}/${logFiles}`],
      ['Tag', tag],
      ['Read_from_Head', (props.readFromHead ?? true) ? 'True' : 'False'],
      ['Refresh_Interval', String(refresh)],
      ['Mem_Buf_Limit', `${mebibytes(props.memBufLimit ?? Size.mebibytes(50), 'memBufLimit', fail)}MB`],
      ['Skip_Long_Lines', onOff(props.skipLongLines ?? true)],
      ['DB', `${STATE_DIR}/tail.db`],
    ];
    const sections: ConfSection[] = [{ name: 'SERVICE', entries: service }, { name: 'INPUT', entries: input }];
    if (props.parseLogs ?? true) {
      sections.push({
        name: 'FILTER',
        entries: [['Name', 'parser'], ['Match', tag], ['Key_Name', parseKey], ['Parser', parser], ['Reserve_Data', 'True']],
      });
    }
    const env: { [name: string]: kplus.EnvValue } = {};
    const added: Array<[string, string]> = [];
    if (props.clusterName !== undefined) {
      env.CLUSTER_NAME = kplus.EnvValue.fromValue(props.clusterName);
      added.push(['Add', 'cluster ${CLUSTER_NAME}']);
    }
    if (props.addPodMetadata ?? true) {
      env.POD_NAMESPACE = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE);
      env.POD_NAME = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME);
      env.NODE_NAME = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME);
      added.push(['Add', 'namespace ${POD_NAMESPACE}'], ['Add', 'pod ${POD_NAME}'], ['Add', 'node ${NODE_NAME}']);
    }
    if (added.length > 0) {
      sections.push({ name: 'FILTER', entries: [['Name', 'modify'], ['Match', '*'], ...added] });
    }
    for (const b of bound) {
      sections.push({ name: 'OUTPUT', entries: b.entries });
      Object.assign(env, b.env);
    }

    let fluentBitConf = '';
    let parsersConf = '';
    try {
      fluentBitConf = renderedConf(sections);
      parsersConf = renderedConf(parsers);
    } catch (e) {
      if (!(e instanceof ConfError)) throw e;
      fail(`the generated configuration has an invalid line (${e.message})`, 'correct the value that ends up in that line');
    }

    const probe = (path: string, periodSeconds: number, failureThreshold: number) => kplus.Probe.fromHttpGet(path, {
      port: httpPort,
      periodSeconds: Duration.seconds(periodSeconds),
      timeoutSeconds: Duration.seconds(1),
      failureThreshold,
    });

    super(scope, id, {
      ...props,
      workload,
      name,
      image: props.image ?? SidecarImages.FLUENT_BIT,
      profile: SidecarProfile.LOG_COLLECTOR,
      kind: SidecarKind.FLUENT_BIT,
      command: ['/fluent-bit/bin/fluent-bit'],
      args: ['--config', `${CONFIG_DIR}/fluent-bit.conf`],
      ports: [{ name: 'flb-metrics', number: httpPort, protocol: kplus.Protocol.TCP }],
      metrics: { portName: 'flb-metrics', path: '/api/v2/metrics/prometheus' },
      envVariables: env,
      // The health endpoint answers once the engine runs; it fails only after
      // repeated output errors, which a fresh process has not had.
      startupProbe: probe('/api/v1/health', 1, 30),
      readiness: probe((props.readinessOnDelivery ?? false) ? '/api/v1/health' : '/api/v1/uptime', 10, 3),
      liveness: probe('/api/v1/uptime', 10, 6),
      shutdownBudget: Duration.seconds(grace + SHUTDOWN_MARGIN_SECONDS),
      writablePaths: [STATE_DIR],
      writableSizeLimit: props.stateSizeLimit ?? Size.mebibytes(64),
      user: props.user ?? NONROOT_UID,
      group: props.group ?? props.user ?? NONROOT_UID,
    });

    this.logDir = logDir;
    this.outputNames = outputNames;
    this.grace = Duration.seconds(grace);
    this.httpPort = httpPort;
    this.fluentBitConf = fluentBitConf;
    this.parsersConf = parsersConf;

    this.configMap = new kplus.ConfigMap(this, 'Resource', {
      data: { 'fluent-bit.conf': fluentBitConf, 'parsers.conf': parsersConf },
    });
    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, {
      name: dnsLabelFrom(this.name, 'config'),
    });
    this.container.mount(CONFIG_DIR, configVolume, { readOnly: true });
    // Fluent Bit reads its config once: a changed config rolls the pods.
    this.configHash = this.rollOnConfigChange({ 'fluent-bit.conf': fluentBitConf, 'parsers.conf': parsersConf });

    const logVolumeName = props.logVolumeName ?? 'app-logs';
    this.shareVolume({
      volume: kplus.Volume.fromEmptyDir(this, 'LogVolume', logVolumeName, {
        sizeLimit: props.logVolumeSizeLimit ?? Size.gibibytes(1),
      }),
      path: logDir,
      readOnly: true,
    });
  }
}

const confs = new TextCache<string>();

/** A config file, rendered once per process for each distinct content (pods with the same props share it). */
function renderedConf(sections: ConfSection[]): string {
  return confs.get(JSON.stringify(sections), () => renderConf(sections));
}

function positiveSeconds(d: Duration, prop: string, fail: (problem: string, fix: string) => never): number {
  const seconds = wholeSeconds(d);
  if (seconds === undefined || seconds < 1) {
    fail(`${prop} is not a whole number of seconds, 1 or more`, `pass e.g. Duration.seconds(5) as '${prop}'`);
  }
  return seconds!;
}

function mebibytes(s: Size, prop: string, fail: (problem: string, fix: string) => never): number {
  let mib: number | undefined;
  try {
    mib = s.toMebibytes();
  } catch {
    mib = undefined;
  }
  if (mib === undefined || mib < 1) {
    fail(`${prop} is not a whole number of MiB, 1 or more`, `pass e.g. Size.mebibytes(50) as '${prop}'`);
  }
  return mib!;
}

function parserSections(user: FluentBitParser[], fail: (problem: string, fix: string) => never): { sections: ConfSection[]; names: string[] } {
  const sections: ConfSection[] = [
    {
      name: 'PARSER',
      entries: [['Name', 'json'], ['Format', 'json'], ['Time_Key', 'timestamp'], ['Time_Format', '%Y-%m-%dT%H:%M:%S.%L%z']],
    },
    {
      name: 'PARSER',
      entries: [['Name', 'docker'], ['Format', 'json'], ['Time_Key', 'time'], ['Time_Format', '%Y-%m-%dT%H:%M:%S.%L']],
    },
  ];
  const names = ['json', 'docker'];
  for (const p of user) {
    if (!PARSER_NAME.test(p.name ?? '')) {
      fail(`parser name '${printable(String(p.name))}' is not valid`, 'use letters, digits, \'_\', \'.\' and \'-\'');
    }
    if (names.includes(p.name)) {
      fail(`parser '${p.name}' is defined twice (json and docker are built in)`, 'give each parser its own name');
    }
    names.push(p.name);
    if (!Object.values(FluentBitParserFormat).includes(p.format)) {
      fail(`parser '${p.name}': '${p.format}' is not a parser format`, 'pass a FluentBitParserFormat');
    }
    if ((p.format === FluentBitParserFormat.REGEX) !== (p.regex !== undefined)) {
      fail(`parser '${p.name}': 'regex' ${p.regex === undefined ? 'is missing for' : 'is only for'} the REGEX format`, p.regex === undefined ? 'pass the regular expression as \'regex\'' : 'remove \'regex\', or use FluentBitParserFormat.REGEX');
    }
    const entries: Array<[string, string]> = [['Name', p.name], ['Format', p.format]];
    const optional: Array<[string, string | undefined]> = [
      ['Regex', p.regex],
      ['Time_Key', p.timeKey],
      ['Time_Format', p.timeFormat],
      ['Time_Keep', p.timeKeep === undefined ? undefined : onOff(p.timeKeep)],
    ];
    for (const [key, value] of optional) {
      if (value === undefined) continue;
      const problem = confValueProblem(value);
      if (problem !== undefined) {
        fail(`parser '${p.name}': ${key}: ${problem}`, 'pass a single-line value that does not start with \'[\' or \'@\'');
      }
      entries.push([key, value]);
    }
    sections.push({ name: 'PARSER', entries });
  }
  return { sections, names };
}
