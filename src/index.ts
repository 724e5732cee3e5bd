export * from './core';
export * from './alerts';
export * from './sidecars/fluent-bit';
export * from './sidecars/envoy';
export * from './sidecars/vault-agent';
export * from './sidecars/reloader';
export * from './sidecars/statsd-exporter';
