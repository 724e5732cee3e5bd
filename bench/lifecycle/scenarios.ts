/**
 * The lifecycle benchmark's scenarios, synthesized by the library, and the reference
 * pods built like the injectors the library replaces. Each scenario is one pod spec
 * (the manifest's JSON); its baseline is the same pod without the sidecars.
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { PodSpecJson } from './model';
import {
  EnvoySidecar, FluentBitOutput, FluentBitSidecar, ReloaderSidecar, StatsdExporterSidecar, VaultAgentSidecar,
} from '../../src';
import { APP_IMAGE, APP_PORT, LOG_AGGREGATOR, UPSTREAM, VAULT_ROLE, VAULT_SECRETS } from '../scenario';

/** One scenario: the pod with its sidecars. */
export interface Scenario {
  readonly name: string;
  readonly pod: PodSpecJson;
  /** A Job (completion is measured) or a long-running pod (deletion is). */
  readonly job: boolean;
}

type Attach = (chart: Chart, workload: kplus.AbstractPod) => void;

const logs: Attach = (chart, w) => new FluentBitSidecar(chart, 'logs', { workload: w, outputs: [FluentBitOutput.forward(LOG_AGGREGATOR)] });
const secrets: Attach = (chart, w) => new VaultAgentSidecar(chart, 'secrets', { workload: w, role: VAULT_ROLE, secrets: VAULT_SECRETS });
const proxy: Attach = (chart, w) => new EnvoySidecar(chart, 'proxy', { workload: w, appPort: APP_PORT, upstreams: [UPSTREAM] });
const reload: Attach = (chart, w) => {
  const config = new kplus.ConfigMap(chart, 'config', { data: { 'app.yaml': 'log_level: info\n' } });
  new ReloaderSidecar(chart, 'reload', { workload: w, configMaps: [config], webhookUrl: `http://127.0.0.1:${APP_PORT}/-/reload` });
};
const statsd: Attach = (chart, w) => new StatsdExporterSidecar(chart, 'metrics', { workload: w });

const APP_CONTAINER = { name: 'app', image: APP_IMAGE, portNumber: APP_PORT };

/** The pod spec the library synthesizes for a Deployment (or a Job) with these sidecars. */
export function synthesizePod(job: boolean, attach: Attach[]): PodSpecJson {
  const chart = new Chart(new App(), 'lifecycle', { namespace: 'production' });
  const workload: kplus.AbstractPod = job
    ? new kplus.Job(chart, 'work', { containers: [APP_CONTAINER] })
    : new kplus.Deployment(chart, 'web', { containers: [APP_CONTAINER] });
  for (const a of attach) a(chart, workload);
  const kind = job ? 'Job' : 'Deployment';
  const obj = chart.toJson().find(o => o.kind === kind);
  return obj.spec.template.spec;
}

/** istio-proxy as Istio's native-sidecar injection renders it (istio/istio `manifests/charts/istio-control/istio-discovery/files/injection-template.yaml`, values defaults). */
export const ISTIO_PROXY = {
  name: 'istio-proxy',
  restartPolicy: 'Always',
  startupProbe: { httpGet: { path: '/healthz/ready', port: 15021 }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 600 },
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } },
};

/** vault-k8s's injected containers (hashicorp/vault-k8s `agent-inject/agent`, default resources): an init container and a regular sidecar, no probes. */
const VAULT_K8S_RESOURCES = { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } };
export const VAULT_K8S_INIT = { name: 'vault-agent-init', resources: VAULT_K8S_RESOURCES };
export const VAULT_K8S_SIDECAR = { name: 'vault-agent-k8s', resources: VAULT_K8S_RESOURCES };

/** The library's scenarios (from the issue). */
export function libraryScenarios(): Scenario[] {
  return [
    { name: 'README shop pod: Fluent Bit, Vault Agent, Envoy, reloader, StatsD (native)', job: false, pod: synthesizePod(false, [logs, secrets, proxy, reload, statsd]) },
    { name: 'Envoy + Vault Agent (native)', job: false, pod: synthesizePod(false, [secrets, proxy]) },
    { name: 'Job with Fluent Bit + Vault Agent (native)', job: true, pod: synthesizePod(true, [logs, secrets]) },
  ];
}

/** The reference pods. */
export function referenceScenarios(): Scenario[] {
  return [
    { name: 'Istio native sidecar', job: false, pod: { initContainers: [ISTIO_PROXY], containers: [{ name: 'app' }], terminationGracePeriodSeconds: 30 } },
    {
      name: 'Istio native + vault-k8s (init + sidecar)',
      job: false,
      // vault-k8s appends its init container after Istio's (it needs the mesh to reach Vault).
      pod: { initContainers: [ISTIO_PROXY, VAULT_K8S_INIT], containers: [{ name: 'app' }, VAULT_K8S_SIDECAR], terminationGracePeriodSeconds: 30 },
    },
  ];
}
