// Builds the widget before any test file is loaded (vitest globalSetup), so `npx vitest run`
// serves the current widget/ sources even without `npm test`'s pretest step. Takes ~0.2 s.
import { buildWidget } from '../../scripts/build-widget.mjs';

export default async function setup() {
  await buildWidget({ log: () => {} });
}
