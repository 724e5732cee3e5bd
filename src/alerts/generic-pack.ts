import { BY, matchers, NOT_DELETING, perPlacement, WHERE } from './_rules';
import { AlertPack, AlertSeverity, AlertThresholdUnit } from './pack';

/**
 * The alerts of every sidecar: restarts, crash loops and readiness, from kube-state-metrics.
 *
 * Native sidecars are init containers, so their state is in `kube_pod_init_container_*`
 * (`kube_pod_init_container_info` carries the container's `restart_policy`, "Always" for a
 * native sidecar, since kube-state-metrics 2.11); legacy sidecars are in
 * `kube_pod_container_*`. `kube_pod_deletion_timestamp` exists only for pods being
 * deleted; `kube_pod_status_phase` is 1 for the pod's phase.
 *
 * Resources: `kube_pod_{init_container,container}_resource_limits{resource="memory", unit="byte"}`
 * (kube-state-metrics 2.11 `internal/store/pod.go`); usage from the kubelet's cAdvisor endpoint
 * (`container_cpu_cfs_throttled_periods_total`, `container_cpu_cfs_periods_total`,
 * `container_memory_working_set_bytes`, google/cadvisor `lib/metrics/prometheus.go`), whose
 * `namespace`, `pod` and `container` labels the kubelet sets for init and app containers alike
 * (kubernetes `pkg/kubelet/server/server.go`, `containerPrometheusLabelsFunc`).
 */
export const GENERIC_ALERT_PACK = AlertPack._builtIn('containers', [
  {
    alert: 'SidecarContainerRestarting',
    summary: 'A sidecar container restarts again and again.',
    description: `Sidecar {{ $labels.container }} of pod ${WHERE} restarted {{ $value | humanize }} times in the last hour.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    threshold: { value: 3, unit: AlertThresholdUnit.COUNT },
    scrapedOnly: false,
    expr: (targets, threshold) => perPlacement(targets, (family, m) =>
      `increase(kube_pod_${family}_status_restarts_total{${m}}[1h]) > ${threshold}`),
  },
  {
    alert: 'SidecarContainerCrashLooping',
    summary: 'A sidecar container is in CrashLoopBackOff.',
    description: `Sidecar {{ $labels.container }} of pod ${WHERE} keeps crashing (CrashLoopBackOff); the pod cannot work without it.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 15 * 60,
    scrapedOnly: false,
    expr: (targets) => perPlacement(targets, (family, m) =>
      `max_over_time(kube_pod_${family}_status_waiting_reason{${m}, reason="CrashLoopBackOff"}[5m]) >= 1`),
  },
  {
    alert: 'SidecarContainerNotReady',
    summary: 'A sidecar container of a running pod is not ready.',
    description: `Sidecar {{ $labels.container }} of running pod ${WHERE} has not been ready for its whole alert window.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 10 * 60,
    scrapedOnly: false,
    expr: (targets) => perPlacement(targets.filter(t => t.longRunning), (family, m) => [
      `(kube_pod_${family}_status_ready{${m}} == 0)`,
      // A finished ordinary init container is not ready either: only native sidecars
      // (restartPolicy Always) count.
      ...(family === 'init_container' ? [`and on (namespace, pod, container) kube_pod_init_container_info{${m}, restart_policy="Always"}`] : []),
      // Not for pods that are done (completed Jobs) or not started, nor while the pod is deleted.
      'and on (namespace, pod) (kube_pod_status_phase{phase="Running"} == 1)',
      NOT_DELETING,
    ].join('\n')),
  },
  {
    alert: 'SidecarStartupBlocked',
    summary: 'A native sidecar never passes its startup check and holds its pod in PodInitializing.',
    description: `Native sidecar {{ $labels.container }} of pod ${WHERE} has not become ready while the pod is Pending and its app containers wait in PodInitializing: the pod never starts and its rollout is stalled.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 15 * 60,
    scrapedOnly: false,
    expr: (targets) => {
      // Only native sidecars (init containers that run for the pod's life) hold the pod.
      const native = targets.filter(t => t.init && t.longRunning);
      if (native.length === 0) return undefined;
      const m = matchers(native);
      return [
        `(kube_pod_init_container_status_ready{${m}} == 0)`,
        `and on (namespace, pod, container) kube_pod_init_container_info{${m}, restart_policy="Always"}`,
        // A sidecar later in the start order waits in PodInitializing too: it is not the one blocking.
        `unless on (namespace, pod, container) (kube_pod_init_container_status_waiting_reason{${m}, reason="PodInitializing"} == 1)`,
        // Pending: the app containers have not started (they wait in PodInitializing); not
        // a pod that was evicted or failed while initializing.
        'and on (namespace, pod) (kube_pod_status_phase{phase="Pending"} == 1)',
        NOT_DELETING,
      ].join('\n');
    },
  },
  {
    alert: 'SidecarOOMKilled',
    summary: 'A sidecar container was killed for running out of memory.',
    description: `Sidecar {{ $labels.container }} of pod ${WHERE} was OOMKilled: it restarted {{ $value | humanize }} times in the last 10 minutes and its last termination was OOMKilled. Its memory limit is too low for its load.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    threshold: { value: 0, unit: AlertThresholdUnit.COUNT },
    scrapedOnly: false,
    expr: (targets, threshold) => perPlacement(targets, (family, m) => [
      `(increase(kube_pod_${family}_status_restarts_total{${m}}[10m]) > ${threshold})`,
      `and on (namespace, pod, container) (kube_pod_${family}_status_last_terminated_reason{${m}, reason="OOMKilled"} == 1)`,
    ].join('\n')),
  },
  {
    alert: 'SidecarCpuThrottled',
    summary: 'A sidecar container is CPU-throttled at its limit.',
    description: `Sidecar {{ $labels.container }} of pod ${WHERE} was throttled in {{ $value | humanizePercentage }} of its CPU periods over 5 minutes: it is slowed down at its CPU limit (a proxy adds latency to every request).`,
    severity: AlertSeverity.WARNING,
    forSeconds: 15 * 60,
    threshold: { value: 0.25, unit: AlertThresholdUnit.RATIO },
    scrapedOnly: false,
    expr: (targets, threshold) => {
      const m = matchers(targets);
      return [
        `sum by (${BY}) (increase(container_cpu_cfs_throttled_periods_total{${m}}[5m]))`,
        `/ sum by (${BY}) (increase(container_cpu_cfs_periods_total{${m}}[5m]))`,
        `> ${threshold}`,
      ].join('\n');
    },
  },
  {
    alert: 'SidecarMemoryNearLimit',
    summary: 'A sidecar container uses nearly all of its memory limit.',
    description: `Sidecar {{ $labels.container }} of pod ${WHERE} uses {{ $value | humanizePercentage }} of its memory limit (working set): it will be OOMKilled if it grows.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 15 * 60,
    threshold: { value: 0.9, unit: AlertThresholdUnit.RATIO },
    scrapedOnly: false,
    expr: (targets, threshold) => {
      const limits = perPlacement(targets, (family, m) =>
        `max by (${BY}) (kube_pod_${family}_resource_limits{${m}, resource="memory", unit="byte"})`);
      return [
        `max by (${BY}) (container_memory_working_set_bytes{${matchers(targets)}})`,
        `/ on (${BY}) (${limits})`,
        `> ${threshold}`,
      ].join('\n');
    },
  },
]);
