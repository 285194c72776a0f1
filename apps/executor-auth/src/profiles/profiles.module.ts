import { Module } from '@nestjs/common';
import { PlatformProfileRegistry } from './platform-profile.registry';

@Module({
  providers: [PlatformProfileRegistry],
  exports: [PlatformProfileRegistry],
})
export class ProfilesModule {}
