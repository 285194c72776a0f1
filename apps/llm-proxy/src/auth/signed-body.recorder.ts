import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Transform, type TransformCallback, pipeline } from 'node:stream';
import type { ProxyRequest } from './client-identity';

/** Passes the request body through unchanged while keeping its bytes, for the HMAC over the raw body. */
export class BodyRecorder extends Transform {
  private readonly chunks: Buffer[] = [];

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.chunks.push(chunk);
    done(null, chunk);
  }

  body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * Keeps the raw body of signed requests (those with X-Signature), and only of those: JSON parsing consumes the
 * stream, and the signature covers the bytes as sent, not a re-serialisation. Fastify still enforces the body
 * limit and parses as usual.
 */
@Injectable()
export class SignedBodyCapture implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Declared up front so the request objects keep one shape (see the platform's bootstrap).
    fastify.decorateRequest('clientIdentity', null);
    fastify.decorateRequest('signedBody', null);
    // Callback style: an async hook would cost every request a promise, signed or not.
    fastify.addHook('preParsing', (request, _reply, payload, done) => {
      if (request.headers['x-signature'] === undefined) return done(null, payload);
      const recorder = new BodyRecorder();
      (request as ProxyRequest).signedBody = recorder;
      done(
        null,
        pipeline(payload, recorder, () => undefined),
      );
    });
  }
}
