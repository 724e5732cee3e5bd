import * as kplus from 'cdk8s-plus-28';
import { stringify } from 'yaml';
import { OtelDebugVerbosity, OtelExporter, OtelSignal } from './exporters';
import { dnsLabelFrom, isConfigMapKey, isDnsName, isIPv4, isPortNumber, shown, wholeSeconds } from '../../core/checks';
import { Fail } from '../../core/errors';
import { SidecarVolume, SidecarVolumeSource } from '../../core/volumes';

/**
 * Internal: the collector's config file (YAML), rendered from typed options. Nothing
 * here is exported from the package.
 *
 * Every key, component type and option name below exists in the collector at the
 * pinned version (core v0.159.0, `otel/opentelemetry-collector:0.159.0`); the tests cite
 * the upstream files. User strings only ever become YAML scalars (the `yaml` library
 * quotes them) or checked map keys, and every `$` in them is doubled: the collector's
 * config resolver expands `${env:...}`/`${file:...}` in every string value and turns
 * `$$` into `$` (confmap/expand.go:136-141, confmap/resolver.go:198 and :229 at v0.159.0),
 * so a user value can neither add a key nor read a file or a variable.
 */

/** What the collector listens on and how it is sized. */
export interface CollectorConfigInput {
  readonly containerName: string;
  readonly exporters: OtelExporter[];
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly metricsPort: number;
  readonly healthPort: number;
  /** The container's memory limit, in MiB. */
  readonly memoryLimitMib: number;
  readonly batchSize: number;
  readonly batchTimeoutMs: number;
  /** The shutdown budget: no send attempt may take longer. */
  readonly drainSeconds: number;
  readonly resourceAttributes: { [key: string]: string };
  readonly appMetrics?: { readonly port: number; readonly path: string; readonly intervalSeconds: number };
}

/** The config file and what the container needs for it. */
export interface RenderedCollectorConfig {
  readonly yaml: string;
  /** Environment of the collector: Downward API values, Secret headers. */
  readonly env: { [name: string]: kplus.EnvValue };
  /** Secret volumes with TLS material, private to the collector. */
  readonly volumes: SidecarVolume[];
  /** GOMEMLIMIT, in MiB. */
  readonly goMemLimitMib: number;
}

const EXPORTER_CODE = 'OTEL_EXPORTER_INVALID';
const ATTRIBUTE_CODE = 'OTEL_ATTRIBUTE_INVALID';
const PIPELINE_CODE = 'OTEL_PIPELINE_INVALID';

/** Where TLS material is mounted in the collector. */
const TLS_ROOT = '/var/run/secrets/otel-collector';
const ALL_SIGNALS = [OtelSignal.TRACES, OtelSignal.METRICS, OtelSignal.LOGS];
/** The signals each exporter type supports. */
const SUPPORTED: { [type: string]: OtelSignal[] } = {
  otlp_grpc: ALL_SIGNALS,
  otlp_http: ALL_SIGNALS,
  debug: ALL_SIGNALS,
  prometheusremotewrite: [OtelSignal.METRICS],
};

/** Resource attributes set from the Downward API, and the variables that carry them. */
const DOWNWARD_ATTRIBUTES: Array<{ key: string; env: string; field: kplus.EnvFieldPaths }> = [
  { key: 'k8s.namespace.name', env: 'K8S_NAMESPACE_NAME', field: kplus.EnvFieldPaths.POD_NAMESPACE },
  { key: 'k8s.pod.name', env: 'K8S_POD_NAME', field: kplus.EnvFieldPaths.POD_NAME },
  { key: 'k8s.pod.uid', env: 'K8S_POD_UID', field: kplus.EnvFieldPaths.POD_UID },
  { key: 'k8s.node.name', env: 'K8S_NODE_NAME', field: kplus.EnvFieldPaths.NODE_NAME },
];

