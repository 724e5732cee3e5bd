import { PodRule, podError } from './rule';

/** CONTAINER_NAME_TAKEN: container names are unique across init and main containers. */
export const containerNames: PodRule = pod => {
  const byName = new Map<string, number>();
  for (const { container: c } of pod.containers) byName.set(c.name, (byName.get(c.name) ?? 0) + 1);
  const errors: string[] = [];
  for (const [name, count] of byName) {
    if (count < 2) continue;
    const sidecar = pod.containers.filter(c => c.container.name === name).map(c => c.sidecar).find(s => s !== undefined);
    errors.push(podError(pod, sidecar?.name, 'CONTAINER_NAME_TAKEN', `${count} containers of the pod are named '${name}'`, 'give every container (init containers included) its own name'));
  }
  return errors;
};
