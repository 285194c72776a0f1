import { Gaxios, type GaxiosOptionsPrepared, type GaxiosOptions, type GaxiosResponse } from 'gaxios';
import { GOOGLE_TOKEN_URL } from '../config/service-account';

/**
 * The transporter google-auth-library sends every request through. Two fixes on top of gaxios:
 * - google-auth-library (9 to 11) ignores the key file's token_uri and always posts the JWT-bearer grant to
 *   Google's fixed URL; this sends that request to token_uri, so private and sovereign endpoints (and offline
 *   tests) work.
 * - gaxios retries a failed grant with backoff; one deadline bounds the whole request, retries included, so a
 *   caller never waits longer than `deadlineMs`.
 */
export class GoogleTransport extends Gaxios {
  constructor(
    private readonly tokenUri: string,
    private readonly deadlineMs: number,
  ) {
    super();
  }

  override request<T = unknown>(options: GaxiosOptions = {}): Promise<GaxiosResponse<T>> {
    const url = String(options.url) === GOOGLE_TOKEN_URL ? this.tokenUri : options.url;
    const signal = options.signal ? AbortSignal.any([options.signal as AbortSignal, AbortSignal.timeout(this.deadlineMs)]) : AbortSignal.timeout(this.deadlineMs);
    return super.request<T>({
      ...options,
      url,
      signal,
      timeout: this.deadlineMs,
      retryConfig: { ...options.retryConfig, retry: 2, noResponseRetries: 1, retryDelay: 100, totalTimeout: this.deadlineMs },
    } as GaxiosOptions & Partial<GaxiosOptionsPrepared>);
  }
}
