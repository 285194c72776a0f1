/**
 * Base of the app's domain errors: each feature has its own subclass and string-enum code, and
 * DomainExceptionFilter maps the codes to HTTP at the edge. Messages are for a person and never hold a token,
 * a secret or a provider's raw response.
 */
export abstract class DomainException<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
