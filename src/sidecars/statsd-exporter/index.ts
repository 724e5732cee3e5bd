export * from './mapping';
export * from './sidecar';
