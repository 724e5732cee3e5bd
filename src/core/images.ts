/**
 * The container images the named sidecars run, pinned to exact tags.
 *
 * This is the one place the library pins images: bump a tag here (and the
 * snapshots) to upgrade a sidecar for every user. Each sidecar also takes an
 * `image` prop for mirrors and custom builds.
 *
 * | sidecar | image | runs as (uid:gid) |
 * | --- | --- | --- |
 * | FluentBitSidecar | fluent/fluent-bit:3.2.10 | 65532:65532 (distroless `nonroot`; the image declares no USER, i.e. root) |
 * | EnvoySidecar | envoyproxy/envoy:v1.33.2 | 101:101 (`envoy`; Ubuntu base with bash, no curl) |
 * | VaultAgentSidecar | hashicorp/vault:1.19.0 | 100:1000 (the image's `vault` user) |
 * | ReloaderSidecar | ghcr.io/jimmidyson/configmap-reload:v0.14.0 | 65534:65534 (distroless, `USER 65534`) |
 * | StatsdExporterSidecar | prom/statsd-exporter:v0.28.0 | 65534:65534 (busybox, `USER 65534`) |
 */
export class SidecarImages {
  /** Fluent Bit. */
  public static readonly FLUENT_BIT = 'fluent/fluent-bit:3.2.10';

  /** Envoy. */
  public static readonly ENVOY = 'envoyproxy/envoy:v1.33.2';

  /** Vault (the agent runs from the Vault image; Alpine-based, uid 100 gid 1000). */
  public static readonly VAULT = 'hashicorp/vault:1.19.0';

  /** configmap-reload. */
  public static readonly CONFIGMAP_RELOAD = 'ghcr.io/jimmidyson/configmap-reload:v0.14.0';

  /** Prometheus StatsD exporter. */
  public static readonly STATSD_EXPORTER = 'prom/statsd-exporter:v0.28.0';

  private constructor() {}
}
