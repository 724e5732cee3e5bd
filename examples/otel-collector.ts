import { Chart, ChartProps, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { OpenTelemetryCollectorSidecar, OtelExporter, OtelSignal } from '../src';

/**
 * The OpenTelemetry Operator's sidecar mode, decided at build time: the app's SDK sends
 * OTLP to `$OTEL_EXPORTER_OTLP_ENDPOINT` (127.0.0.1:4318), a native collector sidecar
 * batches it, adds the pod's namespace, name, uid and node, and forwards traces, metrics
 * and logs to the cluster's gateway collector over TLS with a bearer token from a Secret;
 * the app's own Prometheus metrics (port 9090) are scraped into the same pipeline.
 *
 * Against the operator: the config is typed and checked at synth, a config change rolls
 * the pods, the health check listens where the kubelet can reach it, the memory limiter
 * is sized from the container's limit, and the token never appears in the ConfigMap.
 * The nightly report Job gets the same collector: native, so the Job still completes,
 * and it holds the Job's start (`gateAppStart`) so a short run loses no span.
 */
export class OtelCollectorChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    const web = new kplus.Deployment(this, 'web', {
      replicas: 3,
      containers: [{
        name: 'app',
        image: 'myapp:v1.0.0',
        ports: [{ number: 8080 }, { number: 9090, name: 'metrics' }],
        securityContext: { user: 1000, group: 1000 },
        envVariables: { OTEL_SERVICE_NAME: kplus.EnvValue.fromValue('myapp') },
      }],
    });

    const token = kplus.Secret.fromSecretName(this, 'gateway-token', 'otel-gateway-token');
    const ca = kplus.Secret.fromSecretName(this, 'gateway-ca', 'otel-gateway-ca');
    const gateway = (signals?: OtelSignal[]) => OtelExporter.otlpGrpc({
      name: 'gateway',
      endpoint: 'otel-gateway.observability.svc:4317',
      tls: { caSecret: ca },
      secretHeaders: { authorization: { secret: token, key: 'bearer' } },
      signals,
    });

    new OpenTelemetryCollectorSidecar(this, 'telemetry', {
      workload: web,
      exporters: [gateway()],
      appMetricsPort: 9090,
      resourceAttributes: { 'deployment.environment.name': 'production' },
      resources: { memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) } },
    });

    const report = new kplus.Job(this, 'nightly-report', {
      containers: [{
        name: 'report',
        image: 'myapp-report:v1.0.0',
        securityContext: { user: 1000, group: 1000 },
        envVariables: { OTEL_SERVICE_NAME: kplus.EnvValue.fromValue('myapp-report') },
      }],
    });
    new OpenTelemetryCollectorSidecar(this, 'report-telemetry', {
      workload: report,
      // The report has no metrics endpoint: traces and logs only.
      exporters: [gateway([OtelSignal.TRACES, OtelSignal.LOGS])],
      gateAppStart: true,
      drainTime: Duration.seconds(15),
    });
  }
}
