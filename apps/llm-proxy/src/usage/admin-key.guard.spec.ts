import { type ExecutionContext, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { loadEnv } from '@auth-platform/config';
import { HttpErrorWithHeaders } from '@auth-platform/platform';
import { type LlmProxyEnv, llmProxyEnv } from '../config/env';
import { AdminKeyGuard } from './admin-key.guard';

const ADMIN_KEY = 'admin-key-0123456789abcdef';

function guard(env: Record<string, string>): AdminKeyGuard {
  return new AdminKeyGuard(new ConfigService<LlmProxyEnv, true>(loadEnv(llmProxyEnv, env).values));
}

function contextWith(authorization?: string): ExecutionContext {
  const request = { headers: authorization === undefined ? {} : { authorization } };
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

describe('AdminKeyGuard', () => {
  it('lets the admin key in, and refuses any other with 401 and WWW-Authenticate', () => {
    const admin = guard({ API_KEY_SERVER_ADMIN_KEY: ADMIN_KEY });
    expect(admin.canActivate(contextWith(`Bearer ${ADMIN_KEY}`))).toBe(true);
    for (const presented of [undefined, `Bearer ${ADMIN_KEY}x`, ADMIN_KEY, 'Bearer ']) {
      let refusal: unknown;
      try {
        admin.canActivate(contextWith(presented));
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(HttpErrorWithHeaders);
      expect((refusal as HttpErrorWithHeaders).getStatus()).toBe(401);
      expect((refusal as HttpErrorWithHeaders).headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
    }
  });

  it('hides the endpoint (404) when no admin key is configured', () => {
    expect(() => guard({}).canActivate(contextWith(`Bearer ${ADMIN_KEY}`))).toThrow(NotFoundException);
  });
});
