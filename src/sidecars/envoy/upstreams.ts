import { Duration } from 'cdk8s';
import { MAX_DURATION_SECONDS, Protocol, RESERVED_CLUSTERS, ResolvedTls, ResolvedUpstream, SYSTEM_CA_FILE } from './bootstrap';
import { EnvoyCaBundle, EnvoyDnsFamily, EnvoyDnsType, EnvoyProtocol, EnvoyUpstream, EnvoyUpstreamTls } from './sidecar';
import { isConfigMapKey, isDnsName, isIPv4, isPortNumber, wholeMillis } from '../../core/checks';
import { Fail } from '../../core/errors';
import { SidecarVolume, SidecarVolumeSource } from '../../core/volumes';

/**
 * Internal: the validation of EnvoySidecar's upstreams. Nothing here is exported from
 * the package. Every value that reaches the bootstrap is checked here, so a user string
 * can never add a listener or a cluster.
 */

const CLUSTER_NAME = /^[a-z0-9]([a-z0-9_-]{0,58}[a-z0-9])?$/;
const CODE = 'ENVOY_UPSTREAM_INVALID';
const TLS_CODE = 'ENVOY_TLS_INVALID';
const RETRY_CODE = 'ENVOY_RETRY_INVALID';
const MAX_UINT32 = 4294967295;
/** Where the TLS files of upstream `i` are mounted. */
const TLS_DIR = '/etc/envoy-tls';
/** Envoy's retry conditions (x-envoy-retry-on and x-envoy-retry-grpc-on). */
const RETRY_ON = [
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx',
  'refused-stream', 'retriable-status-codes', 'retriable-headers', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
];
const DEFAULT_RETRY_ON = ['connect-failure', 'refused-stream', 'unavailable', 'cancelled'];

/** True when `host` is an IPv4 address or a DNS name (a trailing dot, which skips the search list, is allowed). */
function isHost(host: string): boolean {
  return isIPv4(host) || isDnsName(host.endsWith('.') ? host.slice(0, -1) : host);
}

/** True when `domain` is a host, `host:port` or `*.suffix` (Envoy's virtual host domains). */
function isDomain(domain: string): boolean {
  const m = /^(\*\.)?([^:]+)(:(\d+))?$/.exec(domain);
  if (!m) return false;
  if (m[4] !== undefined && !isPortNumber(Number(m[4]))) return false;
  return isIPv4(m[2]) || isDnsName(m[2]);
}

/**
 * A duration in whole milliseconds, within protobuf's Duration range, or undefined
 * (not a Duration, not whole milliseconds, below `min`, or beyond the range).
 */
export function millisOf(value: Duration | undefined, fallback: Duration, min: number): number | undefined {
  const millis = wholeMillis(value ?? fallback);
  return millis !== undefined && millis >= min && millis <= MAX_DURATION_SECONDS * 1000 ? millis : undefined;
}

