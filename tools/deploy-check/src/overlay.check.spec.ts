import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IConfigMap, IContainer, IService } from 'kubernetes-models/v1';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkKubernetesSchemas } from './kubernetes-schema.check';
import { describeOverlay, kubectlVersion, kustomizeBuild, kustomizeVersionProblem } from './kustomize';
import { checkManifests } from './manifests.check';
import { checkOverlay } from './overlay.check';
import { APPS, WORKSPACE_ROOT, directoriesWith, repoPath } from './repo';
import { messagesOf, rulesOf } from './violation';

const PROD = 'k8s/overlays/prod';
const overlays = directoriesWith(repoPath('k8s', 'overlays'), 'kustomization.yaml').map(describeOverlay);

beforeAll(() => {
  const problem = kustomizeVersionProblem(kubectlVersion());
  if (problem) throw new Error(problem);
});

describe('the repository overlays', () => {
  it('are discovered: dev and prod, and one per app in each', () => {
    const expected = ['dev', 'prod'].flatMap((environment) => [
      `k8s/overlays/${environment}`,
      ...APPS.map((app) => `k8s/overlays/${environment}/${app}`),
    ]);
    expect(overlays.map((overlay) => overlay.directory)).toEqual(expect.arrayContaining(expected));
  });

  it.each(overlays.map((overlay) => [overlay.directory, overlay] as const))(
    '%s builds, matches the Kubernetes schemas and keeps every rule',
    (_directory, overlay) => {
      expect(messagesOf(checkOverlay(overlay, WORKSPACE_ROOT))).toEqual([]);
    },
  );
});

describe('the manifest rules, each broken on purpose in the prod output', () => {
  let built: unknown[] = [];

  beforeAll(() => {
    const build = kustomizeBuild(PROD, WORKSPACE_ROOT);
    if (!build.ok) throw new Error(build.error);
    built = build.objects;
  });

  const named = <T>(objects: unknown[], kind: string, prefix: string): T => {
    const found = objects.find((object) => {
      const { kind: objectKind, metadata } = object as { kind?: string; metadata?: { name?: string } };
      return objectKind === kind && (metadata?.name === prefix || metadata?.name?.startsWith(`${prefix}-`));
    });
    if (!found) throw new Error(`no ${kind} ${prefix} in the prod output`);
    return found as T;
  };
  const present = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`gcp-token in the prod output has no ${what}`);
    return value;
  };
  const pod = (objects: unknown[]) =>
    present(named<IDeployment>(objects, 'Deployment', 'gcp-token').spec?.template.spec, 'pod spec');
  const container = (objects: unknown[]): IContainer => present(pod(objects).containers[0], 'container');
  const security = (objects: unknown[]) =>
    present(container(objects).securityContext, 'container securityContext');
  const env = (objects: unknown[]) => present(container(objects).env, 'env');
  const configData = (objects: unknown[]) =>
    present(named<IConfigMap>(objects, 'ConfigMap', 'gcp-token').data, 'ConfigMap data');
  const hpaSpec = (objects: unknown[]) =>
    present(
      named<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', 'gcp-token').spec,
      'HPA spec',
    );
  const without = (objects: unknown[], kind: string, name: string) =>
    objects.filter((object) => object !== named(objects, kind, name));

  const rulesBroken = (objects: unknown[], production = true) =>
    rulesOf([
      ...checkKubernetesSchemas(PROD, objects),
      ...checkManifests(PROD, objects, { apps: [...APPS], production }),
    ]);

  it('the unbroken output passes', () => {
    expect(rulesBroken(structuredClone(built))).toEqual([]);
  });

  const cases: readonly [string, string, (objects: unknown[]) => unknown[] | void][] = [
    [
      'a liveness probe on /healthz',
      'deployment/liveness-probe',
      (o) => void (container(o).livenessProbe = { httpGet: { path: '/healthz', port: 'http' } }),
    ],
    ['no readiness probe', 'deployment/readiness-probe', (o) => void delete container(o).readinessProbe],
    [
      'a probe on an undeclared port',
      'deployment/probe-port',
      (o) => void (container(o).startupProbe = { httpGet: { path: '/health/live', port: 'metrics' } }),
    ],
    [
      'no memory limit',
      'deployment/resources',
      (o) => void delete present(container(o).resources?.limits, 'limits')['memory'],
    ],
    [
      'runAsNonRoot false',
      'deployment/run-as-non-root',
      (o) => void (present(pod(o).securityContext, 'pod securityContext').runAsNonRoot = false),
    ],
    [
      'a writable root filesystem',
      'deployment/read-only-root-filesystem',
      (o) => void (security(o).readOnlyRootFilesystem = false),
    ],
    ['no /tmp emptyDir', 'deployment/tmp-empty-dir', (o) => void (container(o).volumeMounts = [])],
    [
      'privilege escalation allowed',
      'deployment/allow-privilege-escalation',
      (o) => void (security(o).allowPrivilegeEscalation = true),
    ],
    [
      'capabilities kept',
      'deployment/capabilities-drop-all',
      (o) => void (security(o).capabilities = { drop: ['NET_RAW'] }),
    ],
    [
      'the service account token mounted',
      'deployment/automount-service-account-token',
      (o) => void (pod(o).automountServiceAccountToken = true),
    ],
    [
      'a grace period shorter than the drain',
      'deployment/termination-grace-period',
      (o) => void (pod(o).terminationGracePeriodSeconds = 25),
    ],
    [
      'SHUTDOWN_TIMEOUT_MS raised past the grace period',
      'deployment/termination-grace-period',
      (o) => void (configData(o)['SHUTDOWN_TIMEOUT_MS'] = '60000'),
    ],
    ['no preStop hook', 'deployment/pre-stop', (o) => void delete container(o).lifecycle],
    [
      'a secret as a literal env value',
      'deployment/secret-env',
      (o) => void env(o).push({ name: 'API_KEY', value: 'literal-key' }),
    ],
    [
      'a secret from a ConfigMap key',
      'deployment/secret-env',
      (o) =>
        void env(o).push({
          name: 'API_KEY',
          valueFrom: { configMapKeyRef: { name: 'gcp-token', key: 'API_KEY' } },
        }),
    ],
    [
      'a password in a literal URL',
      'deployment/secret-env',
      (o) => void env(o).push({ name: 'UPSTREAM', value: 'redis://:hunter2@redis:6379' }),
    ],
    [
      'a secret key in the ConfigMap',
      'k8s/config-map-secret',
      (o) => void (configData(o)['ADMIN_API_KEY'] = 'literal-admin-key'),
    ],
    [
      'the image tag latest',
      'deployment/image-tag',
      (o) => void (container(o).image = 'registry.example.com/auth-platform/gcp-token:latest'),
    ],
    ['no Service', 'k8s/service', (o) => without(o, 'Service', 'gcp-token')],
    ['no ServiceAccount', 'k8s/service-account', (o) => without(o, 'ServiceAccount', 'gcp-token')],
    ['no ConfigMap', 'k8s/config-map', (o) => without(o, 'ConfigMap', 'gcp-token')],
    [
      'no PodDisruptionBudget',
      'k8s/pod-disruption-budget',
      (o) => without(o, 'PodDisruptionBudget', 'gcp-token'),
    ],
    [
      'no HorizontalPodAutoscaler',
      'k8s/horizontal-pod-autoscaler',
      (o) => without(o, 'HorizontalPodAutoscaler', 'gcp-token'),
    ],
    ['no NetworkPolicy', 'k8s/network-policy', (o) => without(o, 'NetworkPolicy', 'gcp-token')],
    [
      'a NetworkPolicy for ingress only',
      'k8s/network-policy-default-deny',
      (o) =>
        void (present(
          named<INetworkPolicy>(o, 'NetworkPolicy', 'gcp-token').spec,
          'policy spec',
        ).policyTypes = ['Ingress']),
    ],
    ['one replica in production', 'k8s/prod-min-replicas', (o) => void (hpaSpec(o).minReplicas = 1)],
    ['no Deployment for an app', 'k8s/deployment', (o) => without(o, 'Deployment', 'gcp-token')],
    [
      'a Service port that is not a number',
      'k8s/schema',
      (o) =>
        void (present(named<IService>(o, 'Service', 'gcp-token').spec?.ports?.[0], 'service port').port =
          'eighty' as unknown as number),
    ],
    [
      'a kind with no schema',
      'k8s/schema',
      (o) => [...o, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'gcp-token' } }],
    ],
  ];

  it.each(cases)('%s breaks %s, and only it', (_name, rule, breakIt) => {
    const objects = structuredClone(built);
    const broken = breakIt(objects) ?? objects;
    expect(rulesBroken(broken)).toEqual([rule]);
  });

  it('one replica is fine outside production', () => {
    const objects = structuredClone(built);
    hpaSpec(objects).minReplicas = 1;
    expect(rulesBroken(objects, false)).toEqual([]);
  });
});

