export * from './credentials';
export * from './instance';
export * from './sidecar';
