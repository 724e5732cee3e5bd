import { spawnSync } from 'child_process';
import { Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { GitSyncChart } from '../../../examples/git-sync';
import { GitSyncAuth, GitSyncSidecar, GitSyncSidecarProps, GitSyncSubmodules, SidecarAlerts, SidecarMode, SidecarPlacement, SidecarProfile } from '../../../src';
import { SidecarError } from '../../../src/core/errors';
import { specContext } from '../../../src/core/spec';
import { DEFAULT_NAME, gitSyncSpec } from '../../../src/sidecars/git-sync/spec';
import { container, containerOrder, find, newChart, podSpec, synth, webDeployment, pureSpec } from '../../util';

const WHO = 'workload \'test/web\', sidecar \'git-sync\'';
const REPO = 'https://github.com/example/dags.git';
const SSH_REPO = 'git@github.com:example/dags.git';

/**
 * The oracle for flags: git-sync's own flags at the pinned tag, read from
 * kubernetes/git-sync v4.7.1 `main.go` (file:line of each `pflag` declaration), with
 * whether the flag is a boolean. Written from the upstream source, not from the library.
 */
const UPSTREAM_FLAGS: { [flag: string]: { readonly line: number; readonly bool: boolean } } = {
  'repo': { line: 162, bool: false },
  'ref': { line: 165, bool: false },
  'depth': { line: 168, bool: false },
  'submodules': { line: 174, bool: false },
  'root': { line: 181, bool: false },
  'link': { line: 184, bool: false },
  'period': { line: 193, bool: false },
  'sync-timeout': { line: 196, bool: false },
  'one-time': { line: 199, bool: true },
  'max-failures': { line: 205, bool: false },
  'webhook-url': { line: 233, bool: false },
  'username': { line: 249, bool: false },
  'password-file': { line: 255, bool: false },
  'ssh-key-file': { line: 260, bool: false },
  'ssh-known-hosts': { line: 263, bool: true },
  'ssh-known-hosts-file': { line: 266, bool: false },
  'http-bind': { line: 306, bool: false },
  'http-metrics': { line: 309, bool: true },
};

/** The flags of an argument list as git-sync's pflag parser reads them (`--name=value`, or `--name` for a boolean). */
function flags(args: string[]): { [flag: string]: string } {
  const out: { [flag: string]: string } = {};
  for (const arg of args) {
    const m = /^--([a-z][a-z-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (m === null) throw new Error(`'${arg}' is not a --flag`);
    const upstream = UPSTREAM_FLAGS[m[1]];
    if (upstream === undefined) throw new Error(`--${m[1]} is not a flag of git-sync v4.7.1`);
    if (upstream.bool && m[2] !== undefined && !['true', 'false'].includes(m[2])) throw new Error(`--${m[1]} is a boolean, not '${m[2]}'`);
    if (!upstream.bool && m[2] === undefined) throw new Error(`--${m[1]} needs a value`);
    if (m[1] in out) throw new Error(`--${m[1]} is given twice`);
    out[m[1]] = m[2] ?? 'true';
  }
  return out;
}

/** The start of an error message: its code and who it is about. */
function error(code: string, who = WHO): string {
  return `[${code}] ${who}: `;
}

function job(chart: Chart): kplus.Job {
  return new kplus.Job(chart, 'batch', { containers: [{ name: 'main', image: 'myjob:v1.0.0' }] });
}

describe('GitSyncSidecar', () => {
  test('defaults on a Deployment: a native sidecar that gates the app on the first sync and keeps syncing', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const gitSync = new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO });

    // THEN
    const manifests = synth(chart);
    expect(manifests).toMatchSnapshot();
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(containerOrder(spec)).toEqual(['init:git-sync', 'app']);
    const c = container(spec, 'git-sync');
    expect(c.image).toBe('registry.k8s.io/git-sync/git-sync:v4.7.1');
    expect(c.restartPolicy).toBe('Always');
    expect(flags(c.args)).toEqual({
      'repo': REPO,
      'ref': 'HEAD',
      'root': '/git',
      'link': 'current',
      'period': '60s',
      'depth': '1',
      'submodules': 'recursive',
      'sync-timeout': '120s',
      'max-failures': '-1',
      'http-bind': ':9422',
      'http-metrics': 'true',
    });
    expect(c.ports).toEqual([{ containerPort: 9422, name: 'git-sync', protocol: 'TCP' }]);
    // DATA_SYNC, from the design's table: 100m/128Mi, no limits.
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' } });
    // The image's user: Dockerfile.in:150 `USER 65533:65533` at v4.7.1.
    expect(c.securityContext).toMatchObject({
      runAsUser: 65533, runAsGroup: 65533, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
    });
    // `/` is 503 until the first sync, then 200 (main.go:808-813): checked every second.
    expect(c.startupProbe).toMatchObject({ httpGet: { path: '/', port: 9422 }, periodSeconds: 1, failureThreshold: 300 });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/', port: 9422, scheme: 'HTTP' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/', port: 9422, scheme: 'HTTP' });
    expect(gitSync.gatesStartup).toBe(true);
    expect(gitSync.placement).toBe(SidecarPlacement.NATIVE_SIDECAR);
    expect(gitSync.oneTime).toBe(false);
    expect(gitSync.contentPath).toBe('/git/current');
    expect(gitSync.metricsPort).toBe(9422);
    expect(gitSync.kind).toBe('git-sync');
    expect(gitSync.profile).toBe(SidecarProfile.DATA_SYNC);
    expect(gitSync.metrics).toEqual({ portName: 'git-sync', path: '/metrics' });
    expect(gitSync.alertPack).toBe(GitSyncSidecar.ALERT_PACK);
    expect(GitSyncSidecar.ALERT_PACK.alertNames).toEqual(['GitSyncFailing', 'GitSyncContentStale', 'GitSyncWebhookFailing']);
  });

  test('the content volume: written by git-sync only, mounted whole and read-only into the app, never by subPath', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO, contentDir: '/opt/airflow/dags', contentSizeLimit: Size.gibibytes(2) });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes).toEqual(expect.arrayContaining([{ name: 'git-sync-content', emptyDir: { sizeLimit: '2048Mi' } }]));
    expect(container(spec, 'git-sync').volumeMounts).toEqual(expect.arrayContaining([
      { mountPath: '/git', name: 'git-sync-content', readOnly: false },
      { mountPath: '/tmp', name: 'git-sync-tmp', readOnly: false },
    ]));
    expect(container(spec, 'app').volumeMounts).toEqual([{ mountPath: '/opt/airflow/dags', name: 'git-sync-content', readOnly: true }]);
    for (const c of [...spec.initContainers, ...spec.containers]) {
      for (const m of c.volumeMounts ?? []) expect(m.subPath).toBeUndefined();
    }
  });

  test('the app reads the files without a pod fsGroup: git-sync writes them world-readable', () => {
    // GIVEN an app that runs as its own uid and gid, in a pod without fsGroup
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', {
      containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080, securityContext: { user: 1000, group: 3000 } }],
    });

    // WHEN
    new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO });

    // THEN git-sync runs with umask 022 (main.go:659-664: --group-write not given), so files
    // are 0644 and directories 0775 & ~022 = 0755 (main.go:114): readable by uid 1000, and
    // nothing in the pod depends on a group.
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.securityContext.fsGroup).toBeUndefined();
    const args = flags(container(spec, 'git-sync').args);
    expect(args['group-write']).toBeUndefined();
    expect(container(spec, 'app').securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 3000 });
  });

  test('a subPath mount of the content is refused (SUBPATH_ON_SHARED): the link is swapped atomically', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO });

    // WHEN the app mounts the shared volume with a subPath
    const shared = web.volumes.find(v => v.name === 'git-sync-content')!;
    web.containers[0].mount('/dags', shared, { subPath: 'current' });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('SUBPATH_ON_SHARED', 'workload \'test/web\'')}container 'app' mounts shared volume 'git-sync-content' with a subPath, and subPath mounts never see updates. Fix: `);
  });

  test('the app cannot write the content (VOLUME_WRITER_FORBIDDEN)', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO });

    // WHEN another container mounts the content read-write
    const shared = web.volumes.find(v => v.name === 'git-sync-content')!;
    web.addContainer({ name: 'worker', image: 'myapp:v1.0.0' }).mount('/data', shared);

    // THEN
    expect(() => synth(chart)).toThrow(`${error('VOLUME_WRITER_FORBIDDEN', 'workload \'test/web\'')}container 'worker' mounts volume 'git-sync-content' read-write, but only sidecar 'git-sync' may write it. Fix: `);
  });

  test('password auth: --username and --password-file from a Secret mounted into git-sync only', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const secret = new kplus.Secret(chart, 'git-creds', { metadata: { name: 'git-creds' }, stringData: { token: 's3cr3t-token' } });

    // WHEN
    new GitSyncSidecar(chart, 'content', {
      workload: web,
      repo: REPO,
      auth: GitSyncAuth.password(secret, { username: 'x-access-token', passwordKey: 'token' }),
    });

    // THEN
    const manifests = synth(chart);
    const spec = podSpec(find(manifests, 'Deployment'));
    const c = container(spec, 'git-sync');
    const args = flags(c.args);
    expect(args.username).toBe('x-access-token');
    expect(args['password-file']).toBe('/etc/git-secret/password');
    expect(spec.volumes).toEqual(expect.arrayContaining([
      { name: 'git-sync-credentials', secret: { secretName: 'git-creds', items: [{ key: 'token', path: 'password' }] } },
    ]));
    expect(c.volumeMounts).toEqual(expect.arrayContaining([{ mountPath: '/etc/git-secret', name: 'git-sync-credentials', readOnly: true }]));
    expect(container(spec, 'app').volumeMounts.map((m: any) => m.name)).toEqual(['git-sync-content']);
    // The credential is nowhere in the pod spec, nor in a ConfigMap.
    expect(JSON.stringify(find(manifests, 'Deployment'))).not.toContain('s3cr3t-token');
    expect(manifests.filter(m => m.kind === 'ConfigMap')).toEqual([]);
    expect(c.env).toBeUndefined();
  });

  test('SSH auth: the key and known hosts from a Secret, host keys verified', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const secret = kplus.Secret.fromSecretName(chart, 'deploy-key', 'dags-deploy-key');

    // WHEN
    new GitSyncSidecar(chart, 'content', { workload: web, repo: SSH_REPO, auth: GitSyncAuth.ssh(secret, { privateKeyKey: 'id_ed25519' }) });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    const args = flags(container(spec, 'git-sync').args);
    expect(args).toMatchObject({
      'repo': SSH_REPO,
      'ssh-key-file': '/etc/git-secret/ssh',
      'ssh-known-hosts': 'true',
      'ssh-known-hosts-file': '/etc/git-secret/known_hosts',
    });
    expect(args.username).toBeUndefined();
    expect(spec.volumes).toEqual(expect.arrayContaining([{
      name: 'git-sync-credentials',
      secret: { secretName: 'dags-deploy-key', items: [{ key: 'id_ed25519', path: 'ssh' }, { key: 'known_hosts', path: 'known_hosts' }] },
    }]));
  });

  test('a subPath mount of the credentials Secret elsewhere is refused: a rotated password must reach git-sync', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const secret = new kplus.Secret(chart, 'git-creds', { metadata: { name: 'git-creds' }, stringData: { password: 'x' } });
    new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO, auth: GitSyncAuth.password(secret, { username: 'bot' }) });

    // WHEN
    web.containers[0].mount('/etc/pw', kplus.Volume.fromSecret(chart, 'own', secret, { name: 'my-creds' }), { subPath: 'password' });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('SUBPATH_ON_SHARED')}container 'app' mounts watched Secret 'git-creds' (volume 'my-creds') with a subPath, and subPath mounts never see updates. Fix: `);
  });

  test('webhookUrl notifies the app after each new commit', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO, webhookUrl: 'http://127.0.0.1:8080/-/reload' });

    // THEN
    const args = flags(container(podSpec(find(synth(chart), 'Deployment')), 'git-sync').args);
    expect(args['webhook-url']).toBe('http://127.0.0.1:8080/-/reload');
  });

  test('props: ref, period, depth, link, port, failures, timeouts, name', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const gitSync = new GitSyncSidecar(chart, 'content', {
      workload: web,
      name: 'dags',
      repo: REPO,
      ref: 'release/v2',
      period: Duration.seconds(15),
      depth: 0,
      submodules: GitSyncSubmodules.OFF,
      link: 'repo',
      metricsPort: 8999,
      maxFailures: 10,
      syncTimeout: Duration.seconds(30),
      startupTimeout: Duration.seconds(90),
      contentDir: '/srv/content/',
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    const c = container(spec, 'dags');
    expect(flags(c.args)).toMatchObject({
      'ref': 'release/v2', 'period': '15s', 'depth': '0', 'submodules': 'off', 'link': 'repo', 'http-bind': ':8999', 'max-failures': '10', 'sync-timeout': '30s',
    });
    expect(c.startupProbe).toMatchObject({ httpGet: { path: '/', port: 8999 }, periodSeconds: 1, failureThreshold: 90 });
    expect(c.ports).toEqual([{ containerPort: 8999, name: 'git-sync', protocol: 'TCP' }]);
    expect(container(spec, 'app').volumeMounts).toEqual([{ mountPath: '/srv/content', name: 'dags-content', readOnly: true }]);
    expect(gitSync.contentPath).toBe('/srv/content/repo');
    expect(gitSync.metricsPort).toBe(8999);
  });

  test('two repositories in one pod: each its own volume and port', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new GitSyncSidecar(chart, 'dags', { workload: web, name: 'dags', repo: REPO, contentDir: '/dags' });
    new GitSyncSidecar(chart, 'plugins', { workload: web, name: 'plugins', repo: 'https://github.com/example/plugins.git', contentDir: '/plugins', metricsPort: 9423 });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(containerOrder(spec)).toEqual(['init:dags', 'init:plugins', 'app']);
    expect(container(spec, 'app').volumeMounts).toEqual([
      { mountPath: '/dags', name: 'dags-content', readOnly: true },
      { mountPath: '/plugins', name: 'plugins-content', readOnly: true },
    ]);
  });

  test('on a Job: a --one-time init step before the app, so the Job completes', () => {
    // GIVEN
    const chart = newChart();
    const batch = job(chart);

    // WHEN
    const gitSync = new GitSyncSidecar(chart, 'content', { workload: batch, repo: REPO });

    // THEN
    const manifests = synth(chart);
    expect(manifests).toMatchSnapshot();
    const spec = podSpec(find(manifests, 'Job'));
    expect(containerOrder(spec)).toEqual(['init:git-sync', 'main']);
    const c = container(spec, 'git-sync');
    // An init container without restartPolicy runs to completion before the app; only the
    // app is an ordinary container, so the Job completes when the app does.
    expect(c.restartPolicy).toBeUndefined();
    expect(spec.containers.map((x: any) => x.name)).toEqual(['main']);
    const args = flags(c.args);
    expect(args['one-time']).toBe('true');
    expect(args['max-failures']).toBe('3');
    expect(args['http-bind']).toBeUndefined();
    expect(args['http-metrics']).toBeUndefined();
    expect(c.ports).toBeUndefined();
    expect(c.startupProbe).toBeUndefined();
    expect(container(spec, 'main').volumeMounts).toEqual([{ mountPath: '/git', name: 'git-sync-content', readOnly: true }]);
    expect(gitSync.oneTime).toBe(true);
    expect(gitSync.placement).toBe(SidecarPlacement.INIT_CONTAINER);
    expect(gitSync.metrics).toBeUndefined();
    expect(gitSync.metricsPort).toBeUndefined();
  });

  test('LEGACY on a Job or CronJob is the same one-time init step, not LEGACY_ON_COMPLETION', () => {
    // GIVEN
    const chart = newChart();
    const batch = job(chart);
    const cron = new kplus.CronJob(chart, 'cron', { schedule: Cron.hourly(), containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });

    // WHEN
    new GitSyncSidecar(chart, 'content', { workload: batch, repo: REPO, mode: SidecarMode.LEGACY });
    new GitSyncSidecar(chart, 'cron-content', { workload: cron, repo: REPO, mode: SidecarMode.LEGACY });

    // THEN
    const manifests = synth(chart);
    for (const kind of ['Job', 'CronJob']) {
      const spec = podSpec(find(manifests, kind));
      expect(spec.initContainers.map((x: any) => x.name)).toEqual(['git-sync']);
      expect(flags(container(spec, 'git-sync').args)['one-time']).toBe('true');
    }
  });

  test('LEGACY on a Deployment: an ordinary container that keeps syncing, first, gating the app with a blocking postStart', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const gitSync = new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO, mode: SidecarMode.LEGACY, startupTimeout: Duration.seconds(120) });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(containerOrder(spec)).toEqual(['git-sync', 'app']);
    const c = container(spec, 'git-sync');
    expect(flags(c.args)['one-time']).toBeUndefined();
    expect(gitSync.placement).toBe(SidecarPlacement.CONTAINER);
    expect(gitSync.gatesStartup).toBe(true);
    // The kubelet starts the app only after this returns: it polls `/` (503 until the first
    // sync) every second, for at most the startup timeout.
    const [shell, flag, script] = c.lifecycle.postStart.exec.command;
    expect([shell, flag]).toEqual(['bash', '-c']);
    expect(script).toContain('$(seq 1 120)');
    expect(script).toContain('curl -fsS -o /dev/null --max-time 1 http://127.0.0.1:9422/');
    expect(script).toMatch(/exit 1$/);
  });

  test('the LEGACY wait script is valid bash', () => {
    // GIVEN
    const chart = newChart();
    const gitSync = new GitSyncSidecar(chart, 'content', { workload: webDeployment(chart), repo: REPO, mode: SidecarMode.LEGACY });
    const script: string = container(podSpec(find(synth(chart), 'Deployment')), 'git-sync').lifecycle.postStart.exec.command[2];

    // WHEN bash parses it without running it
    const run = spawnSync('bash', ['-n', '-c', script], { encoding: 'utf8' });

    // THEN
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(gitSync.gatesStartup).toBe(true);
  });

  test('oneTime on a Deployment syncs once before the app; oneTime: false on a Job keeps a native sidecar', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const batch = job(chart);

    // WHEN
    new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO, oneTime: true });
    new GitSyncSidecar(chart, 'job-content', { workload: batch, repo: REPO, oneTime: false });

    // THEN
    const manifests = synth(chart);
    const once = container(podSpec(find(manifests, 'Deployment')), 'git-sync');
    expect(once.restartPolicy).toBeUndefined();
    expect(flags(once.args)['one-time']).toBe('true');
    const native = container(podSpec(find(manifests, 'Job')), 'git-sync');
    expect(native.restartPolicy).toBe('Always');
    expect(flags(native.args)['one-time']).toBeUndefined();
  });

  test('a commit hash is synced once: git-sync never syncs a hash again (main.go:1017)', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const hash = '0123456789abcdef0123456789abcdef01234567';

    // WHEN
    const gitSync = new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO, ref: hash });

    // THEN
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'git-sync');
    expect(flags(c.args)).toMatchObject({ 'ref': hash, 'one-time': 'true' });
    expect(gitSync.oneTime).toBe(true);
  });

  test('a LEGACY sidecar that keeps syncing on a Job is refused (LEGACY_ON_COMPLETION)', () => {
    // GIVEN
    const chart = newChart();
    const batch = job(chart);

    // WHEN
    new GitSyncSidecar(chart, 'content', { workload: batch, repo: REPO, mode: SidecarMode.LEGACY, oneTime: false });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('LEGACY_ON_COMPLETION', 'workload \'test/batch\', sidecar \'git-sync\'')}a LEGACY sidecar is an ordinary container that never exits`);
  });

  test('a port collision with the app is refused (PORT_IN_USE)', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 9422 }] });

    // WHEN
    new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('PORT_IN_USE')}port 9422/TCP ('metricsPort') is also used by container 'app' (containers of a pod share one network namespace). Fix: `);
  });

  test('created in a chart of another namespace, the Secret must be in the workload\'s', () => {
    // GIVEN a workload in 'production' and a Secret defined in 'tools'
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'production' });
    const web = webDeployment(chart);
    const tools = new Chart(app, 'tools', { namespace: 'tools' });
    const secret = new kplus.Secret(tools, 'creds', { metadata: { name: 'creds' } });

    // WHEN / THEN
    expect(() => new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO, auth: GitSyncAuth.password(secret, { username: 'bot' }) }))
      .toThrow(`${error('GIT_SYNC_AUTH_INVALID')}Secret 'creds' is in namespace 'tools', the workload in namespace 'production'. Fix: `);
  });

  describe('bad input', () => {
    const secret = () => kplus.Secret.fromSecretName(newChart(), 'creds', 'creds');
    const cases: [string, (s: kplus.ISecret) => Partial<GitSyncSidecarProps>, string, string][] = [
      ['empty repo', () => ({ repo: '' }), 'GIT_SYNC_REPO_INVALID', 'the repository URL is empty. Fix: '],
      ['repo with a space', () => ({ repo: 'https://github.com/a b' }), 'GIT_SYNC_REPO_INVALID', 'repository URL "https://github.com/a b" contains whitespace, quotes, backslashes or control characters. Fix: '],
      ['repo that is an option', () => ({ repo: '--upload-pack=touch' }), 'GIT_SYNC_REPO_INVALID', 'repository URL \'--upload-pack=touch\' starts with \'-\'. Fix: '],
      ['repo that is no URL', () => ({ repo: 'dags' }), 'GIT_SYNC_REPO_INVALID', 'repository URL \'dags\' is not a URL. Fix: '],
      ['plain http', () => ({ repo: 'http://git.local/dags.git' }), 'GIT_SYNC_REPO_INVALID',
        'repository URL \'http://git.local/dags.git\' is plain http, so anyone on the path could change the content the app runs. Fix: use the https:// URL of the repository.'],
      ['file URL', () => ({ repo: 'file:///srv/dags' }), 'GIT_SYNC_REPO_INVALID', 'repository URL \'file:///srv/dags\' is neither https nor ssh. Fix: '],
      ['SSH URL without a host', s => ({ repo: 'ssh:///srv/dags', auth: GitSyncAuth.ssh(s) }), 'GIT_SYNC_REPO_INVALID', 'repository URL \'ssh:///srv/dags\' has no host. Fix: '],
      ['token in the URL', () => ({ repo: 'https://bot:ghp_123@github.com/example/dags.git' }), 'GIT_SYNC_REPO_INVALID',
        'repository URL \'https://bot:ghp_123@github.com/example/dags.git\' carries credentials, which would be readable in the pod spec. Fix: remove them from the URL'],
      ['user in an https URL', () => ({ repo: 'https://bot@github.com/example/dags.git' }), 'GIT_SYNC_REPO_INVALID',
        'repository URL \'https://bot@github.com/example/dags.git\' carries credentials, which would be readable in the pod spec. Fix: '],
      ['SSH URL without a key', () => ({ repo: SSH_REPO }), 'GIT_SYNC_AUTH_INVALID',
        `repository '${SSH_REPO}' is an SSH URL, but no SSH key is given. Fix: pass auth: GitSyncAuth.ssh(secret)`],
      ['SSH key for an https URL', s => ({ auth: GitSyncAuth.ssh(s) }), 'GIT_SYNC_AUTH_INVALID',
        `repository '${REPO}' is an https URL, but the credentials are an SSH key. Fix: `],
      ['password for an SSH URL', s => ({ repo: 'ssh://git@github.com/example/dags.git', auth: GitSyncAuth.password(s, { username: 'bot' }) }), 'GIT_SYNC_AUTH_INVALID',
        'repository \'ssh://git@github.com/example/dags.git\' is an SSH URL, but no SSH key is given. Fix: '],
      ['bad Secret key', s => ({ auth: GitSyncAuth.password(s, { username: 'bot', passwordKey: 'a/b' }) }), 'GIT_SYNC_AUTH_INVALID', '"a/b" is not a key of a Secret. Fix: '],
      ['Secret key starting with ..', s => ({ auth: GitSyncAuth.password(s, { username: 'bot', passwordKey: '..data' }) }), 'GIT_SYNC_AUTH_INVALID', '"..data" is not a key of a Secret. Fix: '],
      ['one key for key and known hosts', s => ({ repo: SSH_REPO, auth: GitSyncAuth.ssh(s, { privateKeyKey: 'k', knownHostsKey: 'k' }) }), 'GIT_SYNC_AUTH_INVALID',
        'the private key and the known hosts are both read from key \'k\'. Fix: '],
      ['empty user name', s => ({ auth: GitSyncAuth.password(s, { username: '' }) }), 'GIT_SYNC_AUTH_INVALID',
        'user name "" is empty or contains whitespace, quotes, \':\' or control characters. Fix: '],
      ['user name with a colon', s => ({ auth: GitSyncAuth.password(s, { username: 'bot:pw' }) }), 'GIT_SYNC_AUTH_INVALID',
        'user name "bot:pw" is empty or contains whitespace, quotes, \':\' or control characters. Fix: '],
      ['SSH as another uid', s => ({ repo: SSH_REPO, auth: GitSyncAuth.ssh(s), user: 1000 }), 'GIT_SYNC_AUTH_INVALID',
        'SSH needs a passwd entry for the uid, and the image has one only for 65533, not 1000. Fix: '],
      ['not a GitSyncAuth', () => ({ auth: { kind: 'password' } as any }), 'GIT_SYNC_AUTH_INVALID', '\'auth\' is not a GitSyncAuth. Fix: '],
      ['empty ref', () => ({ ref: '' }), 'GIT_SYNC_REF_INVALID', 'ref "" is not a valid git branch, tag or commit. Fix: '],
      ['ref that is an option', () => ({ ref: '--output=/tmp/x' }), 'GIT_SYNC_REF_INVALID', 'ref "--output=/tmp/x" is not a valid git branch, tag or commit. Fix: '],
      ['ref with ..', () => ({ ref: 'main..dev' }), 'GIT_SYNC_REF_INVALID', 'ref "main..dev" is not a valid git branch, tag or commit. Fix: '],
      ['ref with a space', () => ({ ref: 'my branch' }), 'GIT_SYNC_REF_INVALID', 'ref "my branch" is not a valid git branch, tag or commit. Fix: '],
      ['ref ending in .lock', () => ({ ref: 'main.lock' }), 'GIT_SYNC_REF_INVALID', 'ref "main.lock" is not a valid git branch, tag or commit. Fix: '],
      ['hash that keeps syncing', () => ({ ref: 'a'.repeat(40), oneTime: false }), 'GIT_SYNC_ONE_TIME_INVALID',
        `ref '${'a'.repeat(40)}' is a commit hash, which git-sync syncs once and never again, so a sidecar that keeps syncing would only idle. Fix: `],
      ['link with a slash', () => ({ link: 'a/b' }), 'GIT_SYNC_LINK_INVALID', 'link "a/b" is not a file name git-sync can own in its root. Fix: '],
      ['hidden link', () => ({ link: '.worktrees' }), 'GIT_SYNC_LINK_INVALID', 'link ".worktrees" is not a file name git-sync can own in its root. Fix: '],
      ['git-sync\'s temporary link', () => ({ link: 'tmp-link' }), 'GIT_SYNC_LINK_INVALID', 'link "tmp-link" is not a file name git-sync can own in its root. Fix: '],
      ['webhook that is no URL', () => ({ webhookUrl: '/-/reload' }), 'GIT_SYNC_WEBHOOK_INVALID', 'webhook URL \'/-/reload\' is not a URL. Fix: '],
      ['webhook not http', () => ({ webhookUrl: 'ftp://127.0.0.1/x' }), 'GIT_SYNC_WEBHOOK_INVALID', 'webhook URL \'ftp://127.0.0.1/x\' is not http or https. Fix: '],
      ['webhook with credentials', () => ({ webhookUrl: 'http://u:p@127.0.0.1/x' }), 'GIT_SYNC_WEBHOOK_INVALID',
        'webhook URL \'http://u:p@127.0.0.1/x\' carries credentials, which would be readable in the pod spec. Fix: '],
      ['webhook with a quote', () => ({ webhookUrl: 'http://127.0.0.1/"x' }), 'GIT_SYNC_WEBHOOK_INVALID', 'webhook URL "http://127.0.0.1/\\"x" contains whitespace, quotes or backslashes. Fix: '],
      ['webhook of a one-time sync', () => ({ oneTime: true, webhookUrl: 'http://127.0.0.1:8080/-/reload' }), 'GIT_SYNC_WEBHOOK_INVALID',
        'a one-time sync runs before the app starts, so nothing would answer the webhook (and git-sync would exit with an error). Fix: '],
      ['period under a second', () => ({ period: Duration.millis(500) }), 'DURATION_INVALID', '\'period\' is not a whole number of seconds of at least 1. Fix: '],
      ['sync timeout 0', () => ({ syncTimeout: Duration.seconds(0) }), 'DURATION_INVALID', '\'syncTimeout\' is not a whole number of seconds of at least 1. Fix: '],
      ['startup timeout 0', () => ({ startupTimeout: Duration.seconds(0) }), 'DURATION_INVALID', '\'startupTimeout\' is not a whole number of seconds of at least 1. Fix: '],
      ['negative depth', () => ({ depth: -1 }), 'NUMBER_INVALID', '\'depth\' -1 is not a whole number 0 or more. Fix: '],
      ['max failures below -1', () => ({ maxFailures: -2 }), 'NUMBER_INVALID', '\'maxFailures\' -2 is not a whole number -1 or more. Fix: '],
      ['submodules', () => ({ submodules: 'all' as GitSyncSubmodules }), 'ENUM_INVALID', '\'submodules\' \'all\' is not one of the GitSyncSubmodules values. Fix: '],
      ['metrics port', () => ({ metricsPort: 70000 }), 'PORT_INVALID', '\'metricsPort\' 70000 is not a valid port number. Fix: '],
      ['content dir', () => ({ contentDir: 'dags' }), 'PATH_INVALID', '\'contentDir\' \'dags\' is not a canonical absolute path. Fix: '],
      ['content size', () => ({ contentSizeLimit: Size.kibibytes(10) }), 'SIZE_INVALID', '\'contentSizeLimit\' is not a positive whole number of MiB. Fix: '],
    ];
    test.each(cases)('%s', (_, props, code, message) => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      // WHEN / THEN
      expect(() => new GitSyncSidecar(chart, 'content', { workload: web, repo: REPO, ...props(secret()) })).toThrow(`${error(code)}${message}`);
    });
  });
});

