import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type {
  IConfigMap,
  IContainer,
  IPodSpec,
  IProbe,
  IService,
  IServiceAccount,
} from 'kubernetes-models/v1';
import { hasCredentialedUrl, isSecretName } from './secret-names';
import { type Violation, violation } from './violation';

/** What libs/config's env spec uses when a ConfigMap leaves SHUTDOWN_* out (libs/config/src/lib/env-spec.ts). */
export const SHUTDOWN_DEFAULTS = { SHUTDOWN_DELAY_MS: 0, SHUTDOWN_TIMEOUT_MS: 10_000 } as const;

export interface ManifestOptions {
  /** The apps whose Deployment (and companions) the output must hold. */
  readonly apps: readonly string[];
  /** Production overlays must keep at least two replicas. */
  readonly production: boolean;
}

interface Metadata {
  readonly name?: string;
}
interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: Metadata;
}

type Labels = Readonly<Record<string, string>>;

function ofKind<T>(objects: readonly unknown[], kind: string): T[] {
  return objects.filter((object): object is T => (object as KubeObject | null)?.kind === kind);
}

function nameOf(object: KubeObject): string {
  return object.metadata?.name ?? '<no name>';
}

/** A label selector (matchLabels only, as these manifests use) selects pods carrying every pair. */
function selects(selector: Labels | undefined, labels: Labels): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function podLabels(deployment: IDeployment): Labels {
  return (deployment.spec?.template?.metadata?.labels ?? {}) as Labels;
}

function podSpec(deployment: IDeployment): IPodSpec | undefined {
  return deployment.spec?.template?.spec;
}

function httpPath(probe: IProbe | undefined): string | undefined {
  return probe?.httpGet?.path;
}

/** The seconds a preStop hook pauses: `sleep N` in an exec hook, or the sleep action. */
export function preStopSeconds(container: IContainer): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return Number(preStop.sleep.seconds) || 0;
  const command = preStop?.exec?.command?.join(' ') ?? '';
  const match = /\bsleep\s+(\d+(?:\.\d+)?)\b/.exec(command);
  return match ? Number(match[1]) : 0;
}

/** A variable as the container sees it: `env` literals win over `envFrom` ConfigMaps (later sources win). */
function containerVariable(
  container: IContainer,
  configMaps: readonly IConfigMap[],
  name: string,
): string | undefined {
  const literal = container.env?.find((entry) => entry.name === name && entry.value !== undefined);
  if (literal) return literal.value;
  let value: string | undefined;
  for (const source of container.envFrom ?? []) {
    const configMap = configMaps.find((candidate) => nameOf(candidate) === source.configMapRef?.name);
    const prefix = source.prefix ?? '';
    if (configMap && name.startsWith(prefix)) value = configMap.data?.[name.slice(prefix.length)] ?? value;
  }
  return value;
}

function shutdownMilliseconds(
  container: IContainer,
  configMaps: readonly IConfigMap[],
  name: keyof typeof SHUTDOWN_DEFAULTS,
) {
  const value = containerVariable(container, configMaps, name);
  return value === undefined ? SHUTDOWN_DEFAULTS[name] : Number(value);
}

function imageHasPinnedTag(image: string | undefined): boolean {
  if (!image) return false;
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return false;
  const tag = lastSegment.slice(colon + 1);
  return tag.length > 0 && tag !== 'latest';
}

function declaredPorts(container: IContainer): Set<string> {
  const ports = new Set<string>();
  for (const port of container.ports ?? []) {
    ports.add(String(port.containerPort));
    if (port.name) ports.add(port.name);
  }
  return ports;
}

