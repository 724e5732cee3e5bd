/**
 * The container images the named sidecars run, pinned to exact tags.
 *
 * This is the one place the library pins images: bump a tag here (and the
 * snapshots) to upgrade a sidecar for every user. Each sidecar also takes an
 * `image` prop for mirrors and custom builds.
 *
 * | sidecar | image | runs as (uid:gid) |
 * | --- | --- | --- |
 * | FluentBitSidecar | fluent/fluent-bit:5.1.1 | 65532:65532 (distroless `nonroot`; the image declares no USER, i.e. root) |
 * | EnvoySidecar | envoyproxy/envoy:v1.39.6 | 101:101 (`envoy`: `adduser --group --system envoy` on ubuntu:22.04 in distribution/docker/Dockerfile-envoy; bash and ca-certificates, no curl) |
 * | VaultAgentSidecar | hashicorp/vault:1.19.0 | 100:1000 (the image's `vault` user) |
 * | ReloaderSidecar | ghcr.io/jimmidyson/configmap-reload:v0.14.0 | 65534:65534 (distroless, `USER 65534`) |
 * | StatsdExporterSidecar | prom/statsd-exporter:v0.28.0 | 65534:65534 (busybox, `USER 65534`) |
 * | OpenTelemetryCollectorSidecar | otel/opentelemetry-collector:0.159.0 | 10001:10001 (scratch, `USER 10001:10001`, distributions/otelcol/Dockerfile at v0.159.0) |
 * | GitSyncSidecar | registry.k8s.io/git-sync/git-sync:v4.7.1 | 65533:65533 (`USER 65533:65533`, Dockerfile.in at v4.7.1) |
 * | CloudSqlProxySidecar | gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.25.3 | 65532:65532 (distroless `nonroot`, `USER 65532`) |
 */
export class SidecarImages {
  /**
   * Fluent Bit: 5.1.1 (tag v5.1.1, commit 6315162a, 2026-08-14), the latest patch of
   * the current 5.1 line; the sidecar's `fluent-bit.yaml` needs 3.2.0 or later.
   */
  public static readonly FLUENT_BIT = 'fluent/fluent-bit:5.1.1';

  /**
   * Envoy 1.39.6 (October 26, 2026), the latest patch of the 1.39 line (supported
   * until July 2027); it carries the October 2026 security releases that 1.40.0
   * (October 13, 2026) predates.
   */
  public static readonly ENVOY = 'envoyproxy/envoy:v1.39.6';

  /** Vault (the agent runs from the Vault image; Alpine-based, uid 100 gid 1000). */
  public static readonly VAULT = 'hashicorp/vault:1.19.0';

  /** configmap-reload. */
  public static readonly CONFIGMAP_RELOAD = 'ghcr.io/jimmidyson/configmap-reload:v0.14.0';

  /** Prometheus StatsD exporter. */
  public static readonly STATSD_EXPORTER = 'prom/statsd-exporter:v0.28.0';

  /**
   * OpenTelemetry Collector, core distribution (`otelcol`: OTLP and Prometheus receivers,
   * memory_limiter, batch, resource, the otlp_grpc/otlp_http/debug/prometheusremotewrite
   * exporters, health_check), 0.159.0 (2026-08-17); runs as `USER 10001:10001` on scratch.
   */
  public static readonly OTEL_COLLECTOR = 'otel/opentelemetry-collector:0.159.0';

  /** kubernetes/git-sync v4 (uid/gid 65533, HOME=/tmp). */
  public static readonly GIT_SYNC = 'registry.k8s.io/git-sync/git-sync:v4.7.1';

  /** Cloud SQL Auth Proxy v2 (distroless static `nonroot`; Dockerfile `USER 65532` at v2.25.3). */
  public static readonly CLOUD_SQL_PROXY = 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.25.3';

  private constructor() {}
}
