export * from './images';
export * from './profile';
export * from './sidecar';
export * from './pod-sidecars';
export * from './reloader';
export * from './statsd-exporter';
