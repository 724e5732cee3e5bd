import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { TextCache } from './_memo';
import { resourceProblems } from './_resources';
import { Fail } from './errors';

/**
 * Internal: the one vocabulary of argument checks every sidecar uses. Nothing here
 * is exported from the package.
 *
 * Each check names the prop it reads, so that the same mistake gets the same code and
 * the same words in every sidecar: `'metricsPort' 70000 is not a valid port number`.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** validation.IsDNS1123Subdomain: DNS labels joined by '.'. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** What the API server accepts as an environment variable name (validation.IsEnvVarName). */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** True when `name` is a valid DNS-1123 label (container, volume, namespace names). */
export function isDnsLabel(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && name.length <= 63 && DNS_LABEL.test(name);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True when `address` is a dotted-quad IPv4 address. */
export function isIPv4(address: string): boolean {
  return typeof address === 'string' && IPV4.test(address);
}

/** True when `name` is a DNS name: DNS labels joined by dots (any case), at most 253 characters, not all digits. */
export function isDnsName(name: string): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > 253 || /^\d+(\.\d+)*$/.test(name)) return false;
  return name.split('.').every(label => isDnsLabel(label.toLowerCase()));
}

/** True when `name` is a valid DNS-1123 subdomain (ConfigMap and Secret names). */
export function isDnsSubdomain(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

/** True when `value` is a Kubernetes label value: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty). */
export function isLabelValue(value: string): boolean {
  return typeof value === 'string' && value.length <= 63 && LABEL_VALUE.test(value);
}

/** True when `key` is a Kubernetes qualified name (label and annotation keys): an optional DNS-1123 subdomain and '/', then a non-empty label value. */
export function isQualifiedName(key: string): boolean {
  if (typeof key !== 'string') return false;
  const slash = key.lastIndexOf('/');
  const name = key.slice(slash + 1);
  return (slash < 0 || isDnsSubdomain(key.slice(0, slash))) && name.length > 0 && isLabelValue(name);
}

/**
 * True when `key` is a ConfigMap or Secret key the API server accepts
 * (validation.IsConfigMapKey): at most 253 letters, digits, '-', '_' and '.', neither '.'
 * nor '..' and not starting with '..'.
 */
export function isConfigMapKey(key: string): boolean {
  return typeof key === 'string' && key.length <= 253 && CONFIG_MAP_KEY.test(key) && key !== '.' && !key.startsWith('..');
}

/** True when `name` is a valid IANA_SVC_NAME (container port names). */
export function isPortName(name: string): boolean {
  return name.length > 0 && name.length <= 15 && PORT_NAME.test(name) && /[a-z]/.test(name) && !name.includes('--');
}

/** True when `port` is an integer in 1..65535. */
export function isPortNumber(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** True when `name` is an environment variable name the API server accepts. */
export function isEnvName(name: string): boolean {
  // validation.IsEnvVarName: the pattern, and no '.', '..' or '..' prefix (hasChDirPrefix).
  return typeof name === 'string' && ENV_NAME.test(name) && name !== '.' && !name.startsWith('..');
}

/** True when `path` is a canonical absolute path (no `.`, `..`, `//`, trailing `/`, whitespace or control characters). */
export function isCanonicalPath(path: string): boolean {
  return typeof path === 'string' && /^(\/[^/\s\x00-\x1f\x7f]+)+$/.test(path) && !path.split('/').some(p => p === '.' || p === '..');
}

/** True when `image` names an exact tag or digest (not `latest`, not untagged). */
export function isPinnedImage(image: string | undefined): boolean {
  return !!image && !/:latest$/.test(image) && /[:@]/.test(image.split('/').pop()!);
}

/** The duration in whole seconds, or undefined when it is fractional or negative. */
export function wholeSeconds(duration: Duration): number | undefined {
  return whole(() => duration.toSeconds());
}

/** The duration in whole milliseconds, or undefined when it is fractional or negative. */
export function wholeMillis(duration: Duration): number | undefined {
  return whole(() => duration.toMilliseconds());
}

/** What `read` returns when it is a whole number, 0 or more (cdk8s throws for a fraction of a unit, and a non-Duration has no methods). */
function whole(read: () => number): number | undefined {
  try {
    const n = read();
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** A DNS label derived from `base` and `suffix`, cut to 63 characters. */
export function dnsLabelFrom(base: string, suffix: string): string {
  const input = `${base}-${suffix}`;
  return DNS_LABELS.get(input, () => slugOf(input));
}

/** Labels already derived: the same few names come back for every pod. */
const DNS_LABELS = new TextCache<string>(4096);

function slugOf(input: string): string {
  const slug = input
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return slug.slice(0, 63).replace(/-$/, '');
}

/** A value in error messages: strings quoted, control characters visible. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return `'${JSON.stringify(value).slice(1, -1)}'`;
  return String(value);
}

/**
 * The checks, raising through one `Fail` (so every error names the same workload and
 * sidecar). Each returns the checked value.
 */
export class Checks {
  public constructor(public readonly fail: Fail) {}

  /** An integer port in 1..65535. */
  public port(prop: string, value: number): number {
    if (!isPortNumber(value)) {
      this.fail('PORT_INVALID', `'${prop}' ${shown(value)} is not a valid port number`, `pass an integer from 1 to 65535 as '${prop}'`);
    }
    return value;
  }

  /** Distinct ports: each prop its own number. */
  public distinctPorts(ports: { [prop: string]: number }): void {
    const props = Object.keys(ports);
    props.forEach((a, i) => props.slice(i + 1).forEach(b => {
      if (ports[a] === ports[b]) {
        this.fail('PORT_DUPLICATE', `'${a}' and '${b}' are both ${ports[a]}`, `give '${a}' and '${b}' different port numbers`);
      }
    }));
  }

  /** A whole number of seconds, at least `min`. */
  public seconds(prop: string, value: Duration, min = 0): number {
    const seconds = wholeSeconds(value);
    if (seconds === undefined || seconds < min) {
      this.fail('DURATION_INVALID', `'${prop}' is not a whole number of seconds${min > 0 ? ` of at least ${min}` : ', 0 or more'}`,
        `pass e.g. Duration.seconds(${Math.max(min, 10)}) as '${prop}'`);
    }
    return seconds!;
  }

  /** An integer in `min..max`. */
  public integer(prop: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (!Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
      this.fail('NUMBER_INVALID', `'${prop}' ${shown(value)} is not a whole number ${range}`, `pass a whole number ${range} as '${prop}'`);
    }
    return value;
  }

  /** A ratio in (0, 1]: a share, never a percentage. */
  public ratio(prop: string, value: number): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1) {
      this.fail('RATIO_INVALID', `'${prop}' ${shown(value)} is not a ratio above 0 and at most 1`, `pass a share such as 0.05 for 5 % as '${prop}'`);
    }
    return value;
  }

  /** One of an enum's values. */
  public oneOf<T>(prop: string, value: T, values: { [key: string]: T }, type: string): T {
    if (!Object.values(values).includes(value)) {
      const choices = Object.keys(values).map(k => `${type}.${k}`);
      this.fail('ENUM_INVALID', `'${prop}' ${shown(value)} is not one of the ${type} values`,
        `pass ${choices.slice(0, -1).join(', ')}${choices.length > 1 ? ' or ' : ''}${choices[choices.length - 1]}`);
    }
    return value;
  }

  /** A DNS-1123 label. */
  public dnsLabel(prop: string, value: string): string {
    if (!isDnsLabel(value)) {
      this.fail('NAME_INVALID', `'${prop}' ${shown(value)} is not a DNS label`, `use lower-case letters, digits and '-', at most 63 characters, as '${prop}'`);
    }
    return value;
  }

  /**
   * A canonical absolute path: `/` and segments without `.`/`..`, empty segments, a
   * trailing `/`, whitespace or control characters (two spellings of one path would
   * slip past the mount-path checks).
   */
  public absolutePath(prop: string, value: string): string {
    if (!isCanonicalPath(value)) {
      this.fail('PATH_INVALID', `'${prop}' ${shown(value)} is not a canonical absolute path`,
        `pass an absolute path such as '/var/log/app' as '${prop}' (no '.', '..', '//', trailing '/' or whitespace)`);
    }
    return value;
  }

  /** A directory: a canonical absolute path, given with or without a trailing `/`. */
  public directory(prop: string, value: string): string {
    const trimmed = typeof value === 'string' && value.length > 1 ? value.replace(/\/+$/, '') : value;
    if (isCanonicalPath(trimmed)) return trimmed;
    return this.absolutePath(prop, value);
  }

  /** An image pinned to an exact tag or digest. */
  public image(value: string): string {
    if (!isPinnedImage(value)) {
      this.fail('IMAGE_NOT_PINNED', `image '${value}' is not pinned`, 'use an exact tag or digest, never \'latest\' or no tag');
    }
    return value;
  }

  /** A non-root uid and a valid gid. */
  public identity(user: number, group: number): void {
    if (!Number.isInteger(user) || user <= 0) {
      this.fail('USER_INVALID', `uid ${user} is not a non-root user`, 'run the sidecar as the image\'s own non-zero uid (\'user\' prop)');
    }
    if (!Number.isInteger(group) || group < 0) {
      this.fail('USER_INVALID', `gid ${group} is not valid`, 'pass a non-negative integer as \'group\'');
    }
  }

  /** Resources cdk8s-plus can render, limits not below requests. */
  public resources(resources: kplus.ContainerResources): kplus.ContainerResources {
    for (const problem of resourceProblems(resources)) {
      this.fail('RESOURCES_INVALID', problem, 'correct the \'resources\' override (CPU in whole millicores, memory in whole MiB, ephemeral storage in whole GiB, limits not below requests)');
    }
    return resources;
  }

  /** An environment variable name the API server accepts. */
  public envName(prop: string, value: string): string {
    if (!isEnvName(value)) {
      this.fail('ENV_NAME_INVALID', `${shown(value)} in '${prop}' is not a valid environment variable name`,
        'use letters, digits, \'_\', \'-\' and \'.\', not starting with a digit (the API server refuses other names)');
    }
    return value;
  }

  /** A positive size in whole MiB. */
  public mebibytes(prop: string, value: Size): number {
    let amount: number | undefined;
    try {
      amount = value.toMebibytes();
    } catch {
      amount = undefined;
    }
    if (amount === undefined || !(amount > 0)) {
      this.fail('SIZE_INVALID', `'${prop}' is not a positive whole number of MiB`, `pass e.g. Size.mebibytes(64) as '${prop}'`);
    }
    return amount!;
  }
}