function checkContainer(
  where: string,
  container: IContainer,
  spec: IPodSpec,
  configMaps: readonly IConfigMap[],
): Violation[] {
  const found: Violation[] = [];
  const add = (rule: string, text: string) => found.push(violation(rule, where, text));
  const security = container.securityContext;

  if (httpPath(container.livenessProbe) !== '/health/live')
    add('deployment/liveness-probe', 'livenessProbe must GET /health/live');
  if (httpPath(container.readinessProbe) !== '/health/ready')
    add('deployment/readiness-probe', 'readinessProbe must GET /health/ready');
  const ports = declaredPorts(container);
  for (const [probeName, probe] of [
    ['livenessProbe', container.livenessProbe],
    ['readinessProbe', container.readinessProbe],
    ['startupProbe', container.startupProbe],
  ] as const) {
    const port = probe?.httpGet?.port;
    if (port !== undefined && !ports.has(String(port))) {
      add('deployment/probe-port', `${probeName} port ${String(port)} is not a port the container declares`);
    }
  }

  const resources = container.resources;
  const missing = (['requests', 'limits'] as const).flatMap((group) =>
    (['cpu', 'memory'] as const)
      .filter((resource) => resources?.[group]?.[resource] === undefined)
      .map((resource) => `${group}.${resource}`),
  );
  if (missing.length > 0) add('deployment/resources', `resources must set ${missing.join(', ')}`);

  if ((security?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot) !== true) {
    add('deployment/run-as-non-root', 'securityContext.runAsNonRoot must be true (pod or container)');
  }
  if (security?.readOnlyRootFilesystem !== true) {
    add('deployment/read-only-root-filesystem', 'securityContext.readOnlyRootFilesystem must be true');
  }
  const tmpMount = container.volumeMounts?.find((mount) => mount.mountPath.replace(/\/+$/, '') === '/tmp');
  const tmpVolume = spec.volumes?.find((volume) => volume.name === tmpMount?.name);
  if (!tmpMount || !tmpVolume?.emptyDir)
    add('deployment/tmp-empty-dir', 'an emptyDir volume must be mounted at /tmp');
  if (security?.allowPrivilegeEscalation !== false) {
    add('deployment/allow-privilege-escalation', 'securityContext.allowPrivilegeEscalation must be false');
  }
  if (!security?.capabilities?.drop?.includes('ALL') || (security.capabilities.add?.length ?? 0) > 0) {
    add('deployment/capabilities-drop-all', 'securityContext.capabilities must drop ALL and add none');
  }

  if (!container.lifecycle?.preStop)
    add('deployment/pre-stop', 'lifecycle.preStop must pause before SIGTERM (e.g. sleep 5)');
  const pause = preStopSeconds(container);
  const delay = shutdownMilliseconds(container, configMaps, 'SHUTDOWN_DELAY_MS');
  const timeout = shutdownMilliseconds(container, configMaps, 'SHUTDOWN_TIMEOUT_MS');
  const drainSeconds = pause + (delay + timeout) / 1000;
  const grace = spec.terminationGracePeriodSeconds;
  if (typeof grace !== 'number' || grace <= drainSeconds) {
    add(
      'deployment/termination-grace-period',
      `terminationGracePeriodSeconds ${grace ?? '(unset: 30)'} must exceed the drain time ${drainSeconds} s ` +
        `(preStop ${pause} s + SHUTDOWN_DELAY_MS ${delay} + SHUTDOWN_TIMEOUT_MS ${timeout})`,
    );
  }

  for (const entry of container.env ?? []) {
    if (isSecretName(entry.name) && !entry.valueFrom?.secretKeyRef) {
      add(
        'deployment/secret-env',
        `env ${entry.name} is a secret and must come from secretKeyRef, not ${entry.value !== undefined ? 'a literal value' : 'another source'}`,
      );
    } else if (entry.value !== undefined && hasCredentialedUrl(entry.value)) {
      add(
        'deployment/secret-env',
        `env ${entry.name} holds a URL with a password; it must come from secretKeyRef`,
      );
    }
  }

  if (!imageHasPinnedTag(container.image)) {
    add(
      'deployment/image-tag',
      `image ${container.image ?? '(none)'} must carry a tag other than latest (or a digest); set it in the overlay's images`,
    );
  }
  return found;
}

function checkDeployment(
  where: string,
  deployment: IDeployment,
  configMaps: readonly IConfigMap[],
): Violation[] {
  const subject = `${where}: Deployment ${nameOf(deployment)}`;
  const spec = podSpec(deployment);
  if (!spec) return [violation('deployment/pod-spec', subject, 'spec.template.spec is missing')];
  const found: Violation[] = [];
  if (spec.automountServiceAccountToken !== false) {
    found.push(
      violation(
        'deployment/automount-service-account-token',
        subject,
        'automountServiceAccountToken must be false',
      ),
    );
  }
  const containers = spec.containers ?? [];
  for (const container of containers) {
    const containerSubject = containers.length > 1 ? `${subject}: container ${container.name}` : subject;
    found.push(...checkContainer(containerSubject, container, spec, configMaps));
  }
  return found;
}

