export * from './pack';
export * from './sidecar-alerts';