describe('the overlay files, each broken on purpose in a copy of k8s/', () => {
  let copy = '';
  const overlay = describeOverlay(`${PROD}/gcp-token`);
  const kustomization = () => join(copy, overlay.directory, 'kustomization.yaml');

  beforeEach(() => {
    copy = mkdtempSync(join(tmpdir(), 'deploy-check-k8s-'));
    cpSync(repoPath('k8s'), join(copy, 'k8s'), { recursive: true });
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  it('the copy passes', () => {
    expect(messagesOf(checkOverlay(overlay, copy))).toEqual([]);
  });

  it('a resource that does not exist breaks kustomize/build', () => {
    writeFileSync(
      kustomization(),
      readFileSync(kustomization(), 'utf8').replace('../../../base/gcp-token', '../../../base/gcp-tokens'),
    );
    expect(rulesOf(checkOverlay(overlay, copy))).toEqual(['kustomize/build']);
  });

  it('an overlay that sets no image tag breaks deployment/image-tag', () => {
    writeFileSync(kustomization(), readFileSync(kustomization(), 'utf8').replace(/^\s*newTag:.*\n/m, ''));
    expect(rulesOf(checkOverlay(overlay, copy))).toEqual(['deployment/image-tag']);
  });
});

describe('kustomizeVersionProblem', () => {
  it('accepts kubectl 1.32 (kustomize 5.5)', () => {
    expect(kustomizeVersionProblem('Client Version: v1.32.4\nKustomize Version: v5.5.0')).toBeUndefined();
  });

  it('refuses a kubectl whose kustomize predates labels and patches (Debian bookworm kubectl 1.20)', () => {
    expect(kustomizeVersionProblem('Client Version: version.Info{Major:"1", Minor:"20"}')).toMatch(
      /older than 4\.2/,
    );
  });
});
