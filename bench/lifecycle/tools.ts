/**
 * Per-tool process times (seconds), by container name: what the model cannot read from a
 * manifest. Typical values on a warm node (images present), for a tool reaching its
 * dependencies in-cluster:
 *
 * - fluent-bit: the HTTP server answers about 0.3 s after exec. On SIGTERM the engine
 *   stops the inputs and checks for pending tasks every second (`Grace`): with a
 *   reachable output it exits at the first check, 1 s after.
 * - vault-agent (library, and vault-k8s's init container): Kubernetes auth login plus one
 *   read per secret, then the templates are written: about 1 s. It exits at once on
 *   SIGTERM.
 * - envoy: static bootstrap (no xDS), `/ready` answers about 0.8 s after exec; the preStop
 *   drain request returns at once (the drain runs in Envoy while the app stops); exits at
 *   once on SIGTERM.
 * - config-reloader (configmap-reload) and statsd-exporter: Go binaries ready in 0.1–0.2 s,
 *   exit at once on SIGTERM.
 * - istio-proxy: pilot-agent, then Envoy, then the first xDS push from istiod before
 *   `/healthz/ready` answers: about 2 s; exits 0.3 s after SIGTERM (the figure for
 *   Istio's native sidecar, whose app is already gone).
 * - vault-agent-k8s (vault-k8s's regular sidecar): exits at once on SIGTERM, never by itself
 *   (a Job's pod stays Running).
 * - the app (any container not listed): starts at once (the same with or without sidecars),
 *   stops 3 s after SIGTERM.
 */
import { ToolTable } from './model';

export const TOOLS: ToolTable = {
  'fluent-bit': { ready: 0.3, stop: 1.0 },
  'vault-agent': { ready: 1.0, stop: 0.1 },
  'envoy': { ready: 0.8, stop: 0.1, preStop: 0.05 },
  'config-reloader': { ready: 0.1, stop: 0.1 },
  'statsd-exporter': { ready: 0.2, stop: 0.1 },
  'istio-proxy': { ready: 2.0, stop: 0.3 },
  'vault-agent-init': { ready: 1.0, stop: 0.1 },
  'vault-agent-k8s': { ready: 1.0, stop: 0.1, runsForever: true },
};
