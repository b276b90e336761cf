// One loopback HTTP server carrying every fake: Dropbox under /dropbox, Google under /google,
// Microsoft under /microsoft, Box under /box, and a plain web server for links under /origin.
// `env()` gives the Ferry variables that point each provider at it (and allowlist it for
// links, since loopback is otherwise refused). Listens on 127.0.0.1 only.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { boxFake } from './box.js';
import { dropboxFake } from './dropbox.js';
import type { ProviderFake, TreeOptions } from './fake-drive.js';
import { googleDriveFake } from './google-drive.js';
import { oneDriveFake } from './onedrive.js';
import { originFake, type OriginFake } from './origin.js';

export interface Fakes {
  url: string;
  /** host:port, for FERRY_URL_ALLOWLIST. */
  host: string;
  providers: { dropbox: ProviderFake; 'google-drive': ProviderFake; onedrive: ProviderFake; box: ProviderFake };
  origin: OriginFake;
  env(): Record<string, string>;
  close(): Promise<void>;
}

const PREFIX: Record<string, keyof Fakes['providers']> = {
  dropbox: 'dropbox',
  google: 'google-drive',
  microsoft: 'onedrive',
  box: 'box',
};

export async function startFakes(options: TreeOptions & { autoApprove?: boolean; port?: number } = {}): Promise<Fakes> {
  const providers = {
    dropbox: dropboxFake(options),
    'google-drive': googleDriveFake(options),
    onedrive: oneDriveFake(options),
    box: boxFake(options),
  };
  for (const p of Object.values(providers)) p.oauth.autoApprove = options.autoApprove ?? true;
  const origin = originFake();

  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- every await in it is caught
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const [, first, ...rest] = url.pathname.split('/');
    const path = '/' + rest.join('/');
    if (first === 'origin') return origin.handle(req, res, path, url);
    const provider = first ? providers[PREFIX[first]!] : undefined;
    if (!provider) return void res.writeHead(404).end();
    const body = req.method === 'POST' ? await readSmall(req).catch(() => null) : '';
    if (body === null) return void res.destroy();
    provider.handle(req, res, path, url, body);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const env = () => ({
    ...providers.dropbox.env(url),
    ...providers['google-drive'].env(url),
    ...providers.onedrive.env(url),
    ...providers.box.env(url),
    FERRY_URL_ALLOWLIST: `127.0.0.1:${port}`,
  });
  env();
  return {
    url,
    host: `127.0.0.1:${port}`,
    providers,
    origin,
    env,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readSmall(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
      if (body.length > 1024 * 1024) req.destroy();
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
