import { Duration } from 'cdk8s';
import type { VaultAgentOptions, VaultCaCertificate } from './sidecar';
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
/** Kubernetes' minimum for a projected token's expirationSeconds. */
const MIN_TOKEN_SECONDS = 600;

/** The options, checked, with their defaults. */
export interface CheckedOptions {
  readonly role: string;
  readonly secrets: Array<{ readonly name: string; readonly path: string; readonly template: string }>;
  /** `scheme://host[:port]`. */
  readonly address: string;
  readonly authPath: string;
  readonly ca?: VaultCaCertificate;
  readonly audience?: string;
  readonly expiration: Duration;
}

/** Checks the shared options, raising through `checks.fail`. */
export function checkOptions(props: VaultAgentOptions, checks: Checks): CheckedOptions {
  const fail = checks.fail;
  if (typeof props.role !== 'string' || !ROLE.test(props.role)) {
    fail('VAULT_ROLE_INVALID', `role ${JSON.stringify(props.role)} is not a Vault role name`,
      'use letters, digits, \'_\', \'-\' and \'.\', starting and ending with a letter, digit or \'_\' (Vault\'s own rule for role names)');
  }
  const authPath = props.authPath ?? 'auth/kubernetes';
  if (!isVaultPath(authPath)) {
    fail('VAULT_PATH_INVALID', `auth path ${JSON.stringify(authPath)} is not a Vault path`,
      'pass the mount path of the Kubernetes auth method, e.g. \'auth/kubernetes\' (letters, digits, \'_\', \'-\', \'.\' and \'/\' between segments)');
  }
  const address = normalizeAddress(props.address ?? 'https://vault.vault.svc:8200');
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
  if (props.tokenAudience !== undefined && !AUDIENCE.test(props.tokenAudience)) {
    fail('VAULT_AUDIENCE_INVALID', `token audience ${JSON.stringify(props.tokenAudience)} is not valid`,
      'pass a name or URL such as \'vault\' (letters, digits, \'.\', \'_\', \':\', \'/\' and \'-\')');
  }
  const expiration = Duration.seconds(checks.seconds('tokenExpiration', props.tokenExpiration ?? Duration.hours(1), MIN_TOKEN_SECONDS));
  const ca = props.caCertificate;
  if (ca !== undefined && (!SECRET_NAME.test(ca.key) || ca.key.length > 253)) {
    fail('VAULT_CA_INVALID', `CA certificate key ${JSON.stringify(ca.key)} is not a valid file name`,
      'name the ConfigMap or Secret key that holds the PEM certificate, e.g. \'ca.crt\'');
  }
  return { role: props.role, secrets, address: address!, authPath, ca, audience: props.tokenAudience, expiration };
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
