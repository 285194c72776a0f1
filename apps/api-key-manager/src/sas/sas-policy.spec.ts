import { grantFor } from './sas-policy';
import { SasErrorCode } from './sas.exception';

const rules = [
  { table: 'Orders', permissions: ['r'] as const },
  { table: 'Events', permissions: ['r', 'a', 'u', 'd'] as const },
];

describe('grantFor', () => {
  it('grants read-only by default on an allowed table, whatever the case of its name', () => {
    expect(grantFor(rules, 'orders', undefined, ['sas:issue'])).toEqual({ table: 'Orders', permissions: ['r'] });
  });

  it('grants write permissions the table allows and the key scopes cover, in canonical order', () => {
    expect(grantFor(rules, 'Events', 'dar', ['sas:issue', 'sas:add', 'sas:delete'])).toEqual({ table: 'Events', permissions: ['r', 'a', 'd'] });
  });

  it('refuses a table outside SAS_ALLOWED_TABLES', () => {
    expect(() => grantFor(rules, 'Secrets', undefined, ['sas:issue'])).toThrow(
      expect.objectContaining({ code: SasErrorCode.TABLE_NOT_ALLOWED, message: 'Table Secrets is not in SAS_ALLOWED_TABLES' }),
    );
  });

  it('refuses a permission the table does not allow, even with the scope', () => {
    expect(() => grantFor(rules, 'Orders', 'ra', ['sas:issue', 'sas:add'])).toThrow(
      expect.objectContaining({ code: SasErrorCode.PERMISSION_NOT_ALLOWED, message: 'Permission a (add) is not allowed on table Orders' }),
    );
  });

  it('refuses a permission the key scopes do not cover', () => {
    expect(() => grantFor(rules, 'Events', 'u', ['sas:issue'])).toThrow(
      expect.objectContaining({ code: SasErrorCode.SCOPE_MISSING, message: 'Permission u (update) needs the key scope sas:update' }),
    );
  });
});
