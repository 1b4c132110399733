'use strict';
// S3-compatible server for scripts/up and scripts/test: s3rver, with three gaps closed that matter for rule 7.
//  - s3rver serves anonymous requests; here every request must be signed (header or presigned query).
//  - s3rver only knows the dummy key S3RVER; here the one configured access key replaces it.
//  - s3rver checks only the access key id of a SigV4 request, never its signature, so a wrong secret, a presigned
//    URL tampered with, used on another host or past its expiry would all pass; here every SigV4 request is signed
//    again with the secret and refused unless the signatures match, as MinIO and AWS do (verifySigV4 below).
//  - s3rver's file store loses objects under concurrent writes to one prefix (FilesystemStore below).
const crypto = require('crypto');
const path = require('path');
const modules = path.resolve(process.env.S3_MODULES || path.join(__dirname, 'node_modules'));
const S3rver = require(path.join(modules, 's3rver'));
const AWSAccount = require(path.join(modules, 's3rver', 'lib', 'models', 'account'));
const FilesystemStore = require(path.join(modules, 's3rver', 'lib', 'stores', 'filesystem'));
const fs = require('fs');
const { pipeline } = require('stream/promises');
const { Transform } = require('stream');

const required = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`s3-server: ${name} is not set`);
    process.exit(78);
  }
  return value;
};

const address = process.env.S3_ADDRESS || '127.0.0.1';
const port = Number(process.env.S3_PORT || 9000);
const directory = required('S3_DIRECTORY');
const accessKey = required('S3_ACCESS_KEY');
const secretKey = required('S3_SECRET_KEY');

// s3rver's file store keeps a key's "directories" as real ones: a DELETE removes its parent directory once empty,
// and a PUT answers once it has read the body, not once the file is written. A PUT into a prefix whose last object
// is being deleted then finds its directory gone, fails to create its file, and still answers 200: the object is
// lost (two uploads of one account's picture at once do exactly this). S3 and MinIO have no such race. Here a
// DELETE leaves directories alone (an empty one lists nothing) and a PUT answers once its file is written whole.
FilesystemStore.prototype.deleteObject = async function deleteObject(bucket, key) {
  await Promise.all(['object', 'object.md5', 'metadata.json'].map((type) =>
    fs.promises.unlink(this.getResourcePath(bucket, key, type)).catch((err) => {
      if (err.code !== 'ENOENT') throw err;
    })));
};
FilesystemStore.prototype.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await fs.promises.mkdir(path.dirname(objectPath), { recursive: true });
  const md5 = crypto.createHash('md5');
  let size = 0;
  const content = Buffer.isBuffer(object.content) ? [object.content] : object.content;
  await pipeline(content, new Transform({
    transform(chunk, encoding, callback) {
      md5.update(chunk, encoding);
      size += chunk.length;
      callback(null, chunk);
    },
  }), fs.createWriteStream(objectPath));
  const digest = md5.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, digest);
  return { size, md5: digest };
};

AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);

// Path-style only (the app always uses it): behind the balancer the Host header is the public name, which s3rver
// would otherwise take for a bucket name.
const server = new S3rver({ address, port, directory, silent: true, resetOnClose: false, vhostBuckets: false });

const refuse = (ctx, status, code, message) => {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
};

// SigV4 as AWS documents it (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html): the
// canonical request from what arrived (method, path, query, the signed headers, the payload hash the client declared:
// x-amz-content-sha256 or UNSIGNED-PAYLOAD), the string to sign, the HMAC chain from the secret. The host header is
// always signed, so a URL used on another host fails; a presigned URL also fails after X-Amz-Date + X-Amz-Expires.
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;
const hmac = (key, text) => crypto.createHmac('sha256', key).update(text, 'utf8').digest();
const sha256 = (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
// RFC 3986 unreserved characters stay, everything else is %XX (what encodeURIComponent leaves of !'()* too).
const encode = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const decode = (text) => { try { return decodeURIComponent(text); } catch { return text; } };
const parseAmzDate = (text) => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text || '');
  return m ? Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
};

