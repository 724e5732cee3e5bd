export * from './images';
export * from './profile';
export * from './sidecar';
export * from './pod-sidecars';
export * from './fluent-bit';
export * from './envoy';
export * from './vault-agent';
export * from './alerts';
