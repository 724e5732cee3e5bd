import { NOT_DELETING, perPlacement, WHERE } from './_rules';
import { AlertPack, AlertSeverity, AlertThresholdUnit } from './pack';

/**
 * The alerts of every sidecar: restarts, crash loops and readiness, from kube-state-metrics.
 *
 * Native sidecars are init containers, so their state is in `kube_pod_init_container_*`
 * (`kube_pod_init_container_info` carries the container's `restart_policy`, "Always" for a
 * native sidecar, since kube-state-metrics 2.11); legacy sidecars are in
 * `kube_pod_container_*`. `kube_pod_deletion_timestamp` exists only for pods being
 * deleted; `kube_pod_status_phase` is 1 for the pod's phase.
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
]);
