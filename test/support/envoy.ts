/**
 * A client of Envoy's `envoy.service.auth.v3.Authorization` built from the vendored protos,
 * the way Envoy calls the service's Check.
 */
import { type Client, credentials, loadPackageDefinition, type Metadata, type ServiceError } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_DIR } from '../../src/grpc/proto.js';

/** One `HeaderValueOption` of a CheckResponse. */
export interface HeaderOption {
  header: { key: string; value: string };
  append: { value: boolean } | null;
  append_action: string;
}

/** A CheckResponse as proto-loader decodes it (keepCase, oneofs). */
export interface CheckResponse {
  status: { code: number; message: string } | null;
  http_response: 'ok_response' | 'denied_response' | undefined;
  ok_response: { headers: HeaderOption[]; headers_to_remove: string[] } | null;
  denied_response: { status: { code: string }; headers: HeaderOption[]; body: string } | null;
}

/** The generated client, with the one method the tests call. */
export type AuthorizationClient = Client & {
  Check(request: object, metadata: Metadata, callback: (err: ServiceError | null, res: CheckResponse) => void): void;
};

/** A plaintext Authorization client for `address`. */
export function envoyClient(address: string): AuthorizationClient {
  const definition = protoLoader.loadSync('envoy/service/auth/v3/external_auth.proto', {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = loadPackageDefinition(definition) as unknown as {
    envoy: { service: { auth: { v3: { Authorization: new (a: string, c: unknown) => AuthorizationClient } } } };
  };
  return new pkg.envoy.service.auth.v3.Authorization(address, credentials.createInsecure());
}
