import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

/**
 * The OpenTelemetry Collector's exporters, as typed options: one static factory per
 * exporter of the core distribution (`otel/opentelemetry-collector`) that the sidecar
 * supports. Rendering and validation live in `./config.ts`.
 */

/**
 * A kind of telemetry: one collector pipeline each.
 */
export enum OtelSignal {
  /** Spans. */
  TRACES = 'traces',
  /** Metric points. */
  METRICS = 'metrics',
  /** Log records. */
  LOGS = 'logs',
}

/**
 * The OTLP protocol the app's SDK uses to reach the collector
 * (`OTEL_EXPORTER_OTLP_PROTOCOL`).
 */
export enum OtelAppProtocol {
  /** OTLP over gRPC, to the gRPC receiver (`grpcPort`). */
  GRPC = 'grpc',
  /** OTLP over HTTP with protobuf bodies, to the HTTP receiver (`httpPort`); the SDKs' default. */
  HTTP_PROTOBUF = 'http/protobuf',
}

/**
 * How much the debug exporter writes for each batch.
 */
export enum OtelDebugVerbosity {
  /** One line per batch: its counts. */
  BASIC = 'basic',
  /** One line per span, point or record. */
  NORMAL = 'normal',
  /** Every field of every span, point or record. */
  DETAILED = 'detailed',
}

/**
 * TLS of an exporter's connection. Certificates come from Secrets, mounted read-only
 * into the collector only.
 */
export interface OtelExporterTls {
  /**
   * Send in plaintext. Only for an OTLP/gRPC exporter (an HTTP exporter's scheme,
   * `http://` or `https://`, decides).
   *
   * @default false
   */
  readonly insecure?: boolean;

  /**
   * A Secret with the CA bundle that signs the backend's certificate.
   *
   * @default - the system roots of the image
   */
  readonly caSecret?: kplus.ISecret;

  /**
   * The key of the CA bundle in `caSecret`.
   *
   * @default 'ca.crt'
   */
  readonly caKey?: string;

  /**
   * A `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`) with the collector's client
   * certificate, for mutual TLS.
   *
   * @default - no client certificate
   */
  readonly clientCertificateSecret?: kplus.ISecret;

  /**
   * The name the backend's certificate is checked against, when it is not the endpoint's host.
   *
   * @default - the endpoint's host
   */
  readonly serverName?: string;
}

/**
 * What every network exporter takes.
 */
export interface OtelNetworkExporterOptions {
  /**
   * The exporter's name: its component id is `<type>/<name>` (the `exporter` label
   * of the collector's metrics). Two exporters of one type need different names.
   *
   * @default - the type alone (`otlp_grpc`, `otlp_http`, `prometheusremotewrite`)
   */
  readonly name?: string;

  /**
   * Headers sent with every request, rendered into the ConfigMap: never credentials
   * (names such as `Authorization` or `*token*` are refused: use `secretHeaders`).
   *
   * @default - none
   */
  readonly headers?: { [name: string]: string };

  /**
   * Headers whose values come from Secrets (the whole value, e.g. `Bearer abc`): the
   * collector reads them from environment variables set from the Secrets, so they
   * never appear in the ConfigMap.
   *
   * @default - none
   */
  readonly secretHeaders?: { [name: string]: kplus.SecretValue };

  /**
   * TLS of the connection.
   *
   * @default - TLS with the image's system roots (or plaintext for an `http://` URL)
   */
  readonly tls?: OtelExporterTls;

  /**
   * The timeout of one send attempt (whole seconds), at most the sidecar's `drainTime`
   * so that one attempt fits in the shutdown budget.
   *
   * @default - 5 seconds, or the sidecar's `drainTime` if that is shorter
   */
  readonly timeout?: Duration;
}

/**
 * An OTLP exporter (gRPC or HTTP).
 */
export interface OtelOtlpExporterOptions extends OtelNetworkExporterOptions {
  /**
   * The signals this exporter sends.
   *
   * @default - traces, metrics and logs
   */
  readonly signals?: OtelSignal[];

  /**
   * The capacity of the sending queue, in batches (`sending_queue.queue_size`).
   *
   * @default 1000
   */
  readonly queueSize?: number;
}

/**
 * An OTLP/gRPC exporter.
 */
export interface OtelOtlpGrpcExporterOptions extends OtelOtlpExporterOptions {
  /**
   * The backend, as `host:port` (no scheme: TLS is set with `tls`).
   */
  readonly endpoint: string;
}

/**
 * An OTLP/HTTP exporter.
 */
export interface OtelOtlpHttpExporterOptions extends OtelOtlpExporterOptions {
  /**
   * The backend's base URL (`https://otlp.example.com:4318`); the exporter appends
   * `/v1/traces`, `/v1/metrics` and `/v1/logs`.
   */
  readonly endpoint: string;
}

/**
 * A Prometheus remote-write exporter (metrics only).
 */
export interface OtelPrometheusRemoteWriteExporterOptions extends OtelNetworkExporterOptions {
  /**
   * The remote-write URL (`https://prometheus.example.com/api/v1/write`).
   */
  readonly endpoint: string;

  /**
   * Turn resource attributes (`k8s.pod.name`, ...) into labels of every series.
   *
   * @default true
   */
  readonly resourceToTelemetry?: boolean;
}

/**
 * The debug exporter: telemetry to the collector's own log (for trials, not production).
 */
export interface OtelDebugExporterOptions {
  /**
   * The exporter's name: its component id is `debug/<name>`.
   *
   * @default - `debug` alone
   */
  readonly name?: string;

  /**
   * The signals it writes.
   *
   * @default - traces, metrics and logs
   */
  readonly signals?: OtelSignal[];

  /**
   * How much it writes.
   *
   * @default OtelDebugVerbosity.BASIC
   */
  readonly verbosity?: OtelDebugVerbosity;
}

/** The collector's exporter types (the factory types at the pinned version). */
type OtelExporterType = 'otlp_grpc' | 'otlp_http' | 'prometheusremotewrite' | 'debug';

/**
 * Where the collector sends telemetry: one exporter of the collector's config.
 */
export class OtelExporter {
  /** OTLP over gRPC to `host:port` (the `otlp_grpc` exporter). */
  public static otlpGrpc(options: OtelOtlpGrpcExporterOptions): OtelExporter {
    return new OtelExporter('otlp_grpc', options);
  }

  /** OTLP over HTTP to a base URL (the `otlp_http` exporter). */
  public static otlpHttp(options: OtelOtlpHttpExporterOptions): OtelExporter {
    return new OtelExporter('otlp_http', options);
  }

  /** Prometheus remote write, metrics only (the `prometheusremotewrite` exporter). */
  public static prometheusRemoteWrite(options: OtelPrometheusRemoteWriteExporterOptions): OtelExporter {
    return new OtelExporter('prometheusremotewrite', options);
  }

  /** The collector's own log (the `debug` exporter). */
  public static debug(options: OtelDebugExporterOptions = {}): OtelExporter {
    return new OtelExporter('debug', options);
  }

  /** The exporter's type in the collector's config. */
  public readonly type: string;

  /** @internal */
  public readonly _options: OtelOtlpGrpcExporterOptions & OtelPrometheusRemoteWriteExporterOptions & OtelDebugExporterOptions;

  private constructor(type: OtelExporterType, options: object) {
    this.type = type;
    this._options = { ...(options as any) };
  }
}
