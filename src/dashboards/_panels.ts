import { AlertTarget, BY, containerMatcher, namespaceMatcher, perPlacement } from '../alerts/_rules';

/**
 * Internal: the panels every sidecar gets (overview, and the top row of each kind's
 * dashboard), from the metrics the generic alert pack reads. Nothing here is exported
 * from the package.
 *
 * kube-state-metrics 2.11 (`docs/pod-metrics.md`, `internal/store/pod.go`): native
 * sidecars are init containers (`kube_pod_init_container_*`, `restart_policy="Always"` on
 * `kube_pod_init_container_info`), legacy ones `kube_pod_container_*`; requests and limits
 * are `kube_pod_{init_container,container}_resource_{requests,limits}{resource, unit}` with
 * unit "core" for cpu and "byte" for memory; pod times `kube_pod_start_time`,
 * `kube_pod_status_initialized_time`, `kube_pod_status_ready_time`.
 * cAdvisor through the kubelet (google/cadvisor `docs/storage/prometheus.md`): usage
 * `container_cpu_usage_seconds_total`, `container_cpu_cfs_{throttled_periods,periods}_total`,
 * `container_memory_working_set_bytes`, labelled `namespace`, `pod`, `container` by the
 * kubelet for init and app containers alike.
 */

/** A sidecar as the dashboards see it (the alert packs' view). */
export type DashTarget = AlertTarget;

/** One query of a panel, ready to render. */
export interface QuerySpec {
  readonly expr: string;
  readonly legend: string;
}

/** One panel, ready to render. */
export interface PanelSpec {
  readonly title: string;
  readonly description?: string;
  /** Grafana unit id. */
  readonly unit: string;
  readonly type: 'timeseries' | 'stat';
  readonly queries: QuerySpec[];
  readonly min?: number;
  readonly max?: number;
  /** Width in grid columns (of 24). */
  readonly width?: number;
}

/** A titled section of a dashboard. */
export interface RowSpec {
  readonly title: string;
  readonly panels: PanelSpec[];
}

/** The dashboard variables every selector uses. */
const VARIABLES = 'namespace=~"$namespace", pod=~"$pod"';
/** The placeholder of a pack's query for the sidecars' selector. */
export const SIDECAR = '$sidecar';
/** Grafana's range macros, and a duration that stands for them when the grammar checks a query. */
export const RANGE_MACROS = /\$__(rate_interval|interval|range)\b/g;

const WHO = '{{pod}} {{container}}';

/** The selector of the targets' containers (exact names; the variable picks the namespace), with the dashboard's variables. */
export function selector(targets: DashTarget[]): string {
  return `${VARIABLES}, ${containerMatcher(targets)}`;
}

/** Native and legacy variants of a kube-state-metrics expression, `or`-ed, with the dashboard's selectors. */
function perFamily(targets: DashTarget[], build: (family: 'init_container' | 'container', m: string) => string): string | undefined {
  return perPlacement(targets, build, selector);
}

function q(expr: string | undefined, legend: string): QuerySpec[] {
  return expr === undefined ? [] : [{ expr, legend }];
}

/** Sidecars that are not ready, in running pods, native ones by their restart policy. */
function notReady(targets: DashTarget[]): string | undefined {
  return perFamily(targets.filter(t => t.longRunning), (family, m) => [
    `(kube_pod_${family}_status_ready{${m}} == 0)`,
    ...(family === 'init_container' ? [`and on (namespace, pod, container) kube_pod_init_container_info{${m}, restart_policy="Always"}`] : []),
    `and on (namespace, pod) (kube_pod_status_phase{${VARIABLES}, phase="Running"} == 1)`,
  ].join(' '));
}

const restarts = (targets: DashTarget[]) => perFamily(targets, (family, m) =>
  `increase(kube_pod_${family}_status_restarts_total{${m}}[1h])`);

const resource = (targets: DashTarget[], kind: 'requests' | 'limits', resourceName: 'cpu' | 'memory') =>
  perFamily(targets, (family, m) =>
    `max by (${BY}) (kube_pod_${family}_resource_${kind}{${m}, resource="${resourceName}", unit="${resourceName === 'cpu' ? 'core' : 'byte'}"})`);

