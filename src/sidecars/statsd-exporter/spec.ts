import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { stringify } from 'yaml';
import { STATSD_EXPORTER_ALERT_PACK } from './alerts';
import { STATSD_EXPORTER_DASHBOARD_PACK } from './dashboard';
import { renderMappings } from './mapping-config';
import type { StatsdExporterSidecarProps } from './sidecar';
import { SidecarImages } from '../../core/images';
import { SidecarProfile } from '../../core/profile';
import { SidecarSpec } from '../../core/sidecar';
import { SIGTERM_PID_1, SpecContext } from '../../core/spec';

export const DEFAULT_NAME = 'statsd-exporter';
export const DEFAULT_STATSD_PORT = 9125;
const METRICS_PORT_NAME = 'statsd-metrics';
/** prom/statsd-exporter runs as `USER 65534` (nobody) on Prometheus' busybox base. */
const STATSD_UID = 65534;
const CONFIG_DIR = '/etc/statsd-exporter';
const MAPPING_FILE = 'mapping.yaml';
/**
 * NATIVE: stops the exporter at the start of the deletion, in parallel with the app's own
 * stop (StatsD over UDP in the app's last seconds would not be scraped anyway). The image
 * (prometheus/statsd_exporter Dockerfile at v0.28.0: `FROM quay.io/prometheus/busybox`,
 * `ENTRYPOINT [ "/bin/statsd_exporter" ]`, and the sidecar sets only `args`) runs the
 * exporter itself as PID 1, with BusyBox's `sh` (whose builtin `kill` returns at once,
 * before the exporter has exited). The exporter handles SIGTERM: main.go:554-560 at v0.28.0
 * (`signal.Notify(signals, os.Interrupt, syscall.SIGTERM)`, then main returns).
 */
const STOP_WITH_APP = SIGTERM_PID_1;
/** Where the exporter may listen for StatsD: the loopback (the app in the pod) or every interface. */
const LISTEN_ADDRESSES = ['127.0.0.1', '0.0.0.0', '::1', '::'];

/**
 * The StatsD exporter as a sidecar spec. The exporter reads `mapping.yaml` at start
 * (and on SIGHUP, which nothing sends in a pod): the core rolls the pods when it changes.
 */
export function statsdExporterSpec(props: StatsdExporterSidecarProps, { checks, fail }: SpecContext): SidecarSpec {
  const statsdPort = checks.port('statsdPort', props.statsdPort ?? DEFAULT_STATSD_PORT);
  const metricsPort = checks.port('metricsPort', props.metricsPort ?? 9102);
  const tcp = props.tcp ?? true;
  if (tcp) checks.distinctPorts({ statsdPort, metricsPort });
  const address = props.statsdAddress ?? '127.0.0.1';
  if (!LISTEN_ADDRESSES.includes(address)) {
    fail('STATSD_ADDRESS_INVALID', `'statsdAddress' ${JSON.stringify(address)} is not an address the exporter can listen on for the app`,
      'pass \'127.0.0.1\' (the pod only, the default) or \'0.0.0.0\' (other pods too), or \'::1\' or \'::\' for IPv6');
  }
  const ipv6 = address.includes(':');
  const listen = `${ipv6 ? `[${address}]` : address}:${statsdPort}`;
  const hostEnvName = checks.envName('hostEnvName', props.hostEnvName ?? 'STATSD_HOST');
  const portEnvName = checks.envName('portEnvName', props.portEnvName ?? 'STATSD_PORT');
  const mappings = renderMappings(props.mappings ?? [], fail);
  const mappingYaml = mappings.length > 0 ? stringify({ mappings }, { lineWidth: 0 }) : undefined;

  const probe = (path: string, failureThreshold: number) => kplus.Probe.fromHttpGet(path, {
    port: metricsPort,
    periodSeconds: Duration.seconds(5),
    timeoutSeconds: Duration.seconds(2),
    failureThreshold,
  });

  return {
    image: props.image ?? SidecarImages.STATSD_EXPORTER,
    imageUser: STATSD_UID,
    imageGroup: STATSD_UID,
    kind: 'statsd-exporter',
    profile: SidecarProfile.METRICS_EXPORTER,
    alertPack: STATSD_EXPORTER_ALERT_PACK,
    dashboardPack: STATSD_EXPORTER_DASHBOARD_PACK,
    metrics: { portName: METRICS_PORT_NAME, path: '/metrics' },
    ports: [
      { name: 'statsd-udp', number: statsdPort, protocol: kplus.Protocol.UDP, prop: 'statsdPort' },
      ...(tcp ? [{ name: 'statsd-tcp', number: statsdPort, protocol: kplus.Protocol.TCP, prop: 'statsdPort' }] : []),
      { name: METRICS_PORT_NAME, number: metricsPort, protocol: kplus.Protocol.TCP, prop: 'metricsPort' },
    ],
    args: [
      `--statsd.listen-udp=${listen}`,
      `--statsd.listen-tcp=${tcp ? listen : ''}`,
      `--web.listen-address=:${metricsPort}`,
      ...(mappingYaml !== undefined ? [`--statsd.mapping-config=${CONFIG_DIR}/${MAPPING_FILE}`] : []),
    ],
    configFiles: mappingYaml !== undefined ? { [MAPPING_FILE]: mappingYaml } : undefined,
    configDir: CONFIG_DIR,
    // No startup probe: the app sends StatsD over UDP (fire and forget) and does not need
    // the exporter at start, so it does not hold the next container.
    readiness: probe('/-/ready', 3),
    liveness: probe('/-/healthy', 6),
    stopWithAppCommand: STOP_WITH_APP,
    appEnvVariables: {
      [hostEnvName]: kplus.EnvValue.fromValue(ipv6 ? '::1' : '127.0.0.1'),
      [portEnvName]: kplus.EnvValue.fromValue(String(statsdPort)),
    },
  };
}
