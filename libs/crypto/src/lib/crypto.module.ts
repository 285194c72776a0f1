import {
  type DynamicModule,
  type FactoryProvider,
  Module,
  type ModuleMetadata,
  type Provider,
} from '@nestjs/common';
import { ApiKeyHasher } from './api-key';
import { Keyring, type KeyringOptions } from './keyring';
import { StateTokenSigner } from './state-token';

/** Injection token for the CryptoModuleOptions the app passed (or its factory returned). */
export const CRYPTO_OPTIONS = Symbol('CRYPTO_OPTIONS');

export interface CryptoModuleOptions {
  /** Encryption keys; provides `Keyring`. Build it with `keyringFromHex` to use env values as they are. */
  readonly keyring?: Keyring | KeyringOptions;
  /** Server-side pepper for API key hashes (at least 32 characters); provides `ApiKeyHasher`. */
  readonly apiKeyPepper?: string;
  /** Secret for state tokens (at least 32 characters); provides `StateTokenSigner`. */
  readonly stateTokenSecret?: string;
}

export interface CryptoModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  readonly useFactory: FactoryProvider<CryptoModuleOptions>['useFactory'];
  readonly inject?: FactoryProvider['inject'];
  /** Make the providers injectable everywhere without importing the module (default false). */
  readonly global?: boolean;
}

/**
 * Each provider resolves to `undefined` when its option is absent, so an app whose keys are optional in
 * development still boots; inject with `@Optional() @Inject(Keyring) keyring?: Keyring` in that case. A bad key,
 * pepper or secret throws CryptoConfigError while the app starts.
 */
const featureProviders: Provider[] = [
  {
    provide: Keyring,
    inject: [CRYPTO_OPTIONS],
    useFactory: ({ keyring }: CryptoModuleOptions) =>
      keyring === undefined || keyring instanceof Keyring ? keyring : new Keyring(keyring),
  },
  {
    provide: ApiKeyHasher,
    inject: [CRYPTO_OPTIONS],
    useFactory: ({ apiKeyPepper }: CryptoModuleOptions) =>
      apiKeyPepper === undefined ? undefined : new ApiKeyHasher(apiKeyPepper),
  },
  {
    provide: StateTokenSigner,
    inject: [CRYPTO_OPTIONS],
    useFactory: ({ stateTokenSecret }: CryptoModuleOptions) =>
      stateTokenSecret === undefined ? undefined : new StateTokenSigner(stateTokenSecret),
  },
];

const exported = [CRYPTO_OPTIONS, Keyring, ApiKeyHasher, StateTokenSigner];

@Module({})
export class CryptoModule {
  /** Keyring, ApiKeyHasher and StateTokenSigner from static options. */
  static forRoot(options: CryptoModuleOptions & { readonly global?: boolean }): DynamicModule {
    const { global = false, ...cryptoOptions } = options;
    return {
      module: CryptoModule,
      global,
      providers: [{ provide: CRYPTO_OPTIONS, useValue: cryptoOptions }, ...featureProviders],
      exports: exported,
    };
  }

  /** The same, with options from a factory (typically reading ConfigService). */
  static forRootAsync(options: CryptoModuleAsyncOptions): DynamicModule {
    return {
      module: CryptoModule,
      global: options.global ?? false,
      imports: options.imports ?? [],
      providers: [
        { provide: CRYPTO_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        ...featureProviders,
      ],
      exports: exported,
    };
  }
}