// Returns null when the request is correctly signed with the configured secret, else [status, code, message].
const verifySigV4 = (ctx) => {
  const [rawPath, rawQuery = ''] = ctx.originalUrl.split(/\?(.*)/s);
  const query = rawQuery.split('&').filter((p) => p !== '').map((pair) => {
    const at = pair.indexOf('=');
    return at < 0 ? [decode(pair), ''] : [decode(pair.slice(0, at)), decode(pair.slice(at + 1))];
  });
  const param = (name) => (query.find(([k]) => k === name) || [])[1];
  let credential, signedHeaders, signature, amzDate, payloadHash;
  const presigned = param('X-Amz-Algorithm') !== undefined;
  if (presigned) {
    if (param('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return [400, 'AuthorizationQueryParametersError', 'Only AWS4-HMAC-SHA256 is supported.'];
    [credential, signedHeaders, signature, amzDate] = ['X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Date'].map(param);
    payloadHash = param('X-Amz-Content-Sha256') || 'UNSIGNED-PAYLOAD';
    const expires = Number(param('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGNED_SECONDS) return [400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be between 1 and 604800 seconds.'];
    if (Date.now() > parseAmzDate(amzDate) + expires * 1000) return [403, 'AccessDenied', 'Request has expired'];
  } else {
    const fields = /^AWS4-HMAC-SHA256 (.*)$/s.exec(ctx.headers.authorization);
    if (!fields) return [400, 'AuthorizationHeaderMalformed', 'Only AWS4-HMAC-SHA256 is supported.'];
    const field = (name) => (new RegExp(`(?:^|[,\\s])${name}=([^,\\s]*)`).exec(fields[1]) || [])[1];
    [credential, signedHeaders, signature] = ['Credential', 'SignedHeaders', 'Signature'].map(field);
    amzDate = ctx.headers['x-amz-date'];
    payloadHash = ctx.headers['x-amz-content-sha256'];
    if (!payloadHash) return [400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'];
    if (!(Math.abs(Date.now() - parseAmzDate(amzDate)) <= MAX_SKEW_MS)) return [403, 'RequestTimeTooSkewed', 'The difference between the request time and the server\'s time is too large.'];
  }
  const scope = (credential || '').split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || !signedHeaders || !signature || !amzDate) return [400, 'AuthorizationQueryParametersError', 'Credential, SignedHeaders, Signature and X-Amz-Date are required.'];
  if (scope[0] !== accessKey) return [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  if (scope[1] !== amzDate.slice(0, 8)) return [403, 'SignatureDoesNotMatch', 'The credential scope date does not match X-Amz-Date.'];
  const headerNames = signedHeaders.split(';');
  if (!headerNames.includes('host')) return [403, 'SignatureDoesNotMatch', 'The host header must be signed.'];

  const canonicalRequest = [
    ctx.method,
    rawPath.split('/').map((segment) => encode(decode(segment))).join('/'),
    query.filter(([k]) => !(presigned && k === 'X-Amz-Signature')).map(([k, v]) => [encode(k), encode(v)])
      .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&'),
    ...headerNames.map((name) => `${name}:${String(ctx.headers[name] ?? '').trim().replace(/\s+/g, ' ')}`),
    '',
    signedHeaders,
    payloadHash,
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope.slice(1).join('/'), sha256(canonicalRequest)].join('\n');
  const signingKey = scope.slice(1).reduce((key, part) => hmac(key, part), `AWS4${secretKey}`);
  const expected = Buffer.from(hmac(signingKey, stringToSign).toString('hex'));
  const provided = Buffer.from(signature);
  if (expected.length !== provided.length || !crypto.timingSafeEqual(expected, provided)) {
    return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'];
  }
  return null;
};

// Runs before s3rver's own middleware, which composes at listen time.
server.middleware.unshift(async (ctx, next) => {
  // MinIO's liveness path, unsigned like MinIO's: health checks and test fixtures wait on it for either server.
  if (ctx.method === 'GET' && ctx.path === '/minio/health/live') {
    ctx.status = 200;
    return;
  }
  const signed = 'authorization' in ctx.headers || 'X-Amz-Algorithm' in ctx.query || 'Signature' in ctx.query;
  if (!signed) {
    refuse(ctx, 403, 'AccessDenied', 'Anonymous access is not allowed; sign the request.');
    return;
  }
  // Signature version 2 (AWS ... header or Signature= query) s3rver verifies itself.
  const v2 = 'Signature' in ctx.query || /^AWS /.test(ctx.headers.authorization || '');
  const refused = v2 ? null : verifySigV4(ctx);
  if (refused) {
    refuse(ctx, ...refused);
    return;
  }
  await next();
});

server.run().then(() => {
  console.log(`s3-server listening on http://${address}:${port} (data in ${directory})`);
}, (error) => {
  console.error(`s3-server: ${error.message}`);
  process.exit(1);
});

const stop = () => server.close().then(() => process.exit(0), () => process.exit(1));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
