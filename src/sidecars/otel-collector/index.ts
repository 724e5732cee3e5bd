export * from './exporters';
export * from './sidecar';
