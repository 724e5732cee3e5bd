import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ENVOY_ALERT_PACK } from './alerts';
import { ENVOY_DASHBOARD_PACK } from './dashboard';
import { DEFAULT_NAME, DEFAULT_PORTS, envoySpec, proxyUrlOf } from './spec';
import { AlertPack } from '../../alerts/pack';
import { keepWithWorkload } from '../../core/_pod';
import { Checks } from '../../core/checks';
import { failFor, workloadSubject } from '../../core/errors';
import { Sidecar, SidecarOptions } from '../../core/sidecar';
import { namedSidecarProps } from '../../core/spec';
import { SidecarVolumeSource } from '../../core/volumes';
import { DashboardPack } from '../../dashboards/pack';

/**
 * How Envoy resolves an upstream's host (the cluster's discovery type).
 */
export enum EnvoyDnsType {
  /** The host is an IPv4 address; no DNS. */
  STATIC = 'STATIC',
  /**
   * Resolve the name continuously and balance over every address it returns
   * (a headless Service, or a ClusterIP Service name).
   */
  STRICT_DNS = 'STRICT_DNS',
  /**
   * Resolve the name and connect to the first address only (large external
   * endpoints behind DNS round-robin).
   */
  LOGICAL_DNS = 'LOGICAL_DNS',
}

/**
 * What the outbound listener does with a request for a host no upstream routes.
 */
export enum EnvoyOutboundPolicy {
  /**
   * Pass it through, as Istio does by default: absolute-URL HTTP (`HTTP_PROXY`) through a
   * dynamic forward proxy, and CONNECT tunnels (`HTTPS_PROXY`, gRPC) to the host and port
   * the app asked for.
   */
  ALLOW_ANY = 'ALLOW_ANY',
  /**
   * Refuse it with a 502 whose body names the refused host; only the typed upstreams
   * are reachable.
   */
  REGISTRY_ONLY = 'REGISTRY_ONLY',
}

/**
 * The HTTP protocol Envoy speaks to a cluster (the app, or an upstream).
 */
export enum EnvoyProtocol {
  /** HTTP/1.1. */
  HTTP1 = 'HTTP1',
  /** HTTP/2 (prior knowledge in plain text, ALPN `h2` with TLS). */
  HTTP2 = 'HTTP2',
  /** gRPC: HTTP/2, and no request timeout by default (streams). */
  GRPC = 'GRPC',
}

/**
 * The address families Envoy resolves an upstream's DNS name to.
 */
export enum EnvoyDnsFamily {
  /** IPv4 when the name has an A record, else IPv6. */
  V4_PREFERRED = 'V4_PREFERRED',
  /** IPv4 only. */
  V4_ONLY = 'V4_ONLY',
  /** IPv6 only. */
  V6_ONLY = 'V6_ONLY',
  /** IPv6 when the name has an AAAA record, else IPv4. */
  AUTO = 'AUTO',
  /** Both, every address. */
  ALL = 'ALL',
}

/**
 * The CA certificates Envoy verifies an upstream's certificate with.
 */
export class EnvoyCaBundle {
  /** The public CAs of the Envoy image (`/etc/ssl/certs/ca-certificates.crt`). */
  public static system(): EnvoyCaBundle {
    return new EnvoyCaBundle('system');
  }

  /**
   * A PEM bundle in a ConfigMap key.
   *
   * @param key the key that holds the PEM bundle; default 'ca.crt'
   */
  public static fromConfigMap(configMap: kplus.IConfigMap, key?: string): EnvoyCaBundle {
    return new EnvoyCaBundle('configMap', key ?? 'ca.crt', SidecarVolumeSource.configMap(configMap, { items: { [key ?? 'ca.crt']: 'ca.crt' } }));
  }

  /**
   * A PEM bundle in a Secret key.
   *
   * @param key the key that holds the PEM bundle; default 'ca.crt'
   */
  public static fromSecret(secret: kplus.ISecret, key?: string): EnvoyCaBundle {
    return new EnvoyCaBundle('secret', key ?? 'ca.crt', SidecarVolumeSource.secret(secret, { items: { [key ?? 'ca.crt']: 'ca.crt' } }));
  }

  /** Where the bundle comes from: `system`, `configMap` or `secret`. */
  public readonly kind: string;

  /** The key that holds the bundle (ConfigMap or Secret). */
  public readonly key?: string;

