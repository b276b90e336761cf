// Streaming multipart/form-data reading on top of busboy, exposed as Web streams: the caller
// gets one file part at a time and reads its bytes while they arrive. Backpressure runs all
// the way back to the socket: busboy stops asking for input while a part's stream is full,
// and we stop reading the request body while busboy is full. Nothing is buffered whole.
import busboy from 'busboy';
import { FerryError } from './errors.js';

export interface MultipartLimits {
  /** Most file parts in one request. */
  files: number;
  /** Most non-file fields (their values are read and discarded). */
  fields: number;
  /** Most parts of any kind. */
  parts: number;
  /** Largest header block of one part (busboy counts header pairs; we bound size too). */
  headerPairs: number;
  fieldSize: number;
}

export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = {
  files: 20,
  fields: 20,
  parts: 40,
  headerPairs: 20,
  fieldSize: 64 * 1024,
};

export interface FilePart {
  /** The form field name. */
  field: string;
  filename: string;
  mimeType: string;
  body: ReadableStream<Uint8Array>;
}

export interface MultipartReader {
  /** File parts in order. Each part's body must be read to its end (or cancelled) before the next arrives. */
  files(): AsyncGenerator<FilePart>;
  /** Stops reading the request and releases everything. */
  abort(reason?: unknown): void;
}

type BusboyStream = NodeJS.ReadableStream & { pause(): void; resume(): void; truncated?: boolean };

function invalid(message: string): FerryError {
  return new FerryError('invalid_multipart', message);
}

export function readMultipart(
  contentType: string,
  body: ReadableStream<Uint8Array> | null,
  limits: MultipartLimits = DEFAULT_MULTIPART_LIMITS,
): MultipartReader {
  if (!body) throw invalid('The request has no body.');
  let bb: ReturnType<typeof busboy>;
  try {
    bb = busboy({
      headers: { 'content-type': contentType },
      limits: {
        files: limits.files,
        fields: limits.fields,
        parts: limits.parts,
        headerPairs: limits.headerPairs,
        fieldSize: limits.fieldSize,
      },
      defParamCharset: 'utf8',
      // Keep the name as sent, so a path in it is refused (invalid_filename) rather than silently cut.
      preservePath: true,
    });
  } catch (e) {
    throw invalid(`Malformed multipart request: ${(e as Error).message}.`);
  }

  // Events from busboy, consumed in order by files().
  type Event = { kind: 'file'; part: FilePart } | { kind: 'end' } | { kind: 'error'; error: unknown };
  const events: Event[] = [];
  let wake: (() => void) | undefined;
  let failed: unknown;
  const push = (e: Event) => {
    events.push(e);
    wake?.();
  };
  const fail = (error: unknown) => {
    if (failed !== undefined) return;
    failed = error;
    push({ kind: 'error', error });
  };

  const reader = body.getReader();
  let aborted = false;

  bb.on('file', (field: string, stream: BusboyStream, info: { filename?: string; mimeType: string }) => {
    if (info.filename === undefined) {
      // A part with no filename parameter is a plain field posted as a file; treat as a field.
      stream.resume();
      return;
    }
    push({ kind: 'file', part: { field, filename: info.filename, mimeType: info.mimeType, body: toWebStream(stream) } });
  });
  bb.on('field', () => {});
  bb.on('partsLimit', () => fail(invalid(`Too many parts (at most ${limits.parts}).`)));
  bb.on('filesLimit', () => fail(invalid(`Too many files (at most ${limits.files}).`)));
  bb.on('fieldsLimit', () => fail(invalid(`Too many fields (at most ${limits.fields}).`)));
  bb.on('error', (e: Error) => fail(invalid(`Malformed multipart request: ${e.message}.`)));
  bb.on('close', () => push({ kind: 'end' }));

  // Pump the request body into busboy, honouring its backpressure.
  const pump = (async () => {
    try {
      for (;;) {
        if (aborted || failed !== undefined) return;
        const { done, value } = await reader.read();
        if (done) break;
        if (!bb.write(value)) {
          await new Promise<void>((resolve) => {
            const onDrain = () => {
              bb.off('error', onDrain);
              resolve();
            };
            bb.once('drain', onDrain);
            bb.once('error', onDrain);
          });
        }
      }
      bb.end();
    } catch (e) {
      // The client went away or the body broke: every part still open must fail.
      const err = e instanceof FerryError ? e : new FerryError('bad_request', 'The upload was interrupted.');
      fail(err);
      bb.destroy(err);
    }
  })();
  pump.catch(() => {});

  return {
    async *files() {
      for (;;) {
        while (events.length === 0) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        const e = events.shift()!;
        if (e.kind === 'error') throw e.error as Error;
        if (e.kind === 'end') {
          if (failed !== undefined) throw failed as Error;
          return;
        }
        yield e.part;
      }
    },
    abort(reason) {
      if (aborted) return;
      aborted = true;
      reader.cancel(reason).catch(() => {});
      bb.destroy();
    },
  };
}

/** A busboy part stream as a Web ReadableStream with explicit backpressure (pause/resume). */
function toWebStream(stream: BusboyStream): ReadableStream<Uint8Array> {
  let closed = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stream.on('data', (chunk: Uint8Array) => {
          if (closed) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) stream.pause();
        });
        stream.on('end', () => {
          if (closed) return;
          closed = true;
          controller.close();
        });
        stream.on('error', (e: unknown) => {
          if (closed) return;
          closed = true;
          controller.error(e instanceof FerryError ? e : invalid('The multipart body ended in the middle of a file.'));
        });
        stream.pause();
      },
      pull() {
        stream.resume();
      },
      cancel() {
        closed = true;
        // Let busboy move past this part: discard what is left of it.
        stream.resume();
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
}
