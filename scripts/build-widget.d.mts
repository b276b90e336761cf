// Types of scripts/build-widget.mjs, for tests that import it.
export declare const GZIP_BUDGET_BYTES: number;
export interface WidgetSizes {
  js: number;
  jsGzip: number;
  mjs: number;
  mjsGzip: number;
}
export declare function buildWidget(options?: { log?: (line: string) => void }): Promise<WidgetSizes>;
