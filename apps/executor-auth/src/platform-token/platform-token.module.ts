import { Module } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module';
import { PlatformTokenService } from './platform-token.service';

@Module({
  imports: [ProfilesModule],
  providers: [PlatformTokenService],
  exports: [PlatformTokenService],
})
export class PlatformTokenModule {}
