import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';

export function readRequestBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A local HTTP server on a free port of 127.0.0.1, closed with every connection (hanging ones too) on stop(). */
export class LocalServer {
  private server?: Server;
  private port = 0;

  constructor(
    private readonly handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      Promise.resolve(this.handler(req, res)).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: 'fake failed' });
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
