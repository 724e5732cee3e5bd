import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { GIT_SYNC_ALERT_PACK } from './alerts';
import { GitSyncAuth } from './auth';
import { GIT_SYNC_DASHBOARD_PACK } from './dashboard';
import type { GitSyncSidecarProps } from './sidecar';
import { GitSyncSubmodules } from './submodules';
import { dnsLabelFrom, isConfigMapKey } from '../../core/checks';
import { Fail } from '../../core/errors';
import { SidecarImages } from '../../core/images';
import { SidecarProfile } from '../../core/profile';
import { SidecarMode, SidecarSpec } from '../../core/sidecar';
import { SpecContext } from '../../core/spec';
import { SidecarVolume, SidecarVolumeSource, SidecarVolumeWriters } from '../../core/volumes';

/*
 * Upstream evidence, kubernetes/git-sync at tag v4.7.1 (commit d9d12f7e):
 * - Dockerfile.in:150 `USER 65533:65533`, :116 the `git-sync` passwd entry for 65533,
 *   :154 `ENV HOME=/tmp`, :163 `ENV GITSYNC_ROOT=/git`, :56-74 bash, coreutils and curl.
 * - main.go flags: --repo :162, --ref :165, --depth :168, --submodules :174, --root :181, --link :184,
 *   --period :193, --sync-timeout :196, --one-time :199, --max-failures :205 (-1 retries
 *   forever, :954), --webhook-url :233, --username :249, --password-file :255 (re-read
 *   before every sync, :906-913), --ssh-key-file :260, --ssh-known-hosts :263,
 *   --ssh-known-hosts-file :266, --http-bind :306, --http-metrics :309.
 * - main.go:808-813: `/` answers 503 "repo is not ready" until the first sync, then 200.
 * - main.go:659-664: umask 022 (002 with --group-write); :114 directories 0775 & ~umask.
 * - main.go:756: the private gitconfig is a temp file (in /tmp: HOME and TMPDIR).
 * - main.go:1017-1021: after syncing a ref that is a commit hash, git-sync never syncs again.
 * - main.go:1497-1513: the link is a relative symlink, swapped with a rename.
 */

export const DEFAULT_NAME = 'git-sync';
export const DEFAULT_CONTENT_DIR = '/git';
export const DEFAULT_LINK = 'current';
export const DEFAULT_METRICS_PORT = 9422;
/** git-sync's image runs as `USER 65533:65533` (Dockerfile.in:150). */
const GIT_SYNC_UID = 65533;
const METRICS_PORT_NAME = 'git-sync';
/** Where git-sync keeps the repository and the link: the shared volume. */
const ROOT = '/git';
/** Where the credentials Secret is mounted, in git-sync only. */
const SECRET_DIR = '/etc/git-secret';
/** A full SHA-1 or SHA-256 commit hash. */
const COMMIT_HASH = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * git-sync as a sidecar spec: a native sidecar that keeps the content fresh and
 * gates the app on the first sync, or (on Jobs, or `oneTime`) a `--one-time` init step.
 */
