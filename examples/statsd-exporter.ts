import { Chart, ChartProps, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { StatsdExporterSidecar, StatsdMatchType, StatsdMetricType, StatsdObserverType } from '../src';

/**
 * App metrics over StatsD: the app sends to
 * `$STATSD_HOST:$STATSD_PORT`, Prometheus scrapes `statsd-metrics` (9102).
 */
export class StatsdExporterChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    const web = new kplus.Deployment(this, 'web', {
      replicas: 3,
      containers: [{
        name: 'app',
        image: 'myapp:v1.0.0',
        portNumber: 8080,
        securityContext: { user: 1000, group: 1000 },
      }],
    });

    new StatsdExporterSidecar(this, 'metrics', {
      workload: web,
      mappings: [
        {
          match: 'myapp.http.*.*.requests',
          name: 'myapp_http_requests_total',
          labels: { handler: '$1', status: '$2' },
          matchMetricType: StatsdMetricType.COUNTER,
          help: 'HTTP requests by handler and status.',
        },
        {
          match: 'myapp.http.*.duration',
          name: 'myapp_http_request_duration_seconds',
          labels: { handler: '$1' },
          observerType: StatsdObserverType.HISTOGRAM,
          histogramBuckets: [0.005, 0.025, 0.1, 0.5, 1, 5],
        },
        {
          match: '^myapp\\.jobs\\.([a-z_]+)\\.(succeeded|failed)$',
          matchType: StatsdMatchType.REGEX,
          name: 'myapp_jobs_total',
          labels: { job_type: '$1', outcome: '$2' },
          ttl: Duration.hours(1),
        },
      ],
    });
  }
}
