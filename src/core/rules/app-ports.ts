import { containerOf, PodRule, podError } from './rule';

/** APP_PORT_MISSING: a sidecar that forwards to the app forwards to a port an app container declares. */
export const appPorts: PodRule = pod => {
  const errors: string[] = [];
  for (const s of pod.sidecars) {
    const apps = pod.served.get(s)!.targets.filter(c => pod.appContainers.includes(c));
    for (const p of s._appPorts) {
      if (apps.some(c => containerOf(pod, c).ports.some(x => x.number === p.number))) continue;
      const declared = [...new Set(apps.flatMap(c => containerOf(pod, c).ports.map(x => x.number)))];
      errors.push(podError(pod, s.name, 'APP_PORT_MISSING',
        `'${p.prop}' ${p.number} is no port of the app containers (${declared.length > 0 ? `they declare ${declared.join(', ')}` : 'they declare none'}), so every request forwarded to it would fail`,
        `set '${p.prop}' to the port the app listens on, and declare that port on the app container (portNumber: ${p.number})`));
    }
  }
  return errors;
};
