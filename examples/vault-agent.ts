import { Chart, ChartProps, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { VaultAgentInjector, VaultAgentSidecar, VaultSecret } from '../src';

/**
 * Vault Agent: `myapp` reads database credentials and an API
 * key that Vault Agent renders to /vault/secrets before the app starts.
 *
 * `app-with-vault`: one native
 * Vault Agent container renders both secrets before the app starts and keeps them
 * fresh; the agent logs in with a projected service-account token only it mounts.
 *
 * `app-with-vault-injector`: the annotation variant, for clusters that
 * run the vault-k8s injector: the same secrets as annotations, no containers.
 */
export class VaultAgentChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    const secrets: VaultSecret[] = [
      {
        name: 'db-creds',
        path: 'database/creds/myapp-db',
        template: [
          '{{- with secret "database/creds/myapp-db" -}}',
          'export DB_USERNAME="{{ .Data.username }}"',
          'export DB_PASSWORD="{{ .Data.password }}"',
          '{{- end }}',
          '',
        ].join('\n'),
      },
      {
        name: 'api-key',
        path: 'secret/data/myapp/api-key',
        template: '{{- with secret "secret/data/myapp/api-key" -}}\n{{ .Data.data.key }}\n{{- end }}\n',
      },
    ];
    const serviceAccount = kplus.ServiceAccount.fromServiceAccountName(this, 'sa', 'myapp-sa');
    const app = (name: string) => new kplus.Pod(this, name, {
      metadata: { name },
      serviceAccount,
      containers: [{
        name: 'app',
        image: 'myapp:v1.0.0',
        command: ['/bin/sh', '-c'],
        args: ['. /vault/secrets/db-creds && exec /app/start.sh'],
        securityContext: { user: 1000, group: 1000 },
        resources: {
          cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(1) },
          memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) },
        },
      }],
    });

    new VaultAgentSidecar(this, 'vault-agent', {
      workload: app('app-with-vault'),
      role: 'myapp-role',
      address: 'https://vault.vault.svc:8200',
      tokenAudience: 'vault',
      secrets,
    });

    new VaultAgentInjector(this, 'vault-injector', {
      workload: app('app-with-vault-injector'),
      role: 'myapp-role',
      address: 'https://vault.vault.svc:8200',
      tokenAudience: 'vault',
      secrets,
    });
  }
}