function cpuPanel(targets: DashTarget[], width?: number): PanelSpec {
  return {
    title: 'CPU: usage, request and limit',
    description: 'CPU cores each sidecar uses (cAdvisor), against the request and limit it was given (kube-state-metrics). Usage at the limit is throttled.',
    unit: 'short',
    type: 'timeseries',
    width,
    queries: [
      { expr: `sum by (${BY}) (rate(container_cpu_usage_seconds_total{${selector(targets)}}[$__rate_interval]))`, legend: `${WHO} used` },
      ...q(resource(targets, 'requests', 'cpu'), `${WHO} request`),
      ...q(resource(targets, 'limits', 'cpu'), `${WHO} limit`),
    ],
  };
}

function memoryPanel(targets: DashTarget[], width?: number): PanelSpec {
  return {
    title: 'Memory: working set, request and limit',
    description: 'The working set of each sidecar (cAdvisor; what the kernel counts against the limit), against its request and limit (kube-state-metrics). At the limit the sidecar is OOMKilled.',
    unit: 'bytes',
    type: 'timeseries',
    width,
    queries: [
      { expr: `max by (${BY}) (container_memory_working_set_bytes{${selector(targets)}})`, legend: `${WHO} working set` },
      ...q(resource(targets, 'requests', 'memory'), `${WHO} request`),
      ...q(resource(targets, 'limits', 'memory'), `${WHO} limit`),
    ],
  };
}

function restartsPanel(targets: DashTarget[], width?: number): PanelSpec {
  return {
    title: 'Restarts in the last hour',
    description: 'Restarts of each sidecar over the hour before each point (SidecarContainerRestarting, SidecarOOMKilled).',
    unit: 'short',
    type: 'timeseries',
    width,
    min: 0,
    queries: q(restarts(targets), WHO),
  };
}

/** The overview: every sidecar's health, resources and start time. */
export function overviewRows(targets: DashTarget[]): RowSpec[] {
  const native = targets.filter(t => t.init && t.longRunning);
  const rows: RowSpec[] = [
    {
      title: 'Health',
      panels: [
        total('Sidecars not ready', 'Sidecars of running pods that are not ready now (SidecarContainerNotReady fires after its window).',
          'count', notReady(targets), 'not ready'),
        total('Sidecars waiting', 'Sidecars waiting to run now, for any reason (CrashLoopBackOff, ImagePullBackOff, PodInitializing, ...).',
          'count', perFamily(targets, (family, m) => `(kube_pod_${family}_status_waiting_reason{${m}} == 1)`), 'waiting'),
        total('Restarts in the last hour (all sidecars)', undefined, 'sum', restarts(targets), 'restarts'),
        total('Sidecars OOMKilled last time', 'Sidecars whose last termination was an OOM kill (kube-state-metrics keeps the last reason until the next one).',
          'count', perFamily(targets, (family, m) => `(kube_pod_${family}_status_last_terminated_reason{${m}, reason="OOMKilled"} == 1)`), 'OOMKilled'),
        restartsPanel(targets),
        {
          title: 'Readiness',
          description: '1 while a sidecar is ready, 0 while it is not (a native sidecar is not ready until its startup gate passes: its startup probe or its postStart hook).',
          unit: 'short',
          type: 'timeseries',
          min: 0,
          max: 1,
          queries: q(perFamily(targets.filter(t => t.longRunning), (family, m) => `kube_pod_${family}_status_ready{${m}}`), WHO),
        },
        {
          title: 'Waiting and last termination reasons',
          description: 'Why a sidecar waits (CrashLoopBackOff, ImagePullBackOff, PodInitializing) and why it last stopped (OOMKilled, Error, Completed).',
          unit: 'short',
          type: 'timeseries',
          min: 0,
          max: 1,
          width: 24,
          queries: [
            ...q(perFamily(targets, (family, m) => `kube_pod_${family}_status_waiting_reason{${m}} == 1`), `${WHO} waiting: {{reason}}`),
            ...q(perFamily(targets, (family, m) => `kube_pod_${family}_status_last_terminated_reason{${m}} == 1`), `${WHO} last terminated: {{reason}}`),
          ],
        },
      ],
    },
    {
      title: 'CPU',
      panels: [
        cpuPanel(targets),
        {
          title: 'CPU throttled periods',
          description: 'The share of CFS periods in which each sidecar was throttled at its CPU limit (SidecarCpuThrottled, 25 % by default). Only containers with a CPU limit have CFS periods.',
          unit: 'percentunit',
          type: 'timeseries',
          min: 0,
          max: 1,
          queries: [{
            expr: `sum by (${BY}) (rate(container_cpu_cfs_throttled_periods_total{${selector(targets)}}[$__rate_interval]))\n/ sum by (${BY}) (rate(container_cpu_cfs_periods_total{${selector(targets)}}[$__rate_interval]))`,
            legend: WHO,
          }],
        },
      ],
    },
    {
      title: 'Memory',
      panels: [
        memoryPanel(targets),
        {
          title: 'Memory working set of the limit',
          description: 'The working set over the memory limit (SidecarMemoryNearLimit, 90 % by default). Sidecars without a memory limit have no line.',
          unit: 'percentunit',
          type: 'timeseries',
          min: 0,
          max: 1,
          queries: [{
            expr: `max by (${BY}) (container_memory_working_set_bytes{${selector(targets)}})\n/ on (${BY}) (${resource(targets, 'limits', 'memory')})`,
            legend: WHO,
          }],
        },
      ],
    },
    {
      title: 'Start',
      panels: [
        {
          title: 'Pod start to initialized',
          description: 'Seconds from the pod\'s start to the end of its init phase: the native sidecars\' start chain (each waits until the one before runs and has passed its gate: a startup probe or a postStart hook) and the init containers (SidecarStartupBlocked when it never ends).',
          unit: 's',
          type: 'timeseries',
          min: 0,
          queries: native.length === 0 ? [] : [{
            expr: `(kube_pod_status_initialized_time{${VARIABLES}} - kube_pod_start_time{${VARIABLES}})\nand on (namespace, pod) kube_pod_init_container_info{${selector(native)}, restart_policy="Always"}`,
            legend: '{{pod}}',
          }],
        },
        {
          title: 'Pod start to ready',
          description: 'Seconds from the pod\'s start until it is ready, for the pods with sidecars.',
          unit: 's',
          type: 'timeseries',
          min: 0,
          queries: [{
            expr: `(kube_pod_status_ready_time{${VARIABLES}} - kube_pod_start_time{${VARIABLES}})\nand on (namespace, pod) (${perFamily(targets, (family, m) => `kube_pod_${family}_info{${m}}`)})`,
            legend: '{{pod}}',
          }],
        },
      ],
    },
  ];
  return rows.map(r => ({ ...r, panels: r.panels.filter(p => p.queries.length > 0) })).filter(r => r.panels.length > 0);
}

