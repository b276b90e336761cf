// Replaced at build time by scripts/build-widget.mjs (esbuild `define`) with package.json's version.
declare const __FERRY_VERSION__: string;
