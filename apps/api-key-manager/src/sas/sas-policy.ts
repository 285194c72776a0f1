import type { SasPermission, SasTableRule } from '../config/env';
import { SasErrorCode, SasException } from './sas.exception';

export const SAS_ISSUE_SCOPE = 'sas:issue';
/** Azure's limit for this service: no token lives longer than an hour. */
export const MAX_SAS_TTL_SECONDS = 3600;

const PERMISSION_NAMES: Record<SasPermission, string> = { r: 'read', a: 'add', u: 'update', d: 'delete' };

/** The scope a key needs for each permission; reading needs only sas:issue, which every SAS request needs. */
export const PERMISSION_SCOPES: Record<SasPermission, string> = { r: SAS_ISSUE_SCOPE, a: 'sas:add', u: 'sas:update', d: 'sas:delete' };

export interface SasGrant {
  /** The table as configured (Azure table names are case-insensitive). */
  readonly table: string;
  readonly permissions: readonly SasPermission[];
}

/**
 * What a key may get for a table: the table must be in SAS_ALLOWED_TABLES, and each permission asked for must be
 * allowed there and covered by one of the key's scopes. Read-only when no permissions are asked for.
 */
export function grantFor(rules: readonly SasTableRule[], table: string, requested: string | undefined, scopes: readonly string[]): SasGrant {
  const rule = rules.find((candidate) => candidate.table.toLowerCase() === table.toLowerCase());
  if (!rule) throw new SasException(SasErrorCode.TABLE_NOT_ALLOWED, `Table ${table} is not in SAS_ALLOWED_TABLES`);
  const permissions = [...new Set((requested ?? 'r').split(''))] as SasPermission[];
  for (const permission of permissions) {
    if (!rule.permissions.includes(permission)) {
      throw new SasException(SasErrorCode.PERMISSION_NOT_ALLOWED, `Permission ${permission} (${PERMISSION_NAMES[permission]}) is not allowed on table ${rule.table}`);
    }
    if (!scopes.includes(PERMISSION_SCOPES[permission])) {
      throw new SasException(
        SasErrorCode.SCOPE_MISSING,
        `Permission ${permission} (${PERMISSION_NAMES[permission]}) needs the key scope ${PERMISSION_SCOPES[permission]}`,
      );
    }
  }
  return { table: rule.table, permissions: (['r', 'a', 'u', 'd'] as const).filter((p) => permissions.includes(p)) };
}
