import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { FLUENT_BIT_ALERT_PACK } from './alerts';
import { FLUENT_BIT_DASHBOARD_PACK } from './dashboard';
import { FluentBitLogLevel } from './log-level';
import { OUTPUT_INVALID } from './outputs/plugin';
import { multilineEntries, parserEntries } from './parsers-yaml';
import type { FluentBitSidecarProps } from './sidecar';
import { onOff, renderYaml, TAG, YamlError, YamlMap, yamlMap, yamlKeyProblem, YamlNode } from './yaml';
import { TextCache } from '../../core/_memo';
import { shown } from '../../core/checks';
import { SidecarImages } from '../../core/images';
import { SidecarProfile } from '../../core/profile';
import { SidecarSpec } from '../../core/sidecar';
import { SpecContext } from '../../core/spec';
import { SidecarVolumeSource } from '../../core/volumes';

export const DEFAULT_NAME = 'fluent-bit';
export const DEFAULT_METRICS_PORT = 2020;
/**
 * Fluent Bit's `grace`: on SIGTERM it pauses its inputs, retries every pending chunk
 * at once and exits as soon as nothing is pending, or after `grace` one-second
 * checks (src/flb_engine.c at v5.1.1, the FLB_ENGINE_STOP and FLB_ENGINE_SHUTDOWN
 * branches of flb_engine_start). A healthy pipeline exits within a second or two
 * whatever the value; 30 s covers two attempts against an output that needs its
 * whole `net.connect_timeout` (10 s, src/flb_upstream.c) and is what AWS
 * recommends for its Fluent Bit sidecars.
 */
export const DEFAULT_DRAIN_TIME = Duration.seconds(30);
export const DEFAULT_LOG_DIR = '/var/log/app';
export const FLUENT_BIT_YAML = 'fluent-bit.yaml';

const CONFIG_DIR = '/fluent-bit/etc';
/** The image's own directory (binary and config): no log volume may cover or sit in it. */
const IMAGE_DIR = '/fluent-bit';
const STATE_DIR = '/var/fluent-bit/state';
const STORAGE_DIR = `${STATE_DIR}/storage`;
/** The distroless base image's `nonroot` user and group (the image itself declares no USER, so it would run as root). */
const NONROOT = 65532;
/**
 * Time on top of the drain time: the last one-second shutdown check, then the
 * plugins' exit callbacks (the S3 output uploads what it still holds in its own
 * exit callback, src/flb_engine.c flb_engine_shutdown → flb_output_exit).
 */
const SHUTDOWN_MARGIN_SECONDS = 5;
/** The state volume's room besides the buffers: the tail database and the chunks being written. */
const STATE_BASE_MEBIBYTES = 64;
/**
 * Chunks kept in memory with filesystem buffering (`storage.max_chunks_up`, Fluent
 * Bit's chunks are about 2 MB): 16 keeps them at ~32 MB, inside the 256Mi limit
 * (Fluent Bit's default, 128, would be ~256 MB).
 */
const MAX_CHUNKS_UP = 16;
const LOG_DIR_INVALID = 'FLUENT_BIT_LOG_DIR_INVALID';
const STORAGE_INVALID = 'FLUENT_BIT_STORAGE_INVALID';
/** What may be in `logDir` (the tail input's path): no ',' (a second path), no wildcard. */
const LOG_DIR = /^\/[A-Za-z0-9_.\/-]*$/;
const FILE_PATTERN = /^[A-Za-z0-9_.*?-]+$/;
const CLUSTER_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;

const rendered = new TextCache<string>();

/**
 * Fluent Bit as a sidecar spec: `fluent-bit.yaml` generated from the props, every
 * user value checked so that none can add a section, a key or a pipeline. Fluent
 * Bit reads its config only at start: the core rolls the pods when it changes.
 */
