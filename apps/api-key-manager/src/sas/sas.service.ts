import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AzureNamedKeyCredential, generateTableSas } from '@azure/data-tables';
import { Counter } from 'prom-client';
import { MetricsService } from '@auth-platform/platform';
import { AuditEventType, AuditLog } from '../audit/audit.log';
import type { ApiKeyManagerEnv, SasTableRule } from '../config/env';
import type { ApiKeyRecord } from '../keys/api-key.record';
import { AzureStorage } from '../storage/azure-storage.service';
import { MAX_SAS_TTL_SECONDS, PERMISSION_SCOPES, grantFor } from './sas-policy';
import type { SasPolicyDto, SasRequestDto, SasResponseDto } from './sas.dto';
import { SasErrorCode, SasException } from './sas.exception';

export interface SasRequester {
  readonly key: ApiKeyRecord;
  readonly clientIp: string;
  readonly requestId: string;
}

/**
 * Service SAS tokens for one Azure table: read-only unless the key's scopes and SAS_ALLOWED_TABLES both allow
 * more, optionally pinned to one partition, HTTPS-only in production, at most an hour. Every token is in the
 * audit log before it is handed out.
 */
@Injectable()
export class SasService {
  private readonly rules: readonly SasTableRule[];
  private readonly defaultTtlSeconds: number;
  private readonly httpsOnly: boolean;
  private readonly rateLimit: { requests: number; window_ms: number };
  private readonly issued: Counter<'table'>;

  constructor(
    config: ConfigService<ApiKeyManagerEnv, true>,
    private readonly storage: AzureStorage,
    private readonly audit: AuditLog,
    metrics: MetricsService,
  ) {
    this.rules = config.get('SAS_ALLOWED_TABLES', { infer: true });
    this.defaultTtlSeconds = config.get('SAS_DEFAULT_TTL_SECONDS', { infer: true });
    this.httpsOnly = config.get('NODE_ENV', { infer: true }) === 'production';
    this.rateLimit = { requests: config.get('RATE_LIMIT_REQUESTS', { infer: true }), window_ms: config.get('RATE_LIMIT_WINDOW_MS', { infer: true }) };
    this.issued = new Counter({ name: 'api_key_manager_sas_issued_total', help: 'SAS tokens issued, by table', labelNames: ['table'], registers: [metrics.registry] });
  }

  async issue(requester: SasRequester, request: SasRequestDto): Promise<SasResponseDto> {
    const grant = grantFor(this.rules, request.table, request.permissions, requester.key.scopes);
    const account = this.storage.account;
    if (!account?.accountKey) {
      throw new SasException(SasErrorCode.NOT_AVAILABLE, 'SAS tokens cannot be issued: the storage connection has no account key to sign with');
    }
    const expiresOn = new Date(Date.now() + (request.expires_in_seconds ?? this.defaultTtlSeconds) * 1000);
    const permissions = grant.permissions.join('');
    const sasToken = generateTableSas(grant.table, new AzureNamedKeyCredential(account.accountName, account.accountKey), {
      permissions: {
        query: grant.permissions.includes('r'),
        add: grant.permissions.includes('a'),
        update: grant.permissions.includes('u'),
        delete: grant.permissions.includes('d'),
      },
      expiresOn,
      protocol: this.httpsOnly ? 'https' : 'https,http',
      ...(request.partition_key === undefined ? {} : { startPartitionKey: request.partition_key, endPartitionKey: request.partition_key }),
    });
    await this.audit.append({
      id: `sas-${randomUUID()}`,
      type: AuditEventType.SAS_ISSUED,
      at: Date.now(),
      actor: `key:${requester.key.id}`,
      keyId: requester.key.id,
      providerId: requester.key.providerId,
      details: {
        table: grant.table,
        permissions,
        partition_key: request.partition_key ?? null,
        expires_at: expiresOn.toISOString(),
        client_ip: requester.clientIp,
        request_id: requester.requestId,
      },
    });
    this.issued.inc({ table: grant.table });
    return {
      sas_token: sasToken,
      table_url: `${account.tableEndpoint}/${grant.table}`,
      table_endpoint: account.tableEndpoint,
      table: grant.table,
      permissions,
      partition_key: request.partition_key ?? null,
      expires_at: expiresOn.toISOString(),
    };
  }

  policy(): SasPolicyDto {
    return {
      allowed_tables: this.rules.map((rule) => ({ table: rule.table, permissions: rule.permissions.join('') })),
      permission_scopes: { ...PERMISSION_SCOPES },
      default_ttl_seconds: this.defaultTtlSeconds,
      max_ttl_seconds: MAX_SAS_TTL_SECONDS,
      https_only: this.httpsOnly,
      rate_limit: this.rateLimit,
      available: this.storage.account?.accountKey !== undefined,
    };
  }
}
