#!/usr/bin/env node
// Issues an RS256 client JWT for llm-proxy, for trying it out and for tests; production tokens come from your
// identity provider. Prints the token.
//
//   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out client-key.pem
//   openssl pkey -in client-key.pem -pubout -out client-key.pub.pem     # goes in API_KEY_SERVER_JWT_PUBLIC_KEYS
//   node apps/llm-proxy/scripts/sign-jwt.mjs --key client-key.pem --kid key-1 --sub alice --product product-a
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SignJWT, importPKCS8 } from 'jose';

const { values } = parseArgs({
  options: {
    key: { type: 'string' },
    kid: { type: 'string' },
    sub: { type: 'string' },
    product: { type: 'string' },
    'product-claim': { type: 'string', default: 'product' },
    ttl: { type: 'string', default: '600' },
    iss: { type: 'string' },
    aud: { type: 'string' },
  },
});

for (const name of ['key', 'kid', 'sub', 'product']) {
  if (!values[name]) {
    process.stderr.write(`sign-jwt: --${name} is required\n`);
    process.exit(2);
  }
}
const ttl = Number(values.ttl);
// Any private key form openssl writes (PKCS#1 or PKCS#8), as PKCS#8 for jose.
const pkcs8 = createPrivateKey(readFileSync(values.key)).export({ type: 'pkcs8', format: 'pem' }).toString();
let jwt = new SignJWT({ [values['product-claim']]: values.product })
  .setProtectedHeader({ alg: 'RS256', kid: values.kid, typ: 'JWT' })
  .setSubject(values.sub)
  .setIssuedAt()
  .setExpirationTime(Math.floor(Date.now() / 1000) + ttl);
if (values.iss) jwt = jwt.setIssuer(values.iss);
if (values.aud) jwt = jwt.setAudience(values.aud);
process.stdout.write(`${await jwt.sign(await importPKCS8(pkcs8, 'RS256'))}\n`);
