import { stringify } from 'yaml';
import { TextCache } from '../../core/_memo';
import { isIPv4 } from '../../core/checks';

/**
 * Internal: the Envoy bootstrap and the admin-client scripts of EnvoySidecar.
 * Nothing here is exported from the package.
 */

/** The name of the cluster that points at the app. */
const LOCAL_APP_CLUSTER = 'local_app';
/** The name of the cluster that points at Envoy's own admin listener. */
const ADMIN_CLUSTER = 'envoy_admin';
/** The name of the dynamic forward proxy cluster (ALLOW_ANY). */
const FORWARD_PROXY_CLUSTER = 'dynamic_forward_proxy';
/** Cluster names the bootstrap uses for itself. */
export const RESERVED_CLUSTERS = [LOCAL_APP_CLUSTER, ADMIN_CLUSTER, FORWARD_PROXY_CLUSTER];
/** Admin paths the stats listener forwards (GET only): metrics and readiness. */
const PUBLIC_ADMIN_PATHS = ['/stats/prometheus', '/ready'];
/** The liveness path, answered by the stats listener itself (Envoy's workers serve it). */
export const LIVENESS_PATH = '/live';
/** The outbound listener's stat prefix (`listener.outbound.*`, `http.outbound.*`). */
const OUTBOUND_STAT_PREFIX = 'outbound';
/** The system CA bundle of the envoyproxy/envoy image (Ubuntu's ca-certificates). */
export const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';
/** The largest protobuf Duration, in seconds (10,000 years). */
export const MAX_DURATION_SECONDS = 315_576_000_000;

