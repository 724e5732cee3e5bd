import { isIP } from 'net';
import { Duration } from 'cdk8s';
import { VaultAuthMethod } from './auth';
import type { VaultAuthMethodInternals } from './auth-internals';
import type { VaultAgentOptions, VaultCaCertificate, VaultCertificate, VaultClientCertificate } from './sidecar';
import { TextCache } from '../../core/_memo';
import { Checks } from '../../core/checks';

/**
 * Internal: the checks of the options `VaultAgentSidecar` and `VaultAgentInjector`
 * share. Nothing here is exported from the package.
 *
 * Every value that ends up in the agent's HCL or in an annotation is checked here by
 * Vault's own rules (role names, Vault paths, URLs, file names), before the renderer
 * escapes what is left.
 */

// A rendered file name that is also a valid annotation-key suffix:
// `vault.hashicorp.com/agent-inject-template-<name>` has at most 63 characters after the '/'.
const SECRET_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const SECRET_NAME_MAX = 41;
// Vault's own rule for role names (framework.GenericNameRegex).
const ROLE = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const VAULT_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const AUDIENCE = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
/**
 * vault-helm's default: the chart's `global.tlsDisable` is true, so the server listens
 * for plain HTTP on port 8200 of the Service named after the release (`vault` in
 * namespace `vault` by the install guide), and the chart points its own injector at
 * `http://<release>.<namespace>.svc:8200`. With TLS on, pass `address` (and `caCertificate`).
 */
const DEFAULT_ADDRESS = 'http://vault.vault.svc:8200';
/** Kubernetes' minimum for a projected token's expirationSeconds. */
const MIN_TOKEN_SECONDS = 600;

/** The auth method, checked. */
export interface CheckedAuth {
  /** The agent's method type. */
  readonly type: string;
  readonly mountPath: string;
  /** The role (AppRole has none in the config: its role ID file names it). */
  readonly role?: string;
  /** A projected service-account token for the agent (Kubernetes, JWT). */
  readonly token?: { readonly audience?: string; readonly expiration: Duration };
  /** AppRole's Secrets. */
  readonly appRole?: VaultAuthMethodInternals['appRole'];
  /** The method's `config` entries other than the file paths the spec adds. */
  readonly config: { [key: string]: string | boolean };
}

/** The options, checked, with their defaults. */
export interface CheckedOptions {
  readonly auth: CheckedAuth;
  readonly secrets: Array<{ readonly name: string; readonly path: string; readonly template: string }>;
  /** `scheme://host[:port]`. */
  readonly address: string;
  /** The user set `address` (the injector leaves it to its own setting otherwise). */
  readonly addressSet: boolean;
  /** The user set `authPath` (the injector leaves it to its own setting otherwise). */
  readonly authPathSet: boolean;
  readonly ca?: VaultCaCertificate;
  readonly expiration: Duration;
  readonly namespace?: string;
  readonly tlsServerName?: string;
  readonly clientCertificate?: VaultClientCertificate;
  readonly insecureSkipTlsVerify: boolean;
}

