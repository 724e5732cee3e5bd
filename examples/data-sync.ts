import { Chart, ChartProps, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Sidecar, SidecarProfile, SidecarVolumeSource } from '../src';

/**
 * A Deployment with a generic sidecar: rclone keeps a directory in sync with an
 * object store, and the app reads it from a shared volume.
 */
export class DataSyncChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    const web = new kplus.Deployment(this, 'web', {
      replicas: 3,
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

    new Sidecar(this, 'sync', {
      workload: web,
      name: 'rclone',
      image: 'rclone/rclone:1.68.2',
      profile: SidecarProfile.DATA_SYNC,
      command: ['sh', '-c'],
      args: ['while true; do rclone sync "$SYNC_SOURCE" /data/static --checksum; sleep 60; done'],
      envVariables: {
        SYNC_SOURCE: kplus.EnvValue.fromValue('s3:myapp-static'),
        RCLONE_CONFIG_S3_TYPE: kplus.EnvValue.fromValue('s3'),
        RCLONE_CONFIG_S3_PROVIDER: kplus.EnvValue.fromValue('AWS'),
        RCLONE_CONFIG_S3_ENV_AUTH: kplus.EnvValue.fromValue('true'),
        HOME: kplus.EnvValue.fromValue('/tmp'),
      },
      // The app's uid and gid, so both sides can read what the other writes.
      user: 1000,
      group: 1000,
      writablePaths: ['/tmp'],
      volumes: [{
        name: 'static-content',
        source: SidecarVolumeSource.emptyDir({ sizeLimit: Size.gibibytes(1) }),
        path: '/data/static',
        appPath: '/data/static',
        appReadOnly: true,
      }],
      // Let a sync in progress finish its current file.
      shutdownBudget: Duration.seconds(10),
    });
  }
}
