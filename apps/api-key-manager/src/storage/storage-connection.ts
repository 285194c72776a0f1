/** Where the storage account is and how to sign in to it, from an Azure Storage connection string. */
export interface StorageConnection {
  readonly accountName: string;
  /** Base64 account key: signs requests and service SAS tokens. */
  readonly accountKey?: string;
  /** A SAS token instead of the account key (no SAS tokens can be issued then). */
  readonly sharedAccessSignature?: string;
  readonly tableEndpoint: string;
  readonly blobEndpoint: string;
}

export class StorageConnectionError extends Error {}

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const DEVELOPMENT_ACCOUNT = {
  name: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
} as const;

/** The development account on a local Azurite. */
export function developmentConnection(host: string, ports: { blob: number; table: number }): StorageConnection {
  return {
    accountName: DEVELOPMENT_ACCOUNT.name,
    accountKey: DEVELOPMENT_ACCOUNT.key,
    tableEndpoint: `http://${host}:${ports.table}/${DEVELOPMENT_ACCOUNT.name}`,
    blobEndpoint: `http://${host}:${ports.blob}/${DEVELOPMENT_ACCOUNT.name}`,
  };
}

function endpoint(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StorageConnectionError(`${name} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StorageConnectionError(`${name} must be an http(s) URL`);
  return value.replace(/\/+$/, '');
}

/**
 * Parses `DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net`, explicit
 * `TableEndpoint`/`BlobEndpoint` (Azurite, private endpoints) and `UseDevelopmentStorage=true`. Error messages
 * name the missing or bad part, never a value: the string embeds the account key.
 */
export function parseStorageConnection(connectionString: string): StorageConnection {
  const parts = new Map<string, string>();
  for (const segment of connectionString.split(';')) {
    const trimmed = segment.trim();
    if (trimmed === '') continue;
    const separator = trimmed.indexOf('=');
    if (separator <= 0) throw new StorageConnectionError('is not a connection string of Name=value pairs separated by ;');
    parts.set(trimmed.slice(0, separator).toLowerCase(), trimmed.slice(separator + 1));
  }
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') {
    const proxy = parts.get('developmentstorageproxyuri');
    const host = proxy ? new URL(endpoint(proxy, 'DevelopmentStorageProxyUri')).hostname : '127.0.0.1';
    return developmentConnection(host, { blob: 10000, table: 10002 });
  }
  const accountName = parts.get('accountname');
  if (!accountName) throw new StorageConnectionError('has no AccountName');
  const accountKey = parts.get('accountkey') || undefined;
  const sharedAccessSignature = parts.get('sharedaccesssignature')?.replace(/^\?/, '') || undefined;
  if (!accountKey && !sharedAccessSignature) throw new StorageConnectionError('has neither AccountKey nor SharedAccessSignature');
  if (accountKey && !/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey)) throw new StorageConnectionError('has an AccountKey that is not base64');
  const protocol = (parts.get('defaultendpointsprotocol') ?? 'https').toLowerCase();
  if (protocol !== 'http' && protocol !== 'https') throw new StorageConnectionError('DefaultEndpointsProtocol must be http or https');
  const suffix = parts.get('endpointsuffix') ?? 'core.windows.net';
  const service = (explicit: string | undefined, name: string, kind: 'table' | 'blob') =>
    explicit ? endpoint(explicit, name) : `${protocol}://${accountName}.${kind}.${suffix}`;
  return {
    accountName,
    accountKey,
    sharedAccessSignature,
    tableEndpoint: service(parts.get('tableendpoint'), 'TableEndpoint', 'table'),
    blobEndpoint: service(parts.get('blobendpoint'), 'BlobEndpoint', 'blob'),
  };
}
