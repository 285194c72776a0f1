import { createServer } from 'node:net';
import { builtAppEntry } from './app-process';
import { freePort } from './free-port';

describe('freePort', () => {
  it('returns a port a server can bind', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    expect((server.address() as { port: number }).port).toBe(port);
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('builtAppEntry', () => {
  it('tells the developer to build when the app is missing from dist', () => {
    expect(() => builtAppEntry('no-such-app')).toThrow('build the app first (npx nx build no-such-app)');
  });
});
