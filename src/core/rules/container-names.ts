import { allContainers, PodRule, podError, sidecarOf } from './rule';

/** CONTAINER_NAME_TAKEN: container names are unique across init and main containers. */
export const containerNames: PodRule = pod => {
  const byName = new Map<string, number>();
  for (const c of allContainers(pod)) byName.set(c.name, (byName.get(c.name) ?? 0) + 1);
  const errors: string[] = [];
  for (const [name, count] of byName) {
    if (count < 2) continue;
    const sidecar = allContainers(pod).filter(c => c.name === name).map(c => sidecarOf(pod, c)).find(s => s !== undefined);
    errors.push(podError(pod, sidecar?.name, 'CONTAINER_NAME_TAKEN', `${count} containers of the pod are named '${name}'`, 'give every container (init containers included) its own name'));
  }
  return errors;
};
