// Entry of picker.js, the script-tag build: esbuild wraps it so that its exports become
// `window.Ferry`. The endpoint defaults to the origin the script was loaded from, which is the
// Ferry serving it.
import type * as Api from './api.js';
import { createPicker } from './picker.js';

const script = typeof document !== 'undefined' ? document.currentScript : null;
const scriptOrigin = script instanceof HTMLScriptElement && script.src ? new URL(script.src).origin : undefined;

export const picker: typeof Api.picker = (options) => createPicker(options, scriptOrigin);
export const version: string = __FERRY_VERSION__;
