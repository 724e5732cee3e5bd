import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ENVOY_ALERT_PACK } from './alerts';
import { drainCommand, legacyDrainCommand, LIVENESS_PATH, Protocol, renderBootstrap, waitReadyCommand } from './bootstrap';
import { ENVOY_DASHBOARD_PACK } from './dashboard';
import { EnvoyDrainStrategy, EnvoyOutboundPolicy, EnvoyProtocol, EnvoySidecarProps } from './sidecar';
import { millisOf, resolveUpstreams } from './upstreams';
import { SidecarImages } from '../../core/images';
import { SidecarProfile } from '../../core/profile';
import { SidecarMode, SidecarSpec } from '../../core/sidecar';
import { SpecContext } from '../../core/spec';

export const DEFAULT_NAME = 'envoy';
/** The listeners' default ports, by prop. */
export const DEFAULT_PORTS = { outboundPort: 15001, inboundPort: 15006, adminPort: 15000, metricsPort: 15090 };
/** envoyproxy/envoy runs as its `envoy` user, uid and gid 101. */
const ENVOY_UID = 101;
const CONFIG_DIR = '/etc/envoy';
const BOOTSTRAP_FILE = 'envoy.yaml';
const NO_PROXY_ENTRY = /^[A-Za-z0-9.*:/_-]+$/;

/** The URL of the outbound listener, as the app's `HTTP_PROXY` and `HTTPS_PROXY`. */
export function proxyUrlOf(outboundPort: number): string {
  return `http://127.0.0.1:${outboundPort}`;
}

/**
 * Envoy as a sidecar spec. Envoy reads its bootstrap once, at start: the core rolls the
 * pods when it changes.
 */
