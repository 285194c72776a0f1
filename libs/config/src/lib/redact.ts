export const REDACTED = '[REDACTED]';

/** Hides a password embedded in a URL (redis://:pass@host, postgres://user:pass@host). */
function redactUrlPassword(value: string): string {
  if (!value.includes('@')) return value;
  try {
    const url = new URL(value);
    if (!url.password) return value;
    url.password = REDACTED;
    return url.toString();
  } catch {
    return value;
  }
}

/** A copy of validated config that is safe to log or serve: secrets replaced, URL passwords hidden. */
export function redactEnv(values: Readonly<Record<string, unknown>>, secrets: readonly string[]): Record<string, unknown> {
  const hidden = new Set(secrets);
  const redacted: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (hidden.has(name)) redacted[name] = REDACTED;
    else if (typeof value === 'string') redacted[name] = redactUrlPassword(value);
    else redacted[name] = value;
  }
  return redacted;
}
