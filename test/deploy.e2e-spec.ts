import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { NamedManifests, validateCompose, validateKubernetes } from './helpers/deploy-validation';
import { stablePort } from './helpers/ports';
import { listeningTestApp } from './helpers/test-app';

/**
 * The deployment files for users (docker-compose.yml, deploy/kubernetes/) pass their schema
 * validators, a broken copy of each fails them, and the numbers that must agree across files do.
 */
const ROOT = resolve(__dirname, '..');
const KUBERNETES = join(ROOT, 'deploy/kubernetes');
const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const fleetText = readFileSync(join(ROOT, 'deploy/compose/fleet.yml'), 'utf8');
const manifests: NamedManifests[] = readdirSync(KUBERNETES)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(KUBERNETES, name), 'utf8') }));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const compose = parse(composeText, { merge: true }) as Json;
const fleetCompose = parse(fleetText, { merge: true }) as Json;
const documents: Json[] = manifests.flatMap(({ text }) =>
  parseAllDocuments(text).map((document) => document.toJS() as Json),
);
const manifestOf = (kind: string): Json => documents.find((document) => document.kind === kind)!;

/** The compose file with `change` applied to a parsed copy. */
function brokenCompose(change: (copy: Json) => void): string {
  const copy = structuredClone(compose);
  change(copy);
  return stringify(copy);
}

/** deploy/kubernetes/deployment.yaml with `change` applied to a parsed copy. */
function brokenDeployment(change: (copy: Json) => void): NamedManifests[] {
  const copy = structuredClone(manifestOf('Deployment'));
  change(copy);
  return [{ name: 'deployment.yaml', text: stringify(copy) }];
}

describe('docker-compose.yml', () => {
  it('should pass the Compose Specification schema and resolve its references', () => {
    expect(validateCompose(composeText)).toEqual([]);
    expect(validateCompose(fleetText)).toEqual([]);
  });

  // Found by a probe: both documented commands stopped on the other set-up's password.
  it('should require no variable in a service of a profile', () => {
    expect(
      validateCompose(
        brokenCompose((copy) => {
          copy.services.nats.environment = { TOKEN: '${NATS_TOKEN:?set it}' };
        }),
      ),
    ).toEqual([
      '/services/nats is in a profile and requires NATS_TOKEN: every command of the file would',
    ]);
  });

  it.each([
    [
      'a misspelt service key',
      (copy: Json) => (copy.services.nats.healthchek = {}),
      '/services/nats must NOT have additional properties {"additionalProperty":"healthchek"}',
    ],
    [
      'ports that are not a list',
      (copy: Json) => (copy.services.app.ports = 3000),
      '/services/app/ports must be array {"type":"array"}',
    ],
    [
      'an unknown top-level key',
      (copy: Json) => (copy.servics = {}),
      '/ must NOT have additional properties {"additionalProperty":"servics"}',
    ],
    [
      'a dependency on no service',
      (copy: Json) => (copy.services.app.depends_on = { db: { condition: 'service_started' } }),
      '/services/app/depends_on names no service: db',
    ],
    [
      'an undeclared named volume',
      (copy: Json) => (copy.services.nats.volumes = ['cache:/data']),
      '/services/nats/volumes names an undeclared volume: cache',
    ],
  ])('should fail with %s', (_what, change, problem) => {
    expect(validateCompose(brokenCompose(change))).toEqual([problem]);
  });

  it('should run a fleet (deploy/compose/fleet.yml): two app services behind nginx, a primary, a replica, Redis and NATS', () => {
    const fleet = Object.keys(fleetCompose.services as Json).sort();
    expect(fleet).toEqual([
      'app-1',
      'app-2',
      'load-balancer',
      'mariadb-primary',
      'mariadb-replica',
      'nats',
      'redis',
    ]);
    const nginx = readFileSync(join(ROOT, 'deploy/compose/nginx.conf'), 'utf8');
    expect([...nginx.matchAll(/^\s*server (\S+):3000/gm)].map((match) => match[1])).toEqual([
      'app-1',
      'app-2',
    ]);
    // Uploads of UPLOAD_MAX_BYTES (10 MiB) pass, and each client is limited here, by its address.
    expect(nginx).toMatch(/^\s*client_max_body_size 11m;/m);
    expect(nginx).toMatch(/^limit_req_zone \$binary_remote_addr zone=per_client:10m rate=90r\/m;/m);
    for (const app of ['app-1', 'app-2']) {
      const environment = fleetCompose.services[app].environment as Json;
      expect(environment.RATE_LIMIT_PER_MINUTE).toBe('${RATE_LIMIT_PER_MINUTE:-0}');
      expect(environment.DATABASE_URL).toContain('@mariadb-primary:3306/');
      expect(environment.DATABASE_REPLICA_URLS).toContain('@mariadb-replica:3306/');
      expect(environment.REDIS_URL).toBe('redis://redis:6379');
      expect(environment.JWT_SECRET).toBe('${JWT_SECRET:-}');
      expect(environment.CURSOR_SECRET).toBe('${CURSOR_SECRET:-}');
      // One folder of uploaded files for both (a probe found each serving only its own).
      expect(environment.STORAGE_DIR).toBe('/app/images');
      expect(fleetCompose.services[app].volumes).toEqual(['fleet-images:/app/images']);
    }
  });
});

