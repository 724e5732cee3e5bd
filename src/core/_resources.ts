import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

/**
 * Problems with a resolved resource spec, as sentences; empty when it is valid.
 * cdk8s-plus renders memory in whole MiB, ephemeral storage in whole GiB and CPU as given, so all are checked here,
 * where the message can still name the sidecar.
 */
export function resourceProblems(resources: kplus.ContainerResources): string[] {
  const problems: string[] = [];
  const cpu = (label: string, value: kplus.Cpu | undefined) => {
    if (value === undefined) return undefined;
    const millis = cpuMillis(value.amount);
    if (millis === undefined || millis <= 0) {
      problems.push(`${label} '${value.amount}' is not a positive CPU quantity in whole millicores`);
      return undefined;
    }
    return millis;
  };
  const size = (label: string, value: Size | undefined, unit: 'MiB' | 'GiB') => {
    if (value === undefined) return undefined;
    let amount: number;
    try {
      amount = unit === 'MiB' ? value.toMebibytes() : value.toGibibytes();
    } catch {
      problems.push(`${label} is not a whole number of ${unit}`);
      return undefined;
    }
    if (!(amount > 0)) {
      problems.push(`${label} '${amount}${unit.slice(0, 2)}' is not a positive amount`);
      return undefined;
    }
    return amount;
  };
  const memory = (label: string, value: Size | undefined) => size(label, value, 'MiB');
  const cpuRequest = cpu('CPU request', resources.cpu?.request);
  const cpuLimit = cpu('CPU limit', resources.cpu?.limit);
  const memRequest = memory('memory request', resources.memory?.request);
  const memLimit = memory('memory limit', resources.memory?.limit);
  // cdk8s-plus renders ephemeral storage in whole GiB.
  const diskRequest = size('ephemeral-storage request', resources.ephemeralStorage?.request, 'GiB');
  const diskLimit = size('ephemeral-storage limit', resources.ephemeralStorage?.limit, 'GiB');
  if (cpuRequest !== undefined && cpuLimit !== undefined && cpuLimit < cpuRequest) {
    problems.push(`CPU limit ${cpuLimit}m is below the CPU request ${cpuRequest}m`);
  }
  if (memRequest !== undefined && memLimit !== undefined && memLimit < memRequest) {
    problems.push(`memory limit ${memLimit}Mi is below the memory request ${memRequest}Mi`);
  }
  if (diskRequest !== undefined && diskLimit !== undefined && diskLimit < diskRequest) {
    problems.push(`ephemeral-storage limit ${diskLimit}Gi is below the ephemeral-storage request ${diskRequest}Gi`);
  }
  return problems;
}

function cpuMillis(amount: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(amount);
  if (!m) return undefined;
  const millis = m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000;
  const whole = Math.round(millis);
  return Math.abs(whole - millis) < 1e-9 ? whole : undefined;
}
