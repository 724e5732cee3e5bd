import * as kplus from 'cdk8s-plus-28';

/**
 * AWS credentials for the CloudWatch Logs and S3 outputs, as environment variables
 * of the Fluent Bit container (the AWS SDK's environment provider reads
 * `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`:
 * src/aws/flb_aws_credentials.c). Use `kplus.EnvValue.fromSecretValue(...)`: the
 * values never land in the ConfigMap. Prefer the pod's own identity (IRSA or EKS
 * Pod Identity, through its service account) and leave this unset.
 */
export interface FluentBitAwsCredentials {
  /** The access key id, typically `kplus.EnvValue.fromSecretValue({ secret, key })`. */
  readonly accessKeyId: kplus.EnvValue;

  /** The secret access key, typically `kplus.EnvValue.fromSecretValue({ secret, key })`. */
  readonly secretAccessKey: kplus.EnvValue;

  /**
   * A session token, for temporary credentials.
   *
   * @default - none
   */
  readonly sessionToken?: kplus.EnvValue;
}