  /** @internal */
  public readonly _source?: SidecarVolumeSource;

  private constructor(kind: string, key?: string, source?: SidecarVolumeSource) {
    this.kind = kind;
    this.key = key;
    this._source = source;
  }
}

/**
 * TLS origination to an upstream: the app sends plain HTTP to the outbound listener
 * and Envoy opens TLS (and mTLS) to the upstream.
 */
export interface EnvoyUpstreamTls {
  /**
   * The server name sent in the TLS handshake (SNI).
   *
   * @default - the upstream's host, when it is a DNS name; none for an IP address
   */
  readonly sni?: string;

  /**
   * The names (or IP addresses) the upstream's certificate must carry as subject
   * alternative names.
   *
   * @default - the SNI
   */
  readonly subjectAltNames?: string[];

  /**
   * The CAs the upstream's certificate is verified with.
   *
   * @default EnvoyCaBundle.system()
   */
  readonly caBundle?: EnvoyCaBundle;

  /**
   * A client certificate for mTLS: a `kubernetes.io/tls` Secret (keys `tls.crt` and
   * `tls.key`), mounted into Envoy only.
   *
   * @default - no client certificate
   */
  readonly clientCertificate?: kplus.ISecret;
}

/**
 * When and how often Envoy retries a request to an upstream.
 */
export interface EnvoyRetryPolicy {
  /**
   * Retries after the first attempt (0 to 10).
   *
   * @default 2
   */
  readonly attempts?: number;

  /**
   * Envoy's retry conditions (`x-envoy-retry-on` and `x-envoy-retry-grpc-on` names):
   * `5xx`, `gateway-error`, `reset`, `connect-failure`, `envoy-ratelimited`,
   * `retriable-4xx`, `refused-stream`, `retriable-status-codes`,
   * `retriable-headers`, `http3-post-connect-failure`, `cancelled`,
   * `deadline-exceeded`, `internal`, `resource-exhausted`, `unavailable`.
   *
   * @default ['connect-failure', 'refused-stream', 'unavailable', 'cancelled'] (safe for non-idempotent requests)
   */
  readonly retryOn?: string[];

  /**
   * The timeout of each attempt (whole milliseconds).
   *
   * @default - the request timeout
   */
  readonly perTryTimeout?: Duration;
}

/**
 * Circuit-breaker thresholds of an upstream (Envoy's defaults are 1024 connections,
 * pending requests and requests, and 3 concurrent retries).
 */
export interface EnvoyCircuitBreaker {
  /**
   * Connections Envoy opens to the upstream at most.
   *
   * @default 1024
   */
  readonly maxConnections?: number;

  /**
   * Requests waiting for a connection at most.
   *
   * @default 1024
   */
  readonly maxPendingRequests?: number;

  /**
   * Requests in flight at most.
   *
   * @default 1024
   */
  readonly maxRequests?: number;

  /**
   * Retries in flight at most.
   *
   * @default 3
   */
  readonly maxRetries?: number;
}

/**
 * Outlier detection: hosts of an upstream that keep failing are ejected for a while.
 */
export interface EnvoyOutlierDetection {
  /**
   * Consecutive 5xx (or connection failures) that eject a host.
   *
   * @default 5
   */
  readonly consecutive5xx?: number;

  /**
   * How often hosts are analysed (whole milliseconds).
   *
   * @default Duration.seconds(10)
   */
  readonly interval?: Duration;

  /**
   * How long a host is ejected the first time (whole milliseconds; longer each time).
   *
   * @default Duration.seconds(30)
   */
  readonly baseEjectionTime?: Duration;

  /**
   * The share of the upstream's hosts that may be ejected at once, in percent.
   *
   * @default 10
   */
  readonly maxEjectionPercent?: number;
}

/**
 * How Envoy discourages connections while it drains (`--drain-strategy`).
 */
export enum EnvoyDrainStrategy {
  /** Every connection is asked to close as soon as the drain starts. */
  IMMEDIATE = 'immediate',
  /** The share of connections asked to close grows over the drain time. */
  GRADUAL = 'gradual',
}

/**
 * An upstream the app reaches through the outbound listener: one Envoy cluster
 * and one virtual host routed to it by the request's host.
 */
