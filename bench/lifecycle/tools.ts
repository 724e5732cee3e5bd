/**
 * Per-tool process times (seconds), by container name: what the model cannot read from a
 * manifest. Typical values on a warm node (images present), for a tool reaching its
 * dependencies in-cluster:
 *
 * - fluent-bit: the HTTP server answers about 0.3 s after exec. On SIGTERM the engine
 *   stops the inputs and checks for pending tasks every second (`Grace`; the 1 s timer of
 *   fluent/fluent-bit v5.1.1 src/flb_engine.c:1444-1447): with a reachable output it exits
 *   at the first check, 1 s after.
 * - vault-agent (library, and vault-k8s's init container): Kubernetes auth login plus one
 *   read per secret, then the templates are written: about 1 s. It exits 0.1 s after
 *   SIGTERM. The library's agent gates with a postStart hook that polls the rendered
 *   files every 0.1 s, and its preStop sends it SIGTERM (`preStopStops`: it stops with
 *   the app, unless `apiProxy`).
 * - envoy: static bootstrap (no xDS), `/ready` answers about 0.8 s after exec; the gate
 *   (a postStart hook) polls `/ready` every 0.1 s; the preStop drain request returns in
 *   0.05 s (the drain runs in Envoy while the app stops); exits 0.1 s after SIGTERM.
 * - config-reloader (configmap-reload) and statsd-exporter: Go binaries ready in 0.1–0.2 s,
 *   exit 0.1 s after SIGTERM. The StatsD exporter's preStop sends it SIGTERM
 *   (`preStopStops`); the reloader's image has no shell, so it has no such hook.
 * - istio-proxy: pilot-agent, then Envoy, then the first xDS push from istiod before
 *   `/healthz/ready` answers: about 2 s; exits 0.3 s after SIGTERM (the figure for
 *   Istio's native sidecar, whose app is already gone).
 * - vault-agent-k8s (vault-k8s's regular sidecar): exits 0.1 s after SIGTERM, never by itself
 *   (a Job's pod stays Running).
 * - the app (any container not listed): starts at once (the same with or without sidecars),
 *   stops 3 s after SIGTERM.
 *
 * A gate hook (`postStart`) returns at the first poll after the tool is ready: on average
 * `ready` plus half the poll period (`gateHook`). Starting its shell (an exec in the
 * container, like an exec probe) overlaps the tool's own start and adds nothing.
 */
import { round, ToolTable } from './model';

/** The gate hooks' poll period (`sleep 0.1`), seconds. */
const GATE_POLL_SECONDS = 0.1;

/** How long a gate hook that polls every `GATE_POLL_SECONDS` blocks, on average, for a tool ready after `ready` seconds. */
function gateHook(ready: number): number {
  return round(ready + GATE_POLL_SECONDS / 2);
}

export const TOOLS: ToolTable = {
  'fluent-bit': { ready: 0.3, stop: 1.0 },
  'vault-agent': { ready: 1.0, stop: 0.1, postStart: gateHook(1.0), preStopStops: true },
  'envoy': { ready: 0.8, stop: 0.1, preStop: 0.05, postStart: gateHook(0.8) },
  'config-reloader': { ready: 0.1, stop: 0.1 },
  'statsd-exporter': { ready: 0.2, stop: 0.1, preStopStops: true },
  'istio-proxy': { ready: 2.0, stop: 0.3 },
  'vault-agent-init': { ready: 1.0, stop: 0.1 },
  'vault-agent-k8s': { ready: 1.0, stop: 0.1, runsForever: true },
};
