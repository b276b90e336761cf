// workerd hands native bodies (an R2 object's, a request's) to JavaScript in pieces of about
// 4 KiB (measured in workerd), and every piece then costs a trip through each JavaScript stream
// after it (counting, encryption or decryption, the response): a GiB is 262,144 trips, most of a
// Worker's CPU time. workerd's BYOB readers can wait for at least N bytes (`readAtLeast`, a
// workerd extension), so such bodies are re-read here in 256 KiB pieces. Web APIs only, with
// the extension detected, never assumed.
/** Bytes per read (see largeChunks). */
const READ_CHUNK = 256 * 1024;

interface ReadAtLeast {
  readAtLeast(min: number, view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>>;
}

/**
 * A native body re-read in 256 KiB pieces. Where `readAtLeast` is missing (Node, or a stream
 * made in JavaScript) the body passes as it is.
 */
export function largeChunks(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let reader: ReadableStreamBYOBReader & Partial<ReadAtLeast>;
  try {
    reader = body.getReader({ mode: 'byob' });
  } catch {
    return body;
  }
  const readAtLeast = reader.readAtLeast?.bind(reader);
  if (!readAtLeast) {
    reader.releaseLock();
    return body;
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const { done, value } = await readAtLeast(READ_CHUNK, new Uint8Array(READ_CHUNK));
          if (value && value.byteLength > 0) controller.enqueue(value);
          if (done) controller.close();
          if (done || (value && value.byteLength > 0)) return;
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

