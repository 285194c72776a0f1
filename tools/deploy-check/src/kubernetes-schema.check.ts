import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { type Violation, violation } from './violation';

interface ValidatingModel {
  validate(): void;
}
type ModelClass = new (data: unknown) => ValidatingModel;

/** The API groups these manifests may use, each with the models (and OpenAPI schemas) of its kinds. */
const API_GROUPS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'autoscaling/v2': autoscalingV2,
  'batch/v1': batchV1,
  'networking.k8s.io/v1': networkingV1,
  'policy/v1': policyV1,
  'rbac.authorization.k8s.io/v1': rbacV1,
};

interface SchemaError {
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}

function modelFor(apiVersion: unknown, kind: unknown): ModelClass | undefined {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const model = API_GROUPS[apiVersion]?.[kind];
  return typeof model === 'function' ? (model as ModelClass) : undefined;
}

function describeSchemaErrors(error: unknown): string {
  const errors = (error as { errors?: readonly SchemaError[] }).errors;
  if (!Array.isArray(errors) || errors.length === 0)
    return error instanceof Error ? error.message : String(error);
  return errors
    .map((found: SchemaError) => {
      const extra = found.params?.['additionalProperty'] ?? found.params?.['missingProperty'];
      return `${found.instancePath || '/'} ${found.message ?? 'is invalid'}${extra ? ` (${String(extra)})` : ''}`;
    })
    .join('; ');
}

export function objectLabel(object: unknown): string {
  const { kind, metadata } = (object ?? {}) as { kind?: unknown; metadata?: { name?: unknown } };
  return `${typeof kind === 'string' ? kind : '<no kind>'} ${typeof metadata?.name === 'string' ? metadata.name : '<no name>'}`;
}

/** Each object against the Kubernetes OpenAPI schema of its apiVersion and kind (kubernetes-models). */
export function checkKubernetesSchemas(where: string, objects: readonly unknown[]): Violation[] {
  const violations: Violation[] = [];
  for (const object of objects) {
    const { apiVersion, kind } = (object ?? {}) as { apiVersion?: unknown; kind?: unknown };
    const Model = modelFor(apiVersion, kind);
    const subject = `${where}: ${objectLabel(object)}`;
    if (!Model) {
      violations.push(
        violation(
          'k8s/schema',
          subject,
          `no Kubernetes schema for apiVersion ${String(apiVersion)} kind ${String(kind)}`,
        ),
      );
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      violations.push(
        violation(
          'k8s/schema',
          subject,
          `does not match the Kubernetes schema: ${describeSchemaErrors(error)}`,
        ),
      );
    }
  }
  return violations;
}
