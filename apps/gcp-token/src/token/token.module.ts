import { Module } from '@nestjs/common';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { GoogleTokenMinter } from './google-token.minter';
import { TokenController } from './token.controller';
import { TokenService } from './token.service';

@Module({
  controllers: [TokenController],
  providers: [TokenService, GoogleTokenMinter, ApiKeyGuard],
  exports: [TokenService],
})
export class TokenModule {}