/** The top row of a kind's dashboard: that kind's containers only. */
export function containerRow(targets: DashTarget[]): RowSpec {
  return {
    title: 'Containers',
    panels: [restartsPanel(targets, 8), cpuPanel(targets, 8), memoryPanel(targets, 8)].filter(p => p.queries.length > 0),
  };
}

/** A number of the Health row: the `count` or `sum` of `expr` over every sidecar, 0 when nothing matches. */
function total(title: string, description: string | undefined, aggregation: 'count' | 'sum', expr: string | undefined, legend: string): PanelSpec {
  return {
    title,
    description,
    unit: 'short',
    type: 'stat',
    width: 6,
    queries: q(expr === undefined ? undefined : `${aggregation}(${expr}) or vector(0)`, legend),
  };
}

/**
 * The query of a variable listing the `label` values (namespace or pod) of the pods
 * that have these sidecars, from kube-state-metrics' container info.
 */
export function variableQuery(targets: DashTarget[], label: 'namespace' | 'pod'): { query: string; regex?: string } {
  const scope = label === 'pod' ? 'namespace=~"$namespace"' : namespaceMatcher(targets);
  const sel = (family: string, ts: DashTarget[]) => `kube_pod_${family}_info{${[scope, containerMatcher(ts)].filter(x => x !== undefined).join(', ')}}`;
  const init = targets.filter(t => t.init);
  const plain = targets.filter(t => !t.init);
  if (init.length === 0 || plain.length === 0) {
    const promql = sel(init.length > 0 ? 'init_container' : 'container', targets);
    return { query: `label_values(${promql}, ${label})` };
  }
  const promql = `count by (${label}) (${sel('init_container', init)} or ${sel('container', plain)})`;
  return { query: `query_result(${promql})`, regex: `/${label}="([^"]+)"/` };
}