const T = 'type.googleapis.com/envoy.';
const HCM_TYPE = `${T}extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
const ROUTER_TYPE = `${T}extensions.filters.http.router.v3.Router`;
const DFP_FILTER_TYPE = `${T}extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig`;
const DFP_CLUSTER_TYPE = `${T}extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig`;
const HTTP_OPTIONS_TYPE = `${T}extensions.upstreams.http.v3.HttpProtocolOptions`;
const UPSTREAM_TLS_TYPE = `${T}extensions.transport_sockets.tls.v3.UpstreamTlsContext`;
const STDOUT_LOG_TYPE = `${T}extensions.access_loggers.stream.v3.StdoutAccessLog`;
/** Istio's inbound thresholds: the app, not Envoy, decides how much it takes. */
const UNLIMITED = 4294967295;

/** The HTTP protocol of a cluster. */
export type Protocol = 'HTTP1' | 'HTTP2' | 'GRPC';

/** A validated upstream TLS origination. */
export interface ResolvedTls {
  readonly sni?: string;
  readonly subjectAltNames: string[];
  /** The CA bundle file inside the container. */
  readonly caFile: string;
  /** The client certificate and key files inside the container (mTLS). */
  readonly clientCertFile?: string;
  readonly clientKeyFile?: string;
}

/** A validated upstream, ready to render. */
export interface ResolvedUpstream {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly type: string;
  readonly connectTimeoutMillis: number;
  readonly domains: string[];
  readonly protocol: Protocol;
  /** 0: no timeout. */
  readonly requestTimeoutMillis: number;
  readonly dnsFamily: string;
  readonly tls?: ResolvedTls;
  readonly retries?: { readonly attempts: number; readonly retryOn: string[]; readonly perTryTimeoutMillis?: number };
  readonly circuitBreaker?: {
    readonly maxConnections?: number;
    readonly maxPendingRequests?: number;
    readonly maxRequests?: number;
    readonly maxRetries?: number;
  };
  readonly outlierDetection?: {
    readonly consecutive5xx: number;
    readonly intervalMillis: number;
    readonly baseEjectionMillis: number;
    readonly maxEjectionPercent: number;
  };
}

/** Everything the bootstrap needs, validated. */
export interface BootstrapSpec {
  readonly appPort: number;
  readonly inboundPort: number;
  readonly outboundPort: number;
  readonly adminPort: number;
  readonly metricsPort: number;
  readonly upstreams: ResolvedUpstream[];
  readonly allowAny: boolean;
  readonly appProtocol: Protocol;
  /** 0: no timeout (streaming). */
  readonly inboundTimeoutMillis: number;
  /** 0: Envoy keeps idle connections to the app open. */
  readonly appIdleTimeoutMillis: number;
  readonly websockets: boolean;
  readonly accessLog: boolean;
}

/**
 * An Envoy duration, a protobuf Duration in its JSON form: whole seconds and up to
 * three decimals, never an exponent (`0.25s`, `315576000000s`).
 */
export function duration(millis: number): string {
  if (!Number.isInteger(millis) || millis < 0 || millis > MAX_DURATION_SECONDS * 1000) {
    throw new Error(`internal: duration ${millis} ms is out of protobuf's range`);
  }
  const seconds = Math.floor(millis / 1000);
  const rest = millis % 1000;
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, '0').replace(/0+$/, '')}s`;
}

function socketAddress(address: string, port: number) {
  return { socket_address: { address, port_value: port } };
}

function httpProtocolOptions(protocol: Protocol, idleTimeoutMillis?: number) {
  return {
    ['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']: {
      '@type': HTTP_OPTIONS_TYPE,
      ...(idleTimeoutMillis !== undefined ? { common_http_protocol_options: { idle_timeout: duration(idleTimeoutMillis) } } : {}),
      'explicit_http_config': protocol === 'HTTP1' ? { http_protocol_options: {} } : { http2_protocol_options: {} },
    },
  };
}

/** The one endpoint of a cluster. */
function loadAssignment(cluster: string, host: string, port: number) {
  return {
    cluster_name: cluster,
    endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(host, port) } }] }],
  };
}

function staticCluster(name: string, host: string, port: number, connectTimeoutMillis: number, extra: object = {}) {
  return {
    name,
    type: 'STATIC',
    connect_timeout: duration(connectTimeoutMillis),
    lb_policy: 'ROUND_ROBIN',
    ...extra,
    load_assignment: loadAssignment(name, host, port),
  };
}

function upstreamTls(u: ResolvedUpstream, tls: ResolvedTls) {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': UPSTREAM_TLS_TYPE,
      ...(tls.sni ? { sni: tls.sni } : {}),
      'common_tls_context': {
        alpn_protocols: u.protocol === 'HTTP1' ? ['http/1.1'] : ['h2'],
        ...(tls.clientCertFile ? {
          tls_certificates: [{ certificate_chain: { filename: tls.clientCertFile }, private_key: { filename: tls.clientKeyFile } }],
        } : {}),
        validation_context: {
          trusted_ca: { filename: tls.caFile },
          // Never empty, and each a DNS name or an IPv4 address (resolveTls).
          match_typed_subject_alt_names: tls.subjectAltNames.map(san => ({
            san_type: isIPv4(san) ? 'IP_ADDRESS' : 'DNS',
            matcher: { exact: san },
          })),
        },
      },
    },
  };
}

function upstreamCluster(u: ResolvedUpstream) {
  const dns = u.type !== 'STATIC';
  const c = u.circuitBreaker;
  const o = u.outlierDetection;
  return {
    name: u.name,
    type: u.type,
    connect_timeout: duration(u.connectTimeoutMillis),
    lb_policy: 'ROUND_ROBIN',
    ...(dns ? { dns_lookup_family: u.dnsFamily, respect_dns_ttl: true } : {}),
    typed_extension_protocol_options: httpProtocolOptions(u.protocol),
    ...(u.tls ? { transport_socket: upstreamTls(u, u.tls) } : {}),
    ...(c ? {
      circuit_breakers: {
        thresholds: [{
          priority: 'DEFAULT',
          ...(c.maxConnections !== undefined ? { max_connections: c.maxConnections } : {}),
          ...(c.maxPendingRequests !== undefined ? { max_pending_requests: c.maxPendingRequests } : {}),
          ...(c.maxRequests !== undefined ? { max_requests: c.maxRequests } : {}),
          ...(c.maxRetries !== undefined ? { max_retries: c.maxRetries } : {}),
        }],
      },
    } : {}),
    ...(o ? {
      outlier_detection: {
        consecutive_5xx: o.consecutive5xx,
        interval: duration(o.intervalMillis),
        base_ejection_time: duration(o.baseEjectionMillis),
        max_ejection_percent: o.maxEjectionPercent,
      },
    } : {}),
    load_assignment: loadAssignment(u.name, u.host, u.port),
  };
}

/** The DNS cache of the dynamic forward proxy: the filter and the cluster must share it exactly. */
const DNS_CACHE = {
  name: 'dynamic_forward_proxy_cache',
  dns_lookup_family: 'V4_PREFERRED',
  // Resolved hosts are refreshed by their DNS TTL, at least every 5 s apart.
  dns_min_refresh_rate: '5s',
  host_ttl: '300s',
  max_hosts: 1024,
};

/** A route that tunnels CONNECT requests to `cluster`, with no timeout. */
function connectRoute(cluster: string) {
  return { match: { connect_matcher: {} }, route: { cluster, timeout: '0s', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] } };
}

/** The JSON access log to stdout (one object per request). */
function accessLog(direction: string) {
  return [{
    name: 'envoy.access_loggers.stdout',
    typed_config: {
      '@type': STDOUT_LOG_TYPE,
      'log_format': {
        json_format: {
          time: '%START_TIME%',
          direction,
          method: '%REQ(:METHOD)%',
          authority: '%REQ(:AUTHORITY)%',
          path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
          protocol: '%PROTOCOL%',
          status: '%RESPONSE_CODE%',
          flags: '%RESPONSE_FLAGS%',
          details: '%RESPONSE_CODE_DETAILS%',
          bytes_in: '%BYTES_RECEIVED%',
          bytes_out: '%BYTES_SENT%',
          duration_ms: '%DURATION%',
          upstream_cluster: '%UPSTREAM_CLUSTER%',
          upstream_host: '%UPSTREAM_HOST%',
          client: '%DOWNSTREAM_REMOTE_ADDRESS%',
          forwarded_for: '%REQ(X-FORWARDED-FOR)%',
          request_id: '%REQ(X-REQUEST-ID)%',
          user_agent: '%REQ(USER-AGENT)%',
        },
      },
    },
  }];
}

function hcmFilter(statPrefix: string, routeConfig: object, httpFilters: object[], extra: object) {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HCM_TYPE,
      'stat_prefix': statPrefix,
      'codec_type': 'AUTO',
      ...extra,
      'route_config': routeConfig,
      'http_filters': [...httpFilters, { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
    },
  };
}

function listener(name: string, direction: string | undefined, address: string, port: number, filter: object) {
  return {
    name,
    stat_prefix: name,
    address: socketAddress(address, port),
    ...(direction ? { traffic_direction: direction } : {}),
    filter_chains: [{ filters: [filter] }],
  };
}

/** The routes of a typed upstream's virtual host. */
function upstreamRoutes(u: ResolvedUpstream, allowAny: boolean): object[] {
  // ALLOW_ANY: a CONNECT tunnel to the upstream's host carries the app's own TLS: pass it through.
  const connect = allowAny ? connectRoute(FORWARD_PROXY_CLUSTER)
    : !u.tls ? connectRoute(u.name)
      : {
        match: { connect_matcher: {} },
        direct_response: {
          status: 400,
          body: { inline_string: `upstream '${u.name}': Envoy originates TLS to it, so send plain http:// requests through the proxy instead of a CONNECT tunnel\n` },
        },
      };
  const r = u.retries;
  return [connect, {
    match: { prefix: '/' },
    route: {
      cluster: u.name,
      timeout: duration(u.requestTimeoutMillis),
      ...(r ? {
        retry_policy: {
          retry_on: r.retryOn.join(','),
          num_retries: r.attempts,
          ...(r.perTryTimeoutMillis !== undefined ? { per_try_timeout: duration(r.perTryTimeoutMillis) } : {}),
        },
      } : {}),
    },
  }];
}

