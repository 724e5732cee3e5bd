import { Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import {
  OpenTelemetryCollectorSidecar, OpenTelemetryCollectorSidecarProps, OtelAppProtocol, OtelDebugVerbosity, OtelExporter,
  OtelSignal, SidecarAlerts, SidecarMode, SidecarProfile,
} from '../../../src';
import { SidecarError } from '../../../src/core/errors';
import { specContext } from '../../../src/core/spec';
import { DEFAULT_NAME, otelCollectorSpec } from '../../../src/sidecars/otel-collector/spec';
import { container, containerOrder, find, newChart, podMetadata, podSpec, synth, webDeployment, pureSpec } from '../../util';

const WHO = 'workload \'test/web\', sidecar \'otel-collector\'';
const ROLLOUT = 'config.cdk8s-sidecars.io/otel-collector';
const GATEWAY = 'otel-gateway.observability:4317';

/** The start of an error message: its code and who it is about. */
function error(code: string, who = WHO): string {
  return `[${code}] ${who}: `;
}

/** The collector's config file, parsed by the `yaml` library (the oracle of the YAML's structure). */
function configOf(manifests: any[]): any {
  return parse(find(manifests, 'ConfigMap').data['config.yaml']);
}

/**
 * Every key the sidecar may write, with where it is defined upstream: core at v0.159.0
 * (open-telemetry/opentelemetry-collector), the core distribution's manifest at v0.159.0
 * (opentelemetry-collector-releases distributions/otelcol/manifest.yaml), and, for the
 * contrib components of that distribution, the contrib sources (read from stored versions
 * of open-telemetry/opentelemetry-collector-contrib: its snapshot at the tag was too large to
 * fetch; these keys are unchanged across them). `<type>` stands for a
 * component id (`type/name`), `[]` for a list element. Written by hand from those files:
 * a key the renderer adds without a line here fails the test.
 */
const UPSTREAM_KEYS: { [path: string]: string } = {
  'extensions': 'otelcol/config.go:36',
  'extensions.<health_check>': 'contrib extension/healthcheckextension (type health_check; in distributions/otelcol/manifest.yaml:31)',
  'extensions.<health_check>.endpoint': 'contrib extension/healthcheckextension/config.go: confighttp server config, squashed (confignet.go:82 endpoint)',
  'extensions.<health_check>.path': 'contrib extension/healthcheckextension/config.go: Path `path`',
  'receivers': 'otelcol/config.go:24',
  'receivers.<otlp>': 'receiver/otlpreceiver/metadata.yaml: type otlp',
  'receivers.<otlp>.protocols': 'receiver/otlpreceiver/config.go:64',
  'receivers.<otlp>.protocols.grpc': 'receiver/otlpreceiver/config.go:55',
  'receivers.<otlp>.protocols.grpc.endpoint': 'config/configgrpc/configgrpc.go:190 (NetAddr squash) + config/confignet/confignet.go:82',
  'receivers.<otlp>.protocols.http': 'receiver/otlpreceiver/config.go:56',
  'receivers.<otlp>.protocols.http.endpoint': 'config/confighttp/server.go:43 (NetAddr squash) + config/confignet/confignet.go:82',
  'receivers.<prometheus>': 'contrib receiver/prometheusreceiver (type prometheus; distributions/otelcol/manifest.yaml:15)',
  'receivers.<prometheus>.config': 'contrib receiver/prometheusreceiver/config.go: PromConfig `config`',
  'receivers.<prometheus>.config.scrape_configs': 'prometheus config/config.go: scrape_configs',
  'receivers.<prometheus>.config.scrape_configs[].job_name': 'prometheus config/config.go: ScrapeConfig job_name',
  'receivers.<prometheus>.config.scrape_configs[].scrape_interval': 'prometheus config/config.go: ScrapeConfig scrape_interval',
  'receivers.<prometheus>.config.scrape_configs[].metrics_path': 'prometheus config/config.go: ScrapeConfig metrics_path',
  'receivers.<prometheus>.config.scrape_configs[].static_configs': 'prometheus discovery/targetgroup: static_configs',
  'receivers.<prometheus>.config.scrape_configs[].static_configs[].targets': 'prometheus discovery/targetgroup/targetgroup.go: targets',
  'processors': 'otelcol/config.go:30',
  'processors.<memory_limiter>': 'processor/memorylimiterprocessor/metadata.yaml: type memory_limiter',
  'processors.<memory_limiter>.check_interval': 'internal/memorylimiter/config.go:34',
  'processors.<memory_limiter>.limit_mib': 'internal/memorylimiter/config.go:64',
  'processors.<memory_limiter>.spike_limit_mib': 'internal/memorylimiter/config.go:68',
  'processors.<resource>': 'contrib processor/resourceprocessor (type resource; distributions/otelcol/manifest.yaml:38)',
  'processors.<resource>.attributes': 'contrib processor/resourceprocessor/config.go: AttributesActions `attributes`',
  'processors.<resource>.attributes[].key': 'contrib internal/coreinternal/attraction/attraction.go: ActionKeyValue `key`',
  'processors.<resource>.attributes[].value': 'contrib internal/coreinternal/attraction/attraction.go: ActionKeyValue `value`',
  'processors.<resource>.attributes[].action': 'contrib internal/coreinternal/attraction/attraction.go: ActionKeyValue `action` (upsert)',
  'processors.<batch>': 'processor/batchprocessor/metadata.yaml: type batch',
  'processors.<batch>.timeout': 'processor/batchprocessor/config.go:19',
  'processors.<batch>.send_batch_size': 'processor/batchprocessor/config.go:24',
  'processors.<batch>.send_batch_max_size': 'processor/batchprocessor/config.go:29',
  'exporters': 'otelcol/config.go:27',
  'exporters.<otlp_grpc>': 'exporter/otlpexporter/metadata.yaml: type otlp_grpc (deprecated_type otlp)',
  'exporters.<otlp_grpc>.endpoint': 'config/configgrpc/configgrpc.go:77',
  'exporters.<otlp_grpc>.tls': 'config/configgrpc/configgrpc.go:83',
  'exporters.<otlp_grpc>.tls.insecure': 'config/configtls/generated_config.go:16',
  'exporters.<otlp_grpc>.tls.ca_file': 'config/configtls/generated_config.go:35',
  'exporters.<otlp_grpc>.tls.cert_file': 'config/configtls/generated_config.go:39',
  'exporters.<otlp_grpc>.tls.key_file': 'config/configtls/generated_config.go:51',
  'exporters.<otlp_grpc>.tls.server_name_override': 'config/configtls/generated_config.go:20',
  'exporters.<otlp_grpc>.headers': 'config/configgrpc/configgrpc.go:102 (configopaque.MapList, a map)',
  'exporters.<otlp_grpc>.timeout': 'exporter/exporterhelper/internal/timeout_sender.go:19 (squashed: otlpexporter/config.go:21)',
  'exporters.<otlp_grpc>.sending_queue': 'exporter/otlpexporter/config.go:22',
  'exporters.<otlp_grpc>.sending_queue.queue_size': 'exporter/exporterhelper/internal/queuebatch/config.go:29',
  'exporters.<otlp_http>': 'exporter/otlphttpexporter/metadata.yaml: type otlp_http (deprecated_type otlphttp)',
  'exporters.<otlp_http>.endpoint': 'config/confighttp/client.go:37',
  'exporters.<otlp_http>.tls': 'config/confighttp/client.go:43',
  'exporters.<otlp_http>.tls.ca_file': 'config/configtls/generated_config.go:35',
  'exporters.<otlp_http>.tls.cert_file': 'config/configtls/generated_config.go:39',
  'exporters.<otlp_http>.tls.key_file': 'config/configtls/generated_config.go:51',
  'exporters.<otlp_http>.tls.server_name_override': 'config/configtls/generated_config.go:20',
  'exporters.<otlp_http>.headers': 'config/confighttp/client.go:60',
  'exporters.<otlp_http>.timeout': 'config/confighttp/client.go:55',
  'exporters.<otlp_http>.sending_queue': 'exporter/otlphttpexporter/config.go:50',
  'exporters.<otlp_http>.sending_queue.queue_size': 'exporter/exporterhelper/internal/queuebatch/config.go:29',
  'exporters.<prometheusremotewrite>': 'contrib exporter/prometheusremotewriteexporter (distributions/otelcol/manifest.yaml:26)',
  'exporters.<prometheusremotewrite>.endpoint': 'contrib prometheusremotewriteexporter/config.go: confighttp client, squashed',
  'exporters.<prometheusremotewrite>.headers': 'contrib prometheusremotewriteexporter/config.go: confighttp client, squashed',
  'exporters.<prometheusremotewrite>.tls': 'contrib prometheusremotewriteexporter/config.go: confighttp client, squashed',
  'exporters.<prometheusremotewrite>.tls.ca_file': 'config/configtls/generated_config.go:35',
  'exporters.<prometheusremotewrite>.tls.cert_file': 'config/configtls/generated_config.go:39',
  'exporters.<prometheusremotewrite>.tls.key_file': 'config/configtls/generated_config.go:51',
  'exporters.<prometheusremotewrite>.tls.server_name_override': 'config/configtls/generated_config.go:20',
  'exporters.<prometheusremotewrite>.timeout': 'contrib prometheusremotewriteexporter/config.go: exporterhelper timeout, squashed',
  'exporters.<prometheusremotewrite>.resource_to_telemetry_conversion': 'contrib prometheusremotewriteexporter/config.go: `resource_to_telemetry_conversion`',
  'exporters.<prometheusremotewrite>.resource_to_telemetry_conversion.enabled': 'contrib pkg/resourcetotelemetry: Settings `enabled`',
  'exporters.<debug>': 'exporter/debugexporter/metadata.yaml: type debug',
  'exporters.<debug>.verbosity': 'exporter/debugexporter/config.go:27',
  'service': 'otelcol/config.go:38',
  'service.extensions': 'service/config.go:18',
  'service.telemetry': 'service/config.go:15',
  'service.telemetry.metrics': 'service/telemetry/otelconftelemetry/config.go:16',
  'service.telemetry.metrics.level': 'service/telemetry/otelconftelemetry/internal/migration/v0.3.0.go:87',
  'service.telemetry.metrics.readers': 'internal/migration/testdata/v0.3.0_metrics_prom_explicit.yaml:2 (otelconf MeterProvider readers)',
  'service.telemetry.metrics.readers[].pull': 'internal/migration/testdata/v0.3.0_metrics_prom_explicit.yaml:3',
  'service.telemetry.metrics.readers[].pull.exporter': 'internal/migration/testdata/v0.3.0_metrics_prom_explicit.yaml:4',
  'service.telemetry.metrics.readers[].pull.exporter.prometheus': 'internal/migration/testdata/v0.3.0_metrics_prom_explicit.yaml:5',
  'service.telemetry.metrics.readers[].pull.exporter.prometheus.host': 'internal/migration/testdata/v0.3.0_metrics_prom_explicit.yaml:6',
  'service.telemetry.metrics.readers[].pull.exporter.prometheus.port': 'internal/migration/testdata/v0.3.0_metrics_prom_explicit.yaml:7',
  'service.telemetry.metrics.readers[].pull.exporter.prometheus.without_type_suffix': 'internal/migration/testdata/v0.3.0_metrics_prom_explicit.yaml:10',
  'service.pipelines': 'service/config.go:21',
  'service.pipelines.<traces>': 'pipeline/internal/globalsignal/signal.go:13',
  'service.pipelines.<metrics>': 'pipeline/internal/globalsignal/signal.go:14',
  'service.pipelines.<logs>': 'pipeline/internal/globalsignal/signal.go:15',
  'service.pipelines.<traces>.receivers': 'service/pipelines/config.go:52',
  'service.pipelines.<traces>.processors': 'service/pipelines/config.go:53',
  'service.pipelines.<traces>.exporters': 'service/pipelines/config.go:54',
  'service.pipelines.<metrics>.receivers': 'service/pipelines/config.go:52',
  'service.pipelines.<metrics>.processors': 'service/pipelines/config.go:53',
  'service.pipelines.<metrics>.exporters': 'service/pipelines/config.go:54',
  'service.pipelines.<logs>.receivers': 'service/pipelines/config.go:52',
  'service.pipelines.<logs>.processors': 'service/pipelines/config.go:53',
  'service.pipelines.<logs>.exporters': 'service/pipelines/config.go:54',
};

/** Component maps: their keys are component ids `type[/name]`. */
const COMPONENT_MAPS = ['extensions', 'receivers', 'processors', 'exporters', 'service.pipelines'];
/** Maps whose keys are user data (header names). */
const DATA_MAPS = /\.headers$/;

/** The key paths of a parsed config, component ids as `<type>`. */
function keyPaths(node: unknown, path = ''): string[] {
  if (Array.isArray(node)) return node.flatMap(x => keyPaths(x, `${path}[]`));
  if (node === null || typeof node !== 'object') return [];
  if (DATA_MAPS.test(path)) return [];
  return Object.entries(node as object).flatMap(([key, value]) => {
    const step = COMPONENT_MAPS.includes(path) ? `<${key.split('/')[0]}>` : key;
    const here = path === '' ? step : `${path}.${step}`;
    return [here, ...keyPaths(value, here)];
  });
}

/** A chart with every feature of the sidecar: each exporter type, TLS, Secret headers, app scraping. */
function everything(): { chart: Chart; sidecar: OpenTelemetryCollectorSidecar; manifests: any[] } {
  const chart = newChart();
  const web = webDeployment(chart);
  const token = kplus.Secret.fromSecretName(chart, 'token', 'otel-token');
  const ca = kplus.Secret.fromSecretName(chart, 'ca', 'otel-ca');
  const client = kplus.Secret.fromSecretName(chart, 'client', 'otel-client-tls');
  const sidecar = new OpenTelemetryCollectorSidecar(chart, 'otel', {
    workload: web,
    exporters: [
      OtelExporter.otlpGrpc({
        name: 'gateway',
        endpoint: GATEWAY,
        tls: { caSecret: ca, clientCertificateSecret: client, serverName: 'otel-gateway.example.com' },
        secretHeaders: { authorization: { secret: token, key: 'bearer' } },
        queueSize: 5000,
      }),
      OtelExporter.otlpGrpc({ name: 'local', endpoint: '10.0.0.7:4317', tls: { insecure: true }, signals: [OtelSignal.TRACES] }),
      OtelExporter.otlpHttp({
        endpoint: 'https://otlp.example.com:4318',
        headers: { 'X-Scope-OrgID': 'shop' },
        signals: [OtelSignal.LOGS],
        tls: { caSecret: ca, caKey: 'bundle.pem' },
        timeout: Duration.seconds(8),
      }),
      OtelExporter.prometheusRemoteWrite({ endpoint: 'https://prometheus.example.com/api/v1/write', secretHeaders: { 'X-Api-Key': { secret: token, key: 'prw' } } }),
      OtelExporter.debug({ verbosity: OtelDebugVerbosity.DETAILED, signals: [OtelSignal.TRACES] }),
    ],
    appMetricsPort: 9090,
    resourceAttributes: { 'deployment.environment.name': 'production' },
  });
  return { chart, sidecar, manifests: synth(chart) };
}

describe('OpenTelemetryCollectorSidecar', () => {
  test('defaults: OTLP on 127.0.0.1:4317/4318, health 13133, metrics 8888, no startup gating', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const otel = new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: web, exporters: [OtelExporter.otlpGrpc({ endpoint: GATEWAY })] });

    // THEN
    const manifests = synth(chart);
    expect(manifests).toMatchSnapshot();
    const deployment = find(manifests, 'Deployment');
    const spec = podSpec(deployment);
    expect(containerOrder(spec)).toEqual(['init:otel-collector', 'app']);
    const c = container(spec, 'otel-collector');
    expect(c.image).toBe('otel/opentelemetry-collector:0.159.0');
    expect(c.restartPolicy).toBe('Always');
    expect(c.args).toEqual(['--config=/etc/otel-collector/config.yaml']);
    expect(c.ports).toEqual([
      { containerPort: 4317, name: 'otlp-grpc' },
      { containerPort: 4318, name: 'otlp-http' },
      { containerPort: 8888, name: 'otel-metrics' },
      { containerPort: 13133, name: 'otel-health' },
    ]);
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } });
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // Probes on the health_check extension, bound to 0.0.0.0 so the kubelet reaches it.
    expect(c.startupProbe).toBeUndefined();
    expect(c.readinessProbe).toEqual({ httpGet: { path: '/', port: 13133, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3 });
    expect(c.livenessProbe).toEqual({ httpGet: { path: '/', port: 13133, scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 6 });
    expect(c.env).toEqual([
      { name: 'K8S_NAMESPACE_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'K8S_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'K8S_POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'K8S_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'GOMEMLIMIT', value: '204MiB' },
    ]);
    expect(c.volumeMounts).toEqual([{ name: 'otel-collector-config', mountPath: '/etc/otel-collector', readOnly: true }]);
    expect(container(spec, 'app').env).toEqual([
      { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://127.0.0.1:4318' },
      { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'http/protobuf' },
    ]);
    // The app's 30 s and the collector's 10 s drain after it.
    expect(spec.terminationGracePeriodSeconds).toBe(40);
    expect(podMetadata(deployment).annotations).toEqual({ [ROLLOUT]: otel.configDigest });
    expect(otel.gatesStartup).toBe(false);
    expect(otel.kind).toBe('otel-collector');
    expect(otel.profile).toBe(SidecarProfile.LOG_COLLECTOR);
    expect(otel.metrics).toEqual({ portName: 'otel-metrics', path: '/metrics' });
    expect(otel.alertPack).toBe(OpenTelemetryCollectorSidecar.ALERT_PACK);
    expect(otel.shutdownBudget.toSeconds()).toBe(10);
    expect(otel.grpcPort).toBe(4317);
    expect(otel.httpPort).toBe(4318);
    expect(otel.drainTime.toSeconds()).toBe(10);
  });

  test('the default config file, as the YAML parser reads it', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const otel = new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: web, exporters: [OtelExporter.otlpGrpc({ endpoint: GATEWAY })] });

    // THEN
    const processors = ['memory_limiter', 'resource/k8s', 'batch'];
    const config = configOf(synth(chart));
    expect(parse(otel.config)).toEqual(config);
    expect(config).toEqual({
      extensions: { health_check: { endpoint: '0.0.0.0:13133', path: '/' } },
      receivers: { otlp: { protocols: { grpc: { endpoint: '127.0.0.1:4317' }, http: { endpoint: '127.0.0.1:4318' } } } },
      processors: {
        // 256Mi limit: hard limit 80 % (204), spike 25 % of it (51), soft limit 153.
        'memory_limiter': { check_interval: '1s', limit_mib: 204, spike_limit_mib: 51 },
        'resource/k8s': {
          attributes: [
            { key: 'k8s.namespace.name', value: '${env:K8S_NAMESPACE_NAME}', action: 'upsert' },
            { key: 'k8s.pod.name', value: '${env:K8S_POD_NAME}', action: 'upsert' },
            { key: 'k8s.pod.uid', value: '${env:K8S_POD_UID}', action: 'upsert' },
            { key: 'k8s.node.name', value: '${env:K8S_NODE_NAME}', action: 'upsert' },
          ],
        },
        'batch': { timeout: '200ms', send_batch_size: 8192, send_batch_max_size: 8192 },
      },
      exporters: { otlp_grpc: { endpoint: GATEWAY, timeout: '5s', sending_queue: { queue_size: 1000 } } },
      service: {
        extensions: ['health_check'],
        telemetry: { metrics: { level: 'normal', readers: [{ pull: { exporter: { prometheus: { host: '0.0.0.0', port: 8888, without_type_suffix: false } } } }] } },
        pipelines: {
          traces: { receivers: ['otlp'], processors, exporters: ['otlp_grpc'] },
          metrics: { receivers: ['otlp'], processors, exporters: ['otlp_grpc'] },
          logs: { receivers: ['otlp'], processors, exporters: ['otlp_grpc'] },
        },
      },
    });
    // No YAML anchors or aliases: every pipeline is written out.
    expect(otel.config).not.toMatch(/[&*]a\d/);
  });

  test('every key, component type and pipeline written exists at the pinned version', () => {
    // GIVEN a config with every feature of the sidecar
    const { manifests } = everything();

    // WHEN its keys are listed
    const paths = [...new Set(keyPaths(configOf(manifests)))];

    // THEN each one is a key the collector defines (UPSTREAM_KEYS cites where)
    expect(paths.filter(p => UPSTREAM_KEYS[p] === undefined)).toEqual([]);
    // ... and the components are those of the core distribution (manifest.yaml at v0.159.0)
    const config = configOf(manifests);
    const types = (section: any) => [...new Set(Object.keys(section).map(id => id.split('/')[0]))].sort();
    expect(types(config.receivers)).toEqual(['otlp', 'prometheus']);
    expect(types(config.processors)).toEqual(['batch', 'memory_limiter', 'resource']);
    expect(types(config.exporters)).toEqual(['debug', 'otlp_grpc', 'otlp_http', 'prometheusremotewrite']);
    expect(types(config.extensions)).toEqual(['health_check']);
  });

  test('exporters: TLS from Secrets, Secret headers through the environment, pipelines per signal', () => {
    // GIVEN / WHEN
    const { manifests } = everything();

    // THEN
    const config = configOf(manifests);
    expect(config.exporters).toEqual({
      'otlp_grpc/gateway': {
        endpoint: GATEWAY,
        tls: {
          ca_file: '/var/run/secrets/otel-collector/exporter-0-ca/ca.crt',
          cert_file: '/var/run/secrets/otel-collector/exporter-0-client/tls.crt',
          key_file: '/var/run/secrets/otel-collector/exporter-0-client/tls.key',
          server_name_override: 'otel-gateway.example.com',
        },
        headers: { authorization: '${env:OTELCOL_EXPORTER_0_HEADER_0}' },
        timeout: '5s',
        sending_queue: { queue_size: 5000 },
      },
      'otlp_grpc/local': { endpoint: '10.0.0.7:4317', tls: { insecure: true }, timeout: '5s', sending_queue: { queue_size: 1000 } },
      'otlp_http': {
        endpoint: 'https://otlp.example.com:4318',
        tls: { ca_file: '/var/run/secrets/otel-collector/exporter-2-ca/ca.crt' },
        headers: { 'X-Scope-OrgID': 'shop' },
        timeout: '8s',
        sending_queue: { queue_size: 1000 },
      },
      'prometheusremotewrite': {
        endpoint: 'https://prometheus.example.com/api/v1/write',
        headers: { 'X-Api-Key': '${env:OTELCOL_EXPORTER_3_HEADER_0}' },
        timeout: '5s',
        resource_to_telemetry_conversion: { enabled: true },
      },
      'debug': { verbosity: 'detailed' },
    });
    expect(config.service.pipelines.traces.exporters).toEqual(['otlp_grpc/gateway', 'otlp_grpc/local', 'debug']);
    expect(config.service.pipelines.metrics).toEqual({
      receivers: ['otlp', 'prometheus/app'],
      processors: ['memory_limiter', 'resource/k8s', 'batch'],
      exporters: ['otlp_grpc/gateway', 'prometheusremotewrite'],
    });
    expect(config.service.pipelines.logs.exporters).toEqual(['otlp_grpc/gateway', 'otlp_http']);
    expect(config.receivers['prometheus/app']).toEqual({
      config: { scrape_configs: [{ job_name: 'app', scrape_interval: '30s', metrics_path: '/metrics', static_configs: [{ targets: ['127.0.0.1:9090'] }] }] },
    });
    expect(config.processors['resource/k8s'].attributes[4]).toEqual({ key: 'deployment.environment.name', value: 'production', action: 'upsert' });

    const spec = podSpec(find(manifests, 'Deployment'));
    const c = container(spec, 'otel-collector');
    expect(c.env.filter((e: any) => e.name.startsWith('OTELCOL_'))).toEqual([
      { name: 'OTELCOL_EXPORTER_0_HEADER_0', valueFrom: { secretKeyRef: { name: 'otel-token', key: 'bearer' } } },
      { name: 'OTELCOL_EXPORTER_3_HEADER_0', valueFrom: { secretKeyRef: { name: 'otel-token', key: 'prw' } } },
    ]);
    expect(c.volumeMounts).toEqual([
      { name: 'otel-collector-config', mountPath: '/etc/otel-collector', readOnly: true },
      { name: 'otel-collector-exporter-0-ca', mountPath: '/var/run/secrets/otel-collector/exporter-0-ca', readOnly: true },
      { name: 'otel-collector-exporter-0-client', mountPath: '/var/run/secrets/otel-collector/exporter-0-client', readOnly: true },
      { name: 'otel-collector-exporter-2-ca', mountPath: '/var/run/secrets/otel-collector/exporter-2-ca', readOnly: true },
    ]);
    const volumes = Object.fromEntries(spec.volumes.map((v: any) => [v.name, v]));
    expect(volumes['otel-collector-exporter-0-client'].secret).toEqual({
      secretName: 'otel-client-tls', items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }],
    });
    expect(volumes['otel-collector-exporter-2-ca'].secret).toEqual({ secretName: 'otel-ca', items: [{ key: 'bundle.pem', path: 'ca.crt' }] });
    // The TLS material is the collector's alone.
    expect(container(spec, 'app').volumeMounts).toBeUndefined();
  });

  test('credentials never reach the ConfigMap or the args', () => {
    // GIVEN a Secret defined in the chart, with its values
    const chart = newChart();
    const web = webDeployment(chart);
    const secret = new kplus.Secret(chart, 'token', { stringData: { token: 'Bearer s3cr3t-t0ken' } });

    // WHEN
    new OpenTelemetryCollectorSidecar(chart, 'otel', {
      workload: web,
      exporters: [OtelExporter.otlpHttp({ endpoint: 'https://otlp.example.com', secretHeaders: { Authorization: { secret, key: 'token' } } })],
    });

    // THEN the value is only in the Secret; the collector reads it from its environment
    const manifests = synth(chart);
    const cm = find(manifests, 'ConfigMap');
    expect(JSON.stringify(cm)).not.toContain('s3cr3t');
    expect(configOf(manifests).exporters.otlp_http.headers).toEqual({ Authorization: '${env:OTELCOL_EXPORTER_0_HEADER_0}' });
    const c = container(podSpec(find(manifests, 'Deployment')), 'otel-collector');
    expect(JSON.stringify(c)).not.toContain('s3cr3t');
    expect(c.env).toContainEqual({ name: 'OTELCOL_EXPORTER_0_HEADER_0', valueFrom: { secretKeyRef: { name: find(manifests, 'Secret').metadata.name, key: 'token' } } });
  });

  test('a config change rolls the pods', () => {
    // GIVEN two apps that differ only in the exporter's endpoint
    const build = (endpoint: string) => {
      const chart = newChart();
      const otel = new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: webDeployment(chart), exporters: [OtelExporter.otlpGrpc({ endpoint })] });
      return { otel, annotations: podMetadata(find(synth(chart), 'Deployment')).annotations };
    };

    // WHEN
    const one = build(GATEWAY);
    const same = build(GATEWAY);
    const other = build('otel-gateway.observability:14317');

    // THEN
    expect(one.otel.configDigest).toMatch(/^[0-9a-f]{16}$/);
    expect(one.annotations[ROLLOUT]).toBe(one.otel.configDigest);
    expect(same.annotations[ROLLOUT]).toBe(one.otel.configDigest);
    expect(other.annotations[ROLLOUT]).toBe(other.otel.configDigest);
    expect(other.otel.configDigest).not.toBe(one.otel.configDigest);
  });

  test('gateAppStart: a 1 s startup probe on the health check holds the app', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const otel = new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: web, exporters: [OtelExporter.debug()], gateAppStart: true });

    // THEN
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'otel-collector');
    expect(c.startupProbe).toEqual({ httpGet: { path: '/', port: 13133, scheme: 'HTTP' }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 30 });
    expect(otel.gatesStartup).toBe(true);
  });

  test('the memory limiter and GOMEMLIMIT follow the container\'s memory limit', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new OpenTelemetryCollectorSidecar(chart, 'otel', {
      workload: web,
      exporters: [OtelExporter.debug()],
      resources: { memory: { request: Size.mebibytes(256), limit: Size.mebibytes(1024) } },
    });

    // THEN 80 % of 1024, and 25 % of that
    const manifests = synth(chart);
    expect(configOf(manifests).processors.memory_limiter).toEqual({ check_interval: '1s', limit_mib: 819, spike_limit_mib: 204 });
    const c = container(podSpec(find(manifests, 'Deployment')), 'otel-collector');
    expect(c.env).toContainEqual({ name: 'GOMEMLIMIT', value: '819MiB' });
    expect(c.resources.limits.memory).toBe('1024Mi');
  });

  test('ports, protocol, env names, batch and drain time are props', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const otel = new OpenTelemetryCollectorSidecar(chart, 'otel', {
      workload: web,
      exporters: [OtelExporter.otlpGrpc({ endpoint: GATEWAY, timeout: Duration.seconds(20) })],
      grpcPort: 14317,
      httpPort: 14318,
      metricsPort: 18888,
      healthPort: 23133,
      appProtocol: OtelAppProtocol.GRPC,
      endpointEnvName: 'OTEL_ENDPOINT',
      protocolEnvName: 'OTEL_PROTOCOL',
      batchSize: 1024,
      batchTimeout: Duration.seconds(1),
      drainTime: Duration.seconds(25),
    });

    // THEN
    const manifests = synth(chart);
    const config = configOf(manifests);
    expect(config.receivers.otlp.protocols).toEqual({ grpc: { endpoint: '127.0.0.1:14317' }, http: { endpoint: '127.0.0.1:14318' } });
    expect(config.extensions.health_check.endpoint).toBe('0.0.0.0:23133');
    expect(config.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port).toBe(18888);
    expect(config.processors.batch).toEqual({ timeout: '1000ms', send_batch_size: 1024, send_batch_max_size: 1024 });
    expect(config.exporters.otlp_grpc.timeout).toBe('20s');
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(container(spec, 'otel-collector').ports.map((p: any) => `${p.name}:${p.containerPort}`))
      .toEqual(['otlp-grpc:14317', 'otlp-http:14318', 'otel-metrics:18888', 'otel-health:23133']);
    expect(container(spec, 'otel-collector').readinessProbe.httpGet.port).toBe(23133);
    expect(container(spec, 'app').env).toEqual([
      { name: 'OTEL_ENDPOINT', value: 'http://127.0.0.1:14317' },
      { name: 'OTEL_PROTOCOL', value: 'grpc' },
    ]);
    expect(spec.terminationGracePeriodSeconds).toBe(55);
    expect(otel.drainTime.toSeconds()).toBe(25);
    expect(otel.grpcPort).toBe(14317);
  });

  test('a drain time under 5 s shortens the exporters\' default timeout to fit', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new OpenTelemetryCollectorSidecar(chart, 'otel', {
      workload: web,
      exporters: [OtelExporter.otlpGrpc({ endpoint: GATEWAY }), OtelExporter.otlpHttp({ endpoint: 'https://otlp.example.com', timeout: Duration.seconds(2) })],
      drainTime: Duration.seconds(3),
    });

    // THEN
    const manifests = synth(chart);
    const exporters = configOf(manifests).exporters;
    expect([exporters.otlp_grpc.timeout, exporters.otlp_http.timeout]).toEqual(['3s', '2s']);
    expect(podSpec(find(manifests, 'Deployment')).terminationGracePeriodSeconds).toBe(33);
  });

  test('an app that sets OTEL_EXPORTER_OTLP_ENDPOINT itself keeps its value', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', {
      containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080, envVariables: { OTEL_EXPORTER_OTLP_ENDPOINT: kplus.EnvValue.fromValue('http://elsewhere:4318') } }],
    });

    // WHEN
    new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: web, exporters: [OtelExporter.debug()] });

    // THEN
    const env = container(podSpec(find(synth(chart), 'Deployment')), 'app').env;
    expect(env).toContainEqual({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://elsewhere:4318' });
    expect(env.filter((e: any) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')).toHaveLength(1);
  });

  test('on a Job: native, so the Job completes; the collector flushes after the main container exits', () => {
    // GIVEN
    const chart = newChart();
    const job = new kplus.Job(chart, 'batch', { containers: [{ name: 'main', image: 'myjob:v1.0.0' }] });

    // WHEN
    new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: job, exporters: [OtelExporter.otlpGrpc({ endpoint: GATEWAY })] });

    // THEN the pod's restartPolicy lets the Job complete; the collector is a native sidecar,
    // which the kubelet stops after 'main' exits, and the grace period covers its drain
    const spec = podSpec(find(synth(chart), 'Job'));
    expect(spec.restartPolicy).toBe('Never');
    expect(containerOrder(spec)).toEqual(['init:otel-collector', 'main']);
    expect(container(spec, 'otel-collector').restartPolicy).toBe('Always');
    expect(spec.terminationGracePeriodSeconds).toBe(40);
  });

  test('a LEGACY collector on a CronJob is refused (LEGACY_ON_COMPLETION); on a Deployment it is an ordinary container', () => {
    // GIVEN
    const chart = newChart();
    const cron = new kplus.CronJob(chart, 'cron', { schedule: Cron.hourly(), containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });
    const legacy = newChart();
    const web = webDeployment(legacy);

    // WHEN
    new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: cron, mode: SidecarMode.LEGACY, exporters: [OtelExporter.debug()] });
    new OpenTelemetryCollectorSidecar(legacy, 'otel', { workload: web, mode: SidecarMode.LEGACY, exporters: [OtelExporter.debug()] });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('LEGACY_ON_COMPLETION', 'workload \'test/cron\', sidecar \'otel-collector\'')}a LEGACY sidecar is an ordinary container that never exits`);
    expect(containerOrder(podSpec(find(synth(legacy), 'Deployment')))).toEqual(['otel-collector', 'app']);
  });

  test('a port collision with the app is refused (PORT_IN_USE)', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8888 }] });

    // WHEN
    new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: web, exporters: [OtelExporter.debug()] });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('PORT_IN_USE')}port 8888/TCP ('metricsPort') is also used by container 'app'`);
  });

  test('the PodMonitor scrapes the collector\'s own metrics port', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    new SidecarAlerts(chart, 'alerts');

    // WHEN
    new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: web, exporters: [OtelExporter.debug()] });

    // THEN
    const manifests = synth(chart);
    const monitor = find(manifests, 'PodMonitor');
    expect(monitor.spec.podMetricsEndpoints).toEqual([expect.objectContaining({ port: 'otel-metrics', path: '/metrics' })]);
    const groups = find(manifests, 'PrometheusRule').spec.groups.map((g: any) => g.name);
    expect(groups).toContain('sidecar-otel-collector');
  });

  describe('a user string cannot add a key, a component or a pipeline, nor expand a variable', () => {
    const ATTEMPTS = [
      'x\nexporters:\n  debug: {}',
      'x: y',
      '"}\n  stolen: true',
      '${env:OTELCOL_EXPORTER_0_HEADER_0}',
      '${file:/var/run/secrets/kubernetes.io/serviceaccount/token}',
      '$${env:HOME}',
      '${HOME}',
      '&anchor [a, b]',
      '*alias',
      '# comment',
      '{ a: 1 }',
      '- list',
      '| block',
      'trailing $',
      '123',
      'true',
      '~',
    ];

    /** What the collector's resolver makes of a value: no unescaped `${`, then `$$` becomes `$`. */
    function resolved(value: string): string {
      // confmap/expand.go:136-141: `${` is expanded unless preceded by an odd number of `$`.
      for (const m of value.matchAll(/(\$*)\$\{/g)) {
        if (m[1].length % 2 === 0) throw new Error(`'${value}' would be expanded`);
      }
      return value.split('$$').join('$');
    }

    test.each(ATTEMPTS.map(a => [a]))('%j', (attempt) => {
      // GIVEN values that the checks let through (no control characters, no line breaks) or not
      const chart = newChart();
      const web = webDeployment(chart);
      const singleLine = !/[\n]/.test(attempt);

      // WHEN they are used where user strings land in the config
      const build = () => new OpenTelemetryCollectorSidecar(chart, 'otel', {
        workload: web,
        exporters: [OtelExporter.otlpHttp({ endpoint: `https://otlp.example.com/v1?q=${encodeURIComponent(attempt)}$`, headers: { 'X-Note': attempt } })],
        resourceAttributes: { note: attempt },
      });

      // THEN multi-line values are refused; the others are scalars whose text the collector reads back as given
      if (!singleLine) {
        expect(build).toThrow(/\[OTEL_EXPORTER_INVALID\]/);
        return;
      }
      build();
      const config = configOf(synth(chart));
      expect(Object.keys(config)).toEqual(['extensions', 'receivers', 'processors', 'exporters', 'service']);
      expect(Object.keys(config.exporters)).toEqual(['otlp_http']);
      expect(Object.keys(config.exporters.otlp_http)).toEqual(['endpoint', 'headers', 'timeout', 'sending_queue']);
      expect(Object.keys(config.exporters.otlp_http.headers)).toEqual(['X-Note']);
      expect(Object.keys(config.service.pipelines)).toEqual(['traces', 'metrics', 'logs']);
      expect(config.processors['resource/k8s'].attributes).toHaveLength(5);
      expect(resolved(config.exporters.otlp_http.headers['X-Note'])).toBe(attempt);
      expect(resolved(config.processors['resource/k8s'].attributes[4].value)).toBe(attempt);
      expect(resolved(config.exporters.otlp_http.endpoint)).toBe(`https://otlp.example.com/v1?q=${encodeURIComponent(attempt)}$`);
    });
  });

  test('header names that mean something in YAML stay header names', () => {
    // GIVEN header names that are HTTP tokens and YAML syntax at once
    const chart = newChart();
    const web = webDeployment(chart);
    const names = ['*alias', '&anchor', '!tag', '#comment', '%directive', '|block', "'quote", '`tick', 'a.b', '~'];

    // WHEN
    new OpenTelemetryCollectorSidecar(chart, 'otel', {
      workload: web,
      exporters: [OtelExporter.otlpGrpc({ endpoint: GATEWAY, headers: Object.fromEntries(names.map(n => [n, 'v'])) })],
    });

    // THEN the parser reads back exactly those keys, each with its value, and nothing else
    const config = configOf(synth(chart));
    expect(config.exporters.otlp_grpc.headers).toEqual(Object.fromEntries(names.map(n => [n, 'v'])));
    expect(Object.keys(config.exporters.otlp_grpc)).toEqual(['endpoint', 'headers', 'timeout', 'sending_queue']);
  });

  test('the app metrics path is read back as given, with no variable expanded', () => {
    // GIVEN a path with a `$` (a canonical path may have one)
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: web, exporters: [OtelExporter.debug()], appMetricsPort: 9090, appMetricsPath: '/metrics/${env:HOME}' });

    // THEN the collector's resolver sees `$${`: escaped, read as '/metrics/${env:HOME}'
    const scrape = configOf(synth(chart)).receivers['prometheus/app'].config.scrape_configs[0];
    expect(scrape.metrics_path).toBe('/metrics/$${env:HOME}');
  });

  describe('bad input', () => {
    const EXPORTER = 'OTEL_EXPORTER_INVALID';
    const grpc = (o: object = {}) => OtelExporter.otlpGrpc({ endpoint: GATEWAY, ...o });
    const token = { secret: kplus.Secret.fromSecretName(newChart(), 's', 'token'), key: 'token' };
    const cases: [string, any, string, string][] = [
      ['no exporter', { exporters: [] }, EXPORTER,
        'the collector has no exporter. Fix: pass at least one exporter in \'exporters\', e.g. OtelExporter.otlpGrpc({ endpoint: \'otel-gateway.observability:4317\' }).'],
      ['not an exporter', { exporters: [{ type: 'otlp_grpc' }] }, EXPORTER,
        'exporter 0 is not an OtelExporter. Fix: create exporters with OtelExporter.otlpGrpc(), otlpHttp(), prometheusRemoteWrite() or debug().'],
      ['bad exporter name', { exporters: [grpc({ name: 'My Backend' })] }, EXPORTER,
        'exporter 0: name \'My Backend\' is not valid. Fix: use at most 63 lower-case letters, digits, \'_\' and \'-\', starting and ending with a letter or digit.'],
      ['two exporters with one id', { exporters: [grpc(), grpc()] }, EXPORTER,
        'two exporters are \'otlp_grpc\'. Fix: give each otlp_grpc exporter its own \'name\'.'],
      ['no signal', { exporters: [grpc({ signals: [] })] }, EXPORTER,
        'exporter \'otlp_grpc\' takes no signal. Fix: list at least one OtelSignal in \'signals\', or leave it out for every signal.'],
      ['unknown signal', { exporters: [grpc({ signals: ['profiles'] })] }, EXPORTER,
        'exporter \'otlp_grpc\': \'profiles\' is not an OtelSignal. Fix: pass OtelSignal.TRACES, OtelSignal.METRICS or OtelSignal.LOGS.'],
      ['a signal twice', { exporters: [grpc({ signals: [OtelSignal.LOGS, OtelSignal.LOGS] })] }, EXPORTER,
        'exporter \'otlp_grpc\' lists a signal twice. Fix: list each signal once.'],
      ['traces to remote write', { exporters: [OtelExporter.debug(), OtelExporter.prometheusRemoteWrite({ endpoint: 'https://p/api/v1/write', ...{ signals: [OtelSignal.TRACES] } } as any)] }, EXPORTER,
        'exporter \'prometheusremotewrite\' cannot send traces. Fix: send traces with an OTLP exporter; prometheusremotewrite takes metrics only.'],
      ['gRPC endpoint with a scheme', { exporters: [grpc({ endpoint: 'https://gateway:4317' })] }, EXPORTER,
        'exporter \'otlp_grpc\': endpoint \'https://gateway:4317\' is not host:port. Fix: pass e.g. \'otel-gateway.observability:4317\' (no scheme: set \'tls.insecure\' for plaintext).'],
      ['gRPC endpoint without a port', { exporters: [grpc({ endpoint: 'gateway' })] }, EXPORTER,
        'exporter \'otlp_grpc\': endpoint \'gateway\' is not host:port. Fix: pass e.g. \'otel-gateway.observability:4317\' (no scheme: set \'tls.insecure\' for plaintext).'],
      ['gRPC endpoint with a bad port', { exporters: [grpc({ endpoint: 'gateway:70000' })] }, EXPORTER,
        'exporter \'otlp_grpc\': endpoint \'gateway:70000\' is not host:port. Fix: pass e.g. \'otel-gateway.observability:4317\' (no scheme: set \'tls.insecure\' for plaintext).'],
      ['HTTP endpoint without a scheme', { exporters: [OtelExporter.otlpHttp({ endpoint: 'otlp.example.com:4318' })] }, EXPORTER,
        'exporter \'otlp_http\': endpoint \'otlp.example.com:4318\' is not an http:// or https:// URL. Fix: pass the backend\'s base URL, e.g. \'https://otlp.example.com:4318\'.'],
      ['HTTP endpoint with a line break', { exporters: [OtelExporter.otlpHttp({ endpoint: 'https://a.example.com/\nx: 1' })] }, EXPORTER,
        'exporter \'otlp_http\': endpoint \'https://a.example.com/\\nx: 1\' is not an http:// or https:// URL. Fix: pass the backend\'s base URL, e.g. \'https://otlp.example.com:4318\'.'],
      ['remote write endpoint', { exporters: [OtelExporter.prometheusRemoteWrite({ endpoint: 'ftp://p/write' })] }, EXPORTER,
        'exporter \'prometheusremotewrite\': endpoint \'ftp://p/write\' is not an http:// or https:// URL. Fix: pass the remote-write URL, e.g. \'https://prometheus.example.com/api/v1/write\'.'],
      ['credentials in the URL', { exporters: [OtelExporter.otlpHttp({ endpoint: 'https://user:pw@otlp.example.com' })] }, EXPORTER,
        'exporter \'otlp_http\': endpoint carries credentials in the URL. Fix: put them in \'secretHeaders\' (a header from a Secret), never in the URL, which is rendered into the ConfigMap.'],
      ['tls.insecure on HTTP', { exporters: [OtelExporter.otlpHttp({ endpoint: 'http://otlp.example.com', tls: { insecure: true } })] }, EXPORTER,
        'exporter \'otlp_http\': \'tls.insecure\' applies to OTLP/gRPC only. Fix: use an http:// URL for plaintext, https:// for TLS.'],
      ['certificates on plaintext', { exporters: [grpc({ tls: { insecure: true, caSecret: token.secret } })] }, EXPORTER,
        'exporter \'otlp_grpc\': TLS certificates or a server name are set for a plaintext connection. Fix: drop \'tls.insecure\', or the certificates.'],
      ['certificates on http://', { exporters: [OtelExporter.otlpHttp({ endpoint: 'http://otlp.example.com', tls: { serverName: 'otlp.example.com' } })] }, EXPORTER,
        'exporter \'otlp_http\': TLS certificates or a server name are set for a plaintext connection. Fix: use an https:// URL, or drop the certificates.'],
      ['bad CA key', { exporters: [grpc({ tls: { caSecret: token.secret, caKey: 'ca/crt' } })] }, EXPORTER,
        'exporter \'otlp_grpc\': \'tls.caKey\' \'ca/crt\' is not a Secret key. Fix: pass the key of the CA bundle in the Secret, e.g. \'ca.crt\'.'],
      ['CA key starting with ..', { exporters: [grpc({ tls: { caSecret: token.secret, caKey: '..ca.crt' } })] }, EXPORTER,
        'exporter \'otlp_grpc\': \'tls.caKey\' \'..ca.crt\' is not a Secret key. Fix: pass the key of the CA bundle in the Secret, e.g. \'ca.crt\'.'],
      ['CA key without Secret', { exporters: [grpc({ tls: { caKey: 'ca.crt' } })] }, EXPORTER,
        'exporter \'otlp_grpc\': \'tls.caKey\' is set without \'tls.caSecret\'. Fix: pass the Secret with the CA bundle as \'tls.caSecret\'.'],
      ['bad server name', { exporters: [grpc({ tls: { serverName: 'a b' } })] }, EXPORTER,
        'exporter \'otlp_grpc\': \'tls.serverName\' \'a b\' is not a host name. Fix: pass the name in the backend\'s certificate, e.g. \'otel.example.com\'.'],
      ['bad header name', { exporters: [grpc({ headers: { 'X Note': 'a' } })] }, EXPORTER,
        'exporter \'otlp_grpc\': header name \'X Note\' is not valid. Fix: use letters, digits and \'-\' (an HTTP token).'],
      ['a credential in plain headers', { exporters: [grpc({ headers: { Authorization: 'Bearer abc' } })] }, EXPORTER,
        'exporter \'otlp_grpc\': header \'Authorization\' carries credentials, and \'headers\' are rendered into the ConfigMap. Fix: pass it in \'secretHeaders\' as a Secret value: { \'Authorization\': { secret, key } }.'],
      ['an API key in plain headers', { exporters: [grpc({ headers: { 'x-api-key': 'abc' } })] }, EXPORTER,
        'exporter \'otlp_grpc\': header \'x-api-key\' carries credentials, and \'headers\' are rendered into the ConfigMap. Fix: pass it in \'secretHeaders\' as a Secret value: { \'x-api-key\': { secret, key } }.'],
      ['a header value with a line break', { exporters: [grpc({ headers: { 'X-Note': 'a\nb: c' } })] }, EXPORTER,
        'exporter \'otlp_grpc\': header \'X-Note\' has no single-line string value. Fix: pass a string without control characters or line breaks.'],
      ['a header twice', { exporters: [grpc({ headers: { 'x-tenant': 'a' }, secretHeaders: { 'X-Tenant': token } })] }, EXPORTER,
        'exporter \'otlp_grpc\': header \'X-Tenant\' is set twice. Fix: set each header once, in \'headers\' or in \'secretHeaders\'.'],
      ['a secret header without a Secret', { exporters: [grpc({ secretHeaders: { Authorization: 'Bearer abc' } })] }, EXPORTER,
        'exporter \'otlp_grpc\': secret header \'Authorization\' is not a Secret value. Fix: pass { secret: <a kplus Secret>, key: \'<its key>\' }.'],
      ['fractional timeout', { exporters: [grpc({ timeout: Duration.millis(1500) })] }, EXPORTER,
        'exporter \'otlp_grpc\': \'timeout\' is not a whole number of seconds of at least 1. Fix: pass e.g. Duration.seconds(5) as \'timeout\'.'],
      ['timeout beyond the drain time', { exporters: [grpc({ timeout: Duration.seconds(30) })] }, EXPORTER,
        'exporter \'otlp_grpc\': \'timeout\' 30s is longer than the drain time 10s, so a send on shutdown would not fit in the shutdown budget. Fix: lower \'timeout\' to at most 10s, or raise \'drainTime\' to at least 30s.'],
      ['bad queue size', { exporters: [grpc({ queueSize: 0 })] }, EXPORTER,
        'exporter \'otlp_grpc\': \'queueSize\' 0 is not a whole number from 1 to 1000000. Fix: pass the number of batches the sending queue holds, e.g. 1000.'],
      ['zero timeout', { exporters: [OtelExporter.otlpHttp({ endpoint: 'https://otlp.example.com', timeout: Duration.seconds(0) })] }, EXPORTER,
        'exporter \'otlp_http\': \'timeout\' is not a whole number of seconds of at least 1. Fix: pass e.g. Duration.seconds(5) as \'timeout\'.'],
      ['fractional queue size', { exporters: [grpc({ queueSize: 1.5 })] }, EXPORTER,
        'exporter \'otlp_grpc\': \'queueSize\' 1.5 is not a whole number from 1 to 1000000. Fix: pass the number of batches the sending queue holds, e.g. 1000.'],
      ['queue size over the maximum', { exporters: [OtelExporter.otlpHttp({ endpoint: 'https://otlp.example.com', queueSize: 1_000_001 })] }, EXPORTER,
        'exporter \'otlp_http\': \'queueSize\' 1000001 is not a whole number from 1 to 1000000. Fix: pass the number of batches the sending queue holds, e.g. 1000.'],
      ['bad debug verbosity', { exporters: [OtelExporter.debug({ verbosity: 'loud' as OtelDebugVerbosity })] }, EXPORTER,
        'exporter \'debug\': verbosity \'loud\' is not an OtelDebugVerbosity. Fix: pass OtelDebugVerbosity.BASIC, NORMAL or DETAILED.'],
      ['bad attribute key', { resourceAttributes: { '1env': 'x' } }, 'OTEL_ATTRIBUTE_INVALID',
        'resource attribute key \'1env\' is not valid. Fix: use letters, digits, \'.\', \'_\', \'-\' and \'/\', starting with a letter (e.g. \'deployment.environment.name\').'],
      ['a Downward API attribute', { resourceAttributes: { 'k8s.pod.name': 'x' } }, 'OTEL_ATTRIBUTE_INVALID',
        'resource attribute \'k8s.pod.name\' is set from the Downward API. Fix: leave \'k8s.pod.name\' out of \'resourceAttributes\': the collector sets it for every signal of the pod.'],
      ['an attribute with a line break', { resourceAttributes: { env: 'a\nb' } }, 'OTEL_ATTRIBUTE_INVALID',
        'resource attribute \'env\' has no single-line string value. Fix: pass a string without control characters or line breaks.'],
      ['app metrics without a metrics exporter', { exporters: [grpc({ signals: [OtelSignal.TRACES] })], appMetricsPort: 9090 }, 'OTEL_PIPELINE_INVALID',
        '\'appMetricsPort\' 9090 is scraped, but no exporter takes metrics. Fix: add an exporter that sends OtelSignal.METRICS, or leave \'appMetricsPort\' out.'],
      ['too little memory', { resources: { memory: { request: Size.mebibytes(32), limit: Size.mebibytes(48) } } }, 'OTEL_MEMORY_INVALID',
        'the memory limit 48Mi leaves the collector no room for its memory limiter (at least 64Mi). Fix: raise \'resources.memory.limit\' to at least Size.mebibytes(64).'],
      ['fractional batch timeout', { batchTimeout: Duration.millis(0.5) }, 'OTEL_BATCH_INVALID',
        '\'batchTimeout\' is not a whole number of milliseconds from 1 to the drain time (10s). Fix: pass e.g. Duration.millis(200) as \'batchTimeout\'.'],
      ['batch timeout beyond the drain time', { batchTimeout: Duration.seconds(11) }, 'OTEL_BATCH_INVALID',
        '\'batchTimeout\' is not a whole number of milliseconds from 1 to the drain time (10s). Fix: pass e.g. Duration.millis(200) as \'batchTimeout\'.'],
      ['one variable for endpoint and protocol', { endpointEnvName: 'OTEL', protocolEnvName: 'OTEL' }, 'OTEL_APP_ENV_INVALID',
        '\'endpointEnvName\' and \'protocolEnvName\' are both \'OTEL\'. Fix: give the endpoint and the protocol different variables.'],
      ['grpc port', { grpcPort: 0 }, 'PORT_INVALID', '\'grpcPort\' 0 is not a valid port number. Fix: '],
      ['metrics port', { metricsPort: 65536 }, 'PORT_INVALID', '\'metricsPort\' 65536 is not a valid port number. Fix: '],
      ['same ports', { healthPort: 4318 }, 'PORT_DUPLICATE', '\'httpPort\' and \'healthPort\' are both 4318. Fix: '],
      ['app metrics on a collector port', { appMetricsPort: 8888 }, 'PORT_DUPLICATE', '\'metricsPort\' and \'appMetricsPort\' are both 8888. Fix: '],
      ['bad app metrics path', { appMetricsPort: 9090, appMetricsPath: 'metrics' }, 'PATH_INVALID', '\'appMetricsPath\' \'metrics\' is not a canonical absolute path. Fix: '],
      ['bad scrape interval', { appMetricsPort: 9090, appMetricsInterval: Duration.seconds(0) }, 'DURATION_INVALID', '\'appMetricsInterval\' is not a whole number of seconds of at least 1. Fix: '],
      ['bad drain time', { drainTime: Duration.millis(2500) }, 'DURATION_INVALID', '\'drainTime\' is not a whole number of seconds of at least 1. Fix: '],
      ['bad batch size', { batchSize: 0 }, 'NUMBER_INVALID', '\'batchSize\' 0 is not a whole number from 1 to 1000000. Fix: '],
      ['bad protocol', { appProtocol: 'http/json' }, 'ENUM_INVALID', '\'appProtocol\' \'http/json\' is not one of the OtelAppProtocol values. Fix: '],
      ['bad env name', { endpointEnvName: '1OTEL' }, 'ENV_NAME_INVALID', '\'1OTEL\' in \'endpointEnvName\' is not a valid environment variable name. Fix: '],
    ];
    test.each(cases)('%s', (_, props, code, message) => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      // WHEN / THEN
      expect(() => new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: web, exporters: [OtelExporter.debug()], ...props }))
        .toThrow(`${error(code)}${message}`);
    });
  });
});

