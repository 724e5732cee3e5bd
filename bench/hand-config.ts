/**
 * The hand-written side's configuration text, as a team would keep it next to its
 * chart: the files are identical for every pod, so they are written once. The text
 * is what cdk8s-sidecars generates for the benchmark's props (the equivalence test
 * compares the two sides' manifests).
 */

export const FLUENT_BIT_YAML = `service:
  flush: 1
  grace: 30
  log_level: info
  daemon: off
  http_server: on
  http_listen: 0.0.0.0
  http_port: 2020
  health_check: on
  storage.path: /var/fluent-bit/state/storage
  storage.sync: normal
  storage.checksum: off
  storage.max_chunks_up: 16
  storage.backlog.mem_limit: 5M
  storage.metrics: on
  storage.delete_irrecoverable_chunks: on
parsers:
  - name: json
    format: json
    time_key: timestamp
    time_format: "%Y-%m-%dT%H:%M:%S.%L%z"
  - name: docker
    format: json
    time_key: time
    time_format: "%Y-%m-%dT%H:%M:%S.%L"
pipeline:
  inputs:
    - name: tail
      path: /var/log/app/*.log
      tag: app.*
      read_from_head: on
      refresh_interval: 1
      mem_buf_limit: 50M
      skip_long_lines: on
      db: /var/fluent-bit/state/tail.db
      db.locking: on
      storage.type: filesystem
  filters:
    - name: parser
      match: app.*
      key_name: log
      parser: json
      reserve_data: on
    - name: modify
      match: "*"
      add:
        - "namespace \${POD_NAMESPACE}"
        - "pod \${POD_NAME}"
        - "node \${NODE_NAME}"
  outputs:
    - name: forward
      match: "*"
      host: fluentd-aggregator.logging
      port: 24224
      retry_limit: 5
      storage.total_limit_size: 128M
`;

export const VAULT_AGENT_HCL = `vault {
  address = "http://vault.vault.svc:8200"
}
auto_auth {
  method "kubernetes" {
    mount_path = "auth/kubernetes"
    config = {
      role = "myapp-role"
      token_path = "/var/run/secrets/vault.hashicorp.com/serviceaccount/token"
    }
  }
  sink "file" {
    config = {
      path = "/home/vault/.vault-token"
    }
  }
}
template_config {
  exit_on_retry_failure = true
}
template {
  source = "/vault/config/db-creds.ctmpl"
  destination = "/vault/secrets/db-creds"
  error_on_missing_key = true
}
template {
  source = "/vault/config/api-key.ctmpl"
  destination = "/vault/secrets/api-key"
  error_on_missing_key = true
}
listener "tcp" {
  address = "0.0.0.0:8201"
  tls_disable = true
  role = "metrics_only"
}
telemetry {
  prometheus_retention_time = "8760h"
  disable_hostname = true
}
`;