/** The upstreams, checked and with their defaults, ready to render, and the volumes their TLS files need. */
export function resolveUpstreams(
  upstreams: EnvoyUpstream[], fail: Fail, sidecarName: string,
): { upstreams: ResolvedUpstream[]; volumes: SidecarVolume[] } {
  const problem = (p: string, fix: string): never => fail(CODE, p, fix);
  const names = new Set<string>();
  const domainOwner = new Map<string, string>();
  const volumes: SidecarVolume[] = [];
  const volumePrefix = sidecarName.slice(0, 48).replace(/-+$/, '');
  const resolved = upstreams.map((u, index) => {
    if (typeof u.name !== 'string' || !CLUSTER_NAME.test(u.name)) {
      problem(`upstream name '${u.name}' is not valid`, 'use at most 60 lower-case letters, digits, \'_\' and \'-\', starting and ending with a letter or digit');
    }
    if (RESERVED_CLUSTERS.includes(u.name)) {
      problem(`upstream name '${u.name}' is reserved for the sidecar's own cluster`, `choose another name (${RESERVED_CLUSTERS.map(n => `'${n}'`).join(', ')} are taken)`);
    }
    if (names.has(u.name)) problem(`two upstreams are named '${u.name}'`, 'give every upstream its own name');
    names.add(u.name);
    if (typeof u.host !== 'string' || !isHost(u.host)) {
      problem(`upstream '${u.name}': host '${u.host}' is not a DNS name or IPv4 address`, 'pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'');
    }
    const hostName = u.host.replace(/\.$/, '');
    if (!isPortNumber(u.port)) problem(`upstream '${u.name}': port ${u.port} is not a valid port number`, 'pass an integer from 1 to 65535');
    const type = u.dnsType ?? (isIPv4(u.host) ? EnvoyDnsType.STATIC : EnvoyDnsType.STRICT_DNS);
    if (!Object.values(EnvoyDnsType).includes(type)) problem(`upstream '${u.name}': '${type}' is not a DNS type`, 'pass an EnvoyDnsType');
    if (type === EnvoyDnsType.STATIC && !isIPv4(u.host)) {
      problem(`upstream '${u.name}': a STATIC upstream needs an IPv4 address, not '${u.host}'`, 'use EnvoyDnsType.STRICT_DNS or LOGICAL_DNS for a DNS name');
    }
    const dnsFamily = u.dnsFamily ?? EnvoyDnsFamily.V4_PREFERRED;
    if (!Object.values(EnvoyDnsFamily).includes(dnsFamily)) problem(`upstream '${u.name}': '${dnsFamily}' is not a DNS family`, 'pass an EnvoyDnsFamily');
    const protocol = u.protocol ?? EnvoyProtocol.HTTP1;
    if (!Object.values(EnvoyProtocol).includes(protocol)) problem(`upstream '${u.name}': '${protocol}' is not a protocol`, 'pass an EnvoyProtocol');
    const connectTimeoutMillis = millisOf(u.connectTimeout, Duration.seconds(5), 1);
    if (connectTimeoutMillis === undefined) {
      problem(`upstream '${u.name}': the connect timeout is not a positive, whole number of milliseconds within protobuf's Duration range`, 'pass e.g. Duration.seconds(5)');
    }
    const requestTimeoutMillis = millisOf(u.requestTimeout, Duration.seconds(protocol === EnvoyProtocol.GRPC ? 0 : 15), 0);
    if (requestTimeoutMillis === undefined) {
      problem(`upstream '${u.name}': the request timeout is not a whole number of milliseconds, 0 or more, within protobuf's Duration range`, 'pass e.g. Duration.seconds(15), or Duration.seconds(0) for none');
    }
    const domains = u.domains ? [...u.domains] : [hostName, `${hostName}:${u.port}`];
    if (domains.length === 0) {
      problem(`upstream '${u.name}' has no domains, so no request can reach it`, 'leave \'domains\' unset (the host and host:port), or list the request hosts');
    }
    for (const domain of domains) {
      if (typeof domain !== 'string' || !isDomain(domain)) problem(`upstream '${u.name}': domain '${domain}' is not valid`, 'pass a host, host:port, or *.suffix');
      const key = domain.toLowerCase();
      const owner = domainOwner.get(key);
      if (owner !== undefined) {
        problem(`domain '${domain}' is routed to both upstreams '${owner}' and '${u.name}'`, 'route each request host to one upstream (set \'domains\')');
      }
      domainOwner.set(key, u.name);
    }
    const circuitBreaker = resolveCircuitBreaker(u, problem);
    const outlierDetection = resolveOutlierDetection(u, problem);
    const retries = resolveRetries(u, fail);
    const tls = u.tls === undefined ? undefined : resolveTls(u, u.tls, hostName, fail, index, volumePrefix, volumes);
    const upstream: ResolvedUpstream = {
      name: u.name,
      host: u.host,
      port: u.port,
      type,
      connectTimeoutMillis: connectTimeoutMillis!,
      domains,
      protocol: protocol as Protocol,
      requestTimeoutMillis: requestTimeoutMillis!,
      dnsFamily,
      tls,
      retries,
      circuitBreaker,
      outlierDetection,
    };
    return upstream;
  });
  return { upstreams: resolved, volumes };
}

function resolveCircuitBreaker(u: EnvoyUpstream, problem: (p: string, fix: string) => never): ResolvedUpstream['circuitBreaker'] {
  const c = u.circuitBreaker;
  if (c === undefined) return undefined;
  for (const [key, value] of Object.entries(c)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > MAX_UINT32)) {
      problem(`upstream '${u.name}': circuit breaker '${key}' ${value} is not a whole number from 1 to ${MAX_UINT32}`, 'pass a whole number of connections or requests, or leave it unset for Envoy\'s default');
    }
  }
  return { maxConnections: c.maxConnections, maxPendingRequests: c.maxPendingRequests, maxRequests: c.maxRequests, maxRetries: c.maxRetries };
}

function resolveOutlierDetection(u: EnvoyUpstream, problem: (p: string, fix: string) => never): ResolvedUpstream['outlierDetection'] {
  const o = u.outlierDetection;
  if (o === undefined) return undefined;
  const consecutive5xx = o.consecutive5xx ?? 5;
  if (!Number.isInteger(consecutive5xx) || consecutive5xx < 1 || consecutive5xx > MAX_UINT32) {
    problem(`upstream '${u.name}': outlier detection 'consecutive5xx' ${consecutive5xx} is not a whole number 1 or more`, 'pass e.g. 5');
  }
  const maxEjectionPercent = o.maxEjectionPercent ?? 10;
  if (!Number.isInteger(maxEjectionPercent) || maxEjectionPercent < 0 || maxEjectionPercent > 100) {
    problem(`upstream '${u.name}': outlier detection 'maxEjectionPercent' ${maxEjectionPercent} is not a whole percentage from 0 to 100`, 'pass e.g. 10');
  }
  const intervalMillis = millisOf(o.interval, Duration.seconds(10), 1);
  const baseEjectionMillis = millisOf(o.baseEjectionTime, Duration.seconds(30), 1);
  if (intervalMillis === undefined || baseEjectionMillis === undefined) {
    problem(`upstream '${u.name}': outlier detection '${intervalMillis === undefined ? 'interval' : 'baseEjectionTime'}' is not a positive, whole number of milliseconds within protobuf's Duration range`, 'pass e.g. Duration.seconds(10)');
  }
  return { consecutive5xx, maxEjectionPercent, intervalMillis: intervalMillis!, baseEjectionMillis: baseEjectionMillis! };
}