/** A component name: stricter than the collector's (component/identifiable.go:27), and a clean label value. */
const COMPONENT_NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;
/** An HTTP header name (RFC 9110 token), without `$`. */
const HEADER_NAME = /^[A-Za-z0-9!#%&'*+.^_`|~-]+$/;
/** Header names that carry credentials: refused in plain `headers`. */
const CREDENTIAL_HEADER = /^(proxy-)?authorization$|^cookie$|token|secret|passw|api[-_]?key|apikey|credential|signature/i;
/** An attribute key: letters, digits, `.`, `_`, `-`, `/`, starting with a letter. */
const ATTRIBUTE_KEY = /^[A-Za-z][A-Za-z0-9._\-/]{0,254}$/;
const CONTROL = /[\x00-\x1f\x7f]/;

/** A user value as the collector will read it: every `$` doubled, so nothing is expanded. */
function literal(value: string): string {
  return value.split('$').join('$$');
}

/** True when `host` is an IPv4 address, a bracketed IPv6 address or a DNS name. */
function isHost(host: string): boolean {
  if (/^\[[0-9a-fA-F:.]+\]$/.test(host)) return host.includes(':');
  return isIPv4(host) || isDnsName(host);
}

/** The collector's config, checked. */
export function renderCollectorConfig(input: CollectorConfigInput, fail: Fail): RenderedCollectorConfig {
  const problem = (p: string, fix: string): never => fail(EXPORTER_CODE, p, fix);
  if (!Array.isArray(input.exporters) || input.exporters.length === 0) {
    problem('the collector has no exporter', 'pass at least one exporter in \'exporters\', e.g. OtelExporter.otlpGrpc({ endpoint: \'otel-gateway.observability:4317\' })');
  }

  const env: { [name: string]: kplus.EnvValue } = {};
  const volumes: SidecarVolume[] = [];
  const exporters: { [id: string]: unknown } = {};
  const bySignal = new Map<OtelSignal, string[]>(ALL_SIGNALS.map(s => [s, []]));

  input.exporters.forEach((exporter, i) => {
    if (!(exporter instanceof OtelExporter)) {
      problem(`exporter ${i} is not an OtelExporter`, 'create exporters with OtelExporter.otlpGrpc(), otlpHttp(), prometheusRemoteWrite() or debug()');
    }
    const o = exporter._options;
    const type = exporter.type;
    if (o.name !== undefined && (typeof o.name !== 'string' || !COMPONENT_NAME.test(o.name))) {
      problem(`exporter ${i}: name ${shown(o.name)} is not valid`, 'use at most 63 lower-case letters, digits, \'_\' and \'-\', starting and ending with a letter or digit');
    }
    const id = o.name === undefined ? type : `${type}/${o.name}`;
    const what = `exporter '${id}'`;
    if (exporters[id] !== undefined) {
      problem(`two exporters are '${id}'`, `give each ${type} exporter its own 'name'`);
    }

    // Signals: the pipelines this exporter is part of.
    const supported = SUPPORTED[type];
    const signals = o.signals ?? supported;
    if (!Array.isArray(signals) || signals.length === 0) {
      problem(`${what} takes no signal`, 'list at least one OtelSignal in \'signals\', or leave it out for every signal');
    }
    for (const s of signals) {
      if (!ALL_SIGNALS.includes(s)) problem(`${what}: ${shown(s)} is not an OtelSignal`, 'pass OtelSignal.TRACES, OtelSignal.METRICS or OtelSignal.LOGS');
      if (!supported.includes(s)) problem(`${what} cannot send ${s}`, `send ${s} with an OTLP exporter; ${type} takes ${supported.join(', ')} only`);
    }
    if (new Set(signals).size !== signals.length) problem(`${what} lists a signal twice`, 'list each signal once');
    for (const s of signals) bySignal.get(s)!.push(id);

    exporters[id] = type === 'debug'
      ? debugExporter(o, what, problem)
      : networkExporter(exporter, i, id, input, env, volumes, problem);
  });

  // Resource attributes: the Downward API's, then the user's.
  const attributes: Array<{ key: string; value: string; action: string }> = DOWNWARD_ATTRIBUTES.map(a => ({
    key: a.key, value: `\${env:${a.env}}`, action: 'upsert',
  }));
  for (const a of DOWNWARD_ATTRIBUTES) env[a.env] = kplus.EnvValue.fromFieldRef(a.field);
  for (const [key, value] of Object.entries(input.resourceAttributes)) {
    if (!ATTRIBUTE_KEY.test(key)) {
      fail(ATTRIBUTE_CODE, `resource attribute key ${shown(key)} is not valid`, 'use letters, digits, \'.\', \'_\', \'-\' and \'/\', starting with a letter (e.g. \'deployment.environment.name\')');
    }
    if (DOWNWARD_ATTRIBUTES.some(a => a.key === key)) {
      fail(ATTRIBUTE_CODE, `resource attribute '${key}' is set from the Downward API`, `leave '${key}' out of 'resourceAttributes': the collector sets it for every signal of the pod`);
    }
    if (typeof value !== 'string' || CONTROL.test(value)) {
      fail(ATTRIBUTE_CODE, `resource attribute '${key}' has no single-line string value`, 'pass a string without control characters or line breaks');
    }
    attributes.push({ key, value: literal(value), action: 'upsert' });
  }

  const signals = ALL_SIGNALS.filter(s => bySignal.get(s)!.length > 0);
  const receivers: { [id: string]: unknown } = {
    // receiver/otlpreceiver/config.go:55-64 (protocols.grpc / protocols.http, squashed endpoint).
    otlp: {
      protocols: {
        grpc: { endpoint: `127.0.0.1:${input.grpcPort}` },
        http: { endpoint: `127.0.0.1:${input.httpPort}` },
      },
    },
  };
  const metricsReceivers = ['otlp'];
  if (input.appMetrics !== undefined) {
    if (!signals.includes(OtelSignal.METRICS)) {
      fail(PIPELINE_CODE, `'appMetricsPort' ${input.appMetrics.port} is scraped, but no exporter takes metrics`,
        'add an exporter that sends OtelSignal.METRICS, or leave \'appMetricsPort\' out');
    }
    // The prometheus receiver's `config` is a Prometheus config: scrape_configs, static_configs.
    receivers['prometheus/app'] = {
      config: {
        scrape_configs: [{
          job_name: 'app',
          scrape_interval: `${input.appMetrics.intervalSeconds}s`,
          metrics_path: literal(input.appMetrics.path),
          static_configs: [{ targets: [`127.0.0.1:${input.appMetrics.port}`] }],
        }],
      },
    };
    metricsReceivers.push('prometheus/app');
  }

  // memory_limiter (internal/memorylimiter/config.go:34-76): a hard limit at 80 % of the
  // container's limit, a spike allowance of 25 % of it (soft limit 60 % of the container's),
  // checked every second (the README's recommendation); GOMEMLIMIT at the hard limit.
  const limitMib = Math.floor(input.memoryLimitMib * 0.8);
  const spikeMib = Math.floor(limitMib * 0.25);
  const processors = {
    'memory_limiter': { check_interval: '1s', limit_mib: limitMib, spike_limit_mib: spikeMib },
    // resourceprocessor: `attributes` actions (key, value, action).
    'resource/k8s': { attributes },
    // processor/batchprocessor/config.go:19-29.
    'batch': { timeout: `${input.batchTimeoutMs}ms`, send_batch_size: input.batchSize, send_batch_max_size: input.batchSize },
  };
  const pipelineProcessors = ['memory_limiter', 'resource/k8s', 'batch'];

  const pipelines: { [signal: string]: unknown } = {};
  for (const s of signals) {
    pipelines[s] = {
      receivers: s === OtelSignal.METRICS ? metricsReceivers : ['otlp'],
      processors: pipelineProcessors,
      exporters: bySignal.get(s),
    };
  }

  const document = {
    extensions: {
      // healthcheckextension: confighttp server `endpoint` (its default is localhost now,
      // which the kubelet cannot reach) and `path`.
      health_check: { endpoint: `0.0.0.0:${input.healthPort}`, path: '/' },
    },
    receivers,
    processors,
    exporters,
    service: {
      extensions: ['health_check'],
      telemetry: {
        metrics: {
          // service/telemetry/otelconftelemetry/config.go:52-56: a reader is required
          // at any level but none; the keys are those of the declarative config's pull
          // Prometheus exporter (internal/migration/testdata/v0.3.0_metrics_prom_explicit.yaml).
          level: 'normal',
          readers: [{
            pull: {
              exporter: {
                prometheus: {
                  host: '0.0.0.0',
                  port: input.metricsPort,
                  // Keep `_total` on counters: the alert pack reads those names.
                  without_type_suffix: false,
                },
              },
            },
          }],
        },
      },
      pipelines,
    },
  };
  return {
    yaml: stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }),
    env,
    volumes,
    goMemLimitMib: limitMib,
  };
}

