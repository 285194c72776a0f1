import { ResilientStorage } from './resilient-storage';
import { azureCodeOf, classifyFailure } from './storage-errors';
import { StorageErrorCode, StorageException } from './storage.exception';

function restError(statusCode: number | undefined, code?: string): Error {
  return Object.assign(new Error(`status ${statusCode}`), { name: 'RestError', statusCode, details: code ? { odataError: { code } } : undefined });
}

function storage(overrides: Partial<ConstructorParameters<typeof ResilientStorage>[0]> = {}) {
  const outcomes: string[] = [];
  const resilient = new ResilientStorage({
    timeoutMs: 200,
    maxRetries: 2,
    backoffMs: 1,
    circuitFailureThreshold: 2,
    circuitOpenMs: 60_000,
    onOutcome: (_operation, outcome) => outcomes.push(outcome),
    ...overrides,
  });
  return { resilient, outcomes };
}

describe('classifyFailure', () => {
  it('retries timeouts, network errors, throttling and 5xx only', () => {
    expect(classifyFailure(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe('transient');
    expect(classifyFailure(restError(undefined))).toBe('transient');
    for (const status of [408, 429, 500, 503]) expect(classifyFailure(restError(status))).toBe('transient');
    for (const status of [400, 404, 409, 412]) expect(classifyFailure(restError(status))).toBe('answer');
    expect(classifyFailure(restError(403))).toBe('credentials');
    expect(classifyFailure(new TypeError('bug'))).toBe('unknown');
  });

  it("reads Azure's error code from the OData error", () => {
    expect(azureCodeOf(restError(404, 'TableNotFound'))).toBe('TableNotFound');
    expect(azureCodeOf(new Error('x'))).toBeUndefined();
  });
});

describe('ResilientStorage', () => {
  it('retries a transient failure and returns the later success', async () => {
    const { resilient, outcomes } = storage();
    let calls = 0;
    const result = await resilient.run('read', async () => {
      calls += 1;
      if (calls < 3) throw restError(503);
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(outcomes).toEqual(['success']);
  });

  it('does not retry a definite answer such as 404 or 412, and passes it on unchanged', async () => {
    const { resilient } = storage();
    let calls = 0;
    const notFound = restError(404);
    await expect(
      resilient.run('read', async () => {
        calls += 1;
        throw notFound;
      }),
    ).rejects.toBe(notFound);
    expect(calls).toBe(1);
    expect(resilient.circuit.state).toBe('closed');
  });

  it('gives up after the retries with a 503-worthy StorageException', async () => {
    const { resilient } = storage();
    let calls = 0;
    const failing = resilient.run('read', async () => {
      calls += 1;
      throw restError(undefined);
    });
    await expect(failing).rejects.toMatchObject({ code: StorageErrorCode.UNAVAILABLE, message: 'Key storage is unavailable; try again shortly' });
    expect(calls).toBe(3);
  });

  it('abandons an attempt at its deadline', async () => {
    const { resilient } = storage({ maxRetries: 0, timeoutMs: 50 });
    const started = Date.now();
    const hanging = resilient.run(
      'read',
      (signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
        }),
    );
    await expect(hanging).rejects.toBeInstanceOf(StorageException);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('opens the circuit after repeated failed operations and then refuses without calling storage', async () => {
    const { resilient, outcomes } = storage({ maxRetries: 0 });
    let calls = 0;
    const fail = () =>
      resilient.run('read', async () => {
        calls += 1;
        throw restError(500);
      });
    await expect(fail()).rejects.toBeInstanceOf(StorageException);
    await expect(fail()).rejects.toBeInstanceOf(StorageException);
    await expect(fail()).rejects.toMatchObject({ code: StorageErrorCode.CIRCUIT_OPEN, retryAfterSeconds: 60 });
    expect(calls).toBe(2);
    expect(outcomes).toEqual(['failure', 'failure', 'circuit_open']);
  });

  it('reports rejected credentials as such, without retrying', async () => {
    const { resilient } = storage();
    let calls = 0;
    await expect(
      resilient.run('read', async () => {
        calls += 1;
        throw restError(403);
      }),
    ).rejects.toMatchObject({ code: StorageErrorCode.CREDENTIALS_REJECTED });
    expect(calls).toBe(1);
  });
});
