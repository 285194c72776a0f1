import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeysClient } from './api-keys-client';
import { ApiKeyManagerUnavailableError } from './api-keys-client.exception';
import { type ApiKeyRefusalCode, type VerifiedApiKey, refusalStatus } from './api-key-verification';
import { API_KEYS_CLIENT } from './api-keys-client.provider';

/** An app's verdict on a managed key: accepted, or the status and message to refuse the request with. */
export type ManagedKeyDecision =
  | { readonly accepted: true; readonly key: VerifiedApiKey }
  | {
      readonly accepted: false;
      readonly status: 401 | 403 | 503;
      readonly code: ApiKeyRefusalCode | 'UNAVAILABLE';
      /** For the caller: names what is wrong, never the key nor the manager's address. */
      readonly message: string;
      /** Set for 503. */
      readonly retryAfterSeconds?: number;
    };

export interface ManagedKeyCheck {
  /** The scope this app requires (`gcp-token:mint`, `llm-proxy:chat`). */
  readonly scope: string;
  /** The caller's address, for the key's ip_restrictions. */
  readonly clientIp?: string;
}

function refusalMessage(code: ApiKeyRefusalCode, scope: string): string {
  if (code === 'INSUFFICIENT_SCOPES') return `API key lacks the scope ${scope}`;
  if (code === 'IP_NOT_ALLOWED') return 'API key is not allowed from this address';
  return 'Invalid API key';
}

/**
 * Verifies a presented key for one scope and says how to answer: 401 for a key that does not work (unknown,
 * revoked, expired, malformed), 403 for one without the scope or from an address it is not allowed from, 503 when
 * the manager cannot say (fail closed: an outage never lets a key in).
 */
export async function checkManagedKey(
  client: ApiKeysClient,
  key: string,
  check: ManagedKeyCheck,
): Promise<ManagedKeyDecision> {
  try {
    const verdict = await client.verify(key, { requiredScopes: [check.scope], clientIp: check.clientIp });
    if (verdict.valid) return { accepted: true, key: verdict };
    return {
      accepted: false,
      status: refusalStatus(verdict.code),
      code: verdict.code,
      message: refusalMessage(verdict.code, check.scope),
    };
  } catch (error) {
    if (!(error instanceof ApiKeyManagerUnavailableError)) throw error;
    return {
      accepted: false,
      status: 503,
      code: 'UNAVAILABLE',
      message: 'API key verification is temporarily unavailable',
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
}

interface ManagedKeyUse {
  readonly keyId: string;
  readonly endpoint: string;
}

/** Requests answered for a managed key; a WeakMap, so requests with other credentials carry nothing extra. */
const uses = new WeakMap<FastifyRequest, ManagedKeyUse>();

/**
 * Marks a request as made with a managed key: once its response is sent, it is counted for the key under
 * `endpoint` with the response's status (ManagedKeyUsageHook reports it to the manager in batches).
 */
export function countManagedKeyUse(request: FastifyRequest, keyId: string, endpoint: string): void {
  uses.set(request, { keyId, endpoint });
}

/** Counts every response to a request marked by countManagedKeyUse, when the app has a client. */
@Injectable()
export class ManagedKeyUsageHook implements OnModuleInit {
  constructor(
    @Inject(API_KEYS_CLIENT) private readonly client: ApiKeysClient | null,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const client = this.client;
    if (!client) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Callback style: an async hook would cost a promise per request on every route.
    fastify.addHook('onResponse', (request, reply, done) => {
      const use = uses.get(request);
      if (use) client.recordUsage(use.keyId, use.endpoint, reply.statusCode);
      done();
    });
  }
}
