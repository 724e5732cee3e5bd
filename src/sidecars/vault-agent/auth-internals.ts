import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

/** Internal (not exported from the package): the settings of a method beyond type, mount path and role. */
export interface VaultAuthMethodInternals {
  readonly tokenAudience?: string;
  readonly tokenExpiration?: Duration;
  readonly audienceRequired?: boolean;
  readonly appRole?: {
    readonly roleIdSecret: kplus.ISecret;
    readonly roleIdKey: string;
    readonly secretIdSecret: kplus.ISecret;
    readonly secretIdKey: string;
  };
  readonly region?: string;
  readonly headerValue?: string;
  readonly gcpType?: string;
  readonly serviceAccount?: string;
}
