import * as z from 'zod';
import { identifier } from '../grpc/fields.js';
import { rpcsOf, type UnaryRpc } from '../grpc/rpc.js';
import type { CheckInput, CheckResponse, ExtAuthz } from './check.js';

/** What proto-loader decodes a CheckRequest to (the vendored, trimmed messages; defaults filled in). */
export interface CheckRequest {
  attributes: {
    request: {
      http: {
        method: string;
        headers: Record<string, string>;
        path: string;
        host: string;
        scheme: string;
      } | null;
    } | null;
    context_extensions: Record<string, string>;
  } | null;
}

/** The Authorization service's one method, in the shape of a generated definition. */
interface AuthorizationDefinition {
  Check: { requestDeserialize(bytes: Buffer): CheckRequest; responseSerialize(value: CheckResponse): Buffer };
}

const authorization = rpcsOf<AuthorizationDefinition>('envoy.service.auth.v3.Authorization');

/** The tenant a Check acts on: the route's `tenant_id` context extension, else the default tenant. */
function tenantOf(message: CheckRequest, defaultTenantId: string): string {
  return message?.attributes?.context_extensions?.['tenant_id'] || defaultTenantId;
}

/**
 * The schema of a Check: Envoy's message is Envoy's, so unknown parts are left alone
 * (not strict); what is read is checked. The request's own headers are the client's, not
 * the caller's: a bad one makes the Check deny, never fail.
 */
function checkSchema(defaultTenantId: string): z.ZodType<CheckInput> {
  return z
    .object({
      attributes: z
        .object({
          request: z
            .object({ http: z.object({}).loose().nullable() })
            .loose()
            .nullable(),
          context_extensions: z.record(z.string(), z.string()),
        })
        .loose()
        .nullable(),
    })
    .loose()
    .transform((message, ctx) => {
      const wire = message as unknown as CheckRequest;
      const extensions = wire.attributes?.context_extensions ?? {};
      const tenantId = tenantOf(wire, defaultTenantId);
      const tenantProblem = identifier('attributes.context_extensions.tenant_id').safeParse(tenantId);
      if (!tenantProblem.success) {
        ctx.addIssue({ code: 'custom', message: tenantProblem.error.issues[0]?.message ?? 'tenant_id is invalid' });
        return z.NEVER;
      }
      const http = wire.attributes?.request?.http;
      return {
        tenantId,
        audience: extensions['audience'] ?? '',
        stripAuthorization: extensions['strip_authorization'] === 'true',
        headers: http?.headers ?? {},
        method: http?.method ?? '',
        scheme: http?.scheme ?? '',
        host: http?.host ?? '',
        path: http?.path ?? '',
      };
    });
}

/**
 * `envoy.service.auth.v3.Authorization/Check` (TOKEN_ENGINE_EXT_AUTHZ=true), for a
 * service whose default tenant is `defaultTenantId`. Envoy authenticates like any caller
 * and must be permitted for the tenant; a Check changes nothing and may be repeated.
 */
export function extAuthzRpcs(defaultTenantId: string): readonly [UnaryRpc<ExtAuthz, CheckRequest, CheckInput, CheckResponse>] {
  return [
    authorization.unary('Check', {
      schema: checkSchema(defaultTenantId),
      tenantOf: (message) => tenantOf(message, defaultTenantId),
      repeatable: true,
      handle: (extAuthz: ExtAuthz, input) => extAuthz.check(input),
    }),
  ] as const;
}
