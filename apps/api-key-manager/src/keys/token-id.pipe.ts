import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `{token_id}` in a path: a key id is a UUID; anything else is a 400 that says so. */
@Injectable()
export class TokenIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!UUID.test(value)) throw new BadRequestException('token_id must be a UUID');
    return value.toLowerCase();
  }
}
