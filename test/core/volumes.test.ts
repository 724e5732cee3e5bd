import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Sidecar, SidecarVolumeSource, SidecarVolumeWriters } from '../../src/core';
import { container, find, newChart, podSpec, synth, webDeployment } from '../util';

const IMAGE = 'rclone/rclone:1.68.2';

describe('volume sources', () => {
  test('emptyDir: on disk, or in memory with a size limit', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const s = new Sidecar(chart, 's', { workload: web, image: IMAGE });

    // WHEN
    s.addVolume({ name: 'scratch', source: SidecarVolumeSource.emptyDir(), path: '/scratch' });
    s.addVolume({ name: 'secrets', source: SidecarVolumeSource.emptyDir({ memory: true, sizeLimit: Size.mebibytes(1) }), path: '/secrets' });

    // THEN
    expect(podSpec(find(synth(chart), 'Deployment')).volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: 'secrets', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
    ]);
  });

  test('configMap and secret: every key, or the keys chosen, as files', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const s = new Sidecar(chart, 's', { workload: web, image: IMAGE });

    // WHEN
    const cm = s.addVolume({ name: 'app-config', source: SidecarVolumeSource.configMap(kplus.ConfigMap.fromConfigMapName(chart, 'cm', 'app-config')), path: '/etc/app', readOnly: true });
    s.addVolume({
      name: 'tls',
      source: SidecarVolumeSource.secret(kplus.Secret.fromSecretName(chart, 'tls', 'app-tls'), { items: { 'tls.crt': 'cert.pem' } }),
      path: '/etc/tls',
      readOnly: true,
    });

    // THEN
    expect(cm.name).toBe('app-config');
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes).toEqual([
      { name: 'app-config', configMap: { name: 'app-config' } },
      { name: 'tls', secret: { secretName: 'app-tls', items: [{ key: 'tls.crt', path: 'cert.pem' }] } },
    ]);
    expect(container(spec, 's').volumeMounts).toEqual([
      { mountPath: '/etc/app', name: 'app-config', readOnly: true },
      { mountPath: '/etc/tls', name: 'tls', readOnly: true },
    ]);
  });

  test('serviceAccountToken: a projected token, mounted into the sidecar only', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const s = new Sidecar(chart, 'agent', { workload: web, image: IMAGE });

    // WHEN
    s.addVolume({ name: 'agent-token', source: SidecarVolumeSource.serviceAccountToken(), path: '/var/run/secrets/agent', readOnly: true });
    s.addVolume({
      name: 'vault-token',
      source: SidecarVolumeSource.serviceAccountToken({ path: 'vault', audience: 'vault', expiration: Duration.minutes(10) }),
      path: '/var/run/secrets/vault',
      readOnly: true,
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes).toEqual([
      { name: 'agent-token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } },
      { name: 'vault-token', projected: { sources: [{ serviceAccountToken: { path: 'vault', audience: 'vault', expirationSeconds: 600 } }] } },
    ]);
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(container(spec, 'app').volumeMounts).toBeUndefined();
  });

  // The API server refuses a projected token that lives less than 10 minutes
  // (expirationSeconds < 600); the docs of `expiration` say "at least 10 minutes".
  test.each([
    ['under 10 minutes', Duration.minutes(5)],
    ['fractional', Duration.millis(700_500)],
  ])('serviceAccountToken: an expiration %s is DURATION_INVALID', (_label, expiration) => {
    const chart = newChart();
    const s = new Sidecar(chart, 'agent', { workload: webDeployment(chart), image: IMAGE });
    expect(() => s.addVolume({ name: 'token', source: SidecarVolumeSource.serviceAccountToken({ expiration }), path: '/token' })).toThrow(
      "[DURATION_INVALID] workload 'test/web', sidecar 'agent': volume 'token': the service-account token's 'expiration' is not a whole number of seconds of at least 600.",
    );
  });

  test.each(['a/b', '..', ''])('serviceAccountToken: a path %p that is no file name is PATH_INVALID', path => {
    const chart = newChart();
    const s = new Sidecar(chart, 'agent', { workload: webDeployment(chart), image: IMAGE });
    expect(() => s.addVolume({ name: 'token', source: SidecarVolumeSource.serviceAccountToken({ path }), path: '/token' })).toThrow(
      `[PATH_INVALID] workload 'test/web', sidecar 'agent': volume 'token': the service-account token's 'path' ${JSON.stringify(path)} is not a file name.`,
    );
  });

  test('fromVolume: a cdk8s-plus volume of your own, under its own name', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const claim = kplus.PersistentVolumeClaim.fromClaimName(chart, 'claim', 'sync-data');
    const volume = kplus.Volume.fromPersistentVolumeClaim(chart, 'data', claim, { name: 'data' });

    // WHEN
    const mounted = new Sidecar(chart, 's', { workload: web, image: IMAGE })
      .addVolume({ name: 'data', source: SidecarVolumeSource.fromVolume(volume), path: '/data', appPath: '/srv/data', appReadOnly: true });

    // THEN
    expect(mounted).toBe(volume);
    expect(SidecarVolumeSource.fromVolume(volume).kind).toBe('volume');
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'sync-data', readOnly: false } }]);
    expect(container(spec, 'app').volumeMounts).toEqual([{ mountPath: '/srv/data', name: 'data', readOnly: true }]);
  });

  test('fromVolume under another name is VOLUME_NAME_MISMATCH', () => {
    const chart = newChart();
    const s = new Sidecar(chart, 's', { workload: webDeployment(chart), image: IMAGE });
    expect(() => s.addVolume({ name: 'cache', source: SidecarVolumeSource.fromVolume(kplus.Volume.fromEmptyDir(chart, 'v', 'data')), path: '/data' })).toThrow(
      "[VOLUME_NAME_MISMATCH] workload 'test/web', sidecar 's': volume 'data' is declared with the name 'cache'. Fix: give the declaration the volume's own name.",
    );
  });

  test.each([
    ['a memory emptyDir of your own', (chart: any) => SidecarVolumeSource.fromVolume(kplus.Volume.fromEmptyDir(chart, 'v', 'shm', { medium: kplus.EmptyDirMedium.MEMORY }))],
    ['a memory emptyDir', () => SidecarVolumeSource.emptyDir({ memory: true })],
  ])('%s without a size limit is VOLUME_UNBOUNDED', (_label, source) => {
    const chart = newChart();
    const s = new Sidecar(chart, 's', { workload: webDeployment(chart), image: IMAGE });
    expect(() => s.addVolume({ name: 'shm', source: source(chart), path: '/dev/shm' })).toThrow(
      "[VOLUME_UNBOUNDED] workload 'test/web', sidecar 's': volume 'shm' is a memory-backed emptyDir without a size limit. Fix: give it a size limit.",
    );
  });

  test('reusing the pod\'s own memory emptyDir without a size limit is VOLUME_UNBOUNDED too', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    web.addVolume(kplus.Volume.fromEmptyDir(chart, 'v', 'shm', { medium: kplus.EmptyDirMedium.MEMORY }));
    const s = new Sidecar(chart, 's', { workload: web, image: IMAGE });
    expect(() => s.addVolume({ name: 'shm', source: SidecarVolumeSource.emptyDir({ memory: true, sizeLimit: Size.mebibytes(8) }), path: '/dev/shm', reuse: true }))
      .toThrow(/^\[VOLUME_UNBOUNDED\] .*volume 'shm' is a memory-backed emptyDir without a size limit/);
  });
});

