import { Duration } from 'cdk8s';
import { RESERVED_CLUSTERS, ResolvedUpstream } from './bootstrap';
import { EnvoyDnsType, EnvoyUpstream } from './sidecar';
import { isDnsLabel, isPortNumber } from '../../core/checks';
import { Fail } from '../../core/errors';

/**
 * Internal: the validation of EnvoySidecar's upstreams. Nothing here is exported from
 * the package. Every value that reaches the bootstrap is checked here, so a user string
 * can never add a listener or a cluster.
 */

const CLUSTER_NAME = /^[a-z0-9]([a-z0-9_-]{0,58}[a-z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CODE = 'ENVOY_UPSTREAM_INVALID';

/** True when `host` is an IPv4 address or a DNS name. */
function isHost(host: string): boolean {
  if (IPV4.test(host)) return true;
  if (host.length > 253 || /^\d+(\.\d+)*$/.test(host)) return false;
  return host.split('.').every(label => isDnsLabel(label.toLowerCase()));
}

/** True when `domain` is a host, `host:port` or `*.suffix` (Envoy's virtual host domains). */
function isDomain(domain: string): boolean {
  const m = /^(\*\.)?([^:]+)(:(\d+))?$/.exec(domain);
  if (!m) return false;
  if (m[4] !== undefined && !isPortNumber(Number(m[4]))) return false;
  return isHost(m[2]);
}

/** The connect timeout in whole milliseconds, or undefined when it is not a positive whole number of them. */
function connectTimeoutMillis(timeout: Duration): number | undefined {
  try {
    const millis = timeout.toMilliseconds();
    return Number.isInteger(millis) && millis > 0 ? millis : undefined;
  } catch {
    return undefined;
  }
}

/** The upstreams, checked (ENVOY_UPSTREAM_INVALID) and with their defaults, ready to render. */
export function resolveUpstreams(upstreams: EnvoyUpstream[], fail: Fail): ResolvedUpstream[] {
  const problem = (p: string, fix: string): never => fail(CODE, p, fix);
  const names = new Set<string>();
  const domainOwner = new Map<string, string>();
  return upstreams.map(u => {
    if (typeof u.name !== 'string' || !CLUSTER_NAME.test(u.name)) {
      problem(`upstream name '${u.name}' is not valid`, 'use at most 60 lower-case letters, digits, \'_\' and \'-\', starting and ending with a letter or digit');
    }
    if (RESERVED_CLUSTERS.includes(u.name)) {
      problem(`upstream name '${u.name}' is reserved for the sidecar's own cluster`, `choose another name (${RESERVED_CLUSTERS.map(n => `'${n}'`).join(' and ')} are taken)`);
    }
    if (names.has(u.name)) problem(`two upstreams are named '${u.name}'`, 'give every upstream its own name');
    names.add(u.name);
    if (typeof u.host !== 'string' || !isHost(u.host)) {
      problem(`upstream '${u.name}': host '${u.host}' is not a DNS name or IPv4 address`, 'pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'');
    }
    if (!isPortNumber(u.port)) problem(`upstream '${u.name}': port ${u.port} is not a valid port number`, 'pass an integer from 1 to 65535');
    const type = u.dnsType ?? (IPV4.test(u.host) ? EnvoyDnsType.STATIC : EnvoyDnsType.STRICT_DNS);
    if (!Object.values(EnvoyDnsType).includes(type)) problem(`upstream '${u.name}': '${type}' is not a DNS type`, 'pass an EnvoyDnsType');
    if (type === EnvoyDnsType.STATIC && !IPV4.test(u.host)) {
      problem(`upstream '${u.name}': a STATIC upstream needs an IPv4 address, not '${u.host}'`, 'use EnvoyDnsType.STRICT_DNS or LOGICAL_DNS for a DNS name');
    }
    const millis = connectTimeoutMillis(u.connectTimeout ?? Duration.seconds(5));
    if (millis === undefined) {
      problem(`upstream '${u.name}': the connect timeout is not a positive, whole number of milliseconds`, 'pass e.g. Duration.seconds(5)');
    }
    const domains = u.domains ? [...u.domains] : [u.host, `${u.host}:${u.port}`];
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
    return { name: u.name, host: u.host, port: u.port, type, connectTimeoutMillis: millis!, domains };
  });
}