export const ENVOY_YAML = `admin:
  address:
    socket_address:
      address: "127.0.0.1"
      port_value: 15000
static_resources:
  listeners:
    - name: "inbound"
      stat_prefix: "inbound"
      address:
        socket_address:
          address: "0.0.0.0"
          port_value: 15006
      traffic_direction: "INBOUND"
      filter_chains:
        - filters:
            - name: "envoy.filters.network.http_connection_manager"
              typed_config:
                "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
                stat_prefix: "inbound"
                codec_type: "AUTO"
                use_remote_address: true
                upgrade_configs:
                  - upgrade_type: "websocket"
                route_config:
                  name: "inbound_route"
                  virtual_hosts:
                    - name: "local_app"
                      domains:
                        - "*"
                      routes:
                        - match:
                            prefix: "/"
                          route:
                            cluster: "local_app"
                            timeout: "0s"
                http_filters:
                  - name: "envoy.filters.http.router"
                    typed_config:
                      "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
    - name: "outbound"
      stat_prefix: "outbound"
      address:
        socket_address:
          address: "127.0.0.1"
          port_value: 15001
      traffic_direction: "OUTBOUND"
      filter_chains:
        - filters:
            - name: "envoy.filters.network.http_connection_manager"
              typed_config:
                "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
                stat_prefix: "outbound"
                codec_type: "AUTO"
                http_protocol_options:
                  allow_absolute_url: true
                http2_protocol_options:
                  allow_connect: true
                upgrade_configs:
                  - upgrade_type: "CONNECT"
                  - upgrade_type: "websocket"
                route_config:
                  name: "outbound_route"
                  virtual_hosts:
                    - name: "payments"
                      domains:
                        - "payments.production.svc.cluster.local"
                        - "payments.production.svc.cluster.local:8080"
                      routes:
                        - match:
                            connect_matcher: {}
                          route:
                            cluster: "dynamic_forward_proxy"
                            timeout: "0s"
                            upgrade_configs:
                              - upgrade_type: "CONNECT"
                                connect_config: {}
                        - match:
                            prefix: "/"
                          route:
                            cluster: "payments"
                            timeout: "15s"
                    - name: "allow_any"
                      domains:
                        - "*"
                      routes:
                        - match:
                            connect_matcher: {}
                          route:
                            cluster: "dynamic_forward_proxy"
                            timeout: "0s"
                            upgrade_configs:
                              - upgrade_type: "CONNECT"
                                connect_config: {}
                        - match:
                            prefix: "/"
                          route:
                            cluster: "dynamic_forward_proxy"
                            timeout: "0s"
                http_filters:
                  - name: "envoy.filters.http.dynamic_forward_proxy"
                    typed_config:
                      "@type": "type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig"
                      dns_cache_config:
                        name: "dynamic_forward_proxy_cache"
                        dns_lookup_family: "V4_PREFERRED"
                        dns_min_refresh_rate: "5s"
                        host_ttl: "300s"
                        max_hosts: 1024
                  - name: "envoy.filters.http.router"
                    typed_config:
                      "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
    - name: "stats"
      stat_prefix: "stats"
      address:
        socket_address:
          address: "0.0.0.0"
          port_value: 15090
      filter_chains:
        - filters:
            - name: "envoy.filters.network.http_connection_manager"
              typed_config:
                "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
                stat_prefix: "stats"
                codec_type: "AUTO"
                route_config:
                  name: "stats_route"
                  virtual_hosts:
                    - name: "envoy_admin"
                      domains:
                        - "*"
                      routes:
                        - match:
                            path: "/stats/prometheus"
                            headers:
                              - name: ":method"
                                string_match:
                                  exact: "GET"
                          route:
                            cluster: "envoy_admin"
                        - match:
                            path: "/ready"
                            headers:
                              - name: ":method"
                                string_match:
                                  exact: "GET"
                          route:
                            cluster: "envoy_admin"
                        - match:
                            path: "/live"
                            headers:
                              - name: ":method"
                                string_match:
                                  exact: "GET"
                          direct_response:
                            status: 200
                            body:
                              inline_string: "alive\\n"
                http_filters:
                  - name: "envoy.filters.http.router"
                    typed_config:
                      "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
  clusters:
    - name: "local_app"
      type: "STATIC"
      connect_timeout: "5s"
      lb_policy: "ROUND_ROBIN"
      circuit_breakers:
        thresholds:
          - priority: "DEFAULT"
            max_connections: 4294967295
            max_pending_requests: 4294967295
            max_requests: 4294967295
            max_retries: 4294967295
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
          common_http_protocol_options:
            idle_timeout: "1s"
          explicit_http_config:
            http_protocol_options: {}
      load_assignment:
        cluster_name: "local_app"
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address:
                      address: "127.0.0.1"
                      port_value: 8080
    - name: "envoy_admin"
      type: "STATIC"
      connect_timeout: "1s"
      lb_policy: "ROUND_ROBIN"
      load_assignment:
        cluster_name: "envoy_admin"
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address:
                      address: "127.0.0.1"
                      port_value: 15000
    - name: "dynamic_forward_proxy"
      connect_timeout: "5s"
      lb_policy: "CLUSTER_PROVIDED"
      cluster_type:
        name: "envoy.clusters.dynamic_forward_proxy"
        typed_config:
          "@type": "type.googleapis.com/envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig"
          dns_cache_config:
            name: "dynamic_forward_proxy_cache"
            dns_lookup_family: "V4_PREFERRED"
            dns_min_refresh_rate: "5s"
            host_ttl: "300s"
            max_hosts: 1024
    - name: "payments"
      type: "STRICT_DNS"
      connect_timeout: "5s"
      lb_policy: "ROUND_ROBIN"
      dns_lookup_family: "V4_PREFERRED"
      respect_dns_ttl: true
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
          explicit_http_config:
            http_protocol_options: {}
      load_assignment:
        cluster_name: "payments"
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address:
                      address: "payments.production.svc.cluster.local"
                      port_value: 8080
`;

