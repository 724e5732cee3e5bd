/**
 * The hand-written side's configuration text, as a team would keep it next to its
 * chart: the files are identical for every pod, so they are written once. The text
 * is what cdk8s-sidecars generates for the benchmark's props (the equivalence test
 * compares the two sides' manifests).
 */

export const FLUENT_BIT_CONF = `[SERVICE]
    Flush        1
    Grace        5
    Log_Level    info
    Daemon       off
    Parsers_File /fluent-bit/etc/parsers.conf
    HTTP_Server  On
    HTTP_Listen  0.0.0.0
    HTTP_Port    2020
    Health_Check On

[INPUT]
    Name             tail
    Path             /var/log/app/*.log
    Tag              app.*
    Read_from_Head   True
    Refresh_Interval 5
    Mem_Buf_Limit    50MB
    Skip_Long_Lines  On
    DB               /var/fluent-bit/state/tail.db

[FILTER]
    Name         parser
    Match        app.*
    Key_Name     log
    Parser       json
    Reserve_Data True

[FILTER]
    Name  modify
    Match *
    Add   namespace \${POD_NAMESPACE}
    Add   pod \${POD_NAME}
    Add   node \${NODE_NAME}

[OUTPUT]
    Name        forward
    Match       *
    Host        fluentd-aggregator.logging
    Port        24224
    Retry_Limit 5
`;

export const PARSERS_CONF = `[PARSER]
    Name        json
    Format      json
    Time_Key    timestamp
    Time_Format %Y-%m-%dT%H:%M:%S.%L%z

[PARSER]
    Name        docker
    Format      json
    Time_Key    time
    Time_Format %Y-%m-%dT%H:%M:%S.%L
`;

export const VAULT_AGENT_HCL = `vault {
  address = "https://vault.vault.svc:8200"
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
  prometheus_retention_time = "24h"
  disable_hostname = true
}
`;

export const ENVOY_YAML = `admin:
  address:
    socket_address:
      address: 127.0.0.1
      port_value: 15000
static_resources:
  listeners:
    - name: inbound
      address:
        socket_address:
          address: 0.0.0.0
          port_value: 15006
      traffic_direction: INBOUND
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: inbound
                codec_type: AUTO
                route_config:
                  name: inbound_route
                  virtual_hosts:
                    - name: local_app
                      domains:
                        - "*"
                      routes:
                        - match:
                            prefix: /
                          route:
                            cluster: local_app
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
    - name: outbound
      address:
        socket_address:
          address: 127.0.0.1
          port_value: 15001
      traffic_direction: OUTBOUND
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: outbound
                codec_type: AUTO
                http_protocol_options:
                  allow_absolute_url: true
                route_config:
                  name: outbound_route
                  virtual_hosts:
                    - name: payments
                      domains:
                        - payments.production.svc.cluster.local
                        - payments.production.svc.cluster.local:8080
                      routes:
                        - match:
                            prefix: /
                          route:
                            cluster: payments
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
    - name: stats
      address:
        socket_address:
          address: 0.0.0.0
          port_value: 15090
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: stats
                codec_type: AUTO
                route_config:
                  name: stats_route
                  virtual_hosts:
                    - name: envoy_admin
                      domains:
                        - "*"
                      routes:
                        - match:
                            path: /stats/prometheus
                            headers:
                              - name: :method
                                string_match:
                                  exact: GET
                          route:
                            cluster: envoy_admin
                        - match:
                            path: /ready
                            headers:
                              - name: :method
                                string_match:
                                  exact: GET
                          route:
                            cluster: envoy_admin
                        - match:
                            path: /server_info
                            headers:
                              - name: :method
                                string_match:
                                  exact: GET
                          route:
                            cluster: envoy_admin
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
    - name: local_app
      type: STATIC
      connect_timeout: 5s
      lb_policy: ROUND_ROBIN
      load_assignment:
        cluster_name: local_app
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address:
                      address: 127.0.0.1
                      port_value: 8080
    - name: envoy_admin
      type: STATIC
      connect_timeout: 1s
      lb_policy: ROUND_ROBIN
      load_assignment:
        cluster_name: envoy_admin
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address:
                      address: 127.0.0.1
                      port_value: 15000
    - name: payments
      type: STRICT_DNS
      connect_timeout: 5s
      lb_policy: ROUND_ROBIN
      load_assignment:
        cluster_name: payments
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address:
                      address: payments.production.svc.cluster.local
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
          description: 'Envoy {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} rejected {{ $value | humanize }} requests or connections to cluster {{ $labels.envoy_cluster_name }} in 5 minutes (circuit breaker overflow).',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#envoycircuitbreakeroverflow',
          summary: 'An Envoy sidecar rejects requests because a circuit breaker is open.',
        },
        expr: 'sum by (namespace, pod, container, envoy_cluster_name) (increase({__name__=~"envoy_cluster_upstream_(rq_pending|cx)_overflow", namespace="production", container="envoy"}[5m])) > 0',
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
          description: 'Fluent Bit {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} holds {{ $value | humanize }} records it has read but not yet delivered.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#fluentbitbackloghigh',
          summary: 'A Fluent Bit sidecar has read many more log records than it has delivered.',
        },
        expr: '(\n  sum by (namespace, pod, container) (fluentbit_input_records_total{namespace="production", container="fluent-bit"})\n  + (sum by (namespace, pod, container) (fluentbit_filter_add_records_total{namespace="production", container="fluent-bit"}) or sum by (namespace, pod, container) (fluentbit_input_records_total{namespace="production", container="fluent-bit"}) * 0)\n  - (sum by (namespace, pod, container) (fluentbit_filter_drop_records_total{namespace="production", container="fluent-bit"}) or sum by (namespace, pod, container) (fluentbit_input_records_total{namespace="production", container="fluent-bit"}) * 0)\n  - sum by (namespace, pod, container) (fluentbit_output_proc_records_total{namespace="production", container="fluent-bit"})\n  - sum by (namespace, pod, container) (fluentbit_output_dropped_records_total{namespace="production", container="fluent-bit"})\n) > 10000',
        for: '10m',
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
          description: 'Vault Agent {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} failed auto-auth in the last 10 minutes; its secrets are neither rendered nor renewed.',
          runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#vaultagentauthfailure',
          summary: 'A Vault Agent sidecar cannot authenticate to Vault.',
        },
        expr: 'sum by (namespace, pod, container) (increase(vault_agent_auth_failure{namespace="production", container="vault-agent"}[10m])) > 0\nor count by (namespace, pod, container) (vault_agent_auth_failure{namespace="production", container="vault-agent"} unless vault_agent_auth_failure{namespace="production", container="vault-agent"} offset 10m)',
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