/**
 * The bootstrap as a plain object: admin on loopback; inbound (all interfaces) to
 * the app; outbound (loopback) to the typed upstreams by host, and, by the outbound
 * policy, to any other host (ALLOW_ANY: a dynamic forward proxy for absolute-URL HTTP
 * and CONNECT tunnels) or to none (REGISTRY_ONLY: a 502 that names the host); and a
 * stats listener (all interfaces, on the metrics port) that forwards only the GET
 * admin paths Prometheus and the readiness probe need, and answers liveness itself.
 */
function bootstrapObject(spec: BootstrapSpec): object {
  const getOnly = [{ name: ':method', string_match: { exact: 'GET' } }];
  const upgrades = spec.websockets ? [{ upgrade_type: 'websocket' }] : [];
  const inboundHcm = hcmFilter('inbound', {
    name: 'inbound_route',
    virtual_hosts: [{
      name: LOCAL_APP_CLUSTER,
      domains: ['*'],
      routes: [{ match: { prefix: '/' }, route: { cluster: LOCAL_APP_CLUSTER, timeout: duration(spec.inboundTimeoutMillis) } }],
    }],
  }, [], {
    // The client's address (not 127.0.0.1) reaches the app in X-Forwarded-For.
    use_remote_address: true,
    ...(upgrades.length > 0 ? { upgrade_configs: upgrades } : {}),
    ...(spec.accessLog ? { access_log: accessLog('inbound') } : {}),
  });

  const fallback = spec.allowAny
    ? [{
      name: 'allow_any',
      domains: ['*'],
      routes: [
        connectRoute(FORWARD_PROXY_CLUSTER),
        { match: { prefix: '/' }, route: { cluster: FORWARD_PROXY_CLUSTER, timeout: '0s' } },
      ],
    }]
    : [];
  const outboundHcm = hcmFilter(OUTBOUND_STAT_PREFIX, {
    name: 'outbound_route',
    virtual_hosts: [
      ...spec.upstreams.map(u => ({ name: u.name, domains: u.domains, routes: upstreamRoutes(u, spec.allowAny) })),
      ...fallback,
    ],
  }, spec.allowAny ? [{
    name: 'envoy.filters.http.dynamic_forward_proxy',
    typed_config: { '@type': DFP_FILTER_TYPE, 'dns_cache_config': DNS_CACHE },
  }] : [], {
    // The app sends `GET http://host/path` to a proxy set in HTTP_PROXY, and CONNECT for HTTPS_PROXY.
    http_protocol_options: { allow_absolute_url: true },
    http2_protocol_options: { allow_connect: true },
    upgrade_configs: [{ upgrade_type: 'CONNECT' }, ...upgrades],
    ...(spec.allowAny ? {} : {
      // REGISTRY_ONLY: a host no upstream routes is answered with a 502 that says so.
      local_reply_config: {
        mappers: [{
          filter: { response_flag_filter: { flags: ['NR'] } },
          status_code: 502,
          body_format_override: {
            text_format_source: {
              inline_string: 'host %REQ(:AUTHORITY)% is not a registered upstream of this Envoy sidecar (outbound policy REGISTRY_ONLY)\n',
            },
          },
        }],
      },
    }),
    ...(spec.accessLog ? { access_log: accessLog('outbound') } : {}),
  });

  const statsHcm = hcmFilter('stats', {
    name: 'stats_route',
    virtual_hosts: [{
      name: ADMIN_CLUSTER,
      domains: ['*'],
      routes: [
        ...PUBLIC_ADMIN_PATHS.map(path => ({ match: { path, headers: getOnly }, route: { cluster: ADMIN_CLUSTER } })),
        { match: { path: LIVENESS_PATH, headers: getOnly }, direct_response: { status: 200, body: { inline_string: 'alive\n' } } },
      ],
    }],
  }, [], {});

  return {
    admin: { address: socketAddress('127.0.0.1', spec.adminPort) },
    static_resources: {
      listeners: [
        listener('inbound', 'INBOUND', '0.0.0.0', spec.inboundPort, inboundHcm),
        listener(OUTBOUND_STAT_PREFIX, 'OUTBOUND', '127.0.0.1', spec.outboundPort, outboundHcm),
        listener('stats', undefined, '0.0.0.0', spec.metricsPort, statsHcm),
      ],
      clusters: [
        staticCluster(LOCAL_APP_CLUSTER, '127.0.0.1', spec.appPort, 5000, {
          // The app decides how much it takes; Envoy's defaults (1024 requests) would answer 503s first.
          circuit_breakers: {
            thresholds: [{ priority: 'DEFAULT', max_connections: UNLIMITED, max_pending_requests: UNLIMITED, max_requests: UNLIMITED, max_retries: UNLIMITED }],
          },
          // Close idle connections before the app does (Node.js closes them after 5 s).
          typed_extension_protocol_options: httpProtocolOptions(spec.appProtocol, spec.appIdleTimeoutMillis),
        }),
        staticCluster(ADMIN_CLUSTER, '127.0.0.1', spec.adminPort, 1000),
        ...(spec.allowAny ? [{
          name: FORWARD_PROXY_CLUSTER,
          connect_timeout: '5s',
          lb_policy: 'CLUSTER_PROVIDED',
          cluster_type: {
            name: 'envoy.clusters.dynamic_forward_proxy',
            typed_config: { '@type': DFP_CLUSTER_TYPE, 'dns_cache_config': DNS_CACHE },
          },
        }] : []),
        ...spec.upstreams.map(upstreamCluster),
      ],
    },
  };
}

