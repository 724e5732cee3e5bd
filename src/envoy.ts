import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { drainCommand, renderBootstrap, RESERVED_CLUSTERS, ResolvedUpstream, waitReadyCommand } from './_envoy';
import { dnsLabelFrom, isDnsLabel, isPortNumber, sidecarError, wholeSeconds } from './_util';
import { SidecarImages } from './images';
import { SidecarProfile } from './profile';
import { Sidecar, SidecarKind, SidecarOptions } from './sidecar';

const CLUSTER_NAME = /^[a-z0-9]([a-z0-9_-]{0,58}[a-z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const NO_PROXY_ENTRY = /^[A-Za-z0-9.*:/_-]+$/;
const CONFIG_DIR = '/etc/envoy';

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
   * to 127.0.0.1 on this port.
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
   * The stats listener's port (all interfaces): `/stats/prometheus` for Prometheus,
   * `/ready` and `/server_info` for the probes, GET only. Nothing else of the admin
   * interface is reachable from outside the pod.
   *
   * @default 15090
   */
  readonly statsPort?: number;

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
 * It generates the bootstrap (ConfigMap `envoy.yaml`): admin on 127.0.0.1:15000;
 * an inbound listener on 15006 to the app (127.0.0.1:appPort); an outbound listener
 * on 127.0.0.1:15001 routing by host to typed upstream clusters; and a stats
 * listener on 15090 serving `/stats/prometheus`, `/ready` and `/server_info`.
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
  /** The inbound listener's port (the target for Services). */
  public readonly inboundPort: number;

  /** The outbound listener's port. */
  public readonly outboundPort: number;

  /** The admin listener's port (loopback only). */
  public readonly adminPort: number;

  /** The stats listener's port. */
  public readonly statsPort: number;

  /** The URL of the outbound listener, as the app's `HTTP_PROXY`. */
  public readonly proxyUrl: string;

  /** The generated bootstrap (`envoy.yaml`). */
  public readonly bootstrap: string;

  /** The ConfigMap holding the bootstrap. */
  public readonly configMap: kplus.ConfigMap;

  private serviceCount: number;

  public constructor(scope: Construct, id: string, props: EnvoySidecarProps) {
    const workload = props.workload;
    const name = props.name ?? 'envoy';
    const fail = (problem: string, fix: string): never => {
      throw new Error(sidecarError(workload, name, problem, fix));
    };

    const port = (prop: string, value: number) => {
      if (!isPortNumber(value)) fail(`'${prop}' ${value} is not a valid port number`, `pass an integer from 1 to 65535 as '${prop}'`);
      return value;
    };
    const appPort = port('appPort', props.appPort);
    const ports: { [prop: string]: number } = {
      outboundPort: port('outboundPort', props.outboundPort ?? 15001),
      inboundPort: port('inboundPort', props.inboundPort ?? 15006),
      adminPort: port('adminPort', props.adminPort ?? 15000),
      statsPort: port('statsPort', props.statsPort ?? 15090),
    };
    const listeners = Object.keys(ports);
    listeners.forEach((a, i) => listeners.slice(i + 1).forEach(b => {
      if (ports[a] === ports[b]) fail(`'${a}' and '${b}' are both ${ports[a]}`, 'give each of Envoy\'s listeners its own port');
    }));
    const mine = listeners.find(p => ports[p] === appPort);
    if (mine !== undefined) {
      fail(`the app port ${appPort} is also Envoy's '${mine}'`, `move the app, or set '${mine}' to a free port`);
    }

    const drainSeconds = wholeSeconds(props.drainTime ?? Duration.seconds(10));
    if (drainSeconds === undefined) fail('\'drainTime\' is not a whole, non-negative number of seconds', 'pass e.g. Duration.seconds(10)');
    const startupSeconds = wholeSeconds(props.startupTimeout ?? Duration.seconds(60));
    if (startupSeconds === undefined || startupSeconds < 1) fail('\'startupTimeout\' is not a whole, positive number of seconds', 'pass e.g. Duration.seconds(60)');
    const concurrency = props.concurrency ?? 2;
    if (!Number.isInteger(concurrency) || concurrency < 1) fail(`'concurrency' ${concurrency} is not a positive integer`, 'pass the number of worker threads, e.g. 2');
    const drainStrategy = props.drainStrategy ?? EnvoyDrainStrategy.IMMEDIATE;
    if (!Object.values(EnvoyDrainStrategy).includes(drainStrategy)) fail(`'${drainStrategy}' is not a drain strategy`, 'pass EnvoyDrainStrategy.IMMEDIATE or EnvoyDrainStrategy.GRADUAL');

    const upstreams = resolveUpstreams(props.upstreams ?? [], fail);
    const noProxy = ['localhost', '127.0.0.1', ...(props.noProxy ?? [])];
    for (const host of props.noProxy ?? []) {
      if (!NO_PROXY_ENTRY.test(host)) fail(`'noProxy' entry '${host}' is not a host, domain or CIDR`, 'pass one host, domain suffix or CIDR per entry, without commas or spaces');
    }

    const bootstrap = renderBootstrap({
      appPort,
      inboundPort: ports.inboundPort,
      outboundPort: ports.outboundPort,
      adminPort: ports.adminPort,
      statsPort: ports.statsPort,
      upstreams,
    });

    const adminPort = ports.adminPort;
    const statsPort = ports.statsPort;
    super(scope, id, {
      ...props,
      name,
      workload,
      image: props.image ?? SidecarImages.ENVOY,
      profile: SidecarProfile.PROXY,
      kind: SidecarKind.ENVOY,
      user: props.user ?? 101,
      group: props.group ?? 101,
      args: [
        '-c', `${CONFIG_DIR}/envoy.yaml`,
        '--concurrency', `${concurrency}`,
        '--drain-time-s', `${drainSeconds}`,
        '--drain-strategy', drainStrategy,
        // A pod never hot-restarts Envoy; this also keeps it out of /dev/shm.
        '--disable-hot-restart',
      ],
      ports: [
        { number: ports.outboundPort, name: 'envoy-outbound' },
        { number: ports.inboundPort, name: 'envoy-inbound' },
        { number: adminPort, name: 'envoy-admin' },
        { number: statsPort, name: 'envoy-stats' },
      ],
      metrics: { portName: 'envoy-stats', path: '/stats/prometheus' },
      startupProbe: kplus.Probe.fromHttpGet('/ready', {
        port: statsPort,
        periodSeconds: Duration.seconds(1),
        failureThreshold: startupSeconds,
        timeoutSeconds: Duration.seconds(1),
      }),
      readiness: kplus.Probe.fromHttpGet('/ready', {
        port: statsPort,
        periodSeconds: Duration.seconds(5),
        failureThreshold: 2,
        timeoutSeconds: Duration.seconds(1),
      }),
      liveness: kplus.Probe.fromHttpGet('/server_info', {
        port: statsPort,
        initialDelaySeconds: Duration.seconds(10),
        periodSeconds: Duration.seconds(10),
        failureThreshold: 3,
        timeoutSeconds: Duration.seconds(2),
      }),
      legacyStartupCommand: waitReadyCommand(adminPort, startupSeconds!),
      preStop: drainSeconds! > 0 ? kplus.Handler.fromCommand(drainCommand(adminPort, drainSeconds!)) : undefined,
      shutdownBudget: Duration.seconds(drainSeconds! > 0 ? drainSeconds! + 5 : 0),
    });

    this.outboundPort = ports.outboundPort;
    this.inboundPort = ports.inboundPort;
    this.adminPort = adminPort;
    this.statsPort = statsPort;
    this.proxyUrl = `http://127.0.0.1:${this.outboundPort}`;
    this.bootstrap = bootstrap;
    this.serviceCount = 0;

    this.configMap = new kplus.ConfigMap(this, 'Resource', { data: { 'envoy.yaml': bootstrap } });
    const volume = kplus.Volume.fromConfigMap(this, 'Config', this.configMap, { name: dnsLabelFrom(this.name, 'config') });
    this.container.mount(CONFIG_DIR, volume, { readOnly: true });

    // Envoy reads its bootstrap once: roll the pods when it changes.
    this.rollOnConfigChange({ 'envoy.yaml': bootstrap });

    if (props.proxyEnv ?? true) {
      for (const variable of ['HTTP_PROXY', 'http_proxy']) {
        this.addAppEnvVariable(variable, kplus.EnvValue.fromValue(this.proxyUrl));
      }
      for (const variable of ['NO_PROXY', 'no_proxy']) {
        this.addAppEnvVariable(variable, kplus.EnvValue.fromValue(noProxy.join(',')));
      }
    }

    if (props.meshInjectionOptOut ?? true) {
      workload.podMetadata.addAnnotation('sidecar.istio.io/inject', 'false');
      workload.podMetadata.addLabel('sidecar.istio.io/inject', 'false');
      workload.podMetadata.addAnnotation('linkerd.io/inject', 'disabled');
    }
  }

  /**
   * Exposes the workload through a Service whose target is Envoy's inbound
   * listener, so traffic in goes through the proxy. (cdk8s-plus
   * `exposeViaService()` only sees the ports of ordinary containers, and would
   * bypass Envoy.)
   */
  public exposeViaService(options: EnvoyServiceOptions = {}): kplus.Service {
    const port = options.port ?? 80;
    if (!isPortNumber(port)) {
      throw new Error(sidecarError(this.workload, this.name, `Service port ${port} is not a valid port number`, 'pass an integer from 1 to 65535 as \'port\''));
    }
    this.serviceCount += 1;
    return new kplus.Service(this, this.serviceCount === 1 ? 'Service' : `Service${this.serviceCount}`, {
      metadata: { name: options.name, namespace: this.workload.metadata.namespace },
      selector: this.workload,
      type: options.serviceType ?? kplus.ServiceType.CLUSTER_IP,
      ports: [{ port, targetPort: this.inboundPort, name: options.portName ?? 'http' }],
    });
  }
}


function isHost(host: string): boolean {
  if (IPV4.test(host)) return true;
  if (host.length > 253 || /^\d+(\.\d+)*$/.test(host)) return false;
  return host.split('.').every(label => isDnsLabel(label.toLowerCase()));
}

function isDomain(domain: string): boolean {
  const m = /^(\*\.)?([^:]+)(:(\d+))?$/.exec(domain);
  if (!m) return false;
  if (m[4] !== undefined && !isPortNumber(Number(m[4]))) return false;
  return isHost(m[2]);
}

function resolveUpstreams(upstreams: EnvoyUpstream[], fail: (problem: string, fix: string) => never): ResolvedUpstream[] {
  const names = new Set<string>();
  const domainOwner = new Map<string, string>();
  return upstreams.map(u => {
    if (typeof u.name !== 'string' || !CLUSTER_NAME.test(u.name)) {
      fail(`upstream name '${u.name}' is not valid`, 'use at most 60 lower-case letters, digits, \'_\' and \'-\', starting and ending with a letter or digit');
    }
    if (RESERVED_CLUSTERS.includes(u.name)) {
      fail(`upstream name '${u.name}' is reserved for the sidecar's own cluster`, `choose another name (${RESERVED_CLUSTERS.map(n => `'${n}'`).join(' and ')} are taken)`);
    }
    if (names.has(u.name)) {
      fail(`two upstreams are named '${u.name}'`, 'give every upstream its own name');
    }
    names.add(u.name);
    if (typeof u.host !== 'string' || !isHost(u.host)) {
      fail(`upstream '${u.name}': host '${u.host}' is not a DNS name or IPv4 address`, 'pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'');
    }
    if (!isPortNumber(u.port)) {
      fail(`upstream '${u.name}': port ${u.port} is not a valid port number`, 'pass an integer from 1 to 65535');
    }
    const type = u.dnsType ?? (IPV4.test(u.host) ? EnvoyDnsType.STATIC : EnvoyDnsType.STRICT_DNS);
    if (!Object.values(EnvoyDnsType).includes(type)) {
      fail(`upstream '${u.name}': '${type}' is not a DNS type`, 'pass an EnvoyDnsType');
    }
    if (type === EnvoyDnsType.STATIC && !IPV4.test(u.host)) {
      fail(`upstream '${u.name}': a STATIC upstream needs an IPv4 address, not '${u.host}'`, 'use EnvoyDnsType.STRICT_DNS or LOGICAL_DNS for a DNS name');
    }
    let connectTimeoutMillis: number | undefined;
    try {
      connectTimeoutMillis = (u.connectTimeout ?? Duration.seconds(5)).toMilliseconds();
    } catch {
      connectTimeoutMillis = undefined;
    }
    if (connectTimeoutMillis === undefined || !Number.isInteger(connectTimeoutMillis) || connectTimeoutMillis <= 0) {
      fail(`upstream '${u.name}': the connect timeout is not a positive, whole number of milliseconds`, 'pass e.g. Duration.seconds(5)');
    }
    const domains = u.domains ? [...u.domains] : [u.host, `${u.host}:${u.port}`];
    if (domains.length === 0) {
      fail(`upstream '${u.name}' has no domains, so no request can reach it`, 'leave \'domains\' unset (the host and host:port), or list the request hosts');
    }
    for (const domain of domains) {
      if (typeof domain !== 'string' || !isDomain(domain)) {
        fail(`upstream '${u.name}': domain '${domain}' is not valid`, 'pass a host, host:port, or *.suffix');
      }
      const key = domain.toLowerCase();
      const owner = domainOwner.get(key);
      if (owner !== undefined) {
        fail(`domain '${domain}' is routed to both upstreams '${owner}' and '${u.name}'`, 'route each request host to one upstream (set \'domains\')');
      }
      domainOwner.set(key, u.name);
    }
    return { name: u.name, host: u.host, port: u.port, type, connectTimeoutMillis: connectTimeoutMillis!, domains };
  });
}
