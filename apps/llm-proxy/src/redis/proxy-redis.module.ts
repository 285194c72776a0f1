import { Global, Module } from '@nestjs/common';
import { ProxyRedis } from './proxy-redis';

@Global()
@Module({ providers: [ProxyRedis], exports: [ProxyRedis] })
export class ProxyRedisModule {}
