// The picker widget's public API. This file is the one declaration of it: the widget's source
// is type-checked against it, and the build copies it to dist/widget/picker.d.ts (and .d.mts).
// Copied verbatim, it must import nothing: the source names and the file fields below repeat the
// server's wire types (src/wire.ts), and test/widget/types.test.ts fails when the two drift apart.

/** Where a file came from: "local" (My Device), "url" (Link), or a cloud provider. */
export type FerrySource = 'local' | 'url' | 'dropbox' | 'google-drive' | 'onedrive' | 'box';

/** A file Ferry holds (local uploads) or a pick it will stream (links, cloud files). */
export interface FerryFile {
  handle: string;
  /** Absolute URL to fetch the bytes from (always a download); treat it like a password. */
  url: string;
  /**
   * The same file shown in the browser (an `<img>`, `<video>`, `<audio>` or a PDF/text tab), for
   * stored images, audio, video, PDF and plain text only; absent for other types and for picks.
   */
  inlineUrl?: string;
  filename: string;
  /** Bytes; null when a link's server does not say. */
  size: number | null;
  type: string;
  createdAt: string;
  expiresAt: string;
  source: FerrySource;
}

/** An error as Ferry's API answers it, with `message` turned into a plain sentence. */
export interface FerryError {
  /** A stable code from Ferry's error table, or "network", "canceled", "too_large". */
  code: string;
  message: string;
}

/** A file the user chose, before it is uploaded. */
export interface SelectedFile {
  filename: string;
  /** Bytes; null for links until Ferry has looked. */
  size: number | null;
  type: string;
  source: FerrySource;
  /** The browser File, for local files. */
  file?: File;
}

export interface FailedFile extends SelectedFile {
  error: FerryError;
}

export interface UploadProgress {
  loaded: number;
  total: number | null;
  /** 0–100, or null when the total is unknown. */
  percent: number | null;
  /** Smoothed upload speed, once measured. */
  bytesPerSecond: number | null;
}

export interface UploadDone {
  filesUploaded: FerryFile[];
  /** Files that failed or were cancelled and not retried. */
  filesFailed: FailedFile[];
}

/**
 * What `onFileSelected` may answer: nothing (accept), `false` (refuse), a new name (a string or
 * `{ filename }`), or a promise of one of these. Throwing an Error refuses the file and shows
 * its message.
 */
export type FileSelectedAnswer = void | undefined | boolean | string | { filename: string };

/** The texts the picker shows; a translation may give any subset (English fills the rest). */
export type MessageKey =
  | 'title' | 'close' | 'sources'
  | 'source_local' | 'source_url' | 'source_dropbox' | 'source_google-drive' | 'source_onedrive' | 'source_box'
  | 'drop_title' | 'drop_title_touch' | 'drop_hint' | 'drop_active' | 'browse' | 'add_more'
  | 'link_label' | 'link_hint' | 'link_add' | 'link_invalid'
  | 'connect_intro' | 'connect' | 'connecting' | 'connect_cancel' | 'popup_blocked' | 'popup_closed' | 'disconnect'
  | 'breadcrumbs' | 'loading' | 'load_more' | 'empty_folder' | 'folder_label' | 'not_accepted'
  | 'pick_one' | 'pick_other' | 'pick_none' | 'selected_none'
  | 'queue_label' | 'remove' | 'cancel_file' | 'retry_file'
  | 'status_ready' | 'status_queued' | 'status_uploading' | 'status_adding' | 'status_done' | 'status_canceled'
  | 'upload_one' | 'upload_other' | 'uploading' | 'cancel_all' | 'retry_failed' | 'done'
  | 'overall' | 'overall_label' | 'summary_done_one' | 'summary_done_other' | 'summary_failed'
  | 'need_min_one' | 'need_min_other' | 'limit_max_files' | 'limit_type' | 'limit_size' | 'vetoed'
  | 'rule_max_files' | 'rule_max_size' | 'rule_accept'
  | 'announce_added_one' | 'announce_added_other' | 'announce_uploaded' | 'announce_failed'
  | 'error_network' | 'error_canceled' | 'error_default' | 'error_too_large' | 'error_too_small'
  | 'error_policy' | 'error_app' | 'error_origin_not_allowed' | 'error_rate_limited' | 'error_storage' | 'error_storage_full'
  | 'error_origin_failed' | 'error_origin_not_found' | 'error_origin_rejected' | 'error_blocked_address'
  | 'error_invalid_url' | 'error_account' | 'error_denied' | 'error_source_not_enabled' | 'error_invalid_filename'
  | 'error_server' | 'error_file_expired' | 'error_upload_damaged';

