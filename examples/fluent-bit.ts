import { Chart, ChartProps, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { FluentBitMultilineParser, FluentBitOutput, FluentBitSidecar } from '../src';

/**
 * `app-with-logging`: the app writes JSON log files to /var/log/app, and a
 * native Fluent Bit sidecar tails them, parses the JSON, adds cluster, namespace, pod
 * and node, and ships them to the Fluentd aggregator (and to its own stdout).
 *
 * Compared with a hand-written log sidecar: the image is pinned, the config is generated (Fluent
 * Bit's YAML format) and validated, the tail database and a filesystem buffer
 * live on the sidecar's own state volume instead of over /var/log, Java stack
 * traces are one record, the container runs non-root with a read-only root
 * filesystem, it has HTTP startup/readiness probes, and the pod's grace period
 * covers Fluent Bit's final flush.
 */
export class FluentBitChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    const app = new kplus.Deployment(this, 'app-with-logging', {
      replicas: 3,
      containers: [{
        name: 'app',
        image: 'myapp:v1.0.0',
        portNumber: 8080,
        securityContext: { user: 1000, group: 1000 },
        envVariables: {
          LOG_FILE: kplus.EnvValue.fromValue('/var/log/app/app.log'),
          LOG_FORMAT: kplus.EnvValue.fromValue('json'),
        },
        resources: {
          cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(2) },
          memory: { request: Size.mebibytes(512), limit: Size.gibibytes(2) },
        },
      }],
    });

    new FluentBitSidecar(this, 'logging', {
      workload: app,
      clusterName: 'production',
      multiline: [FluentBitMultilineParser.JAVA],
      outputs: [
        FluentBitOutput.forward({ host: 'fluentd-aggregator.logging', port: 24224, retryLimit: 5 }),
        FluentBitOutput.stdout(),
      ],
    });
  }
}
