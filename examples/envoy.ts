import { Chart, ChartProps, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnvoySidecar } from '../src';

/**
 * Envoy next to the app, built with EnvoySidecar: the app-with-envoy Deployment gets
 * a native Envoy sidecar whose bootstrap (admin, inbound 15006 to the app, outbound 15001 to
 * external-service and, by default, to any other host, stats 15090) is generated,
 * and a Service that sends traffic in through the inbound listener.
 */
export class EnvoyChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    const app = new kplus.Deployment(this, 'app-with-envoy', {
      replicas: 2,
      containers: [{
        name: 'app',
        image: 'myapp:v1.0.0',
        portNumber: 8080,
        securityContext: { user: 1000, group: 1000 },
        resources: {
          cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(2) },
          memory: { request: Size.mebibytes(512), limit: Size.gibibytes(2) },
        },
      }],
    });

    const envoy = new EnvoySidecar(this, 'proxy', {
      workload: app,
      appPort: 8080,
      upstreams: [{
        name: 'external_service',
        host: 'external-service.default.svc.cluster.local',
        port: 80,
        connectTimeout: Duration.seconds(5),
        // The app calls http://external-service/ or the full name.
        domains: ['external-service', 'external-service.default', 'external-service.default.svc.cluster.local'],
      }],
      drainTime: Duration.seconds(10),
    });

    envoy.exposeViaService({ name: 'myapp' });
  }
}
