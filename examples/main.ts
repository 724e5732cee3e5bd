import { App } from 'cdk8s';
import { AlertsChart } from './alerts';
import { CloudSqlProxyChart } from './cloud-sql-proxy';
import { DataSyncChart } from './data-sync';
import { EnvoyChart } from './envoy';
import { FluentBitChart } from './fluent-bit';
import { GitSyncChart } from './git-sync';
import { JobNativeSidecarChart } from './job-native-sidecar';
import { OtelCollectorChart } from './otel-collector';
import { ReloaderChart } from './reloader';
import { StatsdExporterChart } from './statsd-exporter';
import { VaultAgentChart } from './vault-agent';

/**
 * The example app: `npx cdk8s synth` writes one manifest per chart to dist/.
 */
export function buildExampleApp(app: App = new App()): App {
  new JobNativeSidecarChart(app, 'job-native-sidecar', { namespace: 'production' });
  new DataSyncChart(app, 'data-sync', { namespace: 'production' });
  new FluentBitChart(app, 'fluent-bit', { namespace: 'production' });
  new EnvoyChart(app, 'envoy', { namespace: 'production' });
  new VaultAgentChart(app, 'vault-agent', { namespace: 'production' });
  new AlertsChart(app, 'alerts', { namespace: 'production' });
  new ReloaderChart(app, 'reloader', { namespace: 'production' });
  new StatsdExporterChart(app, 'statsd-exporter', { namespace: 'production' });
  new GitSyncChart(app, 'git-sync', { namespace: 'production' });
  new CloudSqlProxyChart(app, 'cloud-sql-proxy', { namespace: 'production' });
  new OtelCollectorChart(app, 'otel-collector', { namespace: 'production' });
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
