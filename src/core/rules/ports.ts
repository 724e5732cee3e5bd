import { portKey } from '../_internal';
import { SidecarPlacement } from '../sidecar';
import { containerOf, PodContainer, PodRule, podError } from './rule';

/** PORT_IN_USE: containers that run together share one network namespace, so one port each. */
export const ports: PodRule = pod => {
  const running = [
    ...pod.sidecars.filter(s => s.placement === SidecarPlacement.NATIVE_SIDECAR).map(s => containerOf(pod, s.container)),
    ...pod.containers.filter(c => !c.init),
  ];
  const errors: string[] = [];
  const seen = new Map<string, PodContainer>();
  for (const c of running) {
    for (const p of c.ports) {
      const key = portKey(p);
      const other = seen.get(key);
      if (other === undefined) {
        seen.set(key, c);
        continue;
      }
      const [mine, peer] = c.sidecar !== undefined ? [c, other] : [other, c];
      const sidecar = mine.sidecar;
      if (sidecar === undefined) continue; // two app containers: not ours to judge
      const prop = sidecar._ports.find(x => portKey(x) === key)?.prop;
      errors.push(podError(pod, sidecar.name, 'PORT_IN_USE',
        `port ${key}${prop !== undefined ? ` ('${prop}')` : ''} is also used by container '${peer.container.name}' (containers of a pod share one network namespace)`,
        `move one of them to a free port (${prop !== undefined ? `set '${prop}'` : 'set this sidecar\'s port props'}, or the port of '${peer.container.name}')`));
    }
  }
  return errors;
};
