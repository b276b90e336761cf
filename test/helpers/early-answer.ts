// For requests the server answers on their headers alone (a declared length over the limit, or
// not the one a session part must have). Sending the body as well races the server's close:
// workerd closes the connection after answering a request whose body it did not read, and the
// client, still writing, may see `write ECONNRESET` in place of the answer (two CI failures:
// `files API (workerd+s3)` 413 and `upload sessions (workerd+r2)` 400). Sending the headers only
// also makes the stronger claim: the answer does not need the body.
import { request } from 'node:http';

export interface EarlyAnswer {
  status: number;
  type: string;
  /** The JSON error's code. */
  code: string;
}

/** Sends a request's headers only, on its own connection, and waits for the JSON answer. */
export function headersOnly(url: string, headers: Record<string, string>, method = 'POST'): Promise<EarlyAnswer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        req.destroy();
        try {
          resolve({ status: res.statusCode!, type: String(res.headers['content-type']), code: (JSON.parse(body) as { error: { code: string } }).error.code });
        } catch {
          reject(new Error(`${method} ${u.pathname}: ${res.statusCode} with a body that is not a JSON error: ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}