describe('deploy/kubernetes', () => {
  it('should hold the Deployment, Service, HPA, PDB, ConfigMap and Secret example', () => {
    expect(documents.map((document) => `${document.apiVersion} ${document.kind}`).sort()).toEqual([
      'apps/v1 Deployment',
      'autoscaling/v2 HorizontalPodAutoscaler',
      'policy/v1 PodDisruptionBudget',
      'v1 ConfigMap',
      'v1 Secret',
      'v1 Service',
    ]);
  });

  it('should pass the Kubernetes schemas, strictly (no unknown field)', () => {
    expect(validateKubernetes(manifests)).toEqual([]);
  });

  it.each([
    ['replicas as a string', (copy: Json) => (copy.spec.replicas = 'two')],
    ['no selector', (copy: Json) => delete copy.spec.selector],
    [
      'a misspelt probe',
      (copy: Json) => {
        const [container] = copy.spec.template.spec.containers as Json[];
        container.livenessProbee = container.livenessProbe;
        delete container.livenessProbe;
      },
    ],
    [
      'an unknown field deep down',
      (copy: Json) =>
        (copy.spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem = true),
    ],
    ['an old apiVersion', (copy: Json) => (copy.apiVersion = 'extensions/v1beta1')],
  ])('should fail a Deployment with %s', (_what, change) => {
    expect(validateKubernetes(brokenDeployment(change))).toEqual([
      expect.stringMatching(/^deployment\.yaml#0: /),
    ]);
  });

  it('should probe /health/ready for readiness and /health for liveness', () => {
    const [container] = manifestOf('Deployment').spec.template.spec.containers as Json[];
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
  });

  it('should give preStop and the drain time to finish within the grace period', () => {
    const { spec } = manifestOf('Deployment').spec.template;
    const [container] = spec.containers as Json[];
    const [, seconds] = container.lifecycle.preStop.exec.command as string[];
    const drainSeconds = Number(manifestOf('ConfigMap').data.SHUTDOWN_TIMEOUT_MS) / 1000;
    expect(Number(seconds)).toBeGreaterThanOrEqual(5);
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(Number(seconds) + drainSeconds);
  });

  it('should select the Deployment pods from the Service, the HPA and the PDB', () => {
    const deployment = manifestOf('Deployment');
    const labels = deployment.spec.template.metadata.labels as Json;
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    expect(manifestOf('Service').spec.selector).toEqual(labels);
    expect(manifestOf('PodDisruptionBudget').spec.selector.matchLabels).toEqual(labels);
    expect(manifestOf('HorizontalPodAutoscaler').spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    const [container] = deployment.spec.template.spec.containers as Json[];
    expect(container.envFrom).toEqual([
      { configMapRef: { name: manifestOf('ConfigMap').metadata.name } },
      { secretRef: { name: manifestOf('Secret').metadata.name } },
    ]);
  });

  it('should keep uploaded files in a bucket every pod shares, not in a pod of its own', () => {
    const { data } = manifestOf('ConfigMap');
    expect([data.STORAGE_DRIVER, data.S3_BUCKET]).toEqual(['s3', expect.any(String)]);
    expect(Object.keys(manifestOf('Secret').stringData)).toEqual(
      expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']),
    );
  });

  it('should ship example secrets that a start refuses (too short), never usable ones', () => {
    const { stringData } = manifestOf('Secret');
    expect(stringData.JWT_SECRET.length).toBeLessThan(32);
    expect(stringData.CURSOR_SECRET.length).toBeLessThan(32);
  });
});

// Found by a probe: the service trims PORT, the Dockerfile's health check did not, and asked for
// `Host: 127.0.0.1: 4500 `, which the service refuses (400): the container never became healthy.
describe("the Dockerfile's HEALTHCHECK", () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const command = JSON.parse(
    /^HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null',
  ) as string[];
  const port = listeningTestApp();

  /** The check's exit code, run as Docker runs it (asynchronously: the app answers in this process). */
  const check = (portValue: string): Promise<number | null> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, command.slice(1), {
        env: { PATH: process.env.PATH ?? '', PORT: portValue },
        stdio: 'ignore',
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });

  it('should pass against the service on PORT, written with or without spaces', async () => {
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(await check(String(port()))).toBe(0);
    expect(await check(` ${port()} `)).toBe(0);
  });

  it('should fail when nothing answers there', async () => {
    const closed = await stablePort();
    expect(await check(String(closed))).toBe(1);
  });
});
