import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ClientAuthenticator } from './client-authenticator.service';
import type { ProxyRequest } from './client-identity';

/** Lets a request in once ClientAuthenticator has established its client (see there for the schemes). */
@Injectable()
export class ClientAuthGuard implements CanActivate {
  constructor(private readonly authenticator: ClientAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.authenticator.authenticateClient(context.switchToHttp().getRequest<ProxyRequest>());
    return true;
  }
}
