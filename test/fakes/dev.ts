// `npm run dev:fakes`: Ferry wired to the loopback fakes of every provider, so a person can
// click through Connect, browse, pick and download for each source without any real account.
// The fakes show a consent page (Allow / Deny) like the real providers. Nothing leaves loopback.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerry } from '../../src/node.js';
import { startFakes } from './server.js';

const fakes = await startFakes({ autoApprove: false, bigSize: 64 * 1024 * 1024 });
const ferry = await startFerry({
  PORT: process.env.PORT ?? '8080',
  HOST: '127.0.0.1',
  FERRY_DATA_DIR: process.env.FERRY_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'ferry-dev-fakes-')),
  ...(process.env.FERRY_APPS ? { FERRY_APPS: process.env.FERRY_APPS } : {}),
  ...(process.env.FERRY_KEYS ? { FERRY_KEYS: process.env.FERRY_KEYS } : {}),
  ...fakes.env(),
});

const origin = 'http://localhost:5173';
console.log(`
Fake providers on ${fakes.url} (Dropbox, Google Drive, OneDrive, Box, and link origins under /origin).
Ferry on ${ferry.url}, app key "dev" (any http://localhost origin).

  Sources:   curl '${ferry.url}/v1/sources?key=dev'
  Connect:   open '${ferry.url}/v1/connect/dropbox?key=dev&origin=${encodeURIComponent(origin)}' in a browser
             (or google-drive, onedrive, box); the callback page posts the account to window.opener.
  Browse:    curl -H 'Authorization: Bearer <account>' '${ferry.url}/v1/sources/dropbox/list?key=dev'
  Pick:      curl -H 'content-type: application/json' -d '{"source":"dropbox","account":"<account>","id":"<id>"}' '${ferry.url}/v1/picks?key=dev'
  Link pick: curl -H 'content-type: application/json' -d '{"source":"url","url":"${fakes.url}/origin/files/1/100000/report.pdf"}' '${ferry.url}/v1/picks?key=dev'
`);

const stop = async () => {
  await ferry.close();
  await fakes.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
