import { DEVELOPMENT_ACCOUNT, StorageConnectionError, parseStorageConnection } from './storage-connection';

describe('parseStorageConnection', () => {
  it('derives the public endpoints from the account name and suffix', () => {
    expect(parseStorageConnection('DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=a2V5;EndpointSuffix=core.windows.net')).toEqual({
      accountName: 'acme',
      accountKey: 'a2V5',
      sharedAccessSignature: undefined,
      tableEndpoint: 'https://acme.table.core.windows.net',
      blobEndpoint: 'https://acme.blob.core.windows.net',
    });
  });

  it('keeps explicit endpoints (Azurite, private endpoints) without a trailing slash', () => {
    const connection = parseStorageConnection(
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1/;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;',
    );
    expect(connection.tableEndpoint).toBe('http://127.0.0.1:10002/devstoreaccount1');
    expect(connection.blobEndpoint).toBe('http://127.0.0.1:10000/devstoreaccount1');
  });

  it('understands UseDevelopmentStorage=true as the local emulator account', () => {
    expect(parseStorageConnection('UseDevelopmentStorage=true')).toMatchObject({
      accountName: DEVELOPMENT_ACCOUNT.name,
      accountKey: DEVELOPMENT_ACCOUNT.key,
      tableEndpoint: 'http://127.0.0.1:10002/devstoreaccount1',
    });
  });

  it('accepts a SAS token instead of the account key', () => {
    const connection = parseStorageConnection('AccountName=acme;SharedAccessSignature=?sv=2020&sig=abc');
    expect(connection.accountKey).toBeUndefined();
    expect(connection.sharedAccessSignature).toBe('sv=2020&sig=abc');
  });

  it.each([
    ['just-a-secret-value', 'is not a connection string'],
    ['AccountKey=a2V5', 'has no AccountName'],
    ['AccountName=acme', 'has neither AccountKey nor SharedAccessSignature'],
    ['AccountName=acme;AccountKey=not base64!', 'has an AccountKey that is not base64'],
    ['AccountName=acme;AccountKey=a2V5;TableEndpoint=ftp://x', 'TableEndpoint must be an http(s) URL'],
    ['AccountName=acme;AccountKey=a2V5;DefaultEndpointsProtocol=gopher', 'DefaultEndpointsProtocol must be http or https'],
  ])('refuses %j, saying why without quoting it', (value, reason) => {
    expect(() => parseStorageConnection(value)).toThrow(StorageConnectionError);
    expect(() => parseStorageConnection(value)).toThrow(reason);
    try {
      parseStorageConnection(value);
    } catch (error) {
      expect((error as Error).message).not.toContain('a2V5');
      expect((error as Error).message).not.toContain('secret');
    }
  });
});
