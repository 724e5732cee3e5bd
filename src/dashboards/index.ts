export * from './pack';
export * from './sidecar-dashboards';