/** The objects each app needs beside its Deployment, and that they point at it. */
function checkCompanions(where: string, deployment: IDeployment, objects: readonly unknown[]): Violation[] {
  const app = nameOf(deployment);
  const subject = `${where}: Deployment ${app}`;
  const labels = podLabels(deployment);
  const spec = podSpec(deployment);
  const found: Violation[] = [];
  const add = (rule: string, text: string) => found.push(violation(rule, subject, text));

  if (
    !ofKind<IService>(objects, 'Service').some((service) =>
      selects(service.spec?.selector as Labels | undefined, labels),
    )
  ) {
    add('k8s/service', 'no Service selects its pods');
  }
  const accountName = spec?.serviceAccountName;
  if (
    !accountName ||
    !ofKind<IServiceAccount>(objects, 'ServiceAccount').some((account) => nameOf(account) === accountName)
  ) {
    add(
      'k8s/service-account',
      `serviceAccountName must name a ServiceAccount of the output (${accountName ?? 'unset'})`,
    );
  }
  const configMapNames = new Set(ofKind<IConfigMap>(objects, 'ConfigMap').map(nameOf));
  const references = (spec?.containers ?? []).flatMap((container) =>
    (container.envFrom ?? []).flatMap((source) =>
      source.configMapRef?.name ? [source.configMapRef.name] : [],
    ),
  );
  if (references.length === 0 || references.some((name) => !configMapNames.has(name))) {
    add(
      'k8s/config-map',
      `its containers must take their configuration from a ConfigMap of the output (envFrom: ${references.join(', ') || 'none'})`,
    );
  }
  const budgets = ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
  if (!budgets.some((budget) => selects(budget.spec?.selector?.matchLabels as Labels | undefined, labels))) {
    add('k8s/pod-disruption-budget', 'no PodDisruptionBudget selects its pods');
  }
  const autoscalers = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
  if (
    !autoscalers.some(
      (hpa) => hpa.spec?.scaleTargetRef.kind === 'Deployment' && hpa.spec.scaleTargetRef.name === app,
    )
  ) {
    add('k8s/horizontal-pod-autoscaler', 'no HorizontalPodAutoscaler scales it');
  }
  const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy');
  if (
    !policies.some((policy) => selects(policy.spec?.podSelector?.matchLabels as Labels | undefined, labels))
  ) {
    add('k8s/network-policy', 'no NetworkPolicy selects its pods');
  }
  return found;
}

function checkNetworkPolicy(where: string, policy: INetworkPolicy): Violation[] {
  const types = policy.spec?.policyTypes ?? [];
  return types.includes('Ingress') && types.includes('Egress')
    ? []
    : [
        violation(
          'k8s/network-policy-default-deny',
          `${where}: NetworkPolicy ${nameOf(policy)}`,
          'policyTypes must list Ingress and Egress, so whatever the rules do not allow is denied',
        ),
      ];
}

function checkConfigMap(where: string, configMap: IConfigMap): Violation[] {
  const subject = `${where}: ConfigMap ${nameOf(configMap)}`;
  return Object.entries(configMap.data ?? {}).flatMap(([key, value]) =>
    isSecretName(key)
      ? [
          violation(
            'k8s/config-map-secret',
            subject,
            `${key} is a secret and belongs in a Secret (secretKeyRef), not a ConfigMap`,
          ),
        ]
      : hasCredentialedUrl(value)
        ? [
            violation(
              'k8s/config-map-secret',
              subject,
              `${key} holds a URL with a password; it belongs in a Secret`,
            ),
          ]
        : [],
  );
}

function checkReplicas(where: string, hpa: IHorizontalPodAutoscaler): Violation[] {
  const min = hpa.spec?.minReplicas ?? 1;
  return min >= 2
    ? []
    : [
        violation(
          'k8s/prod-min-replicas',
          `${where}: HorizontalPodAutoscaler ${nameOf(hpa)}`,
          `minReplicas ${min} must be at least 2 in production`,
        ),
      ];
}

/** The rules for the objects one overlay builds to (its `kubectl kustomize` output). */
export function checkManifests(
  where: string,
  objects: readonly unknown[],
  options: ManifestOptions,
): Violation[] {
  const deployments = ofKind<IDeployment>(objects, 'Deployment');
  const configMaps = ofKind<IConfigMap>(objects, 'ConfigMap');
  const found: Violation[] = [];
  for (const app of options.apps) {
    if (!deployments.some((deployment) => nameOf(deployment) === app)) {
      found.push(violation('k8s/deployment', where, `no Deployment ${app}`));
    }
  }
  for (const deployment of deployments) {
    found.push(
      ...checkDeployment(where, deployment, configMaps),
      ...checkCompanions(where, deployment, objects),
    );
  }
  for (const policy of ofKind<INetworkPolicy>(objects, 'NetworkPolicy'))
    found.push(...checkNetworkPolicy(where, policy));
  for (const configMap of configMaps) found.push(...checkConfigMap(where, configMap));
  if (options.production) {
    for (const hpa of ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler'))
      found.push(...checkReplicas(where, hpa));
  }
  return found;
}