/** Texts that depend on a count; a language gives one key per plural category it has (CLDR). */
export type PluralBase = 'pick' | 'upload' | 'summary_done' | 'need_min' | 'announce_added';
/** `upload_one`, `upload_other`, and for languages that have them `upload_few`, `upload_many`… */
export type PluralKey = `${PluralBase}_${'zero' | 'one' | 'two' | 'few' | 'many' | 'other'}`;

/**
 * A language's texts. `{name}`-style placeholders are filled in; plural keys follow the
 * language's plural rules (Intl.PluralRules), falling back to `_other`.
 */
export type Translation = Partial<Record<MessageKey | PluralKey, string>>;

export interface PickerOptions {
  /** The app's public key (FERRY_APPS `key`; "dev" for the embedded dev app). */
  key: string;
  /** Ferry's base URL. Default: the origin this script was loaded from. */
  endpoint?: string;
  /** Sources to offer, in order. Default: My Device, then every source the app has enabled. */
  sources?: FerrySource[];
  /** Accepted types: MIME types ("image/png"), wildcards ("image/*") or extensions (".pdf"). */
  accept?: string | string[];
  /** Largest file, in bytes, checked before upload. */
  maxSize?: number;
  /** Fewest files the user must choose before uploading (default 1). */
  minFiles?: number;
  /** Most files the user may choose. */
  maxFiles?: number;
  /** Lifetime of uploaded files and picks, in seconds (at most the app's; default the app's). */
  ttl?: number;
  /** A signed policy and its signature (from `signPolicy` on your server), sent with every upload and pick. */
  policy?: string;
  signature?: string;
  /** An element (or a selector) to render the picker inside, instead of as a modal overlay. */
  container?: HTMLElement | string;
  /**
   * A language: built in are "en", "fr", "de", "es", "pt-BR" and "ja"; others through
   * `translations`. Default: the page's (`<html lang>`), then the browser's.
   */
  lang?: string;
  /** More languages, or overrides of built-in texts. */
  translations?: Record<string, Translation>;
  /** Files uploading at once (default 3). */
  concurrency?: number;
  /**
   * Device files go through upload sessions: encrypted in the browser, sent in parts straight to
   * the bucket, each part retried, resumable after a reload (default true). `false` sends them
   * through Ferry as one streaming upload. Sessions need WebCrypto (a secure context: https or
   * localhost); without it, or against a Ferry without sessions, the streaming upload is used.
   */
  sessions?: boolean;
  /** Parts of one file in flight at once, with sessions (default 4, at most 16). */
  partConcurrency?: number;
  onOpen?(): void;
  onClose?(): void;
  /** The user gave up: pressed "Cancel all", or closed the picker with files waiting or uploading. */
  onCancel?(): void;
  /** Called for each file as it is added; may refuse it or rename it. */
  onFileSelected?(file: SelectedFile): FileSelectedAnswer | Promise<FileSelectedAnswer>;
  onFileUploadProgress?(file: SelectedFile, progress: UploadProgress): void;
  onFileUploadFinished?(file: FerryFile): void;
  onFileUploadFailed?(file: SelectedFile, error: FerryError): void;
  /**
   * Called once per round of uploads: as soon as every file has uploaded, or, when some failed
   * or were cancelled, once the user presses Done or closes the picker.
   */
  onUploadDone?(result: UploadDone): void;
}

export interface Picker {
  /** Shows the picker (resolves once it is on screen). */
  open(): Promise<void>;
  /** Hides it; uploads still in flight are cancelled. */
  close(): void;
}

export declare function picker(options: PickerOptions): Picker;
/** The widget's version. */
export declare const version: string;

export interface FerryGlobal {
  picker: typeof picker;
  version: string;
}

declare global {
  interface Window {
    /** Set by picker.js (the script-tag build). */
    Ferry: FerryGlobal;
  }
}
