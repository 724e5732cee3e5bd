import { Chart, ChartProps, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Sidecar, SidecarProfile } from '../src';

/**
 * A Job with a helper container that would keep it from ever completing, fixed with a
 * native sidecar.
 *
 * The Job's main container does five tasks and exits; the helper container loops
 * forever. As an ordinary container (SidecarMode.LEGACY) the helper would keep the
 * Job from ever completing, and cdk8s-sidecars refuses to synthesize that. As a
 * native sidecar (the default) it is an init container with `restartPolicy:
 * Always`: it starts first, and the kubelet stops it once the main container has
 * exited, so the Job completes.
 */
export class JobNativeSidecarChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    const job = new kplus.Job(this, 'myapp', {
      containers: [{
        name: 'main-container-1',
        image: 'busybox:1.35',
        command: ['sh', '-c'],
        args: [[
          'echo "main container is starting..."',
          'for i in $(seq 1 5); do echo "main container is doing some task: $i/5"; sleep 3; done',
          'echo "main container completed tasks and exited"',
        ].join('\n')],
        securityContext: { user: 1000, group: 1000 },
        resources: {
          cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
          memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
        },
      }],
    });

    new Sidecar(this, 'collector', {
      workload: job,
      name: 'sidecar-container-1',
      image: 'busybox:1.35',
      profile: SidecarProfile.LOG_COLLECTOR,
      command: ['sh', '-c'],
      args: ['echo "sidecar container is starting..."; while true; do echo "sidecar container is collecting logs..."; sleep 1; done'],
      user: 1000,
      group: 1000,
    });
  }
}
