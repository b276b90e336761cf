// Entry of picker.mjs, the ES module build: `import { picker } from 'https://ferry.example/picker.mjs'`.
// The endpoint defaults to the origin the module was loaded from (pass `endpoint` when you bundle
// the module into your own code instead).
import type * as Api from './api.js';
import { createPicker } from './picker.js';

function moduleOrigin(): string | undefined {
  try {
    const url = new URL(import.meta.url);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

export const picker: typeof Api.picker = (options) => createPicker(options, moduleOrigin());
export const version: string = __FERRY_VERSION__;
