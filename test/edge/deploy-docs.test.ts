// docs/deploy.md tells Cloudflare users to set the bucket's lifecycle rule with wrangler, or with
// `npm run infra` through R2's S3 API. Neither can reach Cloudflare from here, so this checks what
// can be checked offline: the documented wrangler command names a real subcommand and only
// options this wrangler knows (its own --help), and infra's requests for an R2 bucket carry the
// rule docs/deploy.md describes (objects expire after 1 day, incomplete multipart uploads are
// aborted after 1 day). wrangler.toml binds the bucket the docs create.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { runCli } from '../../infra/cli.js';
import { OFFLINE_WRANGLER_ENV, projectRoot } from './workerd.js';

const deploy = readFileSync(join(projectRoot, 'docs/deploy.md'), 'utf8');

async function wranglerHelp(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(projectRoot, 'node_modules/wrangler/bin/wrangler.js'), ...args, '--help'], {
    cwd: projectRoot,
    env: { ...process.env, ...OFFLINE_WRANGLER_ENV },
  });
  return stdout;
}

it('documents a wrangler lifecycle command that this wrangler parses', async () => {
  const line = /npx wrangler (r2 bucket lifecycle add .*)/.exec(deploy)?.[1];
  expect(line, 'docs/deploy.md names `wrangler r2 bucket lifecycle add`').toBeDefined();
  const words = line!.trim().split(/\s+/);
  const options = words.filter((w) => w.startsWith('--'));
  expect(options).toEqual(['--expire-days', '--abort-multipart-days']);
  expect(words[words.indexOf('--expire-days') + 1]).toBe('1');
  expect(words[words.indexOf('--abort-multipart-days') + 1]).toBe('1');
  const help = await wranglerHelp(['r2', 'bucket', 'lifecycle', 'add']);
  expect(help).toMatch(/wrangler r2 bucket lifecycle add <bucket> \[name\] \[prefix\]/);
  for (const option of options) expect(help, option).toContain(option);
  // The bucket it creates is the one wrangler.toml binds.
  expect(deploy).toContain('npx wrangler r2 bucket create ferry-files');
  expect(readFileSync(join(projectRoot, 'wrangler.toml'), 'utf8')).toMatch(/\[\[r2_buckets\]\]\nbinding = "FERRY_BUCKET"\nbucket_name = "ferry-files"/);
}, 60_000);

it('has infra emit the same one-day rule for an R2 bucket through its S3 API', async () => {
  let out = '';
  const io = { out: (line: string) => (out += line + '\n'), err: (line: string) => (out += line + '\n') };
  const code = await runCli(['print', '--bucket', 'ferry-files', '--endpoint', 'https://0123456789abcdef.r2.cloudflarestorage.com'], {}, io);
  expect(code).toBe(0);
  expect(out).toContain('(r2,');
  const xml = /<LifecycleConfiguration[^]*?<\/LifecycleConfiguration>/.exec(out)?.[0] ?? '';
  expect(xml).toContain('<Expiration><Days>1</Days></Expiration>');
  expect(xml).toContain('<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>');
  expect(xml).toContain('<Filter><Prefix></Prefix></Filter>');
});
