import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { FLUENT_BIT_ALERT_PACK } from './alerts';
import { ConfError, ConfSection, confKeyProblem, onOff, renderConf, TAG } from './conf';
import { FluentBitLogLevel } from './log-level';
import { OUTPUT_INVALID } from './outputs/plugin';
import { parserSections } from './parsers-conf';
import type { FluentBitSidecarProps } from './sidecar';
import { TextCache } from '../../core/_memo';
import { shown } from '../../core/checks';
import { SidecarImages } from '../../core/images';
import { SidecarProfile } from '../../core/profile';
import { SidecarSpec } from '../../core/sidecar';
import { SpecContext } from '../../core/spec';
import { SidecarVolumeSource } from '../../core/volumes';

export const DEFAULT_NAME = 'fluent-bit';
export const DEFAULT_METRICS_PORT = 2020;
export const DEFAULT_DRAIN_TIME = Duration.seconds(5);
export const DEFAULT_LOG_DIR = '/var/log/app';
export const FLUENT_BIT_CONF = 'fluent-bit.conf';
export const PARSERS_CONF = 'parsers.conf';

const CONFIG_DIR = '/fluent-bit/etc';
/** The image's own directory (binary and config): no log volume may cover or sit in it. */
const IMAGE_DIR = '/fluent-bit';
const STATE_DIR = '/var/fluent-bit/state';
/** The distroless base image's `nonroot` user and group (the image itself declares no USER, so it would run as root). */
const NONROOT = 65532;
/** Time on top of the drain time for the last flush cycle and the exit itself. */
const SHUTDOWN_MARGIN_SECONDS = 5;
const LOG_DIR_INVALID = 'FLUENT_BIT_LOG_DIR_INVALID';
/** What may be in `logDir` (the tail input's Path): no ',' (a second path), no wildcard. */
const LOG_DIR = /^\/[A-Za-z0-9_.\/-]*$/;
const FILE_PATTERN = /^[A-Za-z0-9_.*?-]+$/;
const CLUSTER_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;

const confs = new TextCache<string>();

/**
 * Fluent Bit as a sidecar spec: `fluent-bit.conf` and `parsers.conf` generated from
 * the props, every user value checked so that none can add a section or a key.
 * Fluent Bit reads its config only at start: the core rolls the pods when it changes.
 */
