// The README's "Try it" as a newcomer meets it: `npm start` with nothing set (src/node.ts in its
// own process, no FERRY_APPS, no FERRY_KEYS), then the README's curl block run as written by the
// real curl, with only the host swapped for the test server's. No key anywhere: the embedded
// `dev` app is the default app (FERRY_DEFAULT_APP). Also here: the default app's own rules and
// the start-up error for a default that names no app.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry } from '../../src/node.js';
import { exited, runNode, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { SIGNED_APP, TEST_APP, testKey } from '../helpers/targets.js';
import { expectBytes, pattern } from './files-suite.js';

const root = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ferry-try-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The first ```sh block under "## Try it" in the README. */
function tryItBlock(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Try it\n'));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README has no sh block under "## Try it"');
  return m[1]!;
}

function sh(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-e', '-c', script], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the README\'s "Try it", with nothing configured', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({ FERRY_DATA_DIR: tempDir() });
  }, 30_000);
  afterAll(async () => server?.stop());

  it('runs as written: curl -T and curl -F answer 201, and the URL and the bare handle download', async () => {
    const block = tryItBlock();
    expect(block).toMatch(/^curl -T photo\.jpg http:\/\/localhost:8080\/v1\/files\/$/m);
    expect(block).toMatch(/^curl -F file=@photo\.jpg http:\/\/localhost:8080\/v1\/files$/m);
    const commands = block.split('\n').filter((l) => !l.startsWith('#'));
    expect(commands.join('\n')).not.toMatch(/key=|x-ferry-key/i);
    const work = tempDir();
    const photo = pattern(48_213, 11);
    writeFileSync(join(work, 'photo.jpg'), photo);
    // Every curl fails the script on an HTTP error (sh -e), as a newcomer would notice one.
    writeFileSync(join(work, '.curlrc'), 'fail-with-body\nsilent\nshow-error\n');
    const script = block.replaceAll('http://localhost:8080', server.url) + '\necho; echo "URL=$URL"\n';
    const run = await sh(script, work, { CURL_HOME: work, HOME: work });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    // JSON answers end without a newline, so curl's outputs run together: split between objects.
    const answers = run.stdout
      .replace(/^URL=.*$/m, '')
      .trim()
      .split(/(?<=\})\s*(?=\{")/)
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as { url: string; inlineUrl?: string; filename: string; size: number; type: string; handle: string });
    // curl -T, curl -F, the ttl upload, then the meta.
    expect(answers).toHaveLength(4);
    for (const a of answers) expect(a).toMatchObject({ filename: 'photo.jpg', size: 48_213, type: 'image/jpeg' });
    expect(answers[0]!.url).toBe(`${server.url}/v1/files/${answers[0]!.handle}?key=dev`);
    expect(answers[0]!.inlineUrl).toBe(`${answers[0]!.url}&inline=1`);
    expectBytes(readFileSync(join(work, 'copy.jpg')), photo);
    expectBytes(readFileSync(join(work, 'again.jpg')), photo);
    expectBytes(readFileSync(join(work, 'first-kib.jpg')), photo.slice(0, 1024));
    // The first upload's URL and bare handle still download; the deleted one is gone.
    for (const url of [answers[0]!.url, `${server.url}/v1/files/${answers[1]!.handle}`]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      expectBytes(await res.arrayBuffer(), photo);
    }
    const deleted = /^URL=(.+)$/m.exec(run.stdout)![1]!;
    expect((await fetch(deleted)).status).toBe(404);
  }, 90_000);
});

describe('the default app (FERRY_DEFAULT_APP)', () => {
  const quiet = { log: () => {}, requestLog: () => {} };

  it('stops start-up with one line naming the variable when it names no app', async () => {
    const cases: Record<string, string>[] = [
      { FERRY_DEFAULT_APP: 'nobody' }, // embedded mode: only "dev" exists
      { FERRY_KEYS: testKey(), FERRY_APPS: JSON.stringify([TEST_APP]), FERRY_DEFAULT_APP: 'dev' },
    ];
    for (const env of cases) {
      const { code, stderr, stdout } = await exited(runNode({ FERRY_DATA_DIR: tempDir(), PORT: '0', ...env }));
      expect(code).toBe(1);
      expect(stdout).toBe('');
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^ferry: FERRY_DEFAULT_APP: names no app: "(nobody|dev)"/);
    }
  }, 60_000);

  it('keeps its requireSignature: a bare curl -T to a signing default app gets missing_policy, and stores nothing', async () => {
    const dir = tempDir();
    const ferry = await startFerry(
      { PORT: '0', HOST: '127.0.0.1', FERRY_DATA_DIR: dir, FERRY_KEYS: testKey(), FERRY_APPS: JSON.stringify([TEST_APP, SIGNED_APP]), FERRY_DEFAULT_APP: SIGNED_APP.name },
      quiet,
    );
    try {
      const res = await fetch(`${ferry.url}/v1/files/a.txt`, { method: 'PUT', body: 'hello' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('missing_policy');
      // Another app, named by its key, is not affected.
      expect((await fetch(`${ferry.url}/v1/files/a.txt?key=${TEST_APP.key}`, { method: 'PUT', body: 'hello' })).status).toBe(201);
    } finally {
      await ferry.close();
    }
  });

  it('is none with FERRY_APPS unless named: a request without a key gets missing_key', async () => {
    const ferry = await startFerry(
      { PORT: '0', HOST: '127.0.0.1', FERRY_DATA_DIR: tempDir(), FERRY_KEYS: testKey(), FERRY_APPS: JSON.stringify([TEST_APP]) },
      quiet,
    );
    try {
      const res = await fetch(`${ferry.url}/v1/files/a.txt`, { method: 'PUT', body: 'hello' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('missing_key');
    } finally {
      await ferry.close();
    }
  });
});
