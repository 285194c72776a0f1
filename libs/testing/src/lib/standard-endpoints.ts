/**
 * What ARCHITECTURE.md promises of every app, checked over HTTP: probes, metrics and API docs. Each app's e2e
 * spec calls this against its own running process.
 */
export async function expectStandardEndpoints(url: string): Promise<void> {
  const live = await fetch(`${url}/health/live`);
  expect(live.status).toBe(200);
  expect(await live.json()).toEqual({ status: 'ok' });
  expect(live.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

  const ready = await fetch(`${url}/health/ready`);
  expect([200, 503]).toContain(ready.status);
  const readiness = (await ready.json()) as { status: string; details: Record<string, { status: string }> };
  expect(readiness.status).toBe(ready.status === 200 ? 'ok' : 'error');
  expect(readiness.details['lifecycle']).toEqual({ status: 'up' });

  const metrics = await fetch(`${url}/metrics`);
  expect(metrics.status).toBe(200);
  expect(metrics.headers.get('content-type')).toContain('text/plain');
  const exposition = await metrics.text();
  expect(exposition).toContain('process_cpu_user_seconds_total');
  expect(exposition).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/health\/live",status_code="200"\} [1-9]/);

  const spec = await fetch(`${url}/openapi.json`);
  expect(spec.status).toBe(200);
  const document = (await spec.json()) as { openapi: string; paths: Record<string, unknown> };
  expect(document.openapi).toMatch(/^3\./);
  expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));

  const docs = await fetch(`${url}/docs`);
  expect(docs.status).toBe(200);
  expect(await docs.text()).toMatch(/swagger-ui|scalar/i);
}