/** Checks the shared options, raising through `checks.fail`. */
export function checkOptions(props: VaultAgentOptions, checks: Checks, injector = false): CheckedOptions {
  const fail = checks.fail;
  const auth = checkAuth(props, checks);
  const address = normalizeAddress(props.address ?? DEFAULT_ADDRESS);
  if (address === undefined) {
    fail('VAULT_ADDRESS_INVALID', `address ${JSON.stringify(props.address)} is not a Vault server URL`,
      'pass http(s)://host[:port], e.g. \'https://vault.vault.svc:8200\', without credentials, path or query');
  }
  if (props.secrets === undefined || props.secrets.length === 0) {
    fail('VAULT_SECRET_INVALID', 'no secrets to render',
      'pass at least one secret in \'secrets\', e.g. { name: \'db-creds\', path: \'database/creds/myapp-db\' }');
  }
  const seen = new Set<string>();
  const secrets = props.secrets.map(s => {
    if (typeof s.name !== 'string' || !SECRET_NAME.test(s.name) || s.name.length > SECRET_NAME_MAX) {
      fail('VAULT_SECRET_INVALID', `secret name ${JSON.stringify(s.name)} is not a valid file name`,
        `use letters, digits, '.', '_' and '-', starting and ending with a letter or digit, at most ${SECRET_NAME_MAX} characters`);
    }
    if (seen.has(s.name)) {
      fail('VAULT_SECRET_INVALID', `two secrets are named '${s.name}'`, 'give every secret its own name (each is a file)');
    }
    seen.add(s.name);
    if (!isVaultPath(s.path)) {
      fail('VAULT_PATH_INVALID', `the path ${JSON.stringify(s.path)} of secret '${s.name}' is not a Vault path`,
        'pass a path such as \'secret/data/myapp/api-key\' (letters, digits, \'_\', \'-\', \'.\' and \'/\' between segments, no leading \'/\')');
    }
    if (s.template !== undefined && s.template.trim() === '') {
      fail('VAULT_SECRET_INVALID', `the template of secret '${s.name}' is empty`,
        'pass a Consul Template template, or leave \'template\' unset for the default JSON rendering');
    }
    return { name: s.name, path: s.path, template: s.template ?? `{{ with secret "${s.path}" }}{{ .Data | toJSON }}{{ end }}\n` };
  });
  const ca = props.caCertificate;
  if (ca !== undefined && (!SECRET_NAME.test(ca.key) || ca.key.length > 253)) {
    fail('VAULT_CA_INVALID', `CA certificate key ${JSON.stringify(ca.key)} is not a valid file name`,
      'name the ConfigMap or Secret key that holds the PEM certificate, e.g. \'ca.crt\'');
  }
  // The injector's address is its own setting unless given: nothing to compare TLS settings with.
  const tls = checkTls(props, injector && props.address === undefined ? undefined : address!, checks);
  if (props.namespace !== undefined && !isVaultPath(props.namespace)) {
    fail('VAULT_NAMESPACE_INVALID', `namespace ${JSON.stringify(props.namespace)} is not a Vault namespace path`,
      'pass a namespace such as \'team-a\' or \'admin/team-a\' (letters, digits, \'_\', \'-\' and \'.\', nested with \'/\')');
  }
  return {
    auth,
    secrets,
    address: address!,
    addressSet: props.address !== undefined,
    authPathSet: props.authPath !== undefined || props.authMethod !== undefined,
    ca,
    expiration: auth.token?.expiration ?? Duration.hours(1),
    namespace: props.namespace,
    ...tls,
  };
}