export function envoySpec(props: EnvoySidecarProps, { checks, fail, name, mode }: SpecContext): SidecarSpec {
  const appPort = checks.port('appPort', props.appPort);
  const outboundPort = checks.port('outboundPort', props.outboundPort ?? DEFAULT_PORTS.outboundPort);
  const inboundPort = checks.port('inboundPort', props.inboundPort ?? DEFAULT_PORTS.inboundPort);
  const adminPort = checks.port('adminPort', props.adminPort ?? DEFAULT_PORTS.adminPort);
  const metricsPort = checks.port('metricsPort', props.metricsPort ?? DEFAULT_PORTS.metricsPort);
  checks.distinctPorts({ appPort, outboundPort, inboundPort, adminPort, metricsPort });
  const drainSeconds = checks.seconds('drainTime', props.drainTime ?? Duration.seconds(10));
  const startupSeconds = checks.seconds('startupTimeout', props.startupTimeout ?? Duration.seconds(60), 1);
  const concurrency = checks.integer('concurrency', props.concurrency ?? 2, 1);
  const drainStrategy = checks.oneOf('drainStrategy', props.drainStrategy ?? EnvoyDrainStrategy.IMMEDIATE, EnvoyDrainStrategy, 'EnvoyDrainStrategy');
  const outboundPolicy = checks.oneOf('outboundPolicy', props.outboundPolicy ?? EnvoyOutboundPolicy.ALLOW_ANY, EnvoyOutboundPolicy, 'EnvoyOutboundPolicy');
  const appProtocol = checks.oneOf('appProtocol', props.appProtocol ?? EnvoyProtocol.HTTP1, EnvoyProtocol, 'EnvoyProtocol');
  const inboundTimeoutMillis = millisOf(props.inboundTimeout, Duration.seconds(0), 0);
  if (inboundTimeoutMillis === undefined) {
    fail('DURATION_INVALID', '\'inboundTimeout\' is not a whole number of milliseconds, 0 or more, within protobuf\'s Duration range', 'pass e.g. Duration.seconds(60), or Duration.seconds(0) for none');
  }
  const appIdleTimeoutMillis = millisOf(props.appIdleTimeout, Duration.seconds(1), 0);
  if (appIdleTimeoutMillis === undefined) {
    fail('DURATION_INVALID', '\'appIdleTimeout\' is not a whole number of milliseconds, 0 or more, within protobuf\'s Duration range', 'pass e.g. Duration.seconds(1), below the app\'s keep-alive timeout');
  }
  const { upstreams, volumes } = resolveUpstreams(props.upstreams ?? [], fail, name);
  for (const entry of props.noProxy ?? []) {
    if (!NO_PROXY_ENTRY.test(entry)) {
      fail('ENVOY_NO_PROXY_INVALID', `'noProxy' entry '${entry}' is not a host, domain or CIDR`, 'pass one host, domain suffix or CIDR per entry, without commas or spaces');
    }
  }
  const bootstrap = renderBootstrap({
    appPort,
    inboundPort,
    outboundPort,
    adminPort,
    metricsPort,
    upstreams,
    allowAny: outboundPolicy === EnvoyOutboundPolicy.ALLOW_ANY,
    appProtocol: appProtocol as Protocol,
    inboundTimeoutMillis: inboundTimeoutMillis!,
    appIdleTimeoutMillis: appIdleTimeoutMillis!,
    websockets: props.websockets ?? true,
    accessLog: props.accessLog ?? false,
  });

  const proxyUrl = kplus.EnvValue.fromValue(proxyUrlOf(outboundPort));
  const noProxy = kplus.EnvValue.fromValue(['localhost', '127.0.0.1', ...(props.noProxy ?? [])].join(','));
  // NATIVE: the drain starts at deletion and the hook returns; Envoy's SIGTERM comes after
  // the app has exited, and Envoy exits at once: nothing to budget after the app.
  // LEGACY: the hook keeps Envoy up until the app is gone, polling every second.
  const legacy = mode === SidecarMode.LEGACY;
  const preStop = legacy
    ? kplus.Handler.fromCommand(legacyDrainCommand(adminPort, appPort, drainSeconds > 0))
    : drainSeconds > 0 ? kplus.Handler.fromCommand(drainCommand(adminPort)) : undefined;
  const meshOptOut = props.meshInjectionOptOut ?? true;

  return {
    image: props.image ?? SidecarImages.ENVOY,
    imageUser: ENVOY_UID,
    imageGroup: ENVOY_UID,
    kind: 'envoy',
    profile: SidecarProfile.PROXY,
    alertPack: ENVOY_ALERT_PACK,
    dashboardPack: ENVOY_DASHBOARD_PACK,
    args: [
      '-c', `${CONFIG_DIR}/${BOOTSTRAP_FILE}`,
      '--concurrency', `${concurrency}`,
      '--drain-time-s', `${drainSeconds}`,
      '--drain-strategy', drainStrategy,
      // A pod never hot-restarts Envoy; this also keeps it out of /dev/shm.
      '--disable-hot-restart',
    ],
    ports: [
      { number: outboundPort, name: 'envoy-outbound', prop: 'outboundPort' },
      { number: inboundPort, name: 'envoy-inbound', prop: 'inboundPort' },
      { number: adminPort, name: 'envoy-admin', prop: 'adminPort' },
      { number: metricsPort, name: 'envoy-stats', prop: 'metricsPort' },
    ],
    appPorts: [{ number: appPort, prop: 'appPort' }],
    metrics: { portName: 'envoy-stats', path: '/stats/prometheus' },
    configFiles: { [BOOTSTRAP_FILE]: bootstrap },
    configDir: CONFIG_DIR,
    // LEGACY keeps this probe next to the gate hook; NATIVE renders the hook alone (the core).
    startup: kplus.Probe.fromHttpGet('/ready', {
      port: metricsPort,
      periodSeconds: Duration.seconds(1),
      failureThreshold: startupSeconds,
      timeoutSeconds: Duration.seconds(1),
    }),
    readiness: kplus.Probe.fromHttpGet('/ready', {
      port: metricsPort,
      periodSeconds: Duration.seconds(5),
      failureThreshold: 2,
      timeoutSeconds: Duration.seconds(1),
    }),
    liveness: kplus.Probe.fromHttpGet(LIVENESS_PATH, {
      port: metricsPort,
      initialDelaySeconds: Duration.seconds(10),
      periodSeconds: Duration.seconds(10),
      failureThreshold: 3,
      timeoutSeconds: Duration.seconds(2),
    }),
    // The gate, in both modes: a postStart hook that returns once /ready answers (0.1 s polls).
    startupCommand: waitReadyCommand(adminPort, startupSeconds),
    preStop,
    // NATIVE: the drain hook returns within 2 s (its read timeout), in parallel with the
    // app's stop, and Envoy exits at once on its SIGTERM after the app: nothing after it.
    // LEGACY: the hook holds Envoy until the app has exited, then the last poll (2 s).
    preStopBudget: Duration.seconds(!legacy && preStop !== undefined ? 2 : 0),
    shutdownBudget: Duration.seconds(legacy ? 2 : 0),
    volumes: volumes.length > 0 ? volumes : undefined,
    appEnvVariables: (props.proxyEnv ?? true)
      ? { HTTP_PROXY: proxyUrl, http_proxy: proxyUrl, HTTPS_PROXY: proxyUrl, https_proxy: proxyUrl, NO_PROXY: noProxy, no_proxy: noProxy }
      : undefined,
    podAnnotations: meshOptOut ? { 'sidecar.istio.io/inject': 'false', 'linkerd.io/inject': 'disabled' } : undefined,
    podLabels: meshOptOut ? { 'sidecar.istio.io/inject': 'false' } : undefined,
  };
}