/**
 * The collector's own metrics the alert pack may read, as its Prometheus endpoint names them
 * at v0.159.0: the instrument names of the generated telemetry (core, file:line), with
 * `_total` for the counters (Int64Counter, monotonic sums) and none for the gauges.
 */
const UPSTREAM_METRICS: { [name: string]: string } = {
  otelcol_exporter_enqueue_failed_log_records_total: 'exporter/exporterhelper/internal/metadata/generated_telemetry.go:122',
  otelcol_exporter_enqueue_failed_metric_points_total: 'exporter/exporterhelper/internal/metadata/generated_telemetry.go:128',
  otelcol_exporter_enqueue_failed_spans_total: 'exporter/exporterhelper/internal/metadata/generated_telemetry.go:140',
  otelcol_exporter_queue_capacity: 'exporter/exporterhelper/internal/metadata/generated_telemetry.go:180 (gauge)',
  otelcol_exporter_queue_size: 'exporter/exporterhelper/internal/metadata/generated_telemetry.go:186 (gauge)',
  otelcol_exporter_send_failed_log_records_total: 'exporter/exporterhelper/internal/metadata/generated_telemetry.go:192',
  otelcol_exporter_send_failed_metric_points_total: 'exporter/exporterhelper/internal/metadata/generated_telemetry.go:198',
  otelcol_exporter_send_failed_spans_total: 'exporter/exporterhelper/internal/metadata/generated_telemetry.go:210',
  otelcol_processor_memory_limiter_refused_log_records_total: 'processor/memorylimiterprocessor/internal/metadata/generated_telemetry.go:85',
  otelcol_processor_memory_limiter_refused_metric_points_total: 'processor/memorylimiterprocessor/internal/metadata/generated_telemetry.go:91',
  otelcol_processor_memory_limiter_refused_spans_total: 'processor/memorylimiterprocessor/internal/metadata/generated_telemetry.go:97',
  otelcol_receiver_failed_log_records_total: 'receiver/receiverhelper/internal/metadata/generated_telemetry.go:98',
  otelcol_receiver_failed_metric_points_total: 'receiver/receiverhelper/internal/metadata/generated_telemetry.go:104',
  otelcol_receiver_failed_spans_total: 'receiver/receiverhelper/internal/metadata/generated_telemetry.go:116',
  otelcol_receiver_refused_log_records_total: 'receiver/receiverhelper/internal/metadata/generated_telemetry.go:122',
  otelcol_receiver_refused_metric_points_total: 'receiver/receiverhelper/internal/metadata/generated_telemetry.go:128',
  otelcol_receiver_refused_spans_total: 'receiver/receiverhelper/internal/metadata/generated_telemetry.go:140',
};

