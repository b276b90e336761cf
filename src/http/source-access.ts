// Which remote source a request may use: the name must be one Ferry knows (404), enabled on this
// deployment and allowed for the calling app (403). The browse, connect and pick routes all ask
// here, so a source switched off for an app is off everywhere at once.
import type { App } from '../apps.js';
import { FerryError } from '../errors.js';
import type { SourceRegistry } from '../sources/registry.js';
import { SOURCE_NAMES, type AccountSource, type Source } from '../sources/types.js';

export function appMayUse(app: App, source: string): boolean {
  return app.sources === undefined || app.sources.includes(source);
}

/** The source an app asked for: 404 for names Ferry does not know, 403 when it is off for this app. */
export function sourceFor(registry: SourceRegistry, app: App, name: string): Source {
  if (!(SOURCE_NAMES as readonly string[]).includes(name)) throw new FerryError('unknown_source', `There is no source named ${JSON.stringify(name)}.`);
  const source = registry.get(name);
  if (!source) throw new FerryError('source_not_enabled', `${name} is not enabled on this Ferry.`);
  if (!appMayUse(app, name)) throw new FerryError('source_not_enabled', `${name} is not enabled for this app.`);
  return source;
}

/** As sourceFor, for routes that only make sense with an account (Connect, browsing). */
export function accountSourceFor(registry: SourceRegistry, app: App, name: string): AccountSource {
  const source = sourceFor(registry, app, name);
  if (source.name === 'url') throw new FerryError('bad_request', 'Links need no account.');
  return source as AccountSource;
}
