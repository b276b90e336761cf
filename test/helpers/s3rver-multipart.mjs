// The multipart calls S3 has and s3rver (3.7) lacks, added to a running s3rver from its own part
// files, so that Ferry's S3 store is tested through the very requests it sends to real S3:
// - ListParts (`GET /bucket/key?uploadId=…`; s3rver answers 405),
// - AbortMultipartUpload (`DELETE /bucket/key?uploadId=…`; 405),
// - ListMultipartUploads (`GET /bucket?uploads`; s3rver lists objects instead),
// - NoSuchUpload (404) for any call naming an upload that does not exist, or exists for another
//   key (s3rver creates the directory of any id it is sent, so an aborted upload took parts),
// - CompleteMultipartUpload that checks, as S3 does, that every named part is stored with the
//   named ETag, in ascending order (InvalidPart / InvalidPartOrder, 400), before it joins them
//   through s3rver's own store.
// Uploads live in s3rver's `<bucket>/…uploads/<uploadId>/` with files `key`, `metadata`, `<n>`
// and `<n>.md5`. Path-style requests only.
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const xml = (s) => String(s).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

function noSuchUpload(ctx, uploadId) {
  ctx.status = 404;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${xml(uploadId)}</UploadId></Error>`;
}

export function addMultipartCalls(server) {
  const uploadsOf = (bucket) => server.store.getResourcePath(bucket, undefined, 'uploads');
  const uploadDir = (bucket, uploadId) => join(uploadsOf(bucket), uploadId);
  const exists = async (bucket, uploadId, key) => {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(uploadId)) return false;
    try {
      return (await readFile(join(uploadDir(bucket, uploadId), 'key'), 'utf8')) === key;
    } catch {
      return false;
    }
  };

  async function complete(ctx, bucket, key, uploadId) {
    const chunks = [];
    for await (const c of ctx.req) chunks.push(c);
    const body = Buffer.concat(chunks).toString('utf8');
    const parts = [...body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
      number: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1])?.[1]),
      etag: (/<ETag>([^<]*)<\/ETag>/.exec(m[1])?.[1] ?? '').replace(/&quot;|"/g, ''),
    }));
    const fail = (code, message) => {
      ctx.status = 400;
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
    };
    if (parts.length === 0) return fail('MalformedXML', 'The XML you provided was not well-formed.');
    const dir = uploadDir(bucket, uploadId);
    let last = 0;
    for (const p of parts) {
      if (!(p.number > last)) return fail('InvalidPartOrder', 'The list of parts was not in ascending order.');
      last = p.number;
      const md5 = await readFile(join(dir, `${p.number}.md5`), 'utf8').catch(() => null);
      if (md5 === null || md5.trim() !== p.etag) return fail('InvalidPart', 'One or more of the specified parts could not be found.');
    }
    const { md5 } = await server.store.putObjectMultipart(bucket, uploadId, parts);
    ctx.type = 'application/xml';
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${xml(bucket)}</Bucket><Key>${xml(key)}</Key><ETag>"${xml(md5)}"</ETag></CompleteMultipartUploadResult>`;
  }

  async function listParts(ctx, bucket, key, uploadId) {
    const dir = uploadDir(bucket, uploadId);
    const names = await readdir(dir);
    const numbers = names.filter((n) => /^\d+$/.test(n) && names.includes(`${n}.md5`)).map(Number).sort((a, b) => a - b);
    const parts = [];
    for (const n of numbers) {
      const [info, md5] = await Promise.all([stat(join(dir, String(n))), readFile(join(dir, `${n}.md5`), 'utf8')]);
      parts.push(
        `<Part><PartNumber>${n}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${xml(md5.trim())}"</ETag><Size>${info.size}</Size></Part>`,
      );
    }
    ctx.type = 'application/xml';
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${xml(bucket)}</Bucket><Key>${xml(key)}</Key><UploadId>${xml(uploadId)}</UploadId>` +
      `<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>${numbers.at(-1) ?? 0}</NextPartNumberMarker>` +
      `<MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`;
  }

  async function listUploads(ctx, bucket) {
    let ids = [];
    try {
      ids = await readdir(uploadsOf(bucket));
    } catch {
      // none yet
    }
    const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
    const uploads = [];
    for (const id of ids.sort()) {
      let key;
      try {
        key = await readFile(join(uploadDir(bucket, id), 'key'), 'utf8');
      } catch {
        continue;
      }
      if (!key.startsWith(prefix)) continue;
      const { birthtime, mtime } = await stat(join(uploadDir(bucket, id), 'key'));
      const initiated = (birthtime.getTime() > 0 ? birthtime : mtime).toISOString();
      uploads.push(`<Upload><Key>${xml(key)}</Key><UploadId>${xml(id)}</UploadId><Initiated>${initiated}</Initiated></Upload>`);
    }
    ctx.type = 'application/xml';
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${xml(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>${xml(prefix)}</Prefix>` +
      `<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`;
  }

  server.middleware.unshift(async (ctx, next) => {
    const [, bucket, ...rest] = decodeURIComponent(ctx.path).split('/');
    const key = rest.join('/');
    const uploadId = ctx.query.uploadId;
    if (bucket && !key && ctx.method === 'GET' && 'uploads' in ctx.query) return listUploads(ctx, bucket);
    if (!bucket || !key || typeof uploadId !== 'string') return next();
    if (!(await exists(bucket, uploadId, key))) return noSuchUpload(ctx, uploadId);
    if (ctx.method === 'GET') return listParts(ctx, bucket, key, uploadId);
    if (ctx.method === 'POST') return complete(ctx, bucket, key, uploadId);
    if (ctx.method === 'DELETE') {
      await rm(uploadDir(bucket, uploadId), { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    return next();
  });
}
