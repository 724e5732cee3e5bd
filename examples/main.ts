import { App } from 'cdk8s';
import { DataSyncChart } from './data-sync';
import { JobNativeSidecarChart } from './job-native-sidecar';
import { ReloaderChart } from './reloader';
import { StatsdExporterChart } from './statsd-exporter';

/**
 * The example app: `npx cdk8s synth` writes one manifest per chart to dist/.
 */
export function buildExampleApp(app: App = new App()): App {
  new JobNativeSidecarChart(app, 'job-native-sidecar', { namespace: 'production' });
  new DataSyncChart(app, 'data-sync', { namespace: 'production' });
  new ReloaderChart(app, 'reloader', { namespace: 'production' });
  new StatsdExporterChart(app, 'statsd-exporter', { namespace: 'production' });
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
