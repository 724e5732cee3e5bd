import { Chart, ChartProps, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GitSyncAuth, GitSyncSidecar } from '../src';

/**
 * Airflow-style DAGs from Git, without the extra init container: the scheduler starts
 * only once git-sync has checked the repository out (its startup probe holds the pod
 * until then), and sees each new commit appear atomically under
 * `/opt/airflow/dags/current`. A backfill Job gets the same DAGs once, before it runs,
 * and completes.
 */
export class GitSyncChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    // A Secret made outside this app (a sealed or external secret) with the key
    // `password`: a fine-grained token that can read the repository.
    const token = kplus.Secret.fromSecretName(this, 'dags-token', 'dags-git-token');
    const repo = 'https://github.com/example/airflow-dags.git';
    const auth = GitSyncAuth.password(token, { username: 'x-access-token' });

    const scheduler = new kplus.Deployment(this, 'scheduler', {
      replicas: 1,
      containers: [{
        name: 'scheduler',
        image: 'apache/airflow:2.10.4',
        args: ['scheduler'],
        portNumber: 8974,
        securityContext: { user: 50000, group: 0 },
        envVariables: {
          AIRFLOW__CORE__DAGS_FOLDER: kplus.EnvValue.fromValue('/opt/airflow/dags/current'),
        },
      }],
    });
    new GitSyncSidecar(this, 'dags', {
      workload: scheduler,
      repo,
      ref: 'main',
      auth,
      period: Duration.seconds(30),
      contentDir: '/opt/airflow/dags',
      contentSizeLimit: Size.mebibytes(512),
    });

    const backfill = new kplus.Job(this, 'backfill', {
      containers: [{
        name: 'backfill',
        image: 'apache/airflow:2.10.4',
        args: ['dags', 'backfill', '--start-date', '2026-11-01', 'daily_report'],
        securityContext: { user: 50000, group: 0 },
        envVariables: {
          AIRFLOW__CORE__DAGS_FOLDER: kplus.EnvValue.fromValue('/opt/airflow/dags/current'),
        },
      }],
    });
    // On a Job: `--one-time` in an init container, so the Job completes.
    new GitSyncSidecar(this, 'backfill-dags', {
      workload: backfill,
      repo,
      ref: 'main',
      auth,
      contentDir: '/opt/airflow/dags',
      contentSizeLimit: Size.mebibytes(512),
    });
  }
}
