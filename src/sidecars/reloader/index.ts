export * from './sidecar';
export * from './stakater';