export function gitSyncSpec(props: GitSyncSidecarProps, { name, mode, checks, fail, runsToCompletion, namespace }: SpecContext): SidecarSpec {
  const repo = checkRepo(props.repo, props.auth, fail);
  const ref = checkRef(props.ref ?? 'HEAD', fail);
  const pinned = COMMIT_HASH.test(ref);
  if (pinned && props.oneTime === false) {
    fail('GIT_SYNC_ONE_TIME_INVALID', `ref '${ref}' is a commit hash, which git-sync syncs once and never again, so a sidecar that keeps syncing would only idle`,
      'leave \'oneTime\' unset (a commit is synced once, before the app), or sync a branch or tag');
  }
  const oneTime = props.oneTime ?? (runsToCompletion || pinned);
  const link = checkLink(props.link ?? DEFAULT_LINK, fail);
  const period = checks.seconds('period', props.period ?? Duration.minutes(1), 1);
  const depth = checks.integer('depth', props.depth ?? 1, 0);
  const submodules = checks.oneOf('submodules', props.submodules ?? GitSyncSubmodules.RECURSIVE, GitSyncSubmodules, 'GitSyncSubmodules');
  const maxFailures = checks.integer('maxFailures', props.maxFailures ?? (oneTime ? 3 : -1), -1);
  const syncTimeout = checks.seconds('syncTimeout', props.syncTimeout ?? Duration.minutes(2), 1);
  const startupSeconds = checks.seconds('startupTimeout', props.startupTimeout ?? Duration.minutes(5), 1);
  const metricsPort = checks.port('metricsPort', props.metricsPort ?? DEFAULT_METRICS_PORT);
  const contentDir = checks.directory('contentDir', props.contentDir ?? DEFAULT_CONTENT_DIR);
  const sizeLimit = checks.mebibytes('contentSizeLimit', props.contentSizeLimit ?? Size.gibibytes(1));
  const webhookUrl = props.webhookUrl === undefined ? undefined : checkWebhookUrl(props.webhookUrl, oneTime, fail);
  const auth = props.auth === undefined ? undefined : checkAuth(props.auth, props.user, namespace, fail);

  const args = [
    `--repo=${repo}`,
    `--ref=${ref}`,
    `--root=${ROOT}`,
    `--link=${link}`,
    `--period=${period}s`,
    `--depth=${depth}`,
    `--submodules=${submodules}`,
    `--sync-timeout=${syncTimeout}s`,
    `--max-failures=${maxFailures}`,
    ...(oneTime ? ['--one-time'] : [`--http-bind=:${metricsPort}`, '--http-metrics']),
    ...(webhookUrl !== undefined ? [`--webhook-url=${webhookUrl}`] : []),
    ...(auth?.kind === 'password' ? [`--username=${auth._username}`, `--password-file=${SECRET_DIR}/password`] : []),
    ...(auth?.kind === 'ssh'
      ? [`--ssh-key-file=${SECRET_DIR}/ssh`, '--ssh-known-hosts=true', `--ssh-known-hosts-file=${SECRET_DIR}/known_hosts`]
      : []),
  ];

  const volumes: SidecarVolume[] = [{
    name: contentVolumeName(name),
    source: SidecarVolumeSource.emptyDir({ sizeLimit: Size.mebibytes(sizeLimit) }),
    path: ROOT,
    appPath: contentDir,
    appReadOnly: true,
    writers: SidecarVolumeWriters.SIDECAR_ONLY,
    mustSeeUpdates: true,
  }];
  if (auth !== undefined) {
    const items: { [key: string]: string } = {};
    for (const [file, key] of Object.entries(auth._files)) items[key] = file;
    volumes.push({
      name: dnsLabelFrom(name, 'credentials'),
      source: SidecarVolumeSource.secret(auth.secret, { items }),
      path: SECRET_DIR,
      readOnly: true,
      // git-sync re-reads the password file before each sync: a rotated Secret must reach it.
      mustSeeUpdates: true,
    });
  }

  const probe = (failureThreshold: number, periodSeconds: number) => kplus.Probe.fromHttpGet('/', {
    port: metricsPort,
    periodSeconds: Duration.seconds(periodSeconds),
    timeoutSeconds: Duration.seconds(1),
    failureThreshold,
  });

  return {
    image: props.image ?? SidecarImages.GIT_SYNC,
    imageUser: GIT_SYNC_UID,
    imageGroup: GIT_SYNC_UID,
    kind: 'git-sync',
    profile: SidecarProfile.DATA_SYNC,
    alertPack: GIT_SYNC_ALERT_PACK,
    dashboardPack: GIT_SYNC_DASHBOARD_PACK,
    runOnce: oneTime,
    metrics: oneTime ? undefined : { portName: METRICS_PORT_NAME, path: '/metrics' },
    ports: oneTime ? [] : [{ name: METRICS_PORT_NAME, number: metricsPort, protocol: kplus.Protocol.TCP, prop: 'metricsPort' }],
    args,
    // `/` is 503 until the first sync (main.go:808-813): the app starts only with the content.
    startup: oneTime ? undefined : probe(startupSeconds, 1),
    // LEGACY: the same wait as a blocking postStart hook, with the image's bash, seq and curl
    // (NATIVE keeps the startup probe as the gate).
    startupCommand: oneTime || mode !== SidecarMode.LEGACY ? undefined : waitForFirstSync(metricsPort, startupSeconds),
    readiness: oneTime ? undefined : probe(3, 10),
    liveness: oneTime ? undefined : probe(6, 10),
    // HOME and TMPDIR (Dockerfile.in:154): the private gitconfig (main.go:756), git's credential
    // cache socket (credential.helper, main.go:2169-2170) and ssh's state.
    writablePaths: ['/tmp'],
    volumes,
  };
}

