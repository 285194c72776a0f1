import { Inject, Injectable, Module, Optional } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ApiKeyHasher, generateApiKey, hashApiKey } from './api-key';
import { CryptoConfigError } from './crypto.exception';
import { CRYPTO_OPTIONS, CryptoModule, type CryptoModuleOptions } from './crypto.module';
import { Keyring, keyringFromHex } from './keyring';
import { StateTokenSigner } from './state-token';

const KEY_A = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const KEY_B = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';
const PEPPER = 'pepper-0123456789-0123456789-abcdef';
const STATE_SECRET = 'state-secret-0123456789-0123456789-abc';

@Injectable()
class TokenVault {
  constructor(
    @Optional() @Inject(Keyring) readonly keyring?: Keyring,
    @Optional() @Inject(ApiKeyHasher) readonly hasher?: ApiKeyHasher,
    @Optional() @Inject(StateTokenSigner) readonly stateTokens?: StateTokenSigner,
  ) {}
}

@Module({ providers: [TokenVault], exports: [TokenVault] })
class VaultModule {}

const SETTINGS = Symbol('SETTINGS');

@Module({
  providers: [
    { provide: SETTINGS, useValue: { encryptionKey: KEY_B, previousKeys: [KEY_A], pepper: PEPPER } },
  ],
  exports: [SETTINGS],
})
class SettingsModule {}

async function vaultWith(cryptoModule: ReturnType<typeof CryptoModule.forRoot>): Promise<TokenVault> {
  const moduleRef = await Test.createTestingModule({ imports: [cryptoModule, VaultModule] }).compile();
  await moduleRef.init();
  const vault = moduleRef.get(TokenVault);
  await moduleRef.close();
  return vault;
}

describe('CryptoModule', () => {
  it('provides a Keyring, an ApiKeyHasher and a StateTokenSigner from static options, globally', async () => {
    const vault = await vaultWith(
      CryptoModule.forRoot({
        global: true,
        keyring: { current: { id: 'k2', key: KEY_B }, previous: [{ id: 'k1', key: KEY_A }] },
        apiKeyPepper: PEPPER,
        stateTokenSecret: STATE_SECRET,
      }),
    );
    expect(vault.keyring).toBeInstanceOf(Keyring);
    expect(vault.keyring?.keyIds).toEqual(['k2', 'k1']);
    const old = new Keyring({ current: { id: 'k1', key: KEY_A } }).encrypt('token', 'row-1');
    expect(vault.keyring?.decrypt(old, 'row-1')).toBe('token');

    const key = generateApiKey({ environment: 'live' }).key;
    expect(vault.hasher?.hash(key)).toBe(hashApiKey(key, PEPPER));

    const state =
      vault.stateTokens?.create({ purpose: 'oauth-state', payload: { n: 1 }, ttlSeconds: 60 }) ?? '';
    expect(vault.stateTokens?.verify(state, { purpose: 'oauth-state' })).toMatchObject({
      ok: true,
      payload: { n: 1 },
    });
  });

  it('uses a Keyring instance as it is', async () => {
    const keyring = keyringFromHex(KEY_B, [KEY_A]);
    const vault = await vaultWith(CryptoModule.forRoot({ global: true, keyring }));
    expect(vault.keyring).toBe(keyring);
  });

  it('builds its options from a factory with injected dependencies', async () => {
    const vault = await vaultWith(
      CryptoModule.forRootAsync({
        global: true,
        imports: [SettingsModule],
        inject: [SETTINGS],
        useFactory: (settings: {
          encryptionKey: string;
          previousKeys: string[];
          pepper: string;
        }): CryptoModuleOptions => ({
          keyring: keyringFromHex(settings.encryptionKey, settings.previousKeys),
          apiKeyPepper: settings.pepper,
        }),
      }),
    );
    expect(vault.keyring?.keyIds).toHaveLength(2);
    expect(vault.hasher).toBeInstanceOf(ApiKeyHasher);
    expect(vault.stateTokens).toBeUndefined();
  });

  it('accepts an async factory', async () => {
    const vault = await vaultWith(
      CryptoModule.forRootAsync({
        global: true,
        useFactory: async () => ({ stateTokenSecret: STATE_SECRET }),
      }),
    );
    expect(vault.stateTokens).toBeInstanceOf(StateTokenSigner);
  });

  it('resolves each provider to undefined when its option is absent, so an app without keys still boots', async () => {
    const vault = await vaultWith(CryptoModule.forRoot({ global: true }));
    expect(vault.keyring).toBeUndefined();
    expect(vault.hasher).toBeUndefined();
    expect(vault.stateTokens).toBeUndefined();
  });

  it('exports its providers to the importing module when not global', async () => {
    @Module({ imports: [CryptoModule.forRoot({ apiKeyPepper: PEPPER })], providers: [TokenVault] })
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({ imports: [FeatureModule] }).compile();
    expect(moduleRef.get(TokenVault).hasher).toBeInstanceOf(ApiKeyHasher);
    expect(moduleRef.get(CRYPTO_OPTIONS, { strict: false })).toEqual({ apiKeyPepper: PEPPER });
    await moduleRef.close();
  });

  it('stops the app from starting on a bad key, naming the key id and not the key', async () => {
    const badKey = KEY_A.slice(0, 40);
    const compiling = Test.createTestingModule({
      imports: [CryptoModule.forRoot({ keyring: { current: { id: 'vault-1', key: badKey } } })],
    }).compile();
    await expect(compiling).rejects.toBeInstanceOf(CryptoConfigError);
    await expect(compiling).rejects.toThrow('key "vault-1" must be 64 hex characters');
    await expect(compiling).rejects.not.toThrow(badKey);
  });

  it('stops the app from starting on a short pepper or state secret', async () => {
    for (const options of [{ apiKeyPepper: 'short' }, { stateTokenSecret: 'short' }]) {
      await expect(
        Test.createTestingModule({ imports: [CryptoModule.forRoot(options)] }).compile(),
      ).rejects.toBeInstanceOf(CryptoConfigError);
    }
  });
});
