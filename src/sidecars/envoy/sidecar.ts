import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ENVOY_ALERT_PACK } from './alerts';
import { DEFAULT_NAME, DEFAULT_PORTS, envoySpec, proxyUrlOf } from './spec';
import { AlertPack } from '../../alerts/pack';
import { keepWithWorkload } from '../../core/_pod';
import { Checks } from '../../core/checks';
import { failFor, workloadSubject } from '../../core/errors';
import { Sidecar, SidecarOptions } from '../../core/sidecar';
import { namedSidecarProps } from '../../core/spec';

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
   * Upstreams the app reaches through the outbound listener (via `HTTP_PROXY`).
   * A request for any other host gets a 404 from Envoy.
   *
   * @default - none
   */
  readonly upstreams?: EnvoyUpstream[];

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
   * port `envoy-stats`) serves `/stats/prometheus` for Prometheus, and `/ready` and
   * `/server_info` for the probes, GET only. Nothing else of the admin interface is
   * reachable from outside the pod.
   *
   * @default 15090
   */
  readonly metricsPort?: number;

  /**
   * How long Envoy drains its inbound listeners on shutdown (`--drain-time-s`),
   * in whole seconds. Zero skips the drain. The drain time plus a 5-second margin
   * is the sidecar's shutdown budget.
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
   * failed, in whole seconds.
   *
   * @default Duration.seconds(60)
   */
  readonly startupTimeout?: Duration;

  /**
   * Set `HTTP_PROXY`/`http_proxy` (the outbound listener) and `NO_PROXY`/`no_proxy`
   * on the app containers. Only plain HTTP goes through the proxy; `HTTPS_PROXY` is
   * not set.
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
 * (127.0.0.1:appPort, a port an app container must declare); an outbound listener on
 * 127.0.0.1:15001 routing by host to typed upstream clusters; and a stats listener on
 * the metrics port 15090 serving `/stats/prometheus`, `/ready` and `/server_info`.
 *
 * The container runs `envoyproxy/envoy` as uid/gid 101, the image's `envoy` user
 * (the image's entrypoint only switches users when started as root). The image is
 * Ubuntu with bash but no curl or wget, so the hooks talk to the admin listener
 * through bash's `/dev/tcp`.
 *
 * - Startup: NATIVE mode gates the app with a startup probe on `/ready`; LEGACY
 *   mode puts Envoy first with a postStart hook that waits for `/ready`.
 * - Shutdown: a preStop hook starts a graceful drain of the inbound listeners
 *   (`POST /drain_listeners?inboundonly&graceful`) and waits the drain time;
 *   the drain time plus 5 seconds is declared as the shutdown budget.
 * - The app gets `HTTP_PROXY`; `exposeViaService()` points a Service at the
 *   inbound listener; the pod is marked so Istio and Linkerd do not inject.
 */
export class EnvoySidecar extends Sidecar {
  /** Envoy's alerts (EnvoyProxyUnhealthy, EnvoyUpstream5xxHigh, EnvoyCircuitBreakerOverflow), for a `Sidecar` of your own running Envoy. */
  public static readonly ALERT_PACK: AlertPack = ENVOY_ALERT_PACK;

  /** The inbound listener's port (the target for Services). */
  public readonly inboundPort: number;

  /** The outbound listener's port. */
  public readonly outboundPort: number;

  /** The admin listener's port (loopback only). */
  public readonly adminPort: number;

  /** The port of the Prometheus metrics (the stats listener). */
  public readonly metricsPort: number;

  /** The URL of the outbound listener, as the app's `HTTP_PROXY`. */
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