const METHOD_NAMES: { [type: string]: string } = { kubernetes: 'Kubernetes', jwt: 'JWT', approle: 'AppRole', aws: 'AWS', gcp: 'GCP' };
const ROLE_FIX = 'use letters, digits, \'_\', \'-\' and \'.\', starting and ending with a letter, digit or \'_\' (Vault\'s own rule for role names)';
// An AWS region, e.g. eu-west-1, us-gov-west-1, cn-north-1.
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
// A GCP service account email.
const GCP_SERVICE_ACCOUNT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.-]+\.iam\.gserviceaccount\.com$|^default$/;
// A header value written as one HCL string: printable ASCII without quotes or backslashes.
const HEADER_VALUE = /^[A-Za-z0-9._:\/-]+$/;
// A DNS name for SNI and certificate verification.
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The auth method: `authMethod`, or the Kubernetes method from `role`, `authPath`, `tokenAudience`, `tokenExpiration`. */
function checkAuth(props: VaultAgentOptions, checks: Checks): CheckedAuth {
  const fail = checks.fail;
  let method: VaultAuthMethod;
  if (props.authMethod !== undefined) {
    const legacy = (['role', 'authPath', 'tokenAudience', 'tokenExpiration'] as const).filter(k => props[k] !== undefined);
    if (legacy.length > 0) {
      fail('VAULT_AUTH_INVALID', `both 'authMethod' and ${legacy.map(k => `'${k}'`).join(', ')} are set`,
        'set the role, mount path and token of the method in VaultAuthMethod.<method>({...}) and drop the other props');
    }
    method = props.authMethod;
  } else {
    if (props.role === undefined) {
      fail('VAULT_AUTH_INVALID', 'neither \'role\' nor \'authMethod\' is set',
        'pass the Vault role of the Kubernetes auth method as \'role\', or another method as \'authMethod\' (e.g. VaultAuthMethod.jwt({...}))');
    }
    method = VaultAuthMethod.kubernetes({
      role: props.role!,
      mountPath: props.authPath,
      tokenAudience: props.tokenAudience,
      tokenExpiration: props.tokenExpiration,
    });
  }
  const o = method._options;
  if (!isVaultPath(method.mountPath)) {
    fail('VAULT_PATH_INVALID', `auth path ${JSON.stringify(method.mountPath)} is not a Vault path`,
      `pass the mount path of the ${METHOD_NAMES[method.type] ?? method.type} auth method, e.g. 'auth/${method.type}' (letters, digits, '_', '-', '.' and '/' between segments)`);
  }
  if (method.type !== 'approle' && (typeof method._role !== 'string' || !ROLE.test(method._role))) {
    fail('VAULT_ROLE_INVALID', `role ${JSON.stringify(method._role)} is not a Vault role name`, ROLE_FIX);
  }
  const config: { [key: string]: string | boolean } = {};
  if (method._role !== undefined) config.role = method._role;
  let token: CheckedAuth['token'];
  if (method.type === 'kubernetes' || method.type === 'jwt') {
    if (o.tokenAudience === undefined && o.audienceRequired) {
      fail('VAULT_AUDIENCE_INVALID', `the ${METHOD_NAMES[method.type]} auth method needs a token audience`,
        'pass the audience the Vault role binds (bound_audiences) as \'tokenAudience\', e.g. \'vault\'');
    }
    if (o.tokenAudience !== undefined && !AUDIENCE.test(o.tokenAudience)) {
      fail('VAULT_AUDIENCE_INVALID', `token audience ${JSON.stringify(o.tokenAudience)} is not valid`,
        'pass a name or URL such as \'vault\' (letters, digits, \'.\', \'_\', \':\', \'/\' and \'-\')');
    }
    token = {
      audience: o.tokenAudience,
      expiration: Duration.seconds(checks.seconds('tokenExpiration', o.tokenExpiration ?? Duration.hours(1), MIN_TOKEN_SECONDS)),
    };
    // The projected token file is read-only and renewed by the kubelet: the JWT method
    // would try to delete it after each read (remove_jwt_after_reading defaults to true).
    if (method.type === 'jwt') config.remove_jwt_after_reading = false;
  }
  if (o.appRole !== undefined) {
    for (const key of [o.appRole.roleIdKey, o.appRole.secretIdKey]) {
      if (typeof key !== 'string' || !SECRET_NAME.test(key) || key.length > 253) {
        fail('VAULT_AUTH_INVALID', `AppRole Secret key ${JSON.stringify(key)} is not a valid file name`,
          'name the Secret keys that hold the role ID and the secret ID, e.g. \'role-id\' and \'secret-id\'');
      }
    }
    // The Secret volumes are read-only: the agent must not try to delete the secret ID file.
    config.remove_secret_id_file_after_reading = false;
  }
  if (method.type === 'aws') {
    config.type = 'iam';
    if (o.region !== undefined) {
      if (!AWS_REGION.test(o.region)) {
        fail('VAULT_AUTH_INVALID', `AWS region ${JSON.stringify(o.region)} is not a region name`, 'pass a region such as \'eu-west-1\'');
      }
      config.region = o.region;
    }
    if (o.headerValue !== undefined) {
      if (!HEADER_VALUE.test(o.headerValue)) {
        fail('VAULT_AUTH_INVALID', `AWS header value ${JSON.stringify(o.headerValue)} is not valid`,
          'pass the auth method\'s iam_server_id_header_value, e.g. \'vault.example.com\' (letters, digits, \'.\', \'_\', \':\', \'/\' and \'-\')');
      }
      config.header_value = o.headerValue;
    }
  }
  if (method.type === 'gcp') {
    if (o.gcpType !== 'gce' && o.gcpType !== 'iam') {
      fail('VAULT_AUTH_INVALID', `GCP login type ${JSON.stringify(o.gcpType)} is not valid`, 'pass VaultGcpAuthType.GCE or VaultGcpAuthType.IAM');
    }
    config.type = o.gcpType!;
    if (o.gcpType === 'iam' && o.serviceAccount === undefined) {
      fail('VAULT_AUTH_INVALID', 'the GCP IAM login needs a service account',
        'pass \'serviceAccount\', the email of the Google service account the pod acts as, e.g. \'myapp-sa@my-project.iam.gserviceaccount.com\'');
    }
    if (o.serviceAccount !== undefined) {
      if (!GCP_SERVICE_ACCOUNT.test(o.serviceAccount)) {
        fail('VAULT_AUTH_INVALID', `GCP service account ${JSON.stringify(o.serviceAccount)} is not a service account email`,
          'pass e.g. \'myapp-sa@my-project.iam.gserviceaccount.com\'');
      }
      config.service_account = o.serviceAccount;
    }
  }
  return { type: method.type, mountPath: method.mountPath, role: method._role, token, appRole: o.appRole, config };
}

