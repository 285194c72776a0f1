import { Global, Module } from '@nestjs/common';
import { ProductKeyring } from './product-keyring';

@Global()
@Module({ providers: [ProductKeyring], exports: [ProductKeyring] })
export class ProductsModule {}