describe('a pod mounts ConfigMaps and Secrets of its own namespace only', () => {
  const error = (object: string, where: string) =>
    `[VOLUME_NAMESPACE_MISMATCH] workload 'test/web', sidecar 's': volume 'creds': ${object} is in ${where}, the workload in namespace 'production'. Fix: use a ConfigMap or Secret of the workload's namespace (a pod can mount no other).`;

  function setup() {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'production' });
    return {
      chart,
      staging: new Chart(app, 'staging', { namespace: 'staging' }),
      bare: new Chart(app, 'bare'),
      s: new Sidecar(chart, 's', { workload: webDeployment(chart), image: IMAGE }),
    };
  }

  test('a Secret the app defines in another namespace is an error', () => {
    const { staging, s } = setup();
    const secret = new kplus.Secret(staging, 'creds', { metadata: { name: 'creds' } });
    expect(() => s.addVolume({ name: 'creds', source: SidecarVolumeSource.secret(secret), path: '/creds' }))
      .toThrow(error('Secret \'creds\'', 'namespace \'staging\''));
  });

  test('a ConfigMap the app defines without a namespace is an error for a workload in one', () => {
    const { bare, s } = setup();
    const configMap = new kplus.ConfigMap(bare, 'creds', { metadata: { name: 'creds' } });
    expect(() => s.addVolume({ name: 'creds', source: SidecarVolumeSource.configMap(configMap), path: '/creds' }))
      .toThrow(error('ConfigMap \'creds\'', 'no namespace'));
  });

  test('objects of the workload\'s namespace, and objects referenced by name, are mounted', () => {
    const { chart, s } = setup();
    s.addVolume({ name: 'own', source: SidecarVolumeSource.secret(new kplus.Secret(chart, 'own', { metadata: { name: 'own' } })), path: '/own' });
    s.addVolume({ name: 'named', source: SidecarVolumeSource.configMap(kplus.ConfigMap.fromConfigMapName(chart, 'named', 'named')), path: '/named' });
    expect(podSpec(find(synth(chart), 'Deployment')).volumes).toEqual([
      { name: 'own', secret: { secretName: 'own' } },
      { name: 'named', configMap: { name: 'named' } },
    ]);
  });
});