export const RULE_GROUPS = [
  {
    name: 'sidecar-containers',
    rules: [
      {
        alert: 'SidecarContainerRestarting',
        annotations: {
          description: 'Sidecar {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | humanize }} times in the last hour.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#sidecarcontainerrestarting',
          summary: 'A sidecar container restarts again and again.',
        },
        expr: 'increase(kube_pod_init_container_status_restarts_total{namespace="production", container=~"envoy|fluent-bit|vault-agent"}[1h]) > 3',
        labels: {
          severity: 'warning',
        },
      },
      {
        alert: 'SidecarContainerCrashLooping',
        annotations: {
          description: 'Sidecar {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} keeps crashing (CrashLoopBackOff); the pod cannot work without it.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#sidecarcontainercrashlooping',
          summary: 'A sidecar container is in CrashLoopBackOff.',
        },
        expr: 'max_over_time(kube_pod_init_container_status_waiting_reason{namespace="production", container=~"envoy|fluent-bit|vault-agent", reason="CrashLoopBackOff"}[5m]) >= 1',
        for: '15m',
        labels: {
          severity: 'warning',
        },
      },
      {
        alert: 'SidecarContainerNotReady',
        annotations: {
          description: 'Sidecar {{ $labels.container }} of running pod {{ $labels.namespace }}/{{ $labels.pod }} has not been ready for its whole alert window.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#sidecarcontainernotready',
          summary: 'A sidecar container of a running pod is not ready.',
        },
        expr: '(kube_pod_init_container_status_ready{namespace="production", container=~"envoy|fluent-bit|vault-agent"} == 0)\nand on (namespace, pod, container) kube_pod_init_container_info{namespace="production", container=~"envoy|fluent-bit|vault-agent", restart_policy="Always"}\nand on (namespace, pod) (kube_pod_status_phase{phase="Running"} == 1)\nunless on (namespace, pod) kube_pod_deletion_timestamp',
        for: '10m',
        labels: {
          severity: 'warning',
        },
      },
      {
        alert: 'SidecarStartupBlocked',
        annotations: {
          description: 'Native sidecar {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has not become ready while the pod is Pending and its app containers wait in PodInitializing: the pod never starts and its rollout is stalled.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#sidecarstartupblocked',
          summary: 'A native sidecar never passes its startup check and holds its pod in PodInitializing.',
        },
        expr: '(kube_pod_init_container_status_ready{namespace="production", container=~"envoy|fluent-bit|vault-agent"} == 0)\nand on (namespace, pod, container) kube_pod_init_container_info{namespace="production", container=~"envoy|fluent-bit|vault-agent", restart_policy="Always"}\nunless on (namespace, pod, container) (kube_pod_init_container_status_waiting_reason{namespace="production", container=~"envoy|fluent-bit|vault-agent", reason="PodInitializing"} == 1)\nand on (namespace, pod) (kube_pod_status_phase{phase="Pending"} == 1)\nunless on (namespace, pod) kube_pod_deletion_timestamp',
        for: '15m',
        labels: {
          severity: 'warning',
        },
      },
      {
        alert: 'SidecarOOMKilled',
        annotations: {
          description: 'Sidecar {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} was OOMKilled: it restarted {{ $value | humanize }} times in the last 10 minutes and its last termination was OOMKilled. Its memory limit is too low for its load.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#sidecaroomkilled',
          summary: 'A sidecar container was killed for running out of memory.',
        },
        expr: '(increase(kube_pod_init_container_status_restarts_total{namespace="production", container=~"envoy|fluent-bit|vault-agent"}[10m]) > 0)\nand on (namespace, pod, container) (kube_pod_init_container_status_last_terminated_reason{namespace="production", container=~"envoy|fluent-bit|vault-agent", reason="OOMKilled"} == 1)',
        labels: {
          severity: 'warning',
        },
      },
      {
        alert: 'SidecarCpuThrottled',
        annotations: {
          description: 'Sidecar {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} was throttled in {{ $value | humanizePercentage }} of its CPU periods over 5 minutes: it is slowed down at its CPU limit (a proxy adds latency to every request).',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#sidecarcputhrottled',
          summary: 'A sidecar container is CPU-throttled at its limit.',
        },
        expr: 'sum by (namespace, pod, container) (increase(container_cpu_cfs_throttled_periods_total{namespace="production", container=~"envoy|fluent-bit|vault-agent"}[5m]))\n/ sum by (namespace, pod, container) (increase(container_cpu_cfs_periods_total{namespace="production", container=~"envoy|fluent-bit|vault-agent"}[5m]))\n> 0.25',
        for: '15m',
        labels: {
          severity: 'warning',
        },
      },
      {
        alert: 'SidecarMemoryNearLimit',
        annotations: {
          description: 'Sidecar {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit (working set): it will be OOMKilled if it grows.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#sidecarmemorynearlimit',
          summary: 'A sidecar container uses nearly all of its memory limit.',
        },
        expr: 'max by (namespace, pod, container) (container_memory_working_set_bytes{namespace="production", container=~"envoy|fluent-bit|vault-agent"})\n/ on (namespace, pod, container) (max by (namespace, pod, container) (kube_pod_init_container_resource_limits{namespace="production", container=~"envoy|fluent-bit|vault-agent", resource="memory", unit="byte"}))\n> 0.9',
        for: '15m',
        labels: {
          severity: 'warning',
        },
      },
    ],
  },
  {
    name: 'sidecar-envoy',
    rules: [
      {
        alert: 'EnvoyProxyUnhealthy',
        annotations: {
          description: 'Envoy {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} is in state {{ $value }} (1 DRAINING, 2 PRE_INITIALIZING, 3 INITIALIZING) although the pod is not being deleted.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#envoyproxyunhealthy',
          summary: 'An Envoy sidecar is not serving traffic (server state is not LIVE).',
        },
        expr: '(envoy_server_state{namespace="production", container="envoy"} != 0)\nunless on (namespace, pod) kube_pod_deletion_timestamp',
        for: '2m',
        labels: {
          severity: 'critical',
        },
      },
      {
        alert: 'EnvoyUpstream5xxHigh',
        annotations: {
          description: '{{ $value | humanizePercentage }} of the requests from Envoy {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} to cluster {{ $labels.envoy_cluster_name }} fail with a 5xx response.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#envoyupstream5xxhigh',
          summary: 'Too many upstream requests through an Envoy sidecar fail with 5xx.',
        },
        expr: 'sum by (namespace, pod, container, envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{namespace="production", container="envoy", envoy_response_code_class="5"}[5m]))\n/ sum by (namespace, pod, container, envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{namespace="production", container="envoy"}[5m]))\n> 0.05',
        for: '5m',
        labels: {
          severity: 'warning',
        },
      },
      {
        alert: 'EnvoyCircuitBreakerOverflow',
        annotations: {
          description: 'Envoy {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} rejected {{ $value | humanize }} requests, retries or connections to cluster {{ $labels.envoy_cluster_name }} in 5 minutes (circuit breaker overflow).',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#envoycircuitbreakeroverflow',
          summary: 'An Envoy sidecar rejects requests because a circuit breaker is open.',
        },
        expr: 'sum by (namespace, pod, container, envoy_cluster_name) (\n  label_replace(increase(envoy_cluster_upstream_rq_pending_overflow{namespace="production", container="envoy"}[5m]), "stat", "envoy_cluster_upstream_rq_pending_overflow", "", "")\n  or\n  label_replace(increase(envoy_cluster_upstream_rq_active_overflow{namespace="production", container="envoy"}[5m]), "stat", "envoy_cluster_upstream_rq_active_overflow", "", "")\n  or\n  label_replace(increase(envoy_cluster_upstream_rq_retry_overflow{namespace="production", container="envoy"}[5m]), "stat", "envoy_cluster_upstream_rq_retry_overflow", "", "")\n  or\n  label_replace(increase(envoy_cluster_upstream_cx_overflow{namespace="production", container="envoy"}[5m]), "stat", "envoy_cluster_upstream_cx_overflow", "", "")\n  or\n  label_replace(increase(envoy_cluster_upstream_cx_pool_overflow{namespace="production", container="envoy"}[5m]), "stat", "envoy_cluster_upstream_cx_pool_overflow", "", "")\n) > 0',
        for: '5m',
        labels: {
          severity: 'warning',
        },
      },
      {
        alert: 'EnvoyUpstreamTlsHandshakeFailures',
        annotations: {
          description: 'Envoy {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} failed {{ $value | humanize }} TLS handshakes to cluster {{ $labels.envoy_cluster_name }} in 5 minutes (handshake errors, or the upstream\'s certificate failed CA or name verification).',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#envoyupstreamtlshandshakefailures',
          summary: 'An Envoy sidecar cannot open TLS connections to an upstream.',
        },
        expr: 'sum by (namespace, pod, container, envoy_cluster_name) (\n  label_replace(increase(envoy_cluster_ssl_connection_error{namespace="production", container="envoy"}[5m]), "stat", "envoy_cluster_ssl_connection_error", "", "")\n  or\n  label_replace(increase(envoy_cluster_ssl_fail_verify_error{namespace="production", container="envoy"}[5m]), "stat", "envoy_cluster_ssl_fail_verify_error", "", "")\n  or\n  label_replace(increase(envoy_cluster_ssl_fail_verify_san{namespace="production", container="envoy"}[5m]), "stat", "envoy_cluster_ssl_fail_verify_san", "", "")\n  or\n  label_replace(increase(envoy_cluster_ssl_fail_verify_no_cert{namespace="production", container="envoy"}[5m]), "stat", "envoy_cluster_ssl_fail_verify_no_cert", "", "")\n  or\n  label_replace(increase(envoy_cluster_ssl_fail_verify_cert_hash{namespace="production", container="envoy"}[5m]), "stat", "envoy_cluster_ssl_fail_verify_cert_hash", "", "")\n) > 0',
        for: '5m',
        labels: {
          severity: 'warning',
        },
      },
      {
        alert: 'EnvoyOutlierEjectionOverflow',
        annotations: {
          description: 'Envoy {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} could not eject {{ $value | humanize }} failing hosts of cluster {{ $labels.envoy_cluster_name }} in 5 minutes: the upstream\'s maxEjectionPercent is reached, so requests still go to failing hosts.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#envoyoutlierejectionoverflow',
          summary: 'More hosts of an upstream fail than Envoy\'s outlier detection may eject.',
        },
        expr: 'sum by (namespace, pod, container, envoy_cluster_name) (increase(envoy_cluster_outlier_detection_ejections_overflow{namespace="production", container="envoy"}[5m])) > 0',
        for: '5m',
        labels: {
          severity: 'warning',
        },
      },
    ],
  },
  {
    name: 'sidecar-fluent-bit',
    rules: [
      {
        alert: 'FluentBitBacklogHigh',
        annotations: {
          description: 'Output {{ $labels.name }} of Fluent Bit {{ $labels.container }} in pod {{ $labels.namespace }}/{{ $labels.pod }} has neither delivered nor dropped {{ $value | humanize }} of the records the sidecar has read.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#fluentbitbackloghigh',
          summary: 'A Fluent Bit output is far behind what its sidecar has read.',
        },
        expr: '(\n  sum by (namespace, pod, container) (fluentbit_input_records_total{namespace="production", container="fluent-bit"})\n  + (sum by (namespace, pod, container) (fluentbit_filter_add_records_total{namespace="production", container="fluent-bit"}) or sum by (namespace, pod, container) (fluentbit_input_records_total{namespace="production", container="fluent-bit"}) * 0)\n  - (sum by (namespace, pod, container) (fluentbit_filter_drop_records_total{namespace="production", container="fluent-bit"}) or sum by (namespace, pod, container) (fluentbit_input_records_total{namespace="production", container="fluent-bit"}) * 0)\n)\n- on (namespace, pod, container) group_right ()\n(\n  sum by (namespace, pod, container, name) (fluentbit_output_proc_records_total{namespace="production", container="fluent-bit"})\n  + sum by (namespace, pod, container, name) (fluentbit_output_dropped_records_total{namespace="production", container="fluent-bit"})\n) > 10000',
        for: '10m',
        labels: {
          severity: 'warning',
        },
      },
      {
        alert: 'FluentBitPipelineStalled',
        annotations: {
          description: '{{ $labels.name }} of Fluent Bit {{ $labels.container }} in pod {{ $labels.namespace }}/{{ $labels.pod }} has made no progress for 5 minutes (an output retrying without delivering, or an input paused).',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#fluentbitpipelinestalled',
          summary: 'A Fluent Bit output has stopped delivering, or its input has stopped reading.',
        },
        expr: '(\n  (sum by (namespace, pod, container, name) (increase(fluentbit_output_retried_records_total{namespace="production", container="fluent-bit"}[5m])) > 0\n    unless on (namespace, pod, container, name) sum by (namespace, pod, container, name) (increase(fluentbit_output_proc_records_total{namespace="production", container="fluent-bit"}[5m])) > 0)\n  or max by (namespace, pod, container, name) (fluentbit_input_ingestion_paused{namespace="production", container="fluent-bit"}) == 1\n)\nunless on (namespace, pod) kube_pod_deletion_timestamp',
        for: '5m',
        labels: {
          severity: 'warning',
        },
      },
      {
        alert: 'FluentBitOutputRetriesFailed',
        annotations: {
          description: 'Fluent Bit {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} discarded {{ $value | humanize }} chunks for output {{ $labels.name }} after exhausting its retries in 5 minutes.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#fluentbitoutputretriesfailed',
          summary: 'A Fluent Bit sidecar gave up delivering chunks: logs were lost.',
        },
        expr: 'sum by (namespace, pod, container, name) (increase(fluentbit_output_retries_failed_total{namespace="production", container="fluent-bit"}[5m])) > 0',
        labels: {
          severity: 'critical',
        },
      },
      {
        alert: 'FluentBitRecordsDropped',
        annotations: {
          description: 'Fluent Bit {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} dropped {{ $value | humanize }} records in output {{ $labels.name }} in 5 minutes.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#fluentbitrecordsdropped',
          summary: 'A Fluent Bit sidecar dropped log records.',
        },
        expr: 'sum by (namespace, pod, container, name) (increase(fluentbit_output_dropped_records_total{namespace="production", container="fluent-bit"}[5m])) > 0',
        labels: {
          severity: 'warning',
        },
      },
    ],
  },
  {
    name: 'sidecar-vault-agent',
    rules: [
      {
        alert: 'VaultAgentAuthFailure',
        annotations: {
          description: 'Vault Agent {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} fails auto-auth and holds no valid Vault token; its secrets are neither rendered nor renewed.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#vaultagentauthfailure',
          summary: 'A Vault Agent sidecar cannot authenticate to Vault.',
        },
        expr: '(\n  sum by (namespace, pod, container) (increase(vault_agent_auth_failure{namespace="production", container="vault-agent"}[10m])) > 0\n  # The counter appears with the first failure: a new series is a failure too.\n  or count by (namespace, pod, container) (vault_agent_auth_failure{namespace="production", container="vault-agent"} unless vault_agent_auth_failure{namespace="production", container="vault-agent"} offset 10m)\n)\n# A later try logged in: the agent has a valid token again.\nunless on (namespace, pod, container) (max by (namespace, pod, container) (vault_agent_authenticated{namespace="production", container="vault-agent"}) == 1)',
        for: '2m',
        labels: {
          severity: 'critical',
        },
      },
    ],
  },
];

