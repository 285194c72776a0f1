import { Module } from '@nestjs/common';
import { IdentityProviderClient } from './identity-provider.client';

@Module({ providers: [IdentityProviderClient], exports: [IdentityProviderClient] })
export class IdentityProviderModule {}
