import { Duration, Size } from 'cdk8s';
import { FluentBitAwsCredentials } from './aws';
import { FluentBitOutputOptions } from './options';
import { awsEntries, Entry, OutputChecks, OutputPlugin } from './plugin';

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/**
 * Fluent Bit's bounds of `total_file_size`: 1 MB to MAX_FILE_SIZE, 50 000 000 000 bytes
 * (plugins/out_s3/s3.h:48, checked in plugins/out_s3/s3.c:1009-1015). Written in `M`
 * (10^6 bytes), the MiB count is the bound.
 */
const MAX_OBJECT_MEBIBYTES = 50_000;
const KEY_FORMAT = /^\/[A-Za-z0-9_./%$[\]-]+$/;

/**
 * Options of the `s3` output.
 */
export interface FluentBitS3Options extends FluentBitOutputOptions {
  /** The bucket. */
  readonly bucket: string;

  /** The AWS region, such as `eu-west-1` (any valid one for S3-compatible stores). */
  readonly region: string;

  /**
   * The object key format (`$TAG`, `$UUID`, `$INDEX` and strftime's `%Y`... are
   * expanded by Fluent Bit).
   *
   * @default '/fluent-bit-logs/$TAG/%Y/%m/%d/%H/%M/%S'
   */
  readonly keyFormat?: string;

  /**
   * How long records are gathered into one object before it is uploaded.
   *
   * @default Duration.minutes(1)
   */
  readonly uploadTimeout?: Duration;

  /**
   * The size at which an object is uploaded (whole MiB, at most 50 000 MiB).
   *
   * @default Size.mebibytes(50)
   */
  readonly totalFileSize?: Size;

  /**
   * Compress the objects with gzip.
   *
   * @default true
   */
  readonly compress?: boolean;

  /**
   * An endpoint override: MinIO, a VPC endpoint, LocalStack (`http://minio.storage:9000`).
   *
   * @default - the region's public S3 endpoint
   */
  readonly endpoint?: string;

  /**
   * An STS endpoint override (with `roleArn`).
   *
   * @default - the region's public STS endpoint
   */
  readonly stsEndpoint?: string;

  /**
   * A role to assume for the uploads.
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
 * The `s3` plugin. Made by `FluentBitOutput.s3()`. It gathers records in its own
 * `store_dir` before uploading: the sidecar puts it on the state volume
 * (`<stateDir>/s3/<index>`, the root filesystem is read-only), limited to the
 * output's `bufferLimit`.
 *
 * @internal
 */
export class S3Plugin extends OutputPlugin {
  public constructor(private readonly s3: FluentBitS3Options) {
    super('s3', s3, true, true);
  }

  public entries(checks: OutputChecks): Entry[] {
    const o = this.s3;
    const timeout = checks.vocabulary.seconds('uploadTimeout', o.uploadTimeout ?? Duration.minutes(1), 1);
    const size = checks.vocabulary.mebibytes('totalFileSize', o.totalFileSize ?? Size.mebibytes(50));
    if (size > MAX_OBJECT_MEBIBYTES) {
      checks.fail(`'totalFileSize' ${size}Mi is above the ${MAX_OBJECT_MEBIBYTES}Mi Fluent Bit accepts`, `pass at most Size.mebibytes(${MAX_OBJECT_MEBIBYTES})`);
    }
    return [
      ['bucket', checks.pattern('bucket', o.bucket, BUCKET, 'pass an S3 bucket name (lower-case letters, digits, \'.\' and \'-\')')],
      ['region', checks.region('region', o.region)],
      ['s3_key_format', checks.pattern('keyFormat', o.keyFormat ?? '/fluent-bit-logs/$TAG/%Y/%m/%d/%H/%M/%S', KEY_FORMAT,
        'pass an absolute key such as \'/logs/$TAG/%Y/%m/%d/$UUID.gz\' (letters, digits, \'_\', \'.\', \'/\', \'%\', \'$\', \'[\', \']\', \'-\')')],
      ['upload_timeout', `${timeout}s`],
      ['total_file_size', `${size}M`],
      ...((o.compress ?? true) ? [['compression', 'gzip'] as Entry] : []),
      ['store_dir', checks.storeDir],
      ['store_dir_limit_size', checks.mebibytes('bufferLimit', checks.bufferLimit)],
      ...awsEntries(checks, o),
    ];
  }
}
