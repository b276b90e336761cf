// Summarises a V8 CPU profile (`node --cpu-prof`, as bench/profile.ts and `--ferry-prof` write
// them): where the main thread's time went, by area (node:crypto, sockets, file reads, Web
// streams, GC, each Ferry file) and by function (self time), idle and module loading left out.
// This is how the profile evidence in docs/benchmarks.md was read.
//
//   node --import tsx bench/cpu-profile.ts FILE.cpuprofile [--from=0.5] [--top=25]
// --from: skip the first part of the profile (a fraction of its duration), e.g. the uploads a
//         download run makes first, or start-up.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
if (!file) {
  console.error('usage: cpu-profile.ts FILE.cpuprofile [--from=FRACTION] [--top=N]');
  process.exit(2);
}
const from = Number(option('from') ?? 0);
const top = Number(option('top') ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

/** Microseconds of samples per node, from `from` of the profile's duration on. */
const perNode = new Map<number, number>();
const duration = profile.timeDeltas.reduce((a, b) => a + b, 0);
let elapsed = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  elapsed += dt;
  if (elapsed < from * duration) continue;
  perNode.set(profile.samples[i]!, (perNode.get(profile.samples[i]!) ?? 0) + dt);
}

function area(cf: ProfileNode['callFrame']): string {
  const { url, functionName: f } = cf;
  if (f === '(idle)') return 'idle';
  if (f === '(garbage collector)') return 'garbage collector';
  if (/esm\/|cjs\/|loader|tsx|register|lexer|bootstrap|realm|source_map/.test(url + f)) return 'module loading';
  if (/webstreams/.test(url)) return 'Web streams (node:internal/webstreams)';
  if (/crypto\/(cipher|hash|random)/.test(url)) return 'node:crypto';
  if (/^(writeBuffer|writev|writeBuffers|writeUtf8String|writeLatin1String)$/.test(f) || /_http|net\.js|stream_base/.test(url)) {
    return 'HTTP and sockets';
  }
  if (/^(read|open|openFileHandle|fstat|close|fsync|rename|unlink|mkdir)$/.test(f) || /fs\/promises|internal\/fs/.test(url)) return 'file system';
  if (/internal\/streams/.test(url)) return 'Node streams';
  if (/\/src\//.test(url)) return `Ferry ${url.split('/src/')[1]}`;
  if (/hono/.test(url)) return 'Hono';
  if (/@aws-sdk|@smithy/.test(url)) return 'AWS SDK';
  return 'other';
}

const name = (cf: ProfileNode['callFrame']) => `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
const areas = new Map<string, number>();
const self = new Map<string, number>();
for (const [id, us] of perNode) {
  const cf = byId.get(id)!.callFrame;
  const a = area(cf);
  areas.set(a, (areas.get(a) ?? 0) + us);
  if (a !== 'idle' && a !== 'module loading') self.set(name(cf), (self.get(name(cf)) ?? 0) + us);
}
const busy = [...areas].filter(([a]) => a !== 'idle' && a !== 'module loading').reduce((n, [, us]) => n + us, 0);
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
console.log(`${file}: ${(busy / 1e6).toFixed(2)} s busy on the main thread (idle and module loading left out)`);
console.log('\nby area');
for (const [a, us] of [...areas].filter(([a]) => a !== 'idle' && a !== 'module loading').sort((x, y) => y[1] - x[1])) console.log(`${pct(us)}  ${a}`);
console.log('\ntop functions, self time');
for (const [f, us] of [...self].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${pct(us)}  ${f}`);