describe('OpenTelemetryCollectorSidecar.ALERT_PACK', () => {
  test('reads only metrics the collector exports at the pinned version, from its own container', () => {
    // GIVEN a chart with a collector and the alerts
    const chart = newChart();
    new SidecarAlerts(chart, 'alerts');
    new OpenTelemetryCollectorSidecar(chart, 'otel', { workload: webDeployment(chart), exporters: [OtelExporter.debug()] });

    // WHEN the pack's rules are rendered
    const group = find(synth(chart), 'PrometheusRule').spec.groups.find((g: any) => g.name === 'sidecar-otel-collector');

    // THEN every alert of the pack is there, each reads collector metrics that exist, and
    // every selector is limited to the collector's container
    expect(group.rules.map((r: any) => r.alert)).toEqual(OpenTelemetryCollectorSidecar.ALERT_PACK.alertNames);
    expect(OpenTelemetryCollectorSidecar.ALERT_PACK.alertNames).toEqual([
      'OtelCollectorExportFailed', 'OtelCollectorDataRefused', 'OtelCollectorQueueNearCapacity', 'OtelCollectorMemoryLimited',
    ]);
    for (const rule of group.rules) {
      const names = [...rule.expr.matchAll(/\b(otelcol_[a-z_]+)\{([^}]*)\}/g)];
      expect(names.length).toBeGreaterThan(0);
      for (const [, name, matchers] of names) {
        expect(UPSTREAM_METRICS[name]).toBeDefined();
        expect(matchers).toBe('namespace="production", container="otel-collector"');
      }
      // No selector without the container's matchers (the metric name regex trap included).
      expect(rule.expr).not.toMatch(/__name__/);
    }
  });
});