/** TLS to Vault: the server name, a client certificate, and the loud opt-out of verification. */
function checkTls(props: VaultAgentOptions, address: string | undefined, checks: Checks) {
  const fail = checks.fail;
  const https = address === undefined || address.startsWith('https:');
  if (props.tlsServerName !== undefined && !DNS_NAME.test(props.tlsServerName)) {
    fail('VAULT_TLS_INVALID', `TLS server name ${JSON.stringify(props.tlsServerName)} is not a DNS name`,
      'pass the name in the Vault server\'s certificate, e.g. \'vault.example.com\' (lower-case letters, digits, \'-\' and \'.\')');
  }
  const cert = props.clientCertificate;
  if (cert !== undefined) {
    for (const key of [cert.certificateKey, cert.privateKeyKey]) {
      if (typeof key !== 'string' || !SECRET_NAME.test(key) || key.length > 253) {
        fail('VAULT_TLS_INVALID', `client certificate key ${JSON.stringify(key)} is not a valid file name`,
          'name the Secret keys that hold the PEM certificate and key, e.g. \'tls.crt\' and \'tls.key\'');
      }
    }
    if (cert.certificateKey === cert.privateKeyKey) {
      fail('VAULT_TLS_INVALID', `the client certificate and its key are both key '${cert.certificateKey}'`,
        'name two keys of the Secret, e.g. \'tls.crt\' and \'tls.key\'');
    }
  }
  const insecure = props.insecureSkipTlsVerify ?? false;
  if (!https && (insecure || props.tlsServerName !== undefined || cert !== undefined || props.caCertificate !== undefined)) {
    fail('VAULT_TLS_INVALID', `TLS settings are set but the address ${address} is not https`,
      'use an https:// address, or drop \'caCertificate\', \'tlsServerName\', \'clientCertificate\' and \'insecureSkipTlsVerify\'');
  }
  if (insecure && (props.caCertificate !== undefined || props.tlsServerName !== undefined)) {
    fail('VAULT_TLS_INVALID', 'TLS verification is both skipped (\'insecureSkipTlsVerify\') and configured (\'caCertificate\' or \'tlsServerName\')',
      'drop \'insecureSkipTlsVerify\': with the CA certificate the agent verifies the server');
  }
  return { tlsServerName: props.tlsServerName, clientCertificate: cert, insecureSkipTlsVerify: insecure };
}

function isVaultPath(path: unknown): path is string {
  return typeof path === 'string' && VAULT_PATH.test(path) && !path.split('/').some(p => p === '.' || p === '..');
}

const addresses = new TextCache<string | null>();

/** The Vault address as `scheme://host[:port]`, or undefined when it is not one (parsed once per distinct address). */
function normalizeAddress(address: string): string | undefined {
  return addresses.get(address, () => parseAddress(address) ?? null) ?? undefined;
}

function parseAddress(address: string): string | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password
    || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '') || !url.hostname) {
    return undefined;
  }
  return `${url.protocol}//${url.host}`;
}

/** A certificate of `certificates`, checked, with its files. */
export interface CheckedCertificate {
  readonly name: string;
  readonly issuePath: string;
  readonly commonName: string;
  readonly altNames: string[];
  readonly ipSans: string[];
  readonly ttlSeconds: number;
}

