import { connect } from 'node:net';

export interface OversizedAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * POSTs a request that announces `declaredBytes` of JSON body and sends only its first few bytes, then reads
 * the answer. A server with a body limit answers 413 from the Content-Length alone and closes; sending the
 * whole body with fetch instead races that close (EPIPE), so a test of the limit would fail now and then.
 */
export function postOversized(
  url: string,
  declaredBytes: number,
  headers: Record<string, string> = {},
): Promise<OversizedAnswer> {
  const target = new URL(url);
  const lines = [
    `POST ${target.pathname}${target.search} HTTP/1.1`,
    `Host: ${target.host}`,
    'Content-Type: application/json',
    `Content-Length: ${declaredBytes}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer from ${url} within 5 s`)));
    socket.on('connect', () => socket.write(`${lines.join('\r\n')}\r\n\r\n{"x":"`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => (chunks.length > 0 ? finish() : reject(error)));
    socket.on('end', () => finish());
    let done = false;
    function finish(): void {
      if (done) return;
      done = true;
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1]);
      if (!Number.isInteger(status)) return reject(new Error(`not an HTTP answer: ${raw.slice(0, 200)}`));
      const payload = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      const json = /\{[\s\S]*\}/.exec(payload)?.[0];
      resolve({ status, body: json ? (JSON.parse(json) as Record<string, unknown>) : {} });
    }
  });
}