describe('GitSyncSidecar with SidecarAlerts', () => {
  const groupOf = (manifests: any[]) => find(manifests, 'PrometheusRule').spec.groups.find((g: any) => g.name === 'sidecar-git-sync');

  test('a sidecar that keeps syncing is scraped on its port and gets the pack, with its threshold', () => {
    // GIVEN
    const chart = newChart();
    new SidecarAlerts(chart, 'alerts', { overrides: { GitSyncContentStale: { threshold: 5 } } });

    // WHEN
    new GitSyncSidecar(chart, 'content', { workload: webDeployment(chart), repo: REPO });

    // THEN
    const manifests = synth(chart);
    const endpoint = find(manifests, 'PodMonitor').spec.podMetricsEndpoints.find((e: any) => e.port === 'git-sync');
    expect(endpoint).toMatchObject({ port: 'git-sync', path: '/metrics' });
    const rules = groupOf(manifests).rules;
    expect(rules.map((r: any) => r.alert)).toEqual(['GitSyncFailing', 'GitSyncContentStale', 'GitSyncWebhookFailing']);
    const stale = rules.find((r: any) => r.alert === 'GitSyncContentStale').expr;
    // One branch per window, each counting at least 5 failed attempts of this container.
    expect(stale.match(/status="error"\}\[(\w+)\]\)\) >= 5/g)).toHaveLength(7);
    expect(stale).toContain('git_sync_count_total{namespace="production", container="git-sync", status=~"success|noop"}[10m]');
  });

  test('a one-time sync has no metrics, so the pack has nothing to watch', () => {
    // GIVEN
    const chart = newChart();
    new SidecarAlerts(chart, 'alerts');

    // WHEN
    new GitSyncSidecar(chart, 'content', { workload: job(chart), repo: REPO });

    // THEN
    const manifests = synth(chart);
    expect(groupOf(manifests)).toBeUndefined();
    expect(manifests.filter(m => m.kind === 'PodMonitor')).toEqual([]);
  });
});

