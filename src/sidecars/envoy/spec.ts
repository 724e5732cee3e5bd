import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ENVOY_ALERT_PACK } from './alerts';
import { drainCommand, renderBootstrap, waitReadyCommand } from './bootstrap';
import { EnvoyDrainStrategy, EnvoySidecarProps } from './sidecar';
import { resolveUpstreams } from './upstreams';
import { SidecarImages } from '../../core/images';
import { SidecarProfile } from '../../core/profile';
import { SidecarSpec } from '../../core/sidecar';
import { SpecContext } from '../../core/spec';

export const DEFAULT_NAME = 'envoy';
/** The listeners' default ports, by prop. */
export const DEFAULT_PORTS = { outboundPort: 15001, inboundPort: 15006, adminPort: 15000, metricsPort: 15090 };
/** envoyproxy/envoy runs as its `envoy` user, uid and gid 101. */
const ENVOY_UID = 101;
const CONFIG_DIR = '/etc/envoy';
const BOOTSTRAP_FILE = 'envoy.yaml';
const NO_PROXY_ENTRY = /^[A-Za-z0-9.*:/_-]+$/;

/** The URL of the outbound listener, as the app's `HTTP_PROXY`. */
export function proxyUrlOf(outboundPort: number): string {
  return `http://127.0.0.1:${outboundPort}`;
}

/**
 * Envoy as a sidecar spec. Envoy reads its bootstrap once, at start: the core rolls the
 * pods when it changes.
 */
export function envoySpec(props: EnvoySidecarProps, { checks, fail }: SpecContext): SidecarSpec {
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
  const upstreams = resolveUpstreams(props.upstreams ?? [], fail);
  for (const entry of props.noProxy ?? []) {
    if (!NO_PROXY_ENTRY.test(entry)) {
      fail('ENVOY_NO_PROXY_INVALID', `'noProxy' entry '${entry}' is not a host, domain or CIDR`, 'pass one host, domain suffix or CIDR per entry, without commas or spaces');
    }
  }
  const bootstrap = renderBootstrap({ appPort, inboundPort, outboundPort, adminPort, metricsPort, upstreams });

  const proxyUrl = kplus.EnvValue.fromValue(proxyUrlOf(outboundPort));
  const noProxy = kplus.EnvValue.fromValue(['localhost', '127.0.0.1', ...(props.noProxy ?? [])].join(','));
  const meshOptOut = props.meshInjectionOptOut ?? true;

  return {
    image: props.image ?? SidecarImages.ENVOY,
    imageUser: ENVOY_UID,
    imageGroup: ENVOY_UID,
    kind: 'envoy',
    profile: SidecarProfile.PROXY,
    alertPack: ENVOY_ALERT_PACK,
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
    liveness: kplus.Probe.fromHttpGet('/server_info', {
      port: metricsPort,
      initialDelaySeconds: Duration.seconds(10),
      periodSeconds: Duration.seconds(10),
      failureThreshold: 3,
      timeoutSeconds: Duration.seconds(2),
    }),
    legacyStartupCommand: waitReadyCommand(adminPort, startupSeconds),
    preStop: drainSeconds > 0 ? kplus.Handler.fromCommand(drainCommand(adminPort, drainSeconds)) : undefined,
    shutdownBudget: Duration.seconds(drainSeconds > 0 ? drainSeconds + 5 : 0),
    appEnvVariables: (props.proxyEnv ?? true)
      ? { HTTP_PROXY: proxyUrl, http_proxy: proxyUrl, NO_PROXY: noProxy, no_proxy: noProxy }
      : undefined,
    podAnnotations: meshOptOut ? { 'sidecar.istio.io/inject': 'false', 'linkerd.io/inject': 'disabled' } : undefined,
    podLabels: meshOptOut ? { 'sidecar.istio.io/inject': 'false' } : undefined,
  };
}