/**
 * Blocks until git-sync's `/` answers 200 (after the first sync), at most `timeoutSeconds`:
 * LEGACY mode's startup gate. The image has bash, coreutils and curl (Dockerfile.in:57-62).
 */
function waitForFirstSync(port: number, timeoutSeconds: number): string[] {
  const script = [
    `for _ in $(seq 1 ${timeoutSeconds}); do`,
    `  if curl -fsS -o /dev/null --max-time 1 http://127.0.0.1:${port}/; then exit 0; fi`,
    '  sleep 1',
    'done',
    `echo "git-sync had not synced after ${timeoutSeconds}s" >&2`,
    'exit 1',
  ].join('\n');
  return ['bash', '-c', script];
}

/** The shared content volume's name for a git-sync container named `name`. */
function contentVolumeName(name: string): string {
  return dnsLabelFrom(name, 'content');
}

function checkRepo(value: string, auth: GitSyncAuth | undefined, fail: Fail): string {
  const invalid = (problem: string, fix = 'pass an https:// URL, or an SSH URL (ssh://git@host/org/repo.git or git@host:org/repo.git) with GitSyncAuth.ssh()'): never =>
    fail('GIT_SYNC_REPO_INVALID', problem, fix);
  if (typeof value !== 'string' || value === '') invalid('the repository URL is empty');
  if (/[\s\x00-\x1f\x7f"'\\]/.test(value)) invalid(`repository URL ${JSON.stringify(value)} contains whitespace, quotes, backslashes or control characters`);
  if (value.startsWith('-')) invalid(`repository URL '${value}' starts with '-'`);
  const scpLike = /^([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:(?!\/\/)[^\s]+$/.exec(value);
  let ssh: boolean;
  if (scpLike !== null && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    ssh = true;
  } else {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return invalid(`repository URL '${value}' is not a URL`);
    }
    if (url.protocol === 'http:') {
      invalid(`repository URL '${value}' is plain http, so anyone on the path could change the content the app runs`, 'use the https:// URL of the repository');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'ssh:') invalid(`repository URL '${value}' is neither https nor ssh`);
    if (url.hostname === '') invalid(`repository URL '${value}' has no host`);
    if (url.password !== '' || (url.protocol === 'https:' && url.username !== '')) {
      invalid(`repository URL '${value}' carries credentials, which would be readable in the pod spec`,
        'remove them from the URL and pass them with \'auth\' (GitSyncAuth.password() or GitSyncAuth.ssh(), from a Secret)');
    }
    ssh = url.protocol === 'ssh:';
  }
  if (ssh && auth?.kind !== 'ssh') {
    fail('GIT_SYNC_AUTH_INVALID', `repository '${value}' is an SSH URL, but no SSH key is given`,
      'pass auth: GitSyncAuth.ssh(secret) with the private key and known hosts, or use the https:// URL');
  }
  if (!ssh && auth?.kind === 'ssh') {
    fail('GIT_SYNC_AUTH_INVALID', `repository '${value}' is an https URL, but the credentials are an SSH key`,
      'use the repository\'s SSH URL (ssh://git@host/org/repo.git), or GitSyncAuth.password() for https');
  }
  return value;
}

/** A ref git accepts (git check-ref-format), and never one git would read as an option. */
function checkRef(ref: string, fail: Fail): string {
  const bad = typeof ref !== 'string' || ref === '' || ref === '@' || ref.startsWith('-') || ref.startsWith('/')
    || /[\x00-\x20\x7f~^:?*[\\]/.test(ref) || ref.includes('..') || ref.includes('@{') || ref.includes('//')
    || ref.endsWith('/') || ref.endsWith('.') || ref.endsWith('.lock') || ref.split('/').some(part => part.startsWith('.'));
  if (bad) {
    fail('GIT_SYNC_REF_INVALID', `ref ${JSON.stringify(ref)} is not a valid git branch, tag or commit`,
      'pass a branch (\'main\'), a tag (\'v1.2.0\'), a full commit hash, or \'HEAD\' for the default branch');
  }
  return ref;
}

/** The link is a file name in git-sync's root, next to its own `.git` and `.worktrees`. */
function checkLink(link: string, fail: Fail): string {
  if (typeof link !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(link) || link.length > 255 || link === 'tmp-link') {
    fail('GIT_SYNC_LINK_INVALID', `link ${JSON.stringify(link)} is not a file name git-sync can own in its root`,
      'pass a plain file name of letters, digits, \'.\', \'_\' and \'-\', not starting with \'.\' and other than \'tmp-link\' (git-sync\'s temporary link), e.g. \'current\'');
  }
  return link;
}

function checkWebhookUrl(value: string, oneTime: boolean, fail: Fail): string {
  const invalid = (problem: string, fix = 'pass an absolute http(s) URL of the app\'s reload endpoint, e.g. \'http://127.0.0.1:8080/-/reload\''): never =>
    fail('GIT_SYNC_WEBHOOK_INVALID', problem, fix);
  if (oneTime) {
    invalid('a one-time sync runs before the app starts, so nothing would answer the webhook (and git-sync would exit with an error)',
      'leave \'webhookUrl\' out for a Job or a one-time sync');
  }
  if (typeof value !== 'string' || /[\s"'\\]/.test(value)) invalid(`webhook URL ${JSON.stringify(value)} contains whitespace, quotes or backslashes`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return invalid(`webhook URL '${value}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') invalid(`webhook URL '${value}' is not http or https`);
  if (url.username !== '' || url.password !== '') {
    invalid(`webhook URL '${value}' carries credentials, which would be readable in the pod spec`,
      'call an endpoint that needs no credentials in the URL (git-sync runs in the pod, next to the app)');
  }
  return value;
}

function checkAuth(auth: GitSyncAuth, user: number | undefined, namespace: string | undefined, fail: Fail): GitSyncAuth {
  const invalid = (problem: string, fix: string): never => fail('GIT_SYNC_AUTH_INVALID', problem, fix);
  if (!(auth instanceof GitSyncAuth)) invalid('\'auth\' is not a GitSyncAuth', 'pass GitSyncAuth.password() or GitSyncAuth.ssh()');
  for (const key of Object.values(auth._files)) {
    if (!isConfigMapKey(key)) {
      invalid(`${JSON.stringify(key)} is not a key of a Secret`, 'name the Secret\'s key: letters, digits, \'-\', \'_\' and \'.\'');
    }
  }
  if (new Set(Object.values(auth._files)).size < Object.keys(auth._files).length) {
    invalid(`the private key and the known hosts are both read from key '${auth._files.ssh}'`, 'keep the private key and the known_hosts lines under two keys of the Secret');
  }
  if (auth.kind === 'password') {
    const username = auth._username;
    if (typeof username !== 'string' || username === '' || /[\s\x00-\x1f\x7f"'\\:]/.test(username)) {
      invalid(`user name ${JSON.stringify(username)} is empty or contains whitespace, quotes, ':' or control characters`, 'pass the Git user name (any non-empty name for a GitHub token)');
    }
  }
  // ssh refuses to run for a uid without a passwd entry; the image has one for 65533 only
  // (Dockerfile.in:116), and --add-user cannot write /etc/passwd on a read-only root.
  if (auth.kind === 'ssh' && user !== undefined && user !== GIT_SYNC_UID) {
    invalid(`SSH needs a passwd entry for the uid, and the image has one only for ${GIT_SYNC_UID}, not ${user}`,
      `leave 'user' unset (${GIT_SYNC_UID}) for SSH, or use an https URL with GitSyncAuth.password()`);
  }
  const secretNamespace = auth.secret instanceof kplus.Resource ? auth.secret.metadata.namespace ?? null : undefined;
  if (secretNamespace !== undefined && (secretNamespace ?? undefined) !== namespace) {
    const words = (ns: string | null | undefined) => (ns === undefined || ns === null ? 'no namespace' : `namespace '${ns}'`);
    invalid(`Secret '${auth.secret.name}' is in ${words(secretNamespace)}, the workload in ${words(namespace)}`,
      'use a Secret of the workload\'s namespace (a pod can mount no other)');
  }
  return auth;
}