const bootstraps = new TextCache<string>();

/**
 * The bootstrap as YAML (rendered by the yaml library, never by string templates).
 * Every string is double-quoted, so Envoy's YAML 1.1 loader reads `on`, `yes`, `N`
 * or `1e5` as the strings they are, not as booleans or numbers. Each distinct spec is
 * rendered once per process: pods with the same props share one bootstrap.
 */
export function renderBootstrap(spec: BootstrapSpec): string {
  return bootstraps.get(JSON.stringify(spec), () => stringify(bootstrapObject(spec), {
    lineWidth: 0,
    aliasDuplicateObjects: false,
    defaultStringType: 'QUOTE_DOUBLE',
    defaultKeyType: 'PLAIN',
  }));
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
 * The startup gate (the postStart hook, NATIVE and LEGACY): blocks until `/ready`
 * answers 200, polling every 0.1 s (GNU coreutils' `sleep` in the Ubuntu image takes
 * fractions), for at most `timeoutSeconds` of wall time (bash's `SECONDS`; then it
 * fails, and the kubelet kills and restarts the container). It returns at most 0.1 s
 * after Envoy is ready, before the kubelet's next relist: the gate costs no probe period.
 */
export function waitReadyCommand(adminPort: number, timeoutSeconds: number): string[] {
  const script = [
    `while [ "$SECONDS" -lt ${timeoutSeconds} ]; do`,
    `  if ${adminRequest('GET', '/ready', adminPort)}; then exit 0; fi`,
    '  sleep 0.1',
    'done',
    `echo "envoy was not ready after ${timeoutSeconds}s" >&2`,
    'exit 1',
  ].join('\n');
  return ['bash', '-c', script];
}

/** Starts the graceful drain of the inbound listeners, or says that it could not. */
function drainRequest(adminPort: number): string {
  return `${adminRequest('POST', '/drain_listeners?inboundonly&graceful', adminPort)} || echo "envoy drain request failed" >&2`;
}

/**
 * NATIVE preStop: starts the graceful drain of the inbound listeners and returns at
 * once. The kubelet runs it at deletion, in parallel with the app's SIGTERM, and
 * sends Envoy's own SIGTERM only after the app has exited, so nothing here may
 * sleep: the outbound listener stays up for the app until then.
 */
export function drainCommand(adminPort: number): string[] {
  return ['bash', '-c', drainRequest(adminPort)];
}

/**
 * LEGACY preStop: every container of the pod gets SIGTERM at deletion, and Envoy
 * exits on its SIGTERM at once. So this drains the inbound listeners, then holds
 * Envoy's SIGTERM back while the app still runs: while the app's port accepts
 * connections, or the app still has connections open to the outbound listener
 * (`listener.outbound.downstream_cx_active`). The kubelet ends it at the grace period.
 */
export function legacyDrainCommand(adminPort: number, appPort: number, drain: boolean): string[] {
  const statsPath = `/stats?filter=listener.${OUTBOUND_STAT_PREFIX}.downstream_cx_active`;
  const request = `GET ${statsPath} HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n`;
  const script = [
    ...(drain ? [drainRequest(adminPort)] : []),
    'app_up() { ( exec 3<>/dev/tcp/127.0.0.1/' + appPort + ' ) 2>/dev/null; }',
    'outbound_busy() {',
    `  n=$( ( exec 3<>/dev/tcp/127.0.0.1/${adminPort} && printf '${request}' >&3 && timeout 2 cat <&3 ) 2>/dev/null | sed -n 's/^listener\\.${OUTBOUND_STAT_PREFIX}\\.downstream_cx_active: \\([0-9]*\\).*/\\1/p')`,
    '  [ -n "$n" ] && [ "$n" -gt 0 ]',
    '}',
    'while app_up || outbound_busy; do sleep 1; done',
  ].join('\n');
  return ['bash', '-c', script];
}
