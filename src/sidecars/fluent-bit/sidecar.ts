import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { FLUENT_BIT_ALERT_PACK } from './alerts';
import { FLUENT_BIT_DASHBOARD_PACK } from './dashboard';
import { FluentBitLogLevel } from './log-level';
import { FluentBitMultilineParser } from './multiline';
import { FluentBitOutput } from './outputs/output';
import { FluentBitParser } from './parsers';
import { DEFAULT_DRAIN_TIME, DEFAULT_METRICS_PORT, DEFAULT_NAME, FLUENT_BIT_YAML, fluentBitSpec } from './spec';
import { AlertPack } from '../../alerts/pack';
import { Sidecar, SidecarOptions } from '../../core/sidecar';
import { namedSidecarProps } from '../../core/spec';
import { DashboardPack } from '../../dashboards/pack';

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
  readonly logSizeLimit?: Size;

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
   * Multiline parsers for the tail input (`multiline.parser`): the lines of one
   * stack trace become one record, for example
   * `[FluentBitMultilineParser.JAVA]` or `FluentBitMultilineParser.custom({...})`.
   * Applied before `parser`.
   *
   * @default - none: every line is a record
   */
  readonly multiline?: FluentBitMultilineParser[];

  /**
   * Buffer records on the state volume (`storage.type: filesystem`), so that a
   * restarted Fluent Bit container resumes with what it had read but not yet
   * delivered. Each output keeps at most its `bufferLimit`; when that is full,
   * its oldest chunks are dropped.
   *
   * @default true
   */
  readonly filesystemBuffering?: boolean;

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
   * How long Fluent Bit keeps delivering after SIGTERM at most (service `grace`,
   * whole seconds): it exits as soon as nothing is pending. The sidecar's
   * shutdown budget is the drain time plus 5 seconds.
   *
   * @default Duration.seconds(30)
   */
  readonly drainTime?: Duration;

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
   * How often the log directory is scanned for new files (whole seconds). Lines
   * appended to a file already tailed are read at once (inotify).
   *
   * @default Duration.seconds(1)
   */
  readonly refreshInterval?: Duration;

  /**
   * The memory the tail input may buffer (`mem_buf_limit`): with filesystem
   * buffering, new chunks go to disk beyond it; without, the input pauses.
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
   * The size limit of the state volume (the tail position database, the
   * filesystem buffer, the S3 outputs' files). A value below what the outputs'
   * `bufferLimit`s need is an error.
   *
   * @default - 64Mi plus each output's `bufferLimit` (twice for S3)
   */
  readonly stateSizeLimit?: Size;

  /**
   * The port of Fluent Bit's HTTP server (health and metrics).
   *
   * @default 2020
   */
  readonly metricsPort?: number;

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
 * first: startRank 100), a ConfigMap (in the workload's namespace) with the
 * generated `fluent-bit.yaml` mounted read-only at `/fluent-bit/etc`, the shared
 * log volume (read-write in the app, read-only in Fluent Bit), and a state
 * volume for the tail position database and the filesystem buffer. The HTTP server
 * on port 2020 (`flb-metrics`) serves the startup and readiness probes and the
 * Prometheus metrics (`/api/v2/metrics/prometheus`). The pod's grace period grows
 * by the drain time + 5s so that logs written just before the app exits are still
 * shipped, and the pod annotation `config.cdk8s-sidecars.io/<container name>`
 * (`configDigest`) rolls the pods when the config changes.
 *
 * Image and user: `fluent/fluent-bit` is distroless (no shell, so every probe is
 * an HTTP GET) and declares no USER, so it would run as root. The sidecar runs it
 * as uid/gid 65532, the distroless base's `nonroot` user; it only needs to read
 * its config and the app's log files (which must be readable by others, as files
 * created with the usual umask 022 are) and to write its state volume.
 */
export class FluentBitSidecar extends Sidecar {
  /** Fluent Bit's alerts (FluentBitBacklogHigh, ...), for a `Sidecar` of your own running it. */
  public static readonly ALERT_PACK: AlertPack = FLUENT_BIT_ALERT_PACK;

  /** The tool's dashboard (SidecarDashboards), for a `Sidecar` of your own running it. */
  public static readonly DASHBOARD_PACK: DashboardPack = FLUENT_BIT_DASHBOARD_PACK;

  /** The generated `fluent-bit.yaml`. */
  public readonly fluentBitYaml: string;

  /** The shared log directory. */
  public readonly logDir: string;

  /** The names of the outputs in Fluent Bit (the `name` label of their metrics), in order. */
  public readonly outputNames: string[];

  /** How long Fluent Bit keeps flushing after SIGTERM. */
  public readonly drainTime: Duration;

  /** The port of the HTTP server (health and metrics). */
  public readonly metricsPort: number;

  public constructor(scope: Construct, id: string, props: FluentBitSidecarProps) {
    super(scope, id, namedSidecarProps(scope, props, DEFAULT_NAME, fluentBitSpec));
    this.fluentBitYaml = this.configMap!.data[FLUENT_BIT_YAML];
    // As the spec checked it (a trailing '/' dropped): where the shared log volume is.
    this.logDir = this._volumes.find(v => v.declaration.appPath !== undefined)!.declaration.appPath!;
    this.outputNames = props.outputs.map((o, i) => o._nameAt(i));
    this.drainTime = props.drainTime ?? DEFAULT_DRAIN_TIME;
    this.metricsPort = props.metricsPort ?? DEFAULT_METRICS_PORT;
  }
}
