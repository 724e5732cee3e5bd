import * as kplus from 'cdk8s-plus-28';

/**
 * Options of `GitSyncAuth.password()`.
 */
export interface GitSyncPasswordOptions {
  /**
   * The user name for HTTPS authentication. It is not a secret and is passed as
   * `--username` (GitHub accepts any non-empty name with a token; GitLab deploy
   * tokens need the token's user name).
   */
  readonly username: string;

  /**
   * The key of the Secret that holds the password or personal access token.
   *
   * @default 'password'
   */
  readonly passwordKey?: string;
}

/**
 * Options of `GitSyncAuth.ssh()`.
 */
export interface GitSyncSshOptions {
  /**
   * The key of the Secret that holds the private SSH key.
   *
   * @default 'ssh'
   */
  readonly privateKeyKey?: string;

  /**
   * The key of the Secret that holds the `known_hosts` lines of the Git server
   * (host keys are always verified: `StrictHostKeyChecking=yes`).
   *
   * @default 'known_hosts'
   */
  readonly knownHostsKey?: string;
}

/**
 * How git-sync authenticates to the repository. Credentials always come from a
 * Secret mounted read-only into git-sync only: never from arguments, environment
 * values in the pod spec, or ConfigMaps.
 */
export class GitSyncAuth {
  /**
   * HTTPS with a user name and a password or token (`--username`,
   * `--password-file`). git-sync re-reads the file before every sync, so a rotated
   * Secret is picked up without a restart.
   *
   * @param secret the Secret, in the workload's namespace
   */
  public static password(secret: kplus.ISecret, options: GitSyncPasswordOptions): GitSyncAuth {
    return new GitSyncAuth('password', secret, { password: options.passwordKey ?? 'password' }, options.username);
  }

  /**
   * SSH with a private key and the server's known hosts (`--ssh-key-file`,
   * `--ssh-known-hosts-file`, `--ssh-known-hosts=true`).
   *
   * @param secret the Secret, in the workload's namespace
   */
  public static ssh(secret: kplus.ISecret, options: GitSyncSshOptions = {}): GitSyncAuth {
    return new GitSyncAuth('ssh', secret, {
      ssh: options.privateKeyKey ?? 'ssh',
      known_hosts: options.knownHostsKey ?? 'known_hosts',
    }, undefined);
  }

  /** `password` or `ssh`. */
  public readonly kind: string;

  /** The Secret holding the credentials. */
  public readonly secret: kplus.ISecret;

  /** @internal the user name of password authentication */
  public readonly _username?: string;

  /**
   * File name in git-sync's credentials directory to the Secret key it comes from.
   *
   * @internal
   */
  public readonly _files: { readonly [file: string]: string };

  private constructor(kind: string, secret: kplus.ISecret, files: { [file: string]: string }, username: string | undefined) {
    this.kind = kind;
    this.secret = secret;
    this._files = files;
    this._username = username;
  }
}
