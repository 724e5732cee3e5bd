import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

/**
 * Options for a custom resource profile.
 */
export interface SidecarProfileOptions {
  /**
   * A short name for the profile, used in error messages.
   */
  readonly name: string;

  /**
   * CPU request.
   */
  readonly cpuRequest: kplus.Cpu;

  /**
   * Memory request.
   */
  readonly memoryRequest: Size;

  /**
   * CPU limit.
   *
   * @default - no CPU limit
   */
  readonly cpuLimit?: kplus.Cpu;

  /**
   * Memory limit.
   *
   * @default - no memory limit
   */
  readonly memoryLimit?: Size;

  /**
   * Position in the start order: lower starts first.
   *
   * Log collectors are 100, secret injectors 200, proxies 300, everything else 400.
   *
   * @default 400
   */
  readonly startRank?: number;
}

/**
 * What kind of helper a sidecar is: its default resources (requests / limits) and
 * its place in the start order.
 *
 * The built-in profiles are the resource table of the design:
 *
 * | profile | CPU | memory | CPU limit | memory limit | start rank |
 * | --- | --- | --- | --- | --- | --- |
 * | LOG_COLLECTOR | 50m | 64Mi | 200m | 256Mi | 100 |
 * | SECRET_INJECTION | 50m | 64Mi | 200m | 256Mi | 200 |
 * | PROXY | 100m | 128Mi | 500m | 512Mi | 300 |
 * | METRICS_EXPORTER | 20m | 32Mi | 100m | 128Mi | 400 |
 * | CONFIG_RELOAD | 10m | 16Mi | 50m | 64Mi | 400 |
 * | DATA_SYNC | 100m | 128Mi | - | - | 400 |
 */
export class SidecarProfile {
  /** Start rank of log collectors: first, so they see every other container's logs. */
  public static readonly RANK_LOG_COLLECTOR = 100;
  /** Start rank of secret injectors: secrets exist before anything else needs them. */
  public static readonly RANK_SECRET_INJECTION = 200;
  /** Start rank of proxies: the network is ready before the app and its init containers. */
  public static readonly RANK_PROXY = 300;
  /** Start rank of every other sidecar. */
  public static readonly RANK_OTHER = 400;

  /** Log collector (Fluent Bit): 50m/64Mi, limits 200m/256Mi. */
  public static readonly LOG_COLLECTOR = SidecarProfile.custom({
    name: 'log-collector',
    cpuRequest: kplus.Cpu.millis(50),
    memoryRequest: Size.mebibytes(64),
    cpuLimit: kplus.Cpu.millis(200),
    memoryLimit: Size.mebibytes(256),
    startRank: SidecarProfile.RANK_LOG_COLLECTOR,
  });

  /** Secret injection (Vault Agent): 50m/64Mi, limits 200m/256Mi. */
  public static readonly SECRET_INJECTION = SidecarProfile.custom({
    name: 'secret-injection',
    cpuRequest: kplus.Cpu.millis(50),
    memoryRequest: Size.mebibytes(64),
    cpuLimit: kplus.Cpu.millis(200),
    memoryLimit: Size.mebibytes(256),
    startRank: SidecarProfile.RANK_SECRET_INJECTION,
  });

  /** Proxy (Envoy): 100m/128Mi, limits 500m/512Mi. */
  public static readonly PROXY = SidecarProfile.custom({
    name: 'proxy',
    cpuRequest: kplus.Cpu.millis(100),
    memoryRequest: Size.mebibytes(128),
    cpuLimit: kplus.Cpu.millis(500),
    memoryLimit: Size.mebibytes(512),
    startRank: SidecarProfile.RANK_PROXY,
  });

  /** Metrics exporter (StatsD exporter): 20m/32Mi, limits 100m/128Mi. */
  public static readonly METRICS_EXPORTER = SidecarProfile.custom({
    name: 'metrics-exporter',
    cpuRequest: kplus.Cpu.millis(20),
    memoryRequest: Size.mebibytes(32),
    cpuLimit: kplus.Cpu.millis(100),
    memoryLimit: Size.mebibytes(128),
  });

  /** Config reload (configmap-reload): 10m/16Mi, limits 50m/64Mi. */
  public static readonly CONFIG_RELOAD = SidecarProfile.custom({
    name: 'config-reload',
    cpuRequest: kplus.Cpu.millis(10),
    memoryRequest: Size.mebibytes(16),
    cpuLimit: kplus.Cpu.millis(50),
    memoryLimit: Size.mebibytes(64),
  });

  /** Data sync (rsync, rclone): 100m/128Mi, no limits. */
  public static readonly DATA_SYNC = SidecarProfile.custom({
    name: 'data-sync',
    cpuRequest: kplus.Cpu.millis(100),
    memoryRequest: Size.mebibytes(128),
  });

  /**
   * A profile of your own.
   */
  public static custom(options: SidecarProfileOptions): SidecarProfile {
    return new SidecarProfile(options);
  }

  /** The profile's name. */
  public readonly name: string;

  /** Position in the start order: lower starts first. */
  public readonly startRank: number;

  private readonly options: SidecarProfileOptions;

  private constructor(options: SidecarProfileOptions) {
    this.options = options;
    this.name = options.name;
    this.startRank = options.startRank ?? SidecarProfile.RANK_OTHER;
  }

  /**
   * The profile's resources, with `overrides` replacing it field by field
   * (CPU request, CPU limit, memory request, memory limit, ephemeral storage).
   */
  public resources(overrides: kplus.ContainerResources = {}): kplus.ContainerResources {
    const cpuRequest = overrides.cpu?.request ?? this.options.cpuRequest;
    const cpuLimit = overrides.cpu?.limit ?? this.options.cpuLimit;
    const memoryRequest = overrides.memory?.request ?? this.options.memoryRequest;
    const memoryLimit = overrides.memory?.limit ?? this.options.memoryLimit;
    return {
      cpu: { request: cpuRequest, limit: cpuLimit },
      memory: { request: memoryRequest, limit: memoryLimit },
      ephemeralStorage: overrides.ephemeralStorage,
    };
  }
}
