export * from './images';
export * from './profile';
export * from './volumes';
export * from './sidecar';
export * from './pod-sidecars';
