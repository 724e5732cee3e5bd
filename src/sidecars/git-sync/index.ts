export * from './auth';
export * from './sidecar';
export * from './submodules';