/** The files a certificate is rendered to: the certificate, its key and the issuing CA. */
export function certificateFiles(name: string): string[] {
  return [`${name}.crt`, `${name}.key`, `${name}-ca.crt`];
}

/** The names of the rendered files: the secrets, then each certificate's `.crt`, `.key` and `-ca.crt`. */
export function renderedFiles(secrets: ReadonlyArray<{ readonly name: string }>, certificates: ReadonlyArray<{ readonly name: string }>): string[] {
  return [...secrets.map(s => s.name), ...certificates.flatMap(c => certificateFiles(c.name))];
}

const WILDCARD_DNS_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const CERTIFICATE_NAME_MAX = 37;

/** The certificates to issue (sidecar only), their files distinct from the secrets'. */
export function checkCertificates(certificates: VaultCertificate[] | undefined, secretNames: string[], checks: Checks): CheckedCertificate[] {
  const fail = checks.fail;
  const invalid = (problem: string, fix: string): never => fail('VAULT_CERTIFICATE_INVALID', problem, fix);
  const files = new Set(secretNames);
  return (certificates ?? []).map(c => {
    if (typeof c.name !== 'string' || !SECRET_NAME.test(c.name) || c.name.length > CERTIFICATE_NAME_MAX) {
      invalid(`certificate name ${JSON.stringify(c.name)} is not a valid file name`,
        `use letters, digits, '.', '_' and '-', starting and ending with a letter or digit, at most ${CERTIFICATE_NAME_MAX} characters`);
    }
    for (const file of certificateFiles(c.name)) {
      if (files.has(file)) {
        invalid(`certificate '${c.name}' would write '${file}', which another secret or certificate writes`, 'give every secret and certificate its own name');
      }
      files.add(file);
    }
    const segments = typeof c.issuePath === 'string' ? c.issuePath.split('/') : [];
    if (!isVaultPath(c.issuePath) || segments.length < 3 || segments[segments.length - 2] !== 'issue' || !ROLE.test(segments[segments.length - 1])) {
      invalid(`the issue path ${JSON.stringify(c.issuePath)} of certificate '${c.name}' is not <mount>/issue/<role>`, 'pass the PKI role\'s issue path, e.g. \'pki/issue/myapp\'');
    }
    for (const name of [c.commonName, ...(c.altNames ?? [])]) {
      if (typeof name !== 'string' || !WILDCARD_DNS_NAME.test(name) || name.length > 253) {
        invalid(`${JSON.stringify(name)} in certificate '${c.name}' is not a DNS name`, 'pass DNS names such as \'myapp.production.svc\' (lower case, \'*.\' allowed first)');
      }
    }
    for (const ip of c.ipSans ?? []) {
      if (typeof ip !== 'string' || isIP(ip) === 0) {
        invalid(`${JSON.stringify(ip)} in certificate '${c.name}' is not an IP address`, 'pass IP addresses such as \'10.0.0.12\' in \'ipSans\'');
      }
    }
    const ttlSeconds = checks.seconds('ttl', c.ttl ?? Duration.hours(24), 60);
    return {
      name: c.name,
      issuePath: c.issuePath,
      commonName: c.commonName,
      altNames: [...(c.altNames ?? [])],
      ipSans: [...(c.ipSans ?? [])],
      ttlSeconds,
    };
  });
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

/** The app's change webhook: plain HTTP on the pod's loopback (BusyBox wget, no credentials), normalized. */
export function checkWebhookUrl(value: string | undefined, checks: Checks): string | undefined {
  if (value === undefined) return undefined;
  const invalid = (problem: string): never => checks.fail('VAULT_WEBHOOK_INVALID', problem,
    'pass the app\'s reload endpoint on the pod\'s loopback, e.g. \'http://127.0.0.1:8080/-/reload\' (http, no credentials)');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return invalid(`webhook URL ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' || !LOOPBACK.includes(url.hostname) || url.username || url.password || url.hash || /[\s"'\\`$]/.test(value)) {
    invalid(`webhook URL ${JSON.stringify(value)} is not an http URL on the pod's loopback without credentials`);
  }
  return url.href;
}