export function fluentBitSpec(props: FluentBitSidecarProps, { checks, fail }: SpecContext): SidecarSpec {
  const value = (prop: string, v: string, pattern: RegExp, fix: string, code = 'FLUENT_BIT_VALUE_INVALID'): string => {
    if (typeof v !== 'string' || !pattern.test(v)) fail(code, `'${prop}' ${shown(v)} is not valid`, fix);
    return v;
  };

  const flush = checks.seconds('flush', props.flush ?? Duration.seconds(1), 1);
  const drainTime = checks.seconds('drainTime', props.drainTime ?? DEFAULT_DRAIN_TIME, 1);
  const refresh = checks.seconds('refreshInterval', props.refreshInterval ?? Duration.seconds(1), 1);
  const memBufLimit = checks.mebibytes('memBufLimit', props.memBufLimit ?? Size.mebibytes(50));
  const metricsPort = checks.port('metricsPort', props.metricsPort ?? DEFAULT_METRICS_PORT);
  const logLevel = checks.oneOf('logLevel', props.logLevel ?? FluentBitLogLevel.INFO, FluentBitLogLevel, 'FluentBitLogLevel');

  const logDir = checks.directory('logDir', props.logDir ?? DEFAULT_LOG_DIR);
  value('logDir', logDir, LOG_DIR, 'pass a directory path of letters, digits, \'_\', \'.\', \'-\' and \'/\', such as \'/var/log/app\'', LOG_DIR_INVALID);
  if ([IMAGE_DIR, STATE_DIR].some(p => p === logDir || p.startsWith(`${logDir}/`) || logDir.startsWith(`${p}/`))) {
    fail(LOG_DIR_INVALID, `'logDir' '${logDir}' overlaps the sidecar's own '${IMAGE_DIR}' or '${STATE_DIR}'`,
      'put the logs in a directory of their own, such as \'/var/log/app\'');
  }
  const logVolumeName = checks.dnsLabel('logVolumeName', props.logVolumeName ?? 'app-logs');
  const logSizeLimit = props.logSizeLimit ?? Size.gibibytes(1);
  checks.mebibytes('logSizeLimit', logSizeLimit);
  const logFiles = value('logFiles', props.logFiles ?? '*.log', FILE_PATTERN,
    'pass a pattern of letters, digits, \'_\', \'.\', \'-\', \'*\' and \'?\' (no \'/\' or \',\'), such as \'*.log\'');
  const tag = value('tag', props.tag ?? 'app.*', TAG, 'use letters, digits, \'_\', \'.\', \'-\' and \'*\', such as \'app.*\'');
  const parseKey = props.parseKey ?? 'log';
  if (yamlKeyProblem(parseKey) !== undefined) {
    fail('FLUENT_BIT_VALUE_INVALID', `'parseKey' ${shown(parseKey)} is not a plain field name`, 'use letters, digits, \'_\', \'.\' and \'-\', starting with a letter');
  }
  if (props.clusterName !== undefined) value('clusterName', props.clusterName, CLUSTER_NAME, 'use letters, digits, \'_\', \'.\' and \'-\'');

  const parsers = parserEntries(props.parsers ?? [], fail);
  const parseLogs = props.parseLogs ?? true;
  const parser = props.parser ?? 'json';
  if (parseLogs && !parsers.names.includes(parser)) {
    fail('FLUENT_BIT_PARSER_INVALID', `'parser' ${shown(parser)} is not defined`, `use one of ${parsers.names.map(p => `'${p}'`).join(', ')}, or add it to 'parsers'`);
  }
  const multiline = multilineEntries(props.multiline ?? [], fail);

  const outputs = props.outputs ?? [];
  if (outputs.length === 0) {
    fail(OUTPUT_INVALID, 'no outputs are configured, so the logs would go nowhere', 'pass at least one output, such as FluentBitOutput.forward({ host, port })');
  }
  const outputNames = outputs.map((o, i) => o._nameAt(i));
  outputNames.forEach((n, i) => {
    const first = outputNames.indexOf(n);
    if (first !== i) fail(OUTPUT_INVALID, `two outputs are named '${n}' (outputs ${first} and ${i})`, 'give each output its own \'name\'');
  });
  const filesystem = props.filesystemBuffering ?? true;
  const bound = outputs.map((o, i) => o._bind(i, fail, STATE_DIR, filesystem));

  // The state volume holds the tail database, the filesystem buffer (each output's
  // share capped by its `storage.total_limit_size`) and the S3 outputs' own files.
  const needed = STATE_BASE_MEBIBYTES + bound.reduce((sum, b) => sum + b.diskMebibytes, 0);
  const stateSizeLimit = props.stateSizeLimit ?? Size.mebibytes(needed);
  const stateMebibytes = checks.mebibytes('stateSizeLimit', stateSizeLimit);
  if (stateMebibytes < needed) {
    fail(STORAGE_INVALID, `'stateSizeLimit' ${stateMebibytes}Mi is below the ${needed}Mi the state volume needs (${STATE_BASE_MEBIBYTES}Mi for the tail database `
      + `and chunks in flight, plus each output's 'bufferLimit' on disk${outputs.some(o => o.plugin === 's3') ? ', twice for S3 outputs' : ''}): `
      + 'when the volume is full the kubelet evicts the pod',
    `raise 'stateSizeLimit' to at least ${needed}Mi, or lower the outputs' 'bufferLimit'`);
  }

  const service: Array<[string, YamlNode]> = [
    ['flush', String(flush)],
    ['grace', String(drainTime)],
    ['log_level', logLevel],
    ['daemon', 'off'],
    ['http_server', 'on'],
    ['http_listen', '0.0.0.0'],
    ['http_port', String(metricsPort)],
    ['health_check', 'on'],
  ];
  if (filesystem) {
    service.push(
      ['storage.path', STORAGE_DIR],
      ['storage.sync', 'normal'],
      ['storage.checksum', 'off'],
      ['storage.max_chunks_up', String(MAX_CHUNKS_UP)],
      ['storage.backlog.mem_limit', '5M'],
      ['storage.metrics', 'on'],
      ['storage.delete_irrecoverable_chunks', 'on'],
    );
  }
  const input: Array<[string, YamlNode | undefined]> = [
    ['name', 'tail'],
    ['path', `${logDir}/${logFiles}`],
    ['tag', tag],
    ['read_from_head', onOff(props.readFromHead ?? true)],
    ['refresh_interval', String(refresh)],
    ['mem_buf_limit', `${memBufLimit}M`],
    ['skip_long_lines', onOff(props.skipLongLines ?? true)],
    ['db', `${STATE_DIR}/tail.db`],
    ['db.locking', 'on'],
    ['multiline.parser', multiline.names.length === 0 ? undefined : multiline.names.join(', ')],
    ['storage.type', filesystem ? 'filesystem' : undefined],
  ];
  const filters: YamlMap[] = [];
  if (parseLogs) {
    filters.push(yamlMap([['name', 'parser'], ['match', tag], ['key_name', parseKey], ['parser', parser], ['reserve_data', 'on']]));
  }
  const env: { [name: string]: kplus.EnvValue } = {};
  const added: string[] = [];
  if (props.clusterName !== undefined) {
    env.CLUSTER_NAME = kplus.EnvValue.fromValue(props.clusterName);
    added.push('cluster ${CLUSTER_NAME}');
  }
  if (props.addPodMetadata ?? true) {
    env.POD_NAMESPACE = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE);
    env.POD_NAME = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME);
    env.NODE_NAME = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME);
    added.push('namespace ${POD_NAMESPACE}', 'pod ${POD_NAME}', 'node ${NODE_NAME}');
  }
  if (added.length > 0) {
    filters.push(yamlMap([['name', 'modify'], ['match', '*'], ['add', { list: added }]]));
  }
  const envOwner: { [name: string]: number } = {};
  bound.forEach((b, i) => {
    for (const [name, v] of Object.entries(b.env)) {
      if (envOwner[name] !== undefined) {
        fail(OUTPUT_INVALID, `outputs ${envOwner[name]} and ${i} both set the environment variable ${name} (AWS credentials)`,
          'give static AWS credentials to one output only (the container has one set), or use the pod\'s identity');
      }
      envOwner[name] = i;
      env[name] = v;
    }
  });

  const pipeline: Array<[string, YamlNode | undefined]> = [
    ['inputs', { list: [yamlMap(input)] }],
    ['filters', filters.length === 0 ? undefined : { list: filters }],
    ['outputs', { list: bound.map(b => yamlMap(b.entries.map(([k, v]) => [k, typeof v === 'string' ? v : { list: v }]))) }],
  ];
  const doc = yamlMap([
    ['service', yamlMap(service)],
    ['parsers', { list: parsers.entries }],
    ['multiline_parsers', multiline.entries.length === 0 ? undefined : { list: multiline.entries }],
    ['pipeline', yamlMap(pipeline)],
  ]);

  let configFiles: { [file: string]: string } = {};
  try {
    configFiles = { [FLUENT_BIT_YAML]: rendered.get(JSON.stringify(doc), () => renderYaml(doc)) };
  } catch (e) {
    if (!(e instanceof YamlError)) throw e;
    fail('FLUENT_BIT_CONFIG_INVALID', `the generated configuration has an invalid value (${e.message})`, 'correct the value that ends up at that key');
  }

  const probe = (path: string, periodSeconds: number, failureThreshold: number) => kplus.Probe.fromHttpGet(path, {
    port: metricsPort,
    periodSeconds: Duration.seconds(periodSeconds),
    timeoutSeconds: Duration.seconds(1),
    failureThreshold,
  });

  return {
    image: props.image ?? SidecarImages.FLUENT_BIT,
    imageUser: NONROOT,
    imageGroup: NONROOT,
    kind: 'fluent-bit',
    profile: SidecarProfile.LOG_COLLECTOR,
    alertPack: FLUENT_BIT_ALERT_PACK,
    dashboardPack: FLUENT_BIT_DASHBOARD_PACK,
    command: ['/fluent-bit/bin/fluent-bit'],
    args: ['--config', `${CONFIG_DIR}/${FLUENT_BIT_YAML}`],
    ports: [{ name: 'flb-metrics', number: metricsPort, protocol: kplus.Protocol.TCP, prop: 'metricsPort' }],
    metrics: { portName: 'flb-metrics', path: '/api/v2/metrics/prometheus' },
    envVariables: env,
    // The app does not need the log shipper at start: the tail input reads new files from
    // their head and keeps its offsets in the DB, so Fluent Bit is started first but does
    // not hold the next container (README "Startup gating"). With readFromHead off it
    // would miss the lines written before it runs: then the HTTP server (up once the
    // engine runs) gates the next container.
    startup: (props.readFromHead ?? true) ? undefined : probe('/api/v1/health', 1, 30),
    readiness: probe((props.readinessOnDelivery ?? false) ? '/api/v1/health' : '/api/v1/uptime', 10, 3),
    liveness: probe('/api/v1/uptime', 10, 6),
    shutdownBudget: Duration.seconds(drainTime + SHUTDOWN_MARGIN_SECONDS),
    writablePaths: [STATE_DIR],
    writableSizeLimit: Size.mebibytes(stateMebibytes),
    configFiles,
    configDir: CONFIG_DIR,
    volumes: [{
      name: logVolumeName,
      source: SidecarVolumeSource.emptyDir({ sizeLimit: logSizeLimit }),
      path: logDir,
      readOnly: true,
      appPath: logDir,
      // The app may already have its log volume (with this name): share it.
      reuse: true,
    }],
  };
}
