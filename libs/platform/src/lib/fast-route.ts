import { Injectable, Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { sendError } from './http-error.filter';

/** The JSON Schema subset the fast routes use; Fastify compiles it (ajv for bodies, fast-json-stringify for responses). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** What the OpenAPI document says about a fast route, beside the schemas it is validated with. */
export interface FastRouteDocs {
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Names of security schemes of the document (`bearer`, ...). */
  readonly security?: readonly string[];
  /** Documents a body the handler checks itself (when `body` is not given). */
  readonly requestBody?: JsonSchema;
  /** Status code → description, for the answers other than the 200 schema. */
  readonly responses: Readonly<Record<number, string>>;
}

/**
 * A route served by Fastify directly, outside Nest's guard/pipe/interceptor pipeline, for the few hot paths whose
 * cost per request matters (a cached token, a key verification). The platform hooks still apply (request id,
 * security headers, access log, metrics), errors get the platform's JSON shape, and the route appears in
 * /openapi.json like any controller's.
 */
export interface FastRouteDefinition {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  /** Validates the JSON body (no unknown fields, no type coercion); an absent body is validated as `{}`. */
  readonly body?: JsonSchema;
  /** The 200 answer's schema: it serializes the response and documents it. */
  readonly response?: JsonSchema;
  readonly docs: FastRouteDocs;
  /** Turns an app's own exceptions into HttpExceptions before the platform formats them. */
  readonly mapError?: (error: unknown) => unknown;
  readonly handler: (request: FastifyRequest, reply: FastifyReply) => unknown;
}

const ARTICLE_TYPES: Readonly<Record<string, string>> = {
  array: 'an array',
  object: 'an object',
  integer: 'an integer number',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean value',
};

interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

function fieldOf(error: SchemaError): string {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  return path || 'body';
}

/** Ajv's errors in the same words the class-validator DTOs use elsewhere ("scopes must be an array"). */
export function schemaErrorMessage(errors: readonly SchemaError[]): string {
  return errors
    .map((error) => {
      const field = fieldOf(error);
      const { params } = error;
      switch (error.keyword) {
        case 'type':
          return `${field} must be ${ARTICLE_TYPES[String(params['type'])] ?? String(params['type'])}`;
        case 'additionalProperties':
          return `property ${String(params['additionalProperty'])} should not exist`;
        case 'required':
          return `${field === 'body' ? '' : `${field}.`}${String(params['missingProperty'])} should not be empty`;
        case 'minItems':
          return params['limit'] === 1 ? `${field} should not be empty` : `${field} must contain at least ${String(params['limit'])} elements`;
        case 'maxItems':
          return `${field} must contain no more than ${String(params['limit'])} elements`;
        case 'minLength':
          return params['limit'] === 1 ? `${field} should not be empty` : `${field} must be longer than or equal to ${String(params['limit'])} characters`;
        case 'maxLength':
          return `${field} must be shorter than or equal to ${String(params['limit'])} characters`;
        case 'minimum':
          return `${field} must not be less than ${String(params['limit'])}`;
        case 'maximum':
          return `${field} must not be greater than ${String(params['limit'])}`;
        case 'format':
          return params['format'] === 'email' ? `${field} must be an email` : `${field} must be a valid ${String(params['format'])}`;
        case 'enum':
          return `${field} must be one of the following values: ${(params['allowedValues'] as unknown[]).join(', ')}`;
        case 'pattern':
          return `${field} has an invalid format`;
        default:
          return `${field} ${error.message ?? 'is invalid'}`;
      }
    })
    .join('; ');
}

class SchemaValidationError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_VALIDATION';
}

/** Collects the app's fast routes; the platform registers them on Fastify and adds them to the OpenAPI document. */
@Injectable()
export class FastRoutes {
  private readonly routes: FastRouteDefinition[] = [];
  private registered = false;

  add(route: FastRouteDefinition): void {
    if (this.registered) throw new Error(`fast route ${route.method} ${route.url} added after the server was set up; add it in a constructor or onModuleInit`);
    this.routes.push(route);
  }

  get definitions(): readonly FastRouteDefinition[] {
    return this.routes;
  }

  /** Called once by the platform, after the modules are initialised and before Fastify is ready. */
  register(fastify: FastifyInstance): void {
    this.registered = true;
    const logger = new Logger('FastRoutes');
    for (const route of this.routes) {
      const schema: FastifySchema = {};
      if (route.body) schema.body = route.body;
      if (route.response) schema.response = { 200: route.response };
      fastify.route({
        method: route.method,
        url: route.url,
        schema,
        // An absent body is validated (and handled) as an empty object.
        preValidation: route.body
          ? (request, _reply, done) => {
              if (request.body === undefined || request.body === null) request.body = {};
              done();
            }
          : undefined,
        schemaErrorFormatter: (errors) => new SchemaValidationError(schemaErrorMessage(errors as readonly SchemaError[])),
        errorHandler: (error, request, reply) => sendError(route.mapError ? route.mapError(error) : error, request, reply, logger),
        handler: route.handler,
      });
    }
  }

  /** OpenAPI path items for the document the platform serves at /openapi.json. */
  openApiPaths(): Record<string, Record<string, unknown>> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of this.routes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const responses: Record<string, unknown> = {
        200: { description: 'OK', ...(route.response ? { content: { 'application/json': { schema: route.response } } } : {}) },
      };
      for (const [status, description] of Object.entries(route.docs.responses)) responses[status] = { description };
      paths[path] = {
        ...paths[path],
        [route.method.toLowerCase()]: {
          summary: route.docs.summary,
          ...(route.docs.description ? { description: route.docs.description } : {}),
          tags: route.docs.tags ?? [],
          ...(route.docs.security ? { security: route.docs.security.map((name) => ({ [name]: [] })) } : {}),
          ...(route.body ? { requestBody: { required: false, content: { 'application/json': { schema: route.body } } } } : {}),
          ...(!route.body && route.docs.requestBody
            ? { requestBody: { required: true, content: { 'application/json': { schema: route.docs.requestBody } } } }
            : {}),
          responses,
        },
      };
    }
    return paths;
  }
}