describe('private volumes are never reused', () => {
  // Defect #3 (issue 12): a user Secret volume named `s-tmp` silently became sidecar
  // `s`'s writable /tmp, so the tool wrote into (and read from) the user's Secret mount.
  test('a user Secret volume named like a sidecar\'s writable path is VOLUME_NAME_TAKEN, naming both owners', () => {
    // GIVEN the pod has a Secret volume named 's-tmp'
    const chart = newChart();
    const web = webDeployment(chart);
    web.addVolume(kplus.Volume.fromSecret(chart, 'secret', kplus.Secret.fromSecretName(chart, 'sec', 'app-secret'), { name: 's-tmp' }));

    // WHEN / THEN
    expect(() => new Sidecar(chart, 's', { workload: web, image: IMAGE, writablePaths: ['/tmp'] })).toThrow(
      "[VOLUME_NAME_TAKEN] workload 'test/web', sidecar 's': the pod already has a volume named 's-tmp' (in the pod's volumes). Fix: give one of the volumes another name (a sidecar names its own volumes after its container name, set with its 'name' prop).",
    );
  });

  test('so is a volume an app container mounts under that name', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    web.containers[0].mount('/etc/secret', kplus.Volume.fromSecret(chart, 'secret', kplus.Secret.fromSecretName(chart, 'sec', 'app-secret'), { name: 's-tmp' }));
    expect(() => new Sidecar(chart, 's', { workload: web, image: IMAGE, writablePaths: ['/tmp'] })).toThrow(
      "[VOLUME_NAME_TAKEN] workload 'test/web', sidecar 's': the pod already has a volume named 's-tmp' (mounted by container 'app').",
    );
  });

  test('renaming the sidecar fixes it, and the Secret stays the app\'s alone', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    web.containers[0].mount('/etc/secret', kplus.Volume.fromSecret(chart, 'secret', kplus.Secret.fromSecretName(chart, 'sec', 'app-secret'), { name: 's-tmp' }));

    // WHEN
    new Sidecar(chart, 's', { workload: web, image: IMAGE, writablePaths: ['/tmp'], name: 'sync' });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'sync').volumeMounts).toEqual([{ mountPath: '/tmp', name: 'sync-tmp', readOnly: false }]);
    expect(spec.volumes).toEqual(expect.arrayContaining([
      { name: 'sync-tmp', emptyDir: { sizeLimit: '64Mi' } },
      { name: 's-tmp', secret: { secretName: 'app-secret' } },
    ]));
  });

  // Defect #3 (issue 12): '/a-b' and '/a/b' both slugged to 's-a-b' and shared one emptyDir.
  test('writable paths that slug alike get an emptyDir each', () => {
    // GIVEN / WHEN
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 's', { workload: web, image: IMAGE, writablePaths: ['/a-b', '/a/b'] });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes).toHaveLength(2);
    const mounts = container(spec, 's').volumeMounts;
    expect(mounts.map((m: any) => m.mountPath)).toEqual(['/a-b', '/a/b']);
    expect(new Set(mounts.map((m: any) => m.name)).size).toBe(2);
    expect(spec.volumes.map((v: any) => v.name).sort()).toEqual(mounts.map((m: any) => m.name).sort());
  });

  test('a writable path /config and config files get a volume each', () => {
    // GIVEN / WHEN a tool that writes to /config and reads its config files from /etc/s
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 's', { workload: web, image: IMAGE, writablePaths: ['/config'], configFiles: { 'a.conf': 'x' } });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    const mounts = container(spec, 's').volumeMounts;
    expect(mounts.map((m: any) => m.mountPath)).toEqual(['/config', '/etc/s']);
    expect(new Set(mounts.map((m: any) => m.name)).size).toBe(2);
    expect(spec.volumes).toHaveLength(2);
  });

  test('a name another sidecar already has is VOLUME_NAME_TAKEN naming that sidecar', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'a', { workload: web, image: IMAGE, volumes: [{ name: 'cache', source: SidecarVolumeSource.emptyDir(), path: '/cache' }] });
    const b = new Sidecar(chart, 'b', { workload: web, image: IMAGE });
    expect(() => b.addVolume({ name: 'cache', source: SidecarVolumeSource.emptyDir(), path: '/cache' })).toThrow(
      "[VOLUME_NAME_TAKEN] workload 'test/web', sidecar 'b': volume name 'cache' is already taken by sidecar 'a'.",
    );
  });

  test('reuse does not take another sidecar\'s private volume, nor the other way round', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'a', { workload: web, image: IMAGE, volumes: [{ name: 'cache', source: SidecarVolumeSource.emptyDir(), path: '/cache' }] });
    new Sidecar(chart, 'b', { workload: web, image: IMAGE, volumes: [{ name: 'shared', source: SidecarVolumeSource.emptyDir(), path: '/shared', reuse: true }] });
    const c = new Sidecar(chart, 'c', { workload: web, image: IMAGE });
    expect(() => c.addVolume({ name: 'cache', source: SidecarVolumeSource.emptyDir(), path: '/cache', reuse: true })).toThrow(/^\[VOLUME_NAME_TAKEN\] .*volume name 'cache' is already taken by sidecar 'a'/);
    expect(() => c.addVolume({ name: 'shared', source: SidecarVolumeSource.emptyDir(), path: '/shared' })).toThrow(/^\[VOLUME_NAME_TAKEN\] .*volume name 'shared' is already taken by sidecar 'b'/);
  });

  test('one sidecar declaring one name twice is VOLUME_NAME_TAKEN', () => {
    const chart = newChart();
    const s = new Sidecar(chart, 's', { workload: webDeployment(chart), image: IMAGE });
    s.addVolume({ name: 'data', source: SidecarVolumeSource.emptyDir(), path: '/data' });
    expect(() => s.addVolume({ name: 'data', source: SidecarVolumeSource.emptyDir(), path: '/other' })).toThrow(
      "[VOLUME_NAME_TAKEN] workload 'test/web', sidecar 's': volume name 'data' is already taken by this sidecar.",
    );
  });

  test('a pod volume of the name, without reuse, is VOLUME_NAME_TAKEN', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    web.addVolume(kplus.Volume.fromEmptyDir(chart, 'v', 'data'));
    const s = new Sidecar(chart, 's', { workload: web, image: IMAGE });
    expect(() => s.addVolume({ name: 'data', source: SidecarVolumeSource.emptyDir(), path: '/data' })).toThrow(
      "[VOLUME_NAME_TAKEN] workload 'test/web', sidecar 's': the pod already has a volume named 'data' (in the pod's volumes).",
    );
  });
});