export interface EnvoyUpstream {
  /**
   * The cluster name: lower-case letters, digits, `_` and `-`, at most 60
   * characters, unique among the upstreams (`local_app` and `envoy_admin` are
   * taken by the sidecar itself).
   */
  readonly name: string;

  /**
   * The upstream's host: a DNS name (such as `payments.production.svc.cluster.local`)
   * or an IPv4 address.
   */
  readonly host: string;

  /**
   * The upstream's port.
   */
  readonly port: number;

  /**
   * How Envoy resolves the host.
   *
   * @default - EnvoyDnsType.STATIC for an IPv4 address, else EnvoyDnsType.STRICT_DNS
   */
  readonly dnsType?: EnvoyDnsType;

  /**
   * Time allowed to open a connection to the upstream (whole milliseconds).
   *
   * @default Duration.seconds(5)
   */
  readonly connectTimeout?: Duration;

  /**
   * The request hosts (`Host` header) routed to this upstream: names, `name:port`,
   * or a leading-wildcard `*.example.com`. Unique across upstreams.
   *
   * @default - the host, and host:port
   */
  readonly domains?: string[];

  /**
   * The protocol Envoy speaks to the upstream.
   *
   * @default EnvoyProtocol.HTTP1
   */
  readonly protocol?: EnvoyProtocol;

  /**
   * TLS origination (and mTLS): the app sends plain `http://` requests, Envoy opens TLS.
   *
   * @default - plain text
   */
  readonly tls?: EnvoyUpstreamTls;

  /**
   * The time a whole request may take, until the response is complete (whole
   * milliseconds); 0 for none (streams, long polls).
   *
   * @default - Duration.seconds(15) (Envoy's default); none for EnvoyProtocol.GRPC
   */
  readonly requestTimeout?: Duration;

  /**
   * Retries.
   *
   * @default - no retries
   */
  readonly retries?: EnvoyRetryPolicy;

  /**
   * Circuit-breaker thresholds.
   *
   * @default - Envoy's defaults (1024 connections, pending requests, requests; 3 retries)
   */
  readonly circuitBreaker?: EnvoyCircuitBreaker;

  /**
   * Outlier detection (ejects hosts that keep failing).
   *
   * @default - none
   */
  readonly outlierDetection?: EnvoyOutlierDetection;

  /**
   * The address families a DNS name resolves to (STRICT_DNS, LOGICAL_DNS). Envoy
   * re-resolves the name when its DNS TTL expires.
   *
   * @default EnvoyDnsFamily.V4_PREFERRED
   */
  readonly dnsFamily?: EnvoyDnsFamily;
}

/**
 * Options of the Service that `EnvoySidecar.exposeViaService()` creates.
 */
export interface EnvoyServiceOptions {
  /**
   * The Service's name.
   *
   * @default - generated from the construct path
   */
  readonly name?: string;

  /**
   * The port the Service listens on.
   *
   * @default 80
   */
  readonly port?: number;

  /**
   * The Service port's name.
   *
   * @default 'http'
   */
  readonly portName?: string;

  /**
   * The Service type.
   *
   * @default kplus.ServiceType.CLUSTER_IP
   */
  readonly serviceType?: kplus.ServiceType;
}

/**
 * Properties of an Envoy sidecar.
 */
export interface EnvoySidecarProps extends SidecarOptions {
  /**
   * The pod to add Envoy to.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * The port the app listens on (inside the pod). The inbound listener forwards
   * to 127.0.0.1 on this port; an app container must declare it.
   */
  readonly appPort: number;

  /**
   * Upstreams the app reaches through the outbound listener (via `HTTP_PROXY`), routed
   * by the request's host. Any other host is handled by `outboundPolicy`.
   *
   * @default - none
   */
  readonly upstreams?: EnvoyUpstream[];

  /**
   * What the outbound listener does with a host no upstream routes.
   *
   * @default EnvoyOutboundPolicy.ALLOW_ANY
   */
  readonly outboundPolicy?: EnvoyOutboundPolicy;

  /**
   * The protocol the app speaks on `appPort` (HTTP/2 or gRPC for a gRPC server).
   *
   * @default EnvoyProtocol.HTTP1
   */
  readonly appProtocol?: EnvoyProtocol;

  /**
   * The time an inbound request may take until its response is complete (whole
   * milliseconds); 0 for none, for streaming, SSE, long polls and uploads. Idle
   * streams are still closed after Envoy's 5-minute stream idle timeout.
   *
   * @default Duration.seconds(0) (none)
   */
  readonly inboundTimeout?: Duration;

