// The JSON that crosses the wire between Ferry and its clients: the names of the sources, one
// item of a folder listing, a stored file and a pick as the API answers them, and what the widget
// sends to create a pick. Defined once here so the server, the sources and the widget cannot
// drift apart; the widget imports these with `import type` only, so its bundle does not grow.
// Nothing here may import a runtime module: it is plain data, readable in a browser, a Worker or Node.

/**
 * Every remote source Ferry knows, in the order the widget offers them. "local" (the user's own
 * device) is the widget's and never reaches the server as a source.
 */
export const SOURCE_NAMES = ['url', 'dropbox', 'google-drive', 'onedrive', 'box'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];
/** The sources behind a user's account at a provider (OAuth 2), as opposed to a bare link. */
export type AccountSourceName = Exclude<SourceName, 'url'>;
/** Where a file the widget hands over came from: the device, or one of the remote sources. */
export type FileSourceName = 'local' | SourceName;

/** One entry of a folder listing, whatever the provider. */
export interface ListItem {
  id: string;
  name: string;
  kind: 'file' | 'folder';
  /** Bytes; null for folders and when the provider does not say. */
  size: number | null;
  /** Media type; null for folders and when unknown. */
  type: string | null;
  /** ISO 8601, or null when the provider does not say. */
  modifiedAt: string | null;
}

/** GET /v1/sources/:provider/list. */
export interface ListResponse {
  items: ListItem[];
  /** Opaque: pass back as `cursor` for the next page; null on the last page. */
  cursor: string | null;
  /** A new account token, when Ferry had to refresh the provider's tokens: keep it instead. */
  account?: string;
}

/** One source of GET /v1/sources. */
export interface SourceJson {
  name: SourceName;
  title: string;
  /** Whether it needs a connected account (every source but links). */
  account: boolean;
}

/** A stored file as POST /v1/files and GET /v1/files/:handle/meta answer it. */
export interface FileJson {
  handle: string;
  /** Absolute URL of the bytes, carrying the app's public key; always downloads (attachment). */
  url: string;
  /**
   * The same bytes shown in the browser (`url` + `&inline=1`): present only for the types Ferry
   * shows inline (raster images, audio, video, PDF, plain text); never for picks.
   */
  inlineUrl?: string;
  filename: string;
  /** Bytes; null when a link's server does not say (picks only). */
  size: number | null;
  type: string;
  createdAt: string;
  expiresAt: string;
}

/** A pick as POST /v1/picks answers it: a file Ferry will stream from its origin when asked. */
export interface PickJson extends FileJson {
  source: SourceName;
}

/** The body of POST /v1/picks. */
export type PickRequestJson = ({ source: 'url'; url: string } | { source: AccountSourceName; account: string; id: string }) & {
  /** A name to give the file instead of the origin's. */
  filename?: string;
};