describe('reuse volumes are shared', () => {
  test('sidecars that all declare reuse share one volume, created once', () => {
    // GIVEN / WHEN
    const chart = newChart();
    const web = webDeployment(chart);
    const a = new Sidecar(chart, 'a', { workload: web, image: IMAGE });
    const b = new Sidecar(chart, 'b', { workload: web, image: IMAGE });
    const va = a.addVolume({ name: 'app-logs', source: SidecarVolumeSource.emptyDir({ sizeLimit: Size.mebibytes(100) }), path: '/logs', readOnly: true, reuse: true });
    const vb = b.addVolume({ name: 'app-logs', source: SidecarVolumeSource.emptyDir({ sizeLimit: Size.mebibytes(100) }), path: '/var/log/app', appPath: '/var/log/app', reuse: true });

    // THEN
    expect(vb).toBe(va);
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes).toEqual([{ name: 'app-logs', emptyDir: { sizeLimit: '100Mi' } }]);
    expect(container(spec, 'a').volumeMounts).toEqual([{ mountPath: '/logs', name: 'app-logs', readOnly: true }]);
    expect(container(spec, 'app').volumeMounts).toEqual([{ mountPath: '/var/log/app', name: 'app-logs', readOnly: false }]);
  });

  test('a reuse volume the pod does not have yet becomes the pod\'s, and a later app mount of it is fine', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const v = new Sidecar(chart, 'a', { workload: web, image: IMAGE })
      .addVolume({ name: 'data', source: SidecarVolumeSource.emptyDir(), path: '/data', reuse: true });
    web.containers[0].mount('/data', v);
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes).toEqual([{ name: 'data', emptyDir: {} }]);
    expect(container(spec, 'app').volumeMounts).toEqual([{ mountPath: '/data', name: 'data' }]);
  });
});