  /**
   * Envoy closes a connection to the app that has been idle this long (whole
   * milliseconds; 0 keeps them open). Keep it below the app's keep-alive timeout
   * (Node.js: 5 s), or requests race the app closing the connection and fail with 503.
   *
   * @default Duration.seconds(1)
   */
  readonly appIdleTimeout?: Duration;

  /**
   * Accept WebSocket upgrades on the inbound and outbound listeners.
   *
   * @default true
   */
  readonly websockets?: boolean;

  /**
   * Log every request of the inbound and outbound listeners to stdout, one JSON
   * object per line.
   *
   * @default false
   */
  readonly accessLog?: boolean;

  /**
   * The Envoy image. Its default runs as uid/gid 101 (the `envoy` user).
   *
   * @default SidecarImages.ENVOY
   */
  readonly image?: string;

  /**
   * The outbound listener's port (bound to 127.0.0.1: only the pod can use it).
   *
   * @default 15001
   */
  readonly outboundPort?: number;

  /**
   * The inbound listener's port (all interfaces), the target for Services.
   *
   * @default 15006
   */
  readonly inboundPort?: number;

  /**
   * The admin listener's port (bound to 127.0.0.1: only the pod can reach it).
   *
   * @default 15000
   */
  readonly adminPort?: number;

  /**
   * The port of the Prometheus metrics: the stats listener (all interfaces, container
   * port `envoy-stats`) serves `/stats/prometheus` for Prometheus, `/ready` for the
   * startup and readiness probes and `/live` (answered by the listener itself) for the
   * liveness probe, GET only. Nothing else of the admin interface is reachable from
   * outside the pod.
   *
   * @default 15090
   */
  readonly metricsPort?: number;

  /**
   * How long Envoy drains its inbound listeners on shutdown (`--drain-time-s`),
   * in whole seconds: the drain starts at deletion, in parallel with the app's own
   * shutdown, and never delays the deletion. Zero skips the drain.
   *
   * @default Duration.seconds(10)
   */
  readonly drainTime?: Duration;

  /**
   * How connections are discouraged during the drain.
   *
   * @default EnvoyDrainStrategy.IMMEDIATE
   */
  readonly drainStrategy?: EnvoyDrainStrategy;

  /**
   * Envoy worker threads (`--concurrency`). Envoy otherwise starts one per CPU of
   * the node, whatever the container's CPU limit.
   *
   * @default 2
   */
  readonly concurrency?: number;

  /**
   * How long Envoy may take to become ready (`/ready`) before the start counts as
   * failed (the startup hook fails, and the kubelet restarts Envoy), in whole seconds.
   *
   * @default Duration.seconds(60)
   */
  readonly startupTimeout?: Duration;

  /**
   * Set `HTTP_PROXY`/`http_proxy`, `HTTPS_PROXY`/`https_proxy` (the outbound listener)
   * and `NO_PROXY`/`no_proxy` on the app containers.
   *
   * @default true
   */
  readonly proxyEnv?: boolean;

  /**
   * Extra hosts the app reaches directly, not through Envoy (added to
   * `localhost,127.0.0.1`).
   *
   * @default - none
   */
  readonly noProxy?: string[];

  /**
   * Mark the pod so a mesh injector does not add a second proxy on the same ports:
   * `sidecar.istio.io/inject: "false"` (label and annotation) and
   * `linkerd.io/inject: disabled`.
   *
   * @default true
   */
  readonly meshInjectionOptOut?: boolean;
}