type Problem = (p: string, fix: string) => never;

function debugExporter(o: OtelExporter['_options'], what: string, problem: Problem): unknown {
  const verbosity = o.verbosity ?? OtelDebugVerbosity.BASIC;
  if (!Object.values(OtelDebugVerbosity).includes(verbosity)) {
    problem(`${what}: verbosity ${shown(verbosity)} is not an OtelDebugVerbosity`, 'pass OtelDebugVerbosity.BASIC, NORMAL or DETAILED');
  }
  // exporter/debugexporter/config.go:27.
  return { verbosity };
}

function networkExporter(exporter: OtelExporter, index: number, id: string, input: CollectorConfigInput,
  env: { [name: string]: kplus.EnvValue }, volumes: SidecarVolume[], problem: Problem): unknown {
  const o = exporter._options;
  const type = exporter.type;
  const what = `exporter '${id}'`;
  const out: { [key: string]: unknown } = {};

  // Endpoint: host:port for gRPC (configgrpc.go:77), a URL for the HTTP exporters.
  const endpoint = o.endpoint;
  let plaintext: boolean;
  if (type === 'otlp_grpc') {
    const m = typeof endpoint === 'string' ? /^(.+):(\d{1,5})$/.exec(endpoint) : null;
    if (!m || !isHost(m[1]) || !isPortNumber(Number(m[2]))) {
      problem(`${what}: endpoint ${shown(endpoint)} is not host:port`,
        'pass e.g. \'otel-gateway.observability:4317\' (no scheme: set \'tls.insecure\' for plaintext)');
    }
    plaintext = o.tls?.insecure === true;
  } else {
    let url: URL | undefined;
    try {
      url = typeof endpoint === 'string' && !CONTROL.test(endpoint) && !/\s/.test(endpoint) ? new URL(endpoint) : undefined;
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || !isHost(url.hostname) || url.hash !== '') {
      problem(`${what}: endpoint ${shown(endpoint)} is not an http:// or https:// URL`,
        type === 'otlp_http' ? 'pass the backend\'s base URL, e.g. \'https://otlp.example.com:4318\'' : 'pass the remote-write URL, e.g. \'https://prometheus.example.com/api/v1/write\'');
    }
    if (url!.username !== '' || url!.password !== '') {
      problem(`${what}: endpoint carries credentials in the URL`, 'put them in \'secretHeaders\' (a header from a Secret), never in the URL, which is rendered into the ConfigMap');
    }
    plaintext = url!.protocol === 'http:';
    if (o.tls?.insecure !== undefined) {
      problem(`${what}: 'tls.insecure' applies to OTLP/gRPC only`, 'use an http:// URL for plaintext, https:// for TLS');
    }
  }
  out.endpoint = literal(endpoint);

  // TLS (configtls ClientConfig: insecure, ca_file, cert_file, key_file, server_name_override).
  const tls: { [key: string]: unknown } = {};
  const t = o.tls ?? {};
  const files = t.caSecret !== undefined || t.clientCertificateSecret !== undefined || t.serverName !== undefined;
  if (plaintext && files) {
    problem(`${what}: TLS certificates or a server name are set for a plaintext connection`,
      type === 'otlp_grpc' ? 'drop \'tls.insecure\', or the certificates' : 'use an https:// URL, or drop the certificates');
  }
  if (type === 'otlp_grpc' && plaintext) tls.insecure = true;
  if (t.caSecret !== undefined) {
    const key = t.caKey ?? 'ca.crt';
    if (!isConfigMapKey(key)) {
      problem(`${what}: 'tls.caKey' ${shown(key)} is not a Secret key`, 'pass the key of the CA bundle in the Secret, e.g. \'ca.crt\'');
    }
    const path = `${TLS_ROOT}/exporter-${index}-ca`;
    volumes.push({
      name: dnsLabelFrom(input.containerName, `exporter-${index}-ca`),
      source: SidecarVolumeSource.secret(t.caSecret, { items: { [key]: 'ca.crt' } }),
      path,
      readOnly: true,
    });
    tls.ca_file = `${path}/ca.crt`;
  } else if (t.caKey !== undefined) {
    problem(`${what}: 'tls.caKey' is set without 'tls.caSecret'`, 'pass the Secret with the CA bundle as \'tls.caSecret\'');
  }
  if (t.clientCertificateSecret !== undefined) {
    const path = `${TLS_ROOT}/exporter-${index}-client`;
    volumes.push({
      name: dnsLabelFrom(input.containerName, `exporter-${index}-client`),
      source: SidecarVolumeSource.secret(t.clientCertificateSecret, { items: { 'tls.crt': 'tls.crt', 'tls.key': 'tls.key' } }),
      path,
      readOnly: true,
    });
    tls.cert_file = `${path}/tls.crt`;
    tls.key_file = `${path}/tls.key`;
  }
  if (t.serverName !== undefined) {
    if (typeof t.serverName !== 'string' || !isHost(t.serverName)) {
      problem(`${what}: 'tls.serverName' ${shown(t.serverName)} is not a host name`, 'pass the name in the backend\'s certificate, e.g. \'otel.example.com\'');
    }
    tls.server_name_override = t.serverName;
  }
  if (Object.keys(tls).length > 0) out.tls = tls;

  // Headers (configopaque.MapList, as a map): plain ones in the file, Secret ones through the environment.
  const headers: { [name: string]: string } = {};
  const seen = new Set<string>();
  const header = (name: string) => {
    if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
      problem(`${what}: header name ${shown(name)} is not valid`, 'use letters, digits and \'-\' (an HTTP token)');
    }
    if (seen.has(name.toLowerCase())) problem(`${what}: header '${name}' is set twice`, 'set each header once, in \'headers\' or in \'secretHeaders\'');
    seen.add(name.toLowerCase());
  };
  for (const [name, value] of Object.entries(o.headers ?? {})) {
    header(name);
    if (CREDENTIAL_HEADER.test(name)) {
      problem(`${what}: header '${name}' carries credentials, and 'headers' are rendered into the ConfigMap`,
        `pass it in 'secretHeaders' as a Secret value: { '${name}': { secret, key } }`);
    }
    if (typeof value !== 'string' || CONTROL.test(value)) {
      problem(`${what}: header '${name}' has no single-line string value`, 'pass a string without control characters or line breaks');
    }
    headers[name] = literal(value);
  }
  Object.entries(o.secretHeaders ?? {}).forEach(([name, value], j) => {
    header(name);
    if (value === undefined || value === null || typeof value.key !== 'string' || value.secret === undefined) {
      problem(`${what}: secret header '${name}' is not a Secret value`, 'pass { secret: <a kplus Secret>, key: \'<its key>\' }');
    }
    const variable = `OTELCOL_EXPORTER_${index}_HEADER_${j}`;
    env[variable] = kplus.EnvValue.fromSecretValue(value);
    headers[name] = `\${env:${variable}}`;
  });
  if (Object.keys(headers).length > 0) out.headers = headers;

  // Timeout of one attempt: exporterhelper's `timeout` (timeout_sender.go:19) for gRPC and
  // remote write, confighttp's `timeout` (client.go:55) for OTLP/HTTP.
  // The default is exporterhelper's 5 s (timeout_sender.go NewDefaultTimeoutConfig), or the drain time if shorter.
  const timeout = o.timeout === undefined ? Math.min(5, input.drainSeconds) : wholeSeconds(o.timeout);
  if (timeout === undefined || timeout < 1) {
    problem(`${what}: 'timeout' is not a whole number of seconds of at least 1`, 'pass e.g. Duration.seconds(5) as \'timeout\'');
  }
  if (timeout! > input.drainSeconds) {
    problem(`${what}: 'timeout' ${timeout}s is longer than the drain time ${input.drainSeconds}s, so a send on shutdown would not fit in the shutdown budget`,
      `lower 'timeout' to at most ${input.drainSeconds}s, or raise 'drainTime' to at least ${timeout}s`);
  }
  out.timeout = `${timeout}s`;

  if (type === 'prometheusremotewrite') {
    out.resource_to_telemetry_conversion = { enabled: o.resourceToTelemetry ?? true };
  } else {
    const queueSize = o.queueSize ?? 1000;
    if (!Number.isInteger(queueSize) || queueSize < 1 || queueSize > 1_000_000) {
      problem(`${what}: 'queueSize' ${shown(queueSize)} is not a whole number from 1 to 1000000`, 'pass the number of batches the sending queue holds, e.g. 1000');
    }
    // exporterhelper/internal/queuebatch/config.go:29 (sending_queue is on by default).
    out.sending_queue = { queue_size: queueSize };
  }
  return out;
}