describe('reuse takes only a volume of the same kind', () => {
  test('a reuse emptyDir named like another sidecar\'s reuse token volume is refused (found by the property tests)', () => {
    // GIVEN a sidecar sharing a token volume under a name another one reuses for logs
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'a', { workload: web, image: IMAGE })
      .addVolume({ name: 'shared', source: SidecarVolumeSource.serviceAccountToken(), path: '/token', reuse: true });
    const b = new Sidecar(chart, 'b', { workload: web, image: IMAGE });
    // WHEN / THEN
    expect(() => b.addVolume({ name: 'shared', source: SidecarVolumeSource.emptyDir(), path: '/var/log/app', appPath: '/var/log/app', reuse: true })).toThrow(
      "[VOLUME_NAME_TAKEN] workload 'test/web', sidecar 'b': the volume 'shared' to reuse (sidecar 'a') is a projected volume, not the emptyDir volume this sidecar declares. Fix: give the sidecar's volume another name, or reuse a volume of the same kind.",
    );
  });

  test('a reuse emptyDir named like the pod\'s Secret volume is refused', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    web.addVolume(kplus.Volume.fromSecret(chart, 'tls', kplus.Secret.fromSecretName(chart, 'tls-secret', 'tls'), { name: 'app-logs' }));
    const s = new Sidecar(chart, 's', { workload: web, image: IMAGE });
    expect(() => s.addVolume({ name: 'app-logs', source: SidecarVolumeSource.emptyDir(), path: '/logs', reuse: true })).toThrow(
      /^\[VOLUME_NAME_TAKEN\] .*the volume 'app-logs' to reuse \(in the pod's volumes\) is a secret volume, not the emptyDir volume this sidecar declares/,
    );
  });
});

describe('mount paths', () => {
  // Defect #1 (issue 12), generic form: a second mount at a path of the sidecar
  // (a direct `container.mount` after `super()`) gave the API server a pod it rejects.
  test('a second volume at a path the sidecar mounts is MOUNT_PATH_TAKEN at construction', () => {
    // GIVEN a sidecar that mounts its config at /vault/config
    const chart = newChart();
    const s = new Sidecar(chart, 'vault', { workload: webDeployment(chart), image: IMAGE, configFiles: { 'agent.hcl': '' }, configDir: '/vault/config' });

    // WHEN / THEN the rendered secrets go to the same path
    expect(() => s.addVolume({ name: 'secrets', source: SidecarVolumeSource.emptyDir({ memory: true, sizeLimit: Size.mebibytes(1) }), path: '/vault/config' })).toThrow(
      "[MOUNT_PATH_TAKEN] workload 'test/web', sidecar 'vault': container 'vault' would mount both 'vault-config' and 'secrets' at '/vault/config'. Fix: mount each volume at its own path (change the sidecar's path props).",
    );
  });

  test('the companions are checked too', () => {
    const chart = newChart();
    const s = new Sidecar(chart, 'vault', { workload: webDeployment(chart), image: IMAGE, companions: [{ name: 'vault-init' }], writablePaths: ['/home/vault'] });
    expect(s.companions[0].mounts.map(m => m.path)).toEqual(['/home/vault']);
    expect(() => s.addVolume({ name: 'home', source: SidecarVolumeSource.emptyDir(), path: '/home/vault' })).toThrow(/^\[MOUNT_PATH_TAKEN\] /);
  });

  test('a second mount added straight to the container is MOUNT_PATH_TAKEN at synth', () => {
    // GIVEN
    const chart = newChart();
    const s = new Sidecar(chart, 'vault', { workload: webDeployment(chart), image: IMAGE, writablePaths: ['/home/vault'] });

    // WHEN a mount bypasses the sidecar
    s.container.mount('/home/vault', kplus.Volume.fromEmptyDir(chart, 'home', 'home'));

    // THEN
    expect(() => Testing.synth(chart)).toThrow(
      "[MOUNT_PATH_TAKEN] workload 'test/web', sidecar 'vault': container 'vault' mounts both 'vault-home-vault' and 'home' at '/home/vault'. Fix: mount each volume at its own path.",
    );
  });

  test('an app container with two mounts at one path is MOUNT_PATH_TAKEN about the pod', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 's', { workload: web, image: IMAGE });
    web.containers[0].mount('/data', kplus.Volume.fromEmptyDir(chart, 'a', 'a'));
    web.containers[0].mount('/data', kplus.Volume.fromEmptyDir(chart, 'b', 'b'));
    expect(() => Testing.synth(chart)).toThrow("[MOUNT_PATH_TAKEN] workload 'test/web': container 'app' mounts both 'a' and 'b' at '/data'.");
  });
});

