import * as kplus from 'cdk8s-plus-28';
import { onOff } from '../yaml';
import { FluentBitAwsCredentials } from './aws';
import { FluentBitOutputOptions } from './options';
import { awsEntries, Entry, OutputChecks, OutputPlugin } from './plugin';

const LOG_GROUP = /^[A-Za-z0-9_\-/.#]{1,512}$/;
const LOG_STREAM = /^[A-Za-z0-9_\-/.#]{1,400}$/;
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/**
 * Options of the `cloudwatch_logs` output.
 */
export interface FluentBitCloudWatchLogsOptions extends FluentBitOutputOptions {
  /** The AWS region, such as `eu-west-1`. */
  readonly region: string;

  /** The log group (letters, digits, `_`, `-`, `/`, `.`, `#`). */
  readonly logGroupName: string;

  /**
   * The prefix of the log streams: each tag (one per log file) gets the stream
   * `<prefix><tag>`. Exclusive with `logStreamName`.
   *
   * @default - the pod's name and a '.', so each pod writes streams of its own
   */
  readonly logStreamPrefix?: string;

  /**
   * One log stream for everything. Exclusive with `logStreamPrefix`.
   *
   * @default - streams named by `logStreamPrefix`
   */
  readonly logStreamName?: string;

  /**
   * Create the log group when it does not exist (needs `logs:CreateLogGroup`).
   *
   * @default false
   */
  readonly autoCreateGroup?: boolean;

  /**
   * The retention of a log group the output creates, in days (one of CloudWatch's
   * values: 1, 3, 5, 7, 14, 30, 60, 90, ...).
   *
   * @default - never expire (only with `autoCreateGroup`)
   */
  readonly logRetentionDays?: number;

  /**
   * An endpoint override: a private (VPC) endpoint or a test double such as
   * LocalStack (`http://localstack.test:4566`).
   *
   * @default - the region's public endpoint
   */
  readonly endpoint?: string;

  /**
   * An STS endpoint override (with `roleArn`).
   *
   * @default - the region's public STS endpoint
   */
  readonly stsEndpoint?: string;

  /**
   * A role to assume for the calls.
   *
   * @default - the pod's own identity
   */
  readonly roleArn?: string;

  /**
   * Static credentials from Secrets.
   *
   * @default - the pod's identity (IRSA, EKS Pod Identity) or the node's role
   */
  readonly credentials?: FluentBitAwsCredentials;
}

/**
 * The `cloudwatch_logs` plugin. Made by `FluentBitOutput.cloudWatchLogs()`.
 *
 * @internal
 */
export class CloudWatchLogsPlugin extends OutputPlugin {
  public constructor(private readonly cw: FluentBitCloudWatchLogsOptions) {
    super('cloudwatch_logs', cw);
  }

  public entries(checks: OutputChecks): Entry[] {
    const o = this.cw;
    if (o.logStreamName !== undefined && o.logStreamPrefix !== undefined) {
      checks.fail('\'logStreamName\' and \'logStreamPrefix\' are both set', 'keep one of them');
    }
    let stream: Entry;
    if (o.logStreamName !== undefined) {
      stream = ['log_stream_name', checks.pattern('logStreamName', o.logStreamName, LOG_STREAM, STREAM_FIX)];
    } else if (o.logStreamPrefix !== undefined) {
      stream = ['log_stream_prefix', checks.pattern('logStreamPrefix', o.logStreamPrefix, LOG_STREAM, STREAM_FIX)];
    } else {
      // The pod's name from the Downward API, expanded by Fluent Bit when it reads the property.
      stream = ['log_stream_prefix', `${checks.envReference('POD_NAME', kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME))}.`];
    }
    const entries: Entry[] = [
      ['region', checks.region('region', o.region)],
      ['log_group_name', checks.pattern('logGroupName', o.logGroupName, LOG_GROUP, 'use letters, digits, \'_\', \'-\', \'/\', \'.\' and \'#\'')],
      stream,
      ['auto_create_group', onOff(o.autoCreateGroup ?? false)],
    ];
    if (o.logRetentionDays !== undefined) {
      if (!(o.autoCreateGroup ?? false)) {
        checks.fail('\'logRetentionDays\' is set but \'autoCreateGroup\' is off', 'set \'autoCreateGroup: true\', or set the retention on the log group itself');
      }
      if (!RETENTION_DAYS.includes(o.logRetentionDays)) {
        checks.fail(`'logRetentionDays' ${o.logRetentionDays} is not one of CloudWatch's retention values`, `use one of ${RETENTION_DAYS.join(', ')}`);
      }
      entries.push(['log_retention_days', String(o.logRetentionDays)]);
    }
    entries.push(...awsEntries(checks, o));
    return entries;
  }
}

const STREAM_FIX = 'use letters, digits, \'_\', \'-\', \'/\', \'.\' and \'#\'';