export function fluentBitSpec(props: FluentBitSidecarProps, { checks, fail }: SpecContext): SidecarSpec {
  const value = (prop: string, v: string, pattern: RegExp, fix: string, code = 'FLUENT_BIT_VALUE_INVALID'): string => {
    if (typeof v !== 'string' || !pattern.test(v)) fail(code, `'${prop}' ${shown(v)} is not valid`, fix);
    return v;
  };

  const flush = checks.seconds('flush', props.flush ?? Duration.seconds(1), 1);
  const drainTime = checks.seconds('drainTime', props.drainTime ?? DEFAULT_DRAIN_TIME, 1);
  const refresh = checks.seconds('refreshInterval', props.refreshInterval ?? Duration.seconds(5), 1);
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
  const stateSizeLimit = props.stateSizeLimit ?? Size.mebibytes(64);
  checks.mebibytes('stateSizeLimit', stateSizeLimit);
  const logFiles = value('logFiles', props.logFiles ?? '*.log', FILE_PATTERN,
    'pass a pattern of letters, digits, \'_\', \'.\', \'-\', \'*\' and \'?\' (no \'/\' or \',\'), such as \'*.log\'');
  const tag = value('tag', props.tag ?? 'app.*', TAG, 'use letters, digits, \'_\', \'.\', \'-\' and \'*\', such as \'app.*\'');
  const parseKey = props.parseKey ?? 'log';
  if (confKeyProblem(parseKey) !== undefined) {
    fail('FLUENT_BIT_VALUE_INVALID', `'parseKey' ${shown(parseKey)} is not a plain field name`, 'use letters, digits, \'_\', \'.\' and \'-\', starting with a letter');
  }
  if (props.clusterName !== undefined) value('clusterName', props.clusterName, CLUSTER_NAME, 'use letters, digits, \'_\', \'.\' and \'-\'');

  const parsers = parserSections(props.parsers ?? [], fail);
  const parseLogs = props.parseLogs ?? true;
  const parser = props.parser ?? 'json';
  if (parseLogs && !parsers.names.includes(parser)) {
    fail('FLUENT_BIT_PARSER_INVALID', `'parser' ${shown(parser)} is not defined`, `use one of ${parsers.names.map(p => `'${p}'`).join(', ')}, or add it to 'parsers'`);
  }

  const outputs = props.outputs ?? [];
  if (outputs.length === 0) {
    fail(OUTPUT_INVALID, 'no outputs are configured, so the logs would go nowhere', 'pass at least one output, such as FluentBitOutput.forward({ host, port })');
  }
  const outputNames = outputs.map((o, i) => o._nameAt(i));
  outputNames.forEach((n, i) => {
    const first = outputNames.indexOf(n);
    if (first !== i) fail(OUTPUT_INVALID, `two outputs are named '${n}' (outputs ${first} and ${i})`, 'give each output its own \'name\'');
  });
  const bound = outputs.map((o, i) => o._bind(i, fail));

  const sections: ConfSection[] = [
    {
      name: 'SERVICE',
      entries: [
        ['Flush', String(flush)],
        ['Grace', String(drainTime)],
        ['Log_Level', logLevel],
        ['Daemon', 'off'],
        ['Parsers_File', `${CONFIG_DIR}/${PARSERS_CONF}`],
        ['HTTP_Server', 'On'],
        ['HTTP_Listen', '0.0.0.0'],
        ['HTTP_Port', String(metricsPort)],
        ['Health_Check', 'On'],
      ],
    },
    {
      name: 'INPUT',
      entries: [
        ['Name', 'tail'],
        ['Path', `${logDir}/${logFiles}`],
        ['Tag', tag],
        ['Read_from_Head', (props.readFromHead ?? true) ? 'True' : 'False'],
        ['Refresh_Interval', String(refresh)],
        ['Mem_Buf_Limit', `${memBufLimit}MB`],
        ['Skip_Long_Lines', onOff(props.skipLongLines ?? true)],
        ['DB', `${STATE_DIR}/tail.db`],
      ],
    },
  ];
  if (parseLogs) {
    sections.push({ name: 'FILTER', entries: [['Name', 'parser'], ['Match', tag], ['Key_Name', parseKey], ['Parser', parser], ['Reserve_Data', 'True']] });
  }
  const env: { [name: string]: kplus.EnvValue } = {};
  const added: Array<[string, string]> = [];
  if (props.clusterName !== undefined) {
    env.CLUSTER_NAME = kplus.EnvValue.fromValue(props.clusterName);
    added.push(['Add', 'cluster ${CLUSTER_NAME}']);
  }
  if (props.addPodMetadata ?? true) {
    env.POD_NAMESPACE = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE);
    env.POD_NAME = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME);
    env.NODE_NAME = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME);
    added.push(['Add', 'namespace ${POD_NAMESPACE}'], ['Add', 'pod ${POD_NAME}'], ['Add', 'node ${NODE_NAME}']);
  }
  if (added.length > 0) {
    sections.push({ name: 'FILTER', entries: [['Name', 'modify'], ['Match', '*'], ...added] });
  }
  for (const b of bound) {
    sections.push({ name: 'OUTPUT', entries: b.entries });
    Object.assign(env, b.env);
  }

  let configFiles: { [file: string]: string } = {};
  try {
    configFiles = { [FLUENT_BIT_CONF]: rendered(sections), [PARSERS_CONF]: rendered(parsers.sections) };
  } catch (e) {
    if (!(e instanceof ConfError)) throw e;
    fail('FLUENT_BIT_CONFIG_INVALID', `the generated configuration has an invalid line (${e.message})`, 'correct the value that ends up in that line');
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
    command: ['/fluent-bit/bin/fluent-bit'],
    args: ['--config', `${CONFIG_DIR}/${FLUENT_BIT_CONF}`],
    ports: [{ name: 'flb-metrics', number: metricsPort, protocol: kplus.Protocol.TCP, prop: 'metricsPort' }],
    metrics: { portName: 'flb-metrics', path: '/api/v2/metrics/prometheus' },
    envVariables: env,
    // The health endpoint answers once the engine runs; it fails only after
    // repeated output errors, which a fresh process has not had.
    startup: probe('/api/v1/health', 1, 30),
    readiness: probe((props.readinessOnDelivery ?? false) ? '/api/v1/health' : '/api/v1/uptime', 10, 3),
    liveness: probe('/api/v1/uptime', 10, 6),
    shutdownBudget: Duration.seconds(drainTime + SHUTDOWN_MARGIN_SECONDS),
    writablePaths: [STATE_DIR],
    writableSizeLimit: stateSizeLimit,
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

/** A config file, rendered once per process for each distinct content (pods with the same props share it). */
function rendered(sections: ConfSection[]): string {
  return confs.get(JSON.stringify(sections), () => renderConf(sections));
}
