import { IConstruct } from 'constructs';

/**
 * Internal: the one error type of the library. Nothing here is exported from the package.
 *
 * Every error has a stable code (the key of `docs/errors.md`), names who it is about
 * (the workload and the sidecar, or the SidecarAlerts construct and the alert), says
 * what is wrong and how to fix it:
 *
 * `[CODE] workload '<path>', sidecar '<name>': <problem>. Fix: <fix>.`
 *
 * Argument errors are thrown as `SidecarError`; whole-pod errors are returned as the
 * same text from `node.addValidation`, and reach the user inside cdk8s's
 * "Validation failed" error, one per line.
 */

/** Who an error is about: a construct path and, optionally, a named part of it. */
export interface Subject {
  /** `workload`, `scope` or `alerts`. */
  readonly noun: string;
  /** The construct path. */
  readonly path: string;
  /** `sidecar` or `alert`. */
  readonly partNoun?: string;
  /** The sidecar's container name or the alert name. */
  readonly part?: string;
}

/** The subject of an error about a workload and, where one is involved, one of its sidecars. */
export function workloadSubject(workload: IConstruct, sidecar?: string): Subject {
  return new LazySubject('workload', workload, sidecar === undefined ? undefined : 'sidecar', sidecar);
}

/** A subject whose path is read only when a message needs it (most subjects never do). */
class LazySubject implements Subject {
  public constructor(
    public readonly noun: string,
    private readonly construct: IConstruct,
    public readonly partNoun: string | undefined,
    public readonly part: string | undefined) {}

  public get path(): string {
    return this.construct.node.path;
  }
}

/** The one format of every message: `[CODE] who: problem. Fix: fix.` */
export function errorMessage(code: string, subject: Subject, problem: string, fix: string): string {
  const who = subject.part === undefined
    ? `${subject.noun} '${subject.path}'`
    : `${subject.noun} '${subject.path}', ${subject.partNoun} '${subject.part}'`;
  return `[${code}] ${who}: ${problem}. Fix: ${fix}.`;
}

/** An error with a stable code. */
export class SidecarError extends Error {
  /** The stable code (see docs/errors.md). */
  public readonly code: string;
  /** What is wrong. */
  public readonly problem: string;
  /** What to do. */
  public readonly fix: string;

  public constructor(code: string, subject: Subject, problem: string, fix: string) {
    super(errorMessage(code, subject, problem, fix));
    this.name = 'SidecarError';
    this.code = code;
    this.problem = problem;
    this.fix = fix;
  }
}

/** A function that raises one error about a fixed subject. */
export type Fail = (code: string, problem: string, fix: string) => never;

/** A `Fail` about `subject`. */
export function failFor(subject: Subject): Fail {
  return (code, problem, fix) => {
    throw new SidecarError(code, subject, problem, fix);
  };
}
