export * from './sidecar';
export * from './injector';
export * from './auth';
