/**
 * The metrics a dashboard or an alert may read, each list from the upstream source that
 * defines the names (not from the library's code). The dashboards test checks every metric
 * of every panel against these lists; the alerts test checks every metric of every alert of
 * every pack: the generic pack against kube-state-metrics and cAdvisor, each tool's pack
 * against those and its own EXPORTERS list.
 */

/**
 * kube-state-metrics v2.11.0, `docs/pod-metrics.md` (line of the row), the first release
 * with `restart_policy` on `kube_pod_init_container_info` (native sidecars).
 * https://github.com/kubernetes/kube-state-metrics/blob/v2.11.0/docs/pod-metrics.md
 */
export const KUBE_STATE_METRICS: { [metric: string]: string } = {
  kube_pod_start_time: 'docs/pod-metrics.md:8',
  kube_pod_status_phase: 'docs/pod-metrics.md:13',
  kube_pod_container_info: 'docs/pod-metrics.md:17',
  kube_pod_container_status_waiting_reason: 'docs/pod-metrics.md:19',
  kube_pod_container_status_last_terminated_reason: 'docs/pod-metrics.md:24',
  kube_pod_container_status_ready: 'docs/pod-metrics.md:26',
  kube_pod_status_initialized_time: 'docs/pod-metrics.md:27',
  kube_pod_status_ready_time: 'docs/pod-metrics.md:28',
  kube_pod_container_status_restarts_total: 'docs/pod-metrics.md:30',
  kube_pod_container_resource_requests: 'docs/pod-metrics.md:31',
  kube_pod_container_resource_limits: 'docs/pod-metrics.md:32',
  kube_pod_deletion_timestamp: 'docs/pod-metrics.md:37',
  kube_pod_init_container_info: 'docs/pod-metrics.md:39',
  kube_pod_init_container_status_waiting_reason: 'docs/pod-metrics.md:41',
  kube_pod_init_container_status_last_terminated_reason: 'docs/pod-metrics.md:45',
  kube_pod_init_container_status_ready: 'docs/pod-metrics.md:46',
  kube_pod_init_container_status_restarts_total: 'docs/pod-metrics.md:47',
  kube_pod_init_container_resource_limits: 'docs/pod-metrics.md:48',
  kube_pod_init_container_resource_requests: 'docs/pod-metrics.md:49',
};

/**
 * cAdvisor, served by the kubelet at `/metrics/cadvisor` with the `namespace`, `pod` and
 * `container` labels (kubernetes `pkg/kubelet/server/server.go`,
 * `containerPrometheusLabelsFunc`); names from google/cadvisor `docs/storage/prometheus.md`.
 */
export const CADVISOR: { [metric: string]: string } = {
  container_cpu_cfs_periods_total: 'docs/storage/prometheus.md:22',
  container_cpu_cfs_throttled_periods_total: 'docs/storage/prometheus.md:23',
  container_cpu_usage_seconds_total: 'docs/storage/prometheus.md:30',
  container_memory_working_set_bytes: 'docs/storage/prometheus.md:72',
};

/**
 * What each tool serves on the metrics endpoint the PodMonitor scrapes, by pack name: a tool's
 * dashboard pack and alert pack (PrometheusRule group `sidecar-<pack>`) share that name.
 */