describe('examples/git-sync.ts', () => {
  test('synthesizes a schema-valid scheduler that keeps syncing and a backfill Job that syncs once', () => {
    // GIVEN / WHEN
    const manifests = synth(new GitSyncChart(Testing.app(), 'git-sync', { namespace: 'production' }));

    // THEN
    const scheduler = podSpec(find(manifests, 'Deployment'));
    expect(containerOrder(scheduler)).toEqual(['init:git-sync', 'scheduler']);
    expect(container(scheduler, 'git-sync').restartPolicy).toBe('Always');
    expect(flags(container(scheduler, 'git-sync').args)).toMatchObject({ ref: 'main', period: '30s', username: 'x-access-token' });
    const backfill = podSpec(find(manifests, 'Job'));
    expect(containerOrder(backfill)).toEqual(['init:git-sync', 'backfill']);
    expect(flags(container(backfill, 'git-sync').args)['one-time']).toBe('true');
    for (const spec of [scheduler, backfill]) {
      expect(spec.volumes).toEqual(expect.arrayContaining([
        { name: 'git-sync-credentials', secret: { secretName: 'dags-git-token', items: [{ key: 'password', path: 'password' }] } },
      ]));
    }
  });
});

describe('gitSyncSpec', () => {
  test('turns props into a spec without creating a construct', () => {
    // GIVEN
    const chart = newChart();
    const props: GitSyncSidecarProps = { workload: webDeployment(chart), repo: REPO, webhookUrl: 'http://127.0.0.1:8080/-/reload' };
    // WHEN it is computed (creating no construct)
    const spec = pureSpec(chart, props, DEFAULT_NAME, gitSyncSpec);

    // THEN
    expect(spec).toMatchObject({
      image: 'registry.k8s.io/git-sync/git-sync:v4.7.1',
      imageUser: 65533,
      imageGroup: 65533,
      kind: 'git-sync',
      profile: SidecarProfile.DATA_SYNC,
      alertPack: GitSyncSidecar.ALERT_PACK,
      runOnce: false,
      metrics: { portName: 'git-sync', path: '/metrics' },
      ports: [{ name: 'git-sync', number: 9422, protocol: kplus.Protocol.TCP, prop: 'metricsPort' }],
      writablePaths: ['/tmp'],
    });
    expect(flags(spec.args!)['webhook-url']).toBe('http://127.0.0.1:8080/-/reload');
    expect(spec.volumes).toHaveLength(1);
    expect(spec.volumes![0]).toMatchObject({ name: 'git-sync-content', path: '/git', appPath: '/git', appReadOnly: true, mustSeeUpdates: true, writers: 'SIDECAR_ONLY' });
    expect(spec.startup).toBeDefined();
    expect(spec.shutdownBudget).toBeUndefined();
    expect(spec.configFiles).toBeUndefined();
  });

  test('on a Job: run once, no probes, no port, no metrics', () => {
    // GIVEN
    const chart = newChart();
    const props: GitSyncSidecarProps = { workload: job(chart), repo: REPO };

    // WHEN
    const spec = gitSyncSpec(props, specContext(chart, props, DEFAULT_NAME));

    // THEN
    expect(spec).toMatchObject({ runOnce: true, ports: [] });
    expect(spec.metrics).toBeUndefined();
    expect(spec.startup).toBeUndefined();
    expect(spec.readiness).toBeUndefined();
    expect(spec.liveness).toBeUndefined();
    expect(flags(spec.args!)['one-time']).toBe('true');
  });

  test('raises errors with their codes', () => {
    // GIVEN
    const chart = newChart();
    const props: GitSyncSidecarProps = { workload: webDeployment(chart), repo: REPO, ref: 'a..b' };

    // WHEN
    let raised: unknown;
    try {
      gitSyncSpec(props, specContext(chart, props, DEFAULT_NAME));
    } catch (e) {
      raised = e;
    }

    // THEN
    expect(raised).toBeInstanceOf(SidecarError);
    expect(raised).toMatchObject({ code: 'GIT_SYNC_REF_INVALID', problem: 'ref "a..b" is not a valid git branch, tag or commit' });
  });
});
