/** One broken rule: `rule` is a stable id (what the break-on-purpose specs assert), `message` names file and rule. */
export interface Violation {
  readonly rule: string;
  readonly message: string;
}

/** `where` is the file (and object) at fault, e.g. `k8s/overlays/prod: Deployment gcp-token`. */
export function violation(rule: string, where: string, text: string): Violation {
  return { rule, message: `${where}: ${text}` };
}

/** The messages alone: what a failing "the repository passes" spec prints. */
export function messagesOf(violations: readonly Violation[]): string[] {
  return violations.map((found) => `${found.message} [${found.rule}]`);
}

export function rulesOf(violations: readonly Violation[]): string[] {
  return [...new Set(violations.map((found) => found.rule))];
}