describe('otelCollectorSpec', () => {
  test('turns props into a spec without creating a construct', () => {
    // GIVEN
    const chart = newChart();
    const props: OpenTelemetryCollectorSidecarProps = { workload: webDeployment(chart), exporters: [OtelExporter.otlpGrpc({ endpoint: GATEWAY })] };
    // WHEN it is computed (creating no construct)
    const spec = pureSpec(chart, props, DEFAULT_NAME, otelCollectorSpec);

    // THEN
    expect(spec).toMatchObject({
      image: 'otel/opentelemetry-collector:0.159.0',
      imageUser: 10001,
      imageGroup: 10001,
      kind: 'otel-collector',
      profile: SidecarProfile.LOG_COLLECTOR,
      alertPack: OpenTelemetryCollectorSidecar.ALERT_PACK,
      metrics: { portName: 'otel-metrics', path: '/metrics' },
      ports: [
        { name: 'otlp-grpc', number: 4317, prop: 'grpcPort' },
        { name: 'otlp-http', number: 4318, prop: 'httpPort' },
        { name: 'otel-metrics', number: 8888, prop: 'metricsPort' },
        { name: 'otel-health', number: 13133, prop: 'healthPort' },
      ],
      args: ['--config=/etc/otel-collector/config.yaml'],
      configDir: '/etc/otel-collector',
      volumes: [],
    });
    expect(spec.startup).toBeUndefined();
    expect(spec.shutdownBudget!.toSeconds()).toBe(10);
    expect(Object.keys(spec.configFiles!)).toEqual(['config.yaml']);
    expect(parse(spec.configFiles!['config.yaml']).exporters).toEqual({ otlp_grpc: { endpoint: GATEWAY, timeout: '5s', sending_queue: { queue_size: 1000 } } });
    expect(Object.keys(spec.envVariables!)).toEqual(['K8S_NAMESPACE_NAME', 'K8S_POD_NAME', 'K8S_POD_UID', 'K8S_NODE_NAME', 'GOMEMLIMIT']);
    expect(Object.keys(spec.appEnvVariables!)).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL']);
  });

  test('created in a chart of another namespace, the ConfigMap is in the workload\'s namespace', () => {
    // GIVEN a workload in 'production' and a chart in 'tools'
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'production' });
    const web = webDeployment(chart);
    const tools = new Chart(app, 'tools', { namespace: 'tools' });

    // WHEN
    const otel = new OpenTelemetryCollectorSidecar(tools, 'otel', { workload: web, exporters: [OtelExporter.debug()] });

    // THEN
    expect(find(synth(tools), 'ConfigMap').metadata).toEqual({ name: otel.configMap!.name, namespace: 'production' });
  });

  test('raises errors with their codes', () => {
    // GIVEN
    const chart = newChart();
    const props: OpenTelemetryCollectorSidecarProps = { workload: webDeployment(chart), exporters: [] };

    // WHEN
    let raised: unknown;
    try {
      otelCollectorSpec(props, specContext(chart, props, DEFAULT_NAME));
    } catch (e) {
      raised = e;
    }

    // THEN
    expect(raised).toBeInstanceOf(SidecarError);
    expect(raised).toMatchObject({ code: 'OTEL_EXPORTER_INVALID', problem: 'the collector has no exporter' });
  });
});
