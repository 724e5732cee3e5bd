export * from './sidecar';
export * from './injector';