export const POD_METRICS_ENDPOINTS = [
  {
    path: '/stats/prometheus',
    port: 'envoy-stats',
    relabelings: [
      {
        action: 'keep',
        regex: 'envoy',
        sourceLabels: [
          '__meta_kubernetes_pod_container_name',
        ],
      },
      {
        action: 'replace',
        sourceLabels: [
          '__meta_kubernetes_namespace',
        ],
        targetLabel: 'namespace',
      },
      {
        action: 'replace',
        sourceLabels: [
          '__meta_kubernetes_pod_name',
        ],
        targetLabel: 'pod',
      },
      {
        action: 'replace',
        sourceLabels: [
          '__meta_kubernetes_pod_container_name',
        ],
        targetLabel: 'container',
      },
    ],
  },
  {
    path: '/api/v2/metrics/prometheus',
    port: 'flb-metrics',
    relabelings: [
      {
        action: 'keep',
        regex: 'fluent-bit',
        sourceLabels: [
          '__meta_kubernetes_pod_container_name',
        ],
      },
      {
        action: 'replace',
        sourceLabels: [
          '__meta_kubernetes_namespace',
        ],
        targetLabel: 'namespace',
      },
      {
        action: 'replace',
        sourceLabels: [
          '__meta_kubernetes_pod_name',
        ],
        targetLabel: 'pod',
      },
      {
        action: 'replace',
        sourceLabels: [
          '__meta_kubernetes_pod_container_name',
        ],
        targetLabel: 'container',
      },
    ],
  },
  {
    params: {
      format: [
        'prometheus',
      ],
    },
    path: '/agent/v1/metrics',
    port: 'vault-metrics',
    relabelings: [
      {
        action: 'keep',
        regex: 'vault-agent',
        sourceLabels: [
          '__meta_kubernetes_pod_container_name',
        ],
      },
      {
        action: 'replace',
        sourceLabels: [
          '__meta_kubernetes_namespace',
        ],
        targetLabel: 'namespace',
      },
      {
        action: 'replace',
        sourceLabels: [
          '__meta_kubernetes_pod_name',
        ],
        targetLabel: 'pod',
      },
      {
        action: 'replace',
        sourceLabels: [
          '__meta_kubernetes_pod_container_name',
        ],
        targetLabel: 'container',
      },
    ],
  },
];
