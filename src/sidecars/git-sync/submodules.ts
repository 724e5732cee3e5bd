/**
 * What git-sync does with the repository's submodules (`--submodules`).
 */
export enum GitSyncSubmodules {
  /** Check them out, and theirs, recursively (git-sync's default). */
  RECURSIVE = 'recursive',
  /** Check out the first level only. */
  SHALLOW = 'shallow',
  /** Leave them out: the content is the repository's own files only. */
  OFF = 'off',
}