function resolveRetries(u: EnvoyUpstream, fail: Fail): ResolvedUpstream['retries'] {
  const r = u.retries;
  if (r === undefined) return undefined;
  const problem = (p: string, fix: string): never => fail(RETRY_CODE, p, fix);
  const attempts = r.attempts ?? 2;
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 10) {
    problem(`upstream '${u.name}': ${attempts} retry attempts is not a whole number from 0 to 10`, 'pass e.g. 2');
  }
  const retryOn = r.retryOn ?? DEFAULT_RETRY_ON;
  if (retryOn.length === 0) problem(`upstream '${u.name}': 'retryOn' is empty, so no request would be retried`, 'list retry conditions, or leave \'retries\' unset');
  for (const condition of retryOn) {
    if (!RETRY_ON.includes(condition)) problem(`upstream '${u.name}': '${condition}' is not an Envoy retry condition`, `pass some of ${RETRY_ON.join(', ')}`);
  }
  let perTryTimeoutMillis: number | undefined;
  if (r.perTryTimeout !== undefined) {
    perTryTimeoutMillis = millisOf(r.perTryTimeout, r.perTryTimeout, 1);
    if (perTryTimeoutMillis === undefined) {
      problem(`upstream '${u.name}': the per-try timeout is not a positive, whole number of milliseconds within protobuf's Duration range`, 'pass e.g. Duration.seconds(2)');
    }
  }
  return { attempts, retryOn: [...new Set(retryOn)], perTryTimeoutMillis };
}

function resolveTls(
  u: EnvoyUpstream, t: EnvoyUpstreamTls, hostName: string, fail: Fail, index: number, prefix: string, volumes: SidecarVolume[],
): ResolvedTls {
  const problem = (p: string, fix: string): never => fail(TLS_CODE, p, fix);
  const ip = isIPv4(hostName);
  const sni = t.sni ?? (ip ? undefined : hostName);
  if (sni !== undefined && !isDnsName(sni)) {
    problem(`upstream '${u.name}': SNI '${sni}' is not a DNS name`, 'pass the server\'s DNS name, such as \'api.example.com\'');
  }
  const subjectAltNames = t.subjectAltNames ? [...t.subjectAltNames] : [sni ?? hostName];
  if (subjectAltNames.length === 0) problem(`upstream '${u.name}': 'subjectAltNames' is empty, so any certificate the CAs signed would be accepted`, 'list the names the upstream\'s certificate carries, or leave it unset (the SNI)');
  for (const san of subjectAltNames) {
    if (!isIPv4(san) && !isDnsName(san)) problem(`upstream '${u.name}': subject alternative name '${san}' is not a DNS name or IPv4 address`, 'pass names such as \'api.example.com\' or addresses such as \'10.0.0.7\'');
  }
  const ca = t.caBundle ?? EnvoyCaBundle.system();
  if (!(ca instanceof EnvoyCaBundle)) problem(`upstream '${u.name}': 'caBundle' is not an EnvoyCaBundle`, 'pass EnvoyCaBundle.system(), fromConfigMap() or fromSecret()');
  let caFile = SYSTEM_CA_FILE;
  const dir = `${TLS_DIR}/${index}`;
  if (ca._source !== undefined) {
    if (!isConfigMapKey(ca.key ?? '')) problem(`upstream '${u.name}': CA bundle key '${ca.key}' is not a ConfigMap or Secret key`, 'pass a key of letters, digits, \'-\', \'_\' and \'.\', such as \'ca.crt\'');
    volumes.push({ name: `${prefix}-ca-${index}`, source: ca._source, path: `${dir}/ca`, readOnly: true });
    caFile = `${dir}/ca/ca.crt`;
  }
  let clientCertFile: string | undefined;
  let clientKeyFile: string | undefined;
  if (t.clientCertificate !== undefined) {
    volumes.push({
      name: `${prefix}-cert-${index}`,
      source: SidecarVolumeSource.secret(t.clientCertificate, { items: { 'tls.crt': 'tls.crt', 'tls.key': 'tls.key' } }),
      path: `${dir}/client`,
      readOnly: true,
    });
    clientCertFile = `${dir}/client/tls.crt`;
    clientKeyFile = `${dir}/client/tls.key`;
  }
  return { sni, subjectAltNames, caFile, clientCertFile, clientKeyFile };
}
