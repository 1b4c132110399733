'use strict';
// S3-compatible server for scripts/up and scripts/test: s3rver, with two gaps closed that matter for rule 7.
//  - s3rver serves anonymous requests; here every request must be signed (header or presigned query).
//  - s3rver only knows the dummy key S3RVER; here the one configured access key replaces it.
// s3rver does not verify SigV4 signatures (it checks the access key id only); MinIO and AWS verify both.
const path = require('path');
const modules = path.resolve(process.env.S3_MODULES || path.join(__dirname, 'node_modules'));
const S3rver = require(path.join(modules, 's3rver'));
const AWSAccount = require(path.join(modules, 's3rver', 'lib', 'models', 'account'));

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

AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);

const server = new S3rver({ address, port, directory, silent: true, resetOnClose: false });

const refuse = (ctx, status, code, message) => {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
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
