import { Injectable } from '@nestjs/common';
import { odata } from '@azure/data-tables';
import { AzureStorage } from '../storage/azure-storage.service';
import { type AuditEvent, AuditEventType, AuditLog } from './audit.log';

const TYPES = new Set<string>(Object.values(AuditEventType));

/** One partition per UTC day (`YYYY-MM-DD`), rows ordered by time, so a day's export is one partition query. */
@Injectable()
export class AzureTableAuditLog extends AuditLog {
  constructor(private readonly storage: AzureStorage) {
    super();
  }

  async append(event: AuditEvent): Promise<void> {
    const at = new Date(event.at).toISOString();
    await this.storage.run('audit_append', ({ tables }, abortSignal) =>
      tables.audit.upsertEntity(
        {
          partitionKey: at.slice(0, 10),
          rowKey: `${at}_${event.id}`,
          id: event.id,
          type: event.type,
          at,
          actor: event.actor,
          keyId: event.keyId,
          providerId: event.providerId,
          details: JSON.stringify(event.details),
        },
        'Replace',
        { abortSignal },
      ),
    );
  }

  async eventsOfDay(day: string): Promise<AuditEvent[]> {
    return this.storage.run('audit_read_day', async ({ tables }, abortSignal) => {
      const events: AuditEvent[] = [];
      for await (const entity of tables.audit.listEntities<Record<string, unknown>>({
        abortSignal,
        queryOptions: { filter: odata`PartitionKey eq ${day}` },
      })) {
        const type = String(entity['type']);
        if (!TYPES.has(type)) continue;
        events.push({
          id: String(entity['id']),
          type: type as AuditEventType,
          at: Date.parse(String(entity['at'])),
          actor: String(entity['actor']),
          keyId: String(entity['keyId']),
          providerId: String(entity['providerId']),
          details: JSON.parse(String(entity['details'] ?? '{}')) as Record<string, unknown>,
        });
      }
      return events;
    });
  }
}
