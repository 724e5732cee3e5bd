import { Chart, ChartProps, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CloudSqlIpType, CloudSqlProxySidecar, PodSidecars } from '../src';

const ORDERS = 'shop-prod:europe-west1:orders';
const REPORTING = 'shop-prod:europe-west1:reporting-replica';

/**
 * Cloud SQL through the Cloud SQL Auth Proxy, with GKE Workload Identity: the pods run as
 * the Kubernetes service account `orders`, bound to the Google service account
 * `orders-db@shop-prod.iam.gserviceaccount.com` (roles/cloudsql.client,
 * roles/cloudsql.instanceUser), so no key exists anywhere.
 *
 * - The web Deployment reaches the orders database on 127.0.0.1:5432 (`DB_HOST`,
 *   `DB_PORT`) and a reporting replica over PSC on 127.0.0.1:5433 (`REPORTING_HOST`,
 *   `REPORTING_PORT`), logging in with IAM database authentication; it starts once the
 *   proxy listens.
 * - The migration Job reaches the orders database the same way and completes: the native
 *   proxy is stopped after the migration and exits 0.
 */
export class CloudSqlProxyChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    const serviceAccount = new kplus.ServiceAccount(this, 'orders', {
      metadata: { annotations: { 'iam.gke.io/gcp-service-account': 'orders-db@shop-prod.iam.gserviceaccount.com' } },
    });

    const web = new kplus.Deployment(this, 'web', {
      replicas: 3,
      serviceAccount,
      containers: [{
        name: 'app',
        image: 'myapp:v1.0.0',
        portNumber: 8080,
        securityContext: { user: 1000, group: 1000 },
      }],
    });
    // The app drains its requests in 15 s; the proxy keeps their connections for 20 s more.
    PodSidecars.of(web).declareAppShutdown(Duration.seconds(15));
    new CloudSqlProxySidecar(this, 'db', {
      workload: web,
      autoIamAuthn: true,
      instances: [
        { connectionName: ORDERS, port: 5432 },
        { connectionName: REPORTING, port: 5433, ipType: CloudSqlIpType.PSC, hostEnvName: 'REPORTING_HOST', portEnvName: 'REPORTING_PORT' },
      ],
      drainTime: Duration.seconds(20),
      maxConnections: 200,
    });

    const migrate = new kplus.Job(this, 'migrate', {
      serviceAccount,
      backoffLimit: 2,
      containers: [{
        name: 'migrate',
        image: 'myapp-migrate:v1.0.0',
        args: ['migrate', 'up'],
        securityContext: { user: 1000, group: 1000 },
      }],
    });
    new CloudSqlProxySidecar(this, 'migrate-db', {
      workload: migrate,
      autoIamAuthn: true,
      instances: [{ connectionName: ORDERS, port: 5432 }],
    });
  }
}
