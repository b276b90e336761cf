// What the benchmark reads about the processes it measures, straight from /proc (Linux only):
// CPU time (utime + stime, the process's own threads) and resident memory. Peak RSS is the
// kernel's own high-water mark (VmHWM), reset before each measured phase by writing "5" to
// /proc/<pid>/clear_refs, so a peak is exact rather than whatever a sampler happened to catch.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS_PER_SECOND;
}

function status(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export const rssBytes = (pid: number) => status(pid, 'VmRSS');

/** Starts a new peak-RSS window for `pid`. */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** The highest RSS since the last resetPeak (or since start). */
export const peakRssBytes = (pid: number) => status(pid, 'VmHWM');

/** CPU and peak RSS of some processes over one phase of work. */
export class Meter {
  #start: number[];
  constructor(private readonly pids: number[]) {
    for (const pid of pids) resetPeak(pid);
    this.#start = pids.map(cpuSeconds);
  }
  /** CPU seconds each process used since construction, and its peak RSS. */
  read(): { cpu: number[]; peak: number[] } {
    return {
      cpu: this.pids.map((pid, i) => cpuSeconds(pid) - this.#start[i]!),
      peak: this.pids.map(peakRssBytes),
    };
  }
}

/** The direct children of `parent` whose command name is `comm` (e.g. the workerd Miniflare spawns). */
export function childPids(parent: number, comm: string): number[] {
  const found: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (name === comm && ppid === parent) found.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Children still running; killed if this process exits first (an error, Ctrl-C). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

export interface Child {
  child: ChildProcess;
  pid: number;
  /** The first line the process printed that matched `ready`, as a match. */
  ready: RegExpExecArray;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns a process and waits until a line of its stdout matches `ready`. Its output is kept
 * (for error messages), never echoed; it is killed with SIGTERM (then SIGKILL) on stop and when
 * this process exits.
 */
export async function startChild(
  args: string[],
  options: { env: Record<string, string>; cwd: string; ready: RegExp; timeoutMs?: number },
): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  running.add(child);
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${out}`)), options.timeoutMs ?? 30_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (out.length < 64 * 1024) out += line + '\n';
      const m = options.ready.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    ready,
    output: () => out,
    stop: async () => {
      running.delete(child);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