/**
 * A hand-configured Envoy proxy next to the app, replacing mesh injection.
 *
 * It generates the bootstrap (`envoy.yaml` in a ConfigMap, id `Resource`, mounted at
 * `/etc/envoy`): admin on 127.0.0.1:15000; an inbound listener on 15006 to the app
 * (127.0.0.1:appPort, a port an app container must declare; HTTP/1.1 or HTTP/2,
 * WebSockets, the client address in X-Forwarded-For); an outbound listener on
 * 127.0.0.1:15001 routing by host to typed upstream clusters (protocol, TLS and mTLS,
 * timeouts, retries, circuit breakers, outlier detection) and, by `outboundPolicy`, any
 * other host through a dynamic forward proxy and CONNECT tunnels (ALLOW_ANY) or to a
 * 502 that names it (REGISTRY_ONLY); and a stats listener on the metrics port 15090
 * serving `/stats/prometheus`, `/ready` and `/live` only. Every string in it is
 * double-quoted, for Envoy's YAML 1.1 loader.
 *
 * The container runs `envoyproxy/envoy` as uid/gid 101, the image's `envoy` user
 * (the image's entrypoint only switches users when started as root). The image is
 * Ubuntu with bash but no curl or wget, so the hooks talk to the admin listener
 * through bash's `/dev/tcp`.
 *
 * - Startup: a blocking postStart hook polls `/ready` every 0.1 s (for at most
 *   `startupTimeout`) and gates the app: in NATIVE mode instead of a startup probe; LEGACY
 *   mode puts Envoy first in the container list.
 * - Shutdown: NATIVE: a preStop hook starts a graceful drain of the inbound listeners
 *   and returns (the kubelet sends Envoy's SIGTERM only after the app has exited);
 *   no shutdown budget. LEGACY: the preStop hook drains, then keeps Envoy up while the
 *   app's port is open or the app has connections to the outbound listener; a 2 s budget.
 * - The app gets `HTTP_PROXY` and `HTTPS_PROXY`; `exposeViaService()` points a Service
 *   at the inbound listener; the pod is marked so Istio and Linkerd do not inject.
 */
export class EnvoySidecar extends Sidecar {
  /**
   * Envoy's alerts (EnvoyProxyUnhealthy, EnvoyUpstream5xxHigh, EnvoyCircuitBreakerOverflow,
   * EnvoyUpstreamTlsHandshakeFailures, EnvoyOutlierEjectionOverflow), for a `Sidecar` of your own running Envoy.
   */
  public static readonly ALERT_PACK: AlertPack = ENVOY_ALERT_PACK;

  /** The tool's dashboard (SidecarDashboards), for a `Sidecar` of your own running it. */
  public static readonly DASHBOARD_PACK: DashboardPack = ENVOY_DASHBOARD_PACK;

  /** The inbound listener's port (the target for Services). */
  public readonly inboundPort: number;

  /** The outbound listener's port. */
  public readonly outboundPort: number;

  /** The admin listener's port (loopback only). */
  public readonly adminPort: number;

  /** The port of the Prometheus metrics (the stats listener). */
  public readonly metricsPort: number;

  /** The URL of the outbound listener, as the app's `HTTP_PROXY` and `HTTPS_PROXY`. */
  public readonly proxyUrl: string;

  /** The generated bootstrap (`envoy.yaml`). */
  public readonly bootstrap: string;

  private serviceCount = 0;

  public constructor(scope: Construct, id: string, props: EnvoySidecarProps) {
    super(scope, id, namedSidecarProps(scope, props, DEFAULT_NAME, envoySpec));
    this.outboundPort = props.outboundPort ?? DEFAULT_PORTS.outboundPort;
    this.inboundPort = props.inboundPort ?? DEFAULT_PORTS.inboundPort;
    this.adminPort = props.adminPort ?? DEFAULT_PORTS.adminPort;
    this.metricsPort = props.metricsPort ?? DEFAULT_PORTS.metricsPort;
    this.proxyUrl = proxyUrlOf(this.outboundPort);
    this.bootstrap = this.configMap!.data['envoy.yaml'];
  }

  /**
   * Exposes the workload through a Service whose target is Envoy's inbound
   * listener, so traffic in goes through the proxy. (cdk8s-plus
   * `exposeViaService()` only sees the ports of ordinary containers, and would
   * bypass Envoy.)
   */
  public exposeViaService(options: EnvoyServiceOptions = {}): kplus.Service {
    const port = new Checks(failFor(workloadSubject(this.workload, this.name))).port('port', options.port ?? 80);
    this.serviceCount += 1;
    const service = new kplus.Service(this, this.serviceCount === 1 ? 'Service' : `Service${this.serviceCount}`, {
      metadata: { name: options.name, namespace: this.workload.metadata.namespace },
      selector: this.workload,
      type: options.serviceType ?? kplus.ServiceType.CLUSTER_IP,
      ports: [{ port, targetPort: this.inboundPort, name: options.portName ?? 'http' }],
    });
    // In the pod's namespace, which may be none.
    keepWithWorkload(service, this.workload);
    return service;
  }
}
