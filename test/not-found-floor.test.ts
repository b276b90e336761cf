// The floor under "not found" (src/files.ts): it must end at its deadline however much work
// came before it in the same turn of the event loop. A single setTimeout does not: Node starts
// a timer from the loop's clock as of the start of the turn, so work done before setting it
// makes it fire early by that much (the 0.2 ms a CI run's oracle test saw).
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../src/files.js';

function spin(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

async function earliest(wait: (deadline: number) => Promise<void>): Promise<number> {
  let worst = Infinity;
  for (let i = 0; i < 20; i++) {
    await nextTurn();
    const started = performance.now();
    spin(i % 2 ? 0.3 : 3);
    await wait(started + 6);
    worst = Math.min(worst, performance.now() - started);
  }
  return worst;
}

describe('waitUntil', () => {
  it('never ends before its deadline, whatever ran earlier in the same turn', async () => {
    expect(await earliest(waitUntil)).toBeGreaterThanOrEqual(6);
  });

  it('is needed: one setTimeout for what is left fires early after synchronous work', async () => {
    const once = async (deadline: number) => {
      await new Promise((r) => setTimeout(r, deadline - performance.now()));
    };
    expect(await earliest(once)).toBeLessThan(6);
  });
});
