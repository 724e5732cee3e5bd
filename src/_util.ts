import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';

/**
 * Internal helpers shared by every sidecar. Nothing here is exported from the package.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The one format of every error this library raises: who, what is wrong, and how
 * to fix it.
 */
export function libraryError(who: string, problem: string, fix: string): string {
  return `${who}: ${problem}. Fix: ${fix}.`;
}

/** An error about a workload and, where one is involved, one of its sidecars. */
export function sidecarError(workload: IConstruct, sidecar: string | undefined, problem: string, fix: string): string {
  const who = sidecar === undefined
    ? `workload '${workload.node.path}'`
    : `workload '${workload.node.path}', sidecar '${sidecar}'`;
  return libraryError(who, problem, fix);
}

/** True when `name` is a valid DNS-1123 label (container, volume and port-less object names). */
export function isDnsLabel(name: string): boolean {
  return name.length > 0 && name.length <= 63 && DNS_LABEL.test(name);
}

/** True when `name` is a valid IANA_SVC_NAME (container port names). */
export function isPortName(name: string): boolean {
  return name.length > 0 && name.length <= 15 && PORT_NAME.test(name) && /[a-z]/.test(name) && !name.includes('--');
}

/** True when `port` is an integer in 1..65535. */
export function isPortNumber(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** A DNS label derived from `base` and `suffix`, cut to 63 characters. */
export function dnsLabelFrom(base: string, suffix: string): string {
  const slug = `${base}-${suffix}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return slug.slice(0, 63).replace(/-$/, '');
}

/** `<number>/<protocol>`: what two containers of one pod may not both listen on. */
export function portKey(port: kplus.ContainerPort): string {
  return `${port.number}/${port.protocol ?? kplus.Protocol.TCP}`;
}

/** True when `image` names an exact tag or digest (not `latest`, not untagged). */
export function isPinnedImage(image: string | undefined): boolean {
  return !!image && !/:latest$/.test(image) && /[:@]/.test(image.split('/').pop()!);
}

/** The duration in whole seconds, or undefined when it is fractional or negative. */
export function wholeSeconds(duration: Duration): number | undefined {
  try {
    const seconds = duration.toSeconds();
    return seconds >= 0 ? seconds : undefined;
  } catch {
    return undefined;
  }
}