export const EXPORTERS: { [pack: string]: { [metric: string]: string } } = {
  // Envoy (v1.33 to v1.39) `/stats/prometheus`: stats from docs/root/configuration/upstream/cluster_manager/
  // cluster_stats.rst and http/http_conn_man/stats.rst, `server.state` from
  // observability/statistics.rst; the `_xx` names with `envoy_response_code_class` and
  // `envoy_cluster_name` come from the default tag extractors
  // (source/common/config/well_known_names.cc). The alerts' stats: `cluster.<name>.*` and
  // `cluster.<name>.outlier_detection.*` in cluster_stats.rst, `cluster.<name>.ssl.*` in
  // docs/root/_include/ssl_stats.rst (included by cluster_stats.rst "TLS statistics"); read
  // at a stored snapshot of main (it lists upstream_rq_active_overflow, so 1.38 or later),
  // not at the v1.39.6 tag.
  'envoy': {
    envoy_server_state: 'statistics.rst server.state',
    envoy_http_downstream_rq_xx: 'http_conn_man/stats.rst downstream_rq_<1xx..5xx>',
    envoy_http_downstream_cx_active: 'http_conn_man/stats.rst downstream_cx_active',
    envoy_cluster_upstream_rq_total: 'cluster_stats.rst upstream_rq_total',
    envoy_cluster_upstream_rq_xx: 'cluster_stats.rst upstream_rq_<1xx..5xx>',
    envoy_cluster_upstream_rq_time_bucket: 'cluster_stats.rst upstream_rq_time (histogram)',
    envoy_cluster_upstream_rq_pending_overflow: 'cluster_stats.rst upstream_rq_pending_overflow',
    envoy_cluster_upstream_cx_overflow: 'cluster_stats.rst upstream_cx_overflow',
    envoy_cluster_upstream_cx_active: 'cluster_stats.rst upstream_cx_active',
    envoy_cluster_upstream_rq_active_overflow: 'cluster_stats.rst upstream_rq_active_overflow (since 1.38.0: changelogs/1.38.0.yaml conn_pool)',
    envoy_cluster_upstream_rq_retry_overflow: 'cluster_stats.rst upstream_rq_retry_overflow',
    envoy_cluster_upstream_cx_pool_overflow: 'cluster_stats.rst upstream_cx_pool_overflow',
    envoy_cluster_ssl_connection_error: '_include/ssl_stats.rst connection_error (cluster.<name>.ssl.)',
    envoy_cluster_ssl_fail_verify_error: '_include/ssl_stats.rst fail_verify_error (cluster.<name>.ssl.)',
    envoy_cluster_ssl_fail_verify_san: '_include/ssl_stats.rst fail_verify_san (cluster.<name>.ssl.)',
    envoy_cluster_ssl_fail_verify_no_cert: '_include/ssl_stats.rst fail_verify_no_cert (cluster.<name>.ssl.)',
    envoy_cluster_ssl_fail_verify_cert_hash: '_include/ssl_stats.rst fail_verify_cert_hash (cluster.<name>.ssl.)',
    envoy_cluster_outlier_detection_ejections_overflow: 'cluster_stats.rst outlier_detection ejections_overflow',
  },
  // fluent/fluent-bit v5.1.1 (the pinned image), `/api/v2/metrics/prometheus` (cmetrics,
  // `fluentbit_<subsystem>_<name>`); the same names in v3.2.10.
  'fluent-bit': {
    fluentbit_input_records_total: 'src/flb_input.c:1614 "input", "records_total"',
    fluentbit_input_ingestion_paused: 'src/flb_input.c:1682 "input", "ingestion_paused"',
    fluentbit_output_proc_records_total: 'src/flb_output.c:1505 "output", "proc_records_total"',
    fluentbit_output_errors_total: 'src/flb_output.c:1521 "output", "errors_total"',
    fluentbit_output_retries_total: 'src/flb_output.c:1529 "output", "retries_total"',
    fluentbit_output_retries_failed_total: 'src/flb_output.c:1536 "output", "retries_failed_total"',
    fluentbit_output_dropped_records_total: 'src/flb_output.c:1546 "output", "dropped_records_total"',
    fluentbit_output_retried_records_total: 'src/flb_output.c:1553 "output", "retried_records_total"',
    fluentbit_filter_add_records_total: 'src/flb_filter.c:629 "filter", "add_records_total"',
    fluentbit_filter_drop_records_total: 'src/flb_filter.c:637 "filter", "drop_records_total"',
  },
  // hashicorp/vault `command/agentproxyshared/auth/auth.go`: metrics.IncrCounter(
  // []string{"agent", "auth", "failure" | "success"}); go-metrics' Prometheus sink joins with '_'.
  // The gauge `agent.authenticated` (metrics.SetGauge, same file) came in 1.18.0 (CHANGELOG.md
  // 1.18.0, GH-26570); go-metrics puts the host name into gauge names unless the telemetry
  // stanza sets `disable_hostname` (the generated agent config does). Read at a stored
  // snapshot of auth.go, not at the 1.19.0 tag.
  'vault-agent': {
    vault_agent_auth_failure: 'auth.go IncrCounter agent.auth.failure',
    vault_agent_auth_success: 'auth.go IncrCounter agent.auth.success',
    vault_agent_authenticated: 'auth.go SetGauge agent.authenticated (since 1.18.0, GH-26570)',
  },
  // jimmidyson/configmap-reload `configmap-reload.go` (namespace "configmap_reload").
  'config-reloader': {
    configmap_reload_last_reload_error: 'configmap-reload.go:32 last_reload_error',
    configmap_reload_last_request_duration_seconds: 'configmap-reload.go:37 last_request_duration_seconds',
    configmap_reload_success_reloads_total: 'configmap-reload.go:42 success_reloads_total',
    configmap_reload_request_errors_total: 'configmap-reload.go:47 request_errors_total',
  },
  // prometheus/statsd_exporter v0.28.0 `main.go`.
  'statsd-exporter': {
    statsd_exporter_samples_total: 'main.go',
    statsd_exporter_udp_packets_total: 'main.go',
    statsd_exporter_udp_packet_drops_total: 'main.go',
    statsd_exporter_sample_errors_total: 'main.go',
    statsd_exporter_tag_errors_total: 'main.go',
    statsd_exporter_events_conflict_total: 'main.go',
    statsd_exporter_events_unmapped_total: 'main.go',
    statsd_exporter_events_error_total: 'main.go:155 errorEventStats',
  },
  // open-telemetry/opentelemetry-collector v0.159.0 (the core distribution's pinned image):
  // each component's `metadata.yaml` names the metric, `internal/metadata/generated_telemetry.go`
  // registers it as `otelcol_<name>`, and the Prometheus pull exporter adds `_total` to counters.
  'otel-collector': {
    otelcol_receiver_accepted_spans_total: 'receiver/receiverhelper/metadata.yaml:34 receiver_accepted_spans',
    otelcol_receiver_accepted_metric_points_total: 'receiver/receiverhelper/metadata.yaml:18 receiver_accepted_metric_points',
    otelcol_receiver_accepted_log_records_total: 'receiver/receiverhelper/metadata.yaml:10 receiver_accepted_log_records',
    otelcol_receiver_failed_spans_total: 'receiver/receiverhelper/metadata.yaml:66 receiver_failed_spans',
    otelcol_receiver_failed_metric_points_total: 'receiver/receiverhelper/metadata.yaml:50 receiver_failed_metric_points',
    otelcol_receiver_failed_log_records_total: 'receiver/receiverhelper/metadata.yaml:42 receiver_failed_log_records',
    otelcol_receiver_refused_spans_total: 'receiver/receiverhelper/metadata.yaml:98 receiver_refused_spans',
    otelcol_receiver_refused_metric_points_total: 'receiver/receiverhelper/metadata.yaml:82 receiver_refused_metric_points',
    otelcol_receiver_refused_log_records_total: 'receiver/receiverhelper/metadata.yaml:74 receiver_refused_log_records',
    otelcol_exporter_sent_spans_total: 'exporter/exporterhelper/metadata.yaml:273 exporter_sent_spans',
    otelcol_exporter_sent_metric_points_total: 'exporter/exporterhelper/metadata.yaml:255 exporter_sent_metric_points',
    otelcol_exporter_sent_log_records_total: 'exporter/exporterhelper/metadata.yaml:246 exporter_sent_log_records',
    otelcol_exporter_send_failed_spans_total: 'exporter/exporterhelper/metadata.yaml:237 exporter_send_failed_spans',
    otelcol_exporter_send_failed_metric_points_total: 'exporter/exporterhelper/metadata.yaml:219 exporter_send_failed_metric_points',
    otelcol_exporter_send_failed_log_records_total: 'exporter/exporterhelper/metadata.yaml:210 exporter_send_failed_log_records',
    otelcol_exporter_enqueue_failed_spans_total: 'exporter/exporterhelper/metadata.yaml:50 exporter_enqueue_failed_spans',
    otelcol_exporter_enqueue_failed_metric_points_total: 'exporter/exporterhelper/metadata.yaml:32 exporter_enqueue_failed_metric_points',
    otelcol_exporter_enqueue_failed_log_records_total: 'exporter/exporterhelper/metadata.yaml:23 exporter_enqueue_failed_log_records',
    otelcol_exporter_queue_size: 'exporter/exporterhelper/metadata.yaml:201 exporter_queue_size (gauge)',
    otelcol_exporter_queue_capacity: 'exporter/exporterhelper/metadata.yaml:192 exporter_queue_capacity (gauge)',
    otelcol_processor_memory_limiter_refused_spans_total: 'processor/memorylimiterprocessor/metadata.yaml:66 processor_memory_limiter_refused_spans',
    otelcol_processor_memory_limiter_refused_metric_points_total: 'processor/memorylimiterprocessor/metadata.yaml:57 processor_memory_limiter_refused_metric_points',
    otelcol_processor_memory_limiter_refused_log_records_total: 'processor/memorylimiterprocessor/metadata.yaml:48 processor_memory_limiter_refused_log_records',
  },
  // GoogleCloudPlatform/cloud-sql-proxy v2.25.3 `--prometheus`: the Go connector's OpenCensus
  // views (cloud.google.com/go/cloudsqlconn `internal/trace/metrics.go`; lines at v1.22.1, the
  // proxy's go.mod pins v1.25.1) through contrib.go.opencensus.io/exporter/prometheus v0.4.2
  // (the view name with '/' as '_', no namespace: `--prometheus-namespace` is unset; Count
  // views are counters without `_total`).
  'cloud-sql-proxy': {
    cloudsqlconn_dial_failure_count: 'internal/trace/metrics.go:87 "cloudsqlconn/dial_failure_count"',
    cloudsqlconn_refresh_success_count: 'internal/trace/metrics.go:94 "cloudsqlconn/refresh_success_count"',
    cloudsqlconn_refresh_failure_count: 'internal/trace/metrics.go:101 "cloudsqlconn/refresh_failure_count"',
  },
  // kubernetes/git-sync v4.7.1 (client_golang).
  'git-sync': {
    git_sync_count_total: 'main.go:63 git_sync_count_total{status}',
    git_sync_hook_run_count_total: 'pkg/hook/hook.go:33 git_sync_hook_run_count_total{name, status}',
  },
};
