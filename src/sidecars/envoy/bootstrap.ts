import { stringify } from 'yaml';
import { TextCache } from '../../core/_memo';

/**
 * Internal: the Envoy bootstrap and the admin-client scripts of EnvoySidecar.
 * Nothing here is exported from the package.
 */

/** The name of the cluster that points at the app. */
export const LOCAL_APP_CLUSTER = 'local_app';
/** The name of the cluster that points at Envoy's own admin listener. */
export const ADMIN_CLUSTER = 'envoy_admin';
/** Cluster names the bootstrap uses for itself. */
export const RESERVED_CLUSTERS = [LOCAL_APP_CLUSTER, ADMIN_CLUSTER];
/** Admin paths the stats listener forwards (GET only): metrics, readiness, liveness. */
export const PUBLIC_ADMIN_PATHS = ['/stats/prometheus', '/ready', '/server_info'];

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** A validated upstream, ready to render. */
export interface ResolvedUpstream {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly type: string;
  readonly connectTimeoutMillis: number;
  readonly domains: string[];
}

/** Everything the bootstrap needs, validated. */
export interface BootstrapSpec {
  readonly appPort: number;
  readonly inboundPort: number;
  readonly outboundPort: number;
  readonly adminPort: number;
  readonly metricsPort: number;
  readonly upstreams: ResolvedUpstream[];
}

/** An Envoy duration (a protobuf Duration in its JSON form). */
function duration(millis: number): string {
  return `${millis / 1000}s`;
}

function socketAddress(address: string, port: number) {
  return { socket_address: { address, port_value: port } };
}

function cluster(name: string, type: string, host: string, port: number, connectTimeoutMillis: number) {
  return {
    name,
    type,
    connect_timeout: duration(connectTimeoutMillis),
    lb_policy: 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(host, port) } }] }],
    },
  };
}

function httpListener(name: string, direction: string | undefined, address: string, port: number, virtualHosts: object[], extra: object = {}) {
  return {
    name,
    address: socketAddress(address, port),
    ...(direction ? { traffic_direction: direction } : {}),
    filter_chains: [{
      filters: [{
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': HCM_TYPE,
          'stat_prefix': name,
          'codec_type': 'AUTO',
          ...extra,
          'route_config': { name: `${name}_route`, virtual_hosts: virtualHosts },
          'http_filters': [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
        },
      }],
    }],
  };
}

/**
 * The bootstrap as a plain object: admin on loopback; inbound (all interfaces) to
 * the app; outbound (loopback) to the upstreams, one virtual host per upstream;
 * and a stats listener (all interfaces, on the metrics port) that forwards only the GET admin paths
 * the kubelet and Prometheus need.
 */
export function bootstrapObject(spec: BootstrapSpec): object {
  const getOnly = [{ name: ':method', string_match: { exact: 'GET' } }];
  return {
    admin: { address: socketAddress('127.0.0.1', spec.adminPort) },
    static_resources: {
      listeners: [
        httpListener('inbound', 'INBOUND', '0.0.0.0', spec.inboundPort, [{
          name: LOCAL_APP_CLUSTER,
          domains: ['*'],
          routes: [{ match: { prefix: '/' }, route: { cluster: LOCAL_APP_CLUSTER } }],
        }]),
        httpListener('outbound', 'OUTBOUND', '127.0.0.1', spec.outboundPort, spec.upstreams.map(u => ({
          name: u.name,
          domains: u.domains,
          routes: [{ match: { prefix: '/' }, route: { cluster: u.name } }],
        })), {
          // The app sends `GET http://host/path` to a proxy set in HTTP_PROXY.
          http_protocol_options: { allow_absolute_url: true },
        }),
        httpListener('stats', undefined, '0.0.0.0', spec.metricsPort, [{
          name: ADMIN_CLUSTER,
          domains: ['*'],
          routes: PUBLIC_ADMIN_PATHS.map(path => ({
            match: { path, headers: getOnly },
            route: { cluster: ADMIN_CLUSTER },
          })),
        }]),
      ],
      clusters: [
        cluster(LOCAL_APP_CLUSTER, 'STATIC', '127.0.0.1', spec.appPort, 5000),
        cluster(ADMIN_CLUSTER, 'STATIC', '127.0.0.1', spec.adminPort, 1000),
        ...spec.upstreams.map(u => cluster(u.name, u.type, u.host, u.port, u.connectTimeoutMillis)),
      ],
    },
  };
}

const bootstraps = new TextCache<string>();

/**
 * The bootstrap as YAML (rendered by the yaml library, never by string templates).
 * Each distinct spec is rendered once per process: pods with the same ports and
 * upstreams share one bootstrap.
 */
export function renderBootstrap(spec: BootstrapSpec): string {
  return bootstraps.get(JSON.stringify(spec), () => stringify(bootstrapObject(spec), { lineWidth: 0, aliasDuplicateObjects: false }));
}

/**
 * A bash snippet that sends one HTTP/1.1 request to the admin listener on loopback
 * and succeeds when the answer is 200. The official image (Ubuntu) has bash but
 * neither curl nor wget, so this uses bash's /dev/tcp. It runs in a subshell so a
 * refused connection cannot end the calling script.
 */
function adminRequest(method: string, path: string, adminPort: number): string {
  const request = `${method} ${path} HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n`;
  return `( exec 3<>/dev/tcp/127.0.0.1/${adminPort} && printf '${request}' >&3 && IFS=' ' read -r -t 2 _ code _ <&3 && [ "$code" = 200 ] ) 2>/dev/null`;
}

/**
 * LEGACY startup gate: blocks until `/ready` answers 200, for at most
 * `timeoutSeconds` (then fails, and the kubelet restarts the container).
 */
export function waitReadyCommand(adminPort: number, timeoutSeconds: number): string[] {
  const script = [
    `for _ in $(seq 1 ${timeoutSeconds}); do`,
    `  if ${adminRequest('GET', '/ready', adminPort)}; then exit 0; fi`,
    '  sleep 1',
    'done',
    `echo "envoy was not ready after ${timeoutSeconds}s" >&2`,
    'exit 1',
  ].join('\n');
  return ['bash', '-c', script];
}

/**
 * preStop: starts the graceful drain of the inbound listeners (the app can still
 * call out while it shuts down), then waits for the drain time before the kubelet
 * sends SIGTERM.
 */
export function drainCommand(adminPort: number, drainSeconds: number): string[] {
  const script = [
    `${adminRequest('POST', '/drain_listeners?inboundonly&graceful', adminPort)} || echo "envoy drain request failed" >&2`,
    `sleep ${drainSeconds}`,
  ].join('\n');
  return ['bash', '-c', script];
}
