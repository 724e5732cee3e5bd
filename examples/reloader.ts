import { Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ReloaderSidecar, StakaterReloaderAnnotations } from '../src';

/**
 * Config hot reload: a Prometheus-style app re-reads its ConfigMap and TLS Secret
 * when they change (configmap-reload calls its `/-/reload`), and a worker that
 * cannot reload in place is rolled by Stakater Reloader instead.
 */
export class ReloaderChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    const config = new kplus.ConfigMap(this, 'config', {
      data: { 'app.yaml': 'log_level: info\nfeature_flags:\n  new_checkout: false\n' },
    });
    const tls = new kplus.Secret(this, 'tls', {
      stringData: { 'tls.crt': 'placeholder', 'tls.key': 'placeholder' },
    });

    const web = new kplus.Deployment(this, 'web', {
      replicas: 3,
      containers: [{
        name: 'app',
        image: 'myapp:v1.0.0',
        portNumber: 8080,
        args: ['--config=/etc/config/' + config.name + '/app.yaml'],
        securityContext: { user: 1000, group: 1000 },
      }],
    });
    new ReloaderSidecar(this, 'reload', {
      workload: web,
      configMaps: [config],
      secrets: [tls],
      webhookUrl: 'http://127.0.0.1:8080/-/reload',
    });

    const worker = new kplus.Deployment(this, 'worker', {
      containers: [{
        name: 'worker',
        image: 'myworker:v1.0.0',
        envFrom: [kplus.Env.fromConfigMap(config)],
        securityContext: { user: 1000, group: 1000 },
      }],
    });
    new StakaterReloaderAnnotations(this, 'restart-on-change', { workload: worker, configMaps: [config] });
  }
}