describe('writers', () => {
  function secrets(appReadOnly: boolean) {
    const chart = newChart();
    const web = webDeployment(chart);
    const agent = new Sidecar(chart, 'agent', { workload: web, image: IMAGE });
    const volume = agent.addVolume({
      name: 'secrets',
      source: SidecarVolumeSource.emptyDir({ memory: true, sizeLimit: Size.mebibytes(1) }),
      path: '/vault/secrets',
      appPath: '/vault/secrets',
      appReadOnly,
      writers: SidecarVolumeWriters.SIDECAR_ONLY,
      reuse: true,
    });
    return { chart, web, volume };
  }

  test('SIDECAR_ONLY: the sidecar writes, the app reads', () => {
    const { chart } = secrets(true);
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'agent').volumeMounts).toEqual([{ mountPath: '/vault/secrets', name: 'secrets', readOnly: false }]);
    expect(container(spec, 'app').volumeMounts).toEqual([{ mountPath: '/vault/secrets', name: 'secrets', readOnly: true }]);
  });

  test('SIDECAR_ONLY shared read-write into the app is VOLUME_WRITER_FORBIDDEN', () => {
    const { chart } = secrets(false);
    expect(() => Testing.synth(chart)).toThrow(
      "[VOLUME_WRITER_FORBIDDEN] workload 'test/web': container 'app' mounts volume 'secrets' read-write, but only sidecar 'agent' may write it. Fix: mount it read-only (readOnly, appReadOnly), or share a volume of another name.",
    );
  });

  test('another sidecar that reuses it read-write is VOLUME_WRITER_FORBIDDEN, naming that sidecar', () => {
    // GIVEN
    const { chart, web } = secrets(true);

    // WHEN
    new Sidecar(chart, 'reload', { workload: web, image: IMAGE, volumes: [{ name: 'secrets', source: SidecarVolumeSource.emptyDir(), path: '/watch', reuse: true }] });

    // THEN
    expect(() => Testing.synth(chart)).toThrow(
      "[VOLUME_WRITER_FORBIDDEN] workload 'test/web', sidecar 'reload': container 'reload' mounts volume 'secrets' read-write, but only sidecar 'agent' may write it.",
    );
  });

  test('another sidecar that reuses it read-only is fine', () => {
    const { chart, web } = secrets(true);
    new Sidecar(chart, 'reload', { workload: web, image: IMAGE, volumes: [{ name: 'secrets', source: SidecarVolumeSource.emptyDir(), path: '/watch', readOnly: true, reuse: true }] });
    expect(() => synth(chart)).not.toThrow();
  });

  test('an app mount added straight to the container read-write is VOLUME_WRITER_FORBIDDEN', () => {
    const { chart, web, volume } = secrets(true);
    web.addInitContainer({ name: 'migrate', image: 'migrate:1.0.0' }).mount('/secrets', volume);
    expect(() => Testing.synth(chart)).toThrow("[VOLUME_WRITER_FORBIDDEN] workload 'test/web': container 'migrate' mounts volume 'secrets' read-write, but only sidecar 'agent' may write it.");
  });
});
