import { PodRule, podError } from './rule';
import type { Sidecar } from '../sidecar';
import { SidecarPlacement } from '../sidecar';

/** A sidecar's part of the grace period. */
interface Part {
  readonly name: string;
  readonly seconds: number;
}

/**
 * The grace period a pod needs, following the kubelet's termination order
 * (`killContainersWithSyncResult`, `kuberuntime_termination_order.go`): at deletion
 * every preStop hook starts at once, in parallel with the app's own stop; LEGACY
 * sidecars are main containers, stopped with the app (their budgets run after the app's
 * time; they are summed, as before, although the kubelet runs them in parallel); NATIVE
 * sidecars get SIGTERM after every main container and every later sidecar has exited, one
 * after another, in reverse start order. A NATIVE sidecar whose preStop stops the tool
 * (`stopWithAppCommand`) has exited before its turn comes: its turn passes at once
 * (`killContainer` finds it stopped), and its own stop runs from the deletion's start, in
 * parallel with the app. So:
 *
 *   total = max(app + sum(LEGACY budgets), every preStop budget, every stop-with-app budget)
 *           + sum(other NATIVE budgets)
 */
export interface ShutdownPlan {
  /** The app's own shutdown time. */
  readonly app: number;
  /** Budgets of the other NATIVE sidecars: one after another, after the first term. */
  readonly parts: Part[];
  /** The grace period the pod needs. */
  readonly total: number;
  /** The limit set on it, if any. */
  readonly limit?: number;
  /** LEGACY sidecars' budgets: after the app's time. */
  readonly withApp: Part[];
  /** preStop budgets longer than the app's stop (and the LEGACY budgets): they set the first term. */
  readonly preStop: Part[];
  /** Budgets of NATIVE sidecars that stop in parallel with the app, longer than its stop: they set the first term too. */
  readonly stopsWithApp: Part[];
}

/** The plan for `app` seconds of the app's own stop and the pod's sidecars in start order. */
export function planShutdown(app: number, sidecars: Sidecar[], limit: number | undefined): ShutdownPlan {
  const withApp: Part[] = [];
  const parts: Part[] = [];
  let mainsDone = app;
  for (const s of sidecars) {
    const seconds = s.shutdownBudget.toSeconds();
    if (seconds <= 0) continue;
    if (s.placement === SidecarPlacement.CONTAINER) {
      withApp.push({ name: s.name, seconds });
      mainsDone += seconds;
    } else if (s.placement === SidecarPlacement.NATIVE_SIDECAR && !s.stopsWithApp) {
      parts.push({ name: s.name, seconds });
    }
  }
  // What runs in parallel with the app and outlasts it: preStop hooks, and sidecars that stop with it.
  const preStop: Part[] = [];
  const stopsWithApp: Part[] = [];
  for (const s of sidecars) {
    if (s.placement === SidecarPlacement.INIT_CONTAINER) continue;
    const hook = s.preStopBudget.toSeconds();
    if (hook > mainsDone) preStop.push({ name: s.name, seconds: hook });
    const seconds = s.shutdownBudget.toSeconds();
    if (s.placement === SidecarPlacement.NATIVE_SIDECAR && s.stopsWithApp && seconds > mainsDone) stopsWithApp.push({ name: s.name, seconds });
  }
  const first = Math.max(mainsDone, ...preStop.map(p => p.seconds), ...stopsWithApp.map(p => p.seconds));
  return { app, withApp, preStop, stopsWithApp, parts, total: parts.reduce((sum, p) => sum + p.seconds, first), limit };
}

/** The plan as a sum: `app 30s + logs 5s`, `max(app 30s, proxy preStop 40s, sync with the app 45s) + logs 5s`. */
export function describeShutdown(plan: ShutdownPlan): string {
  const mains = [`app ${plan.app}s`, ...plan.withApp.map(p => `${p.name} ${p.seconds}s`)].join(' + ');
  const parallel = [...plan.preStop.map(p => `${p.name} preStop ${p.seconds}s`), ...plan.stopsWithApp.map(p => `${p.name} with the app ${p.seconds}s`)];
  const first = parallel.length === 0 ? mains : `max(${[mains, ...parallel].join(', ')})`;
  return [first, ...plan.parts.map(p => `${p.name} ${p.seconds}s`)].join(' + ');
}

/** GRACE_PERIOD_TOO_SHORT: a limit on the grace period covers the app and the sidecars, in the kubelet's termination order. */
export const gracePeriod: PodRule = pod => {
  const need = pod.shutdown;
  if (need.limit === undefined || need.total <= need.limit) return [];
  const sum = describeShutdown(need);
  return [podError(pod, undefined, 'GRACE_PERIOD_TOO_SHORT', `terminationGracePeriodSeconds is limited to ${need.limit}s, but the pod needs ${need.total}s (${sum})`,
    `raise the limit to at least ${need.total}s, lower the app's shutdown time, or lower the sidecars' shutdown budgets`)];
};
