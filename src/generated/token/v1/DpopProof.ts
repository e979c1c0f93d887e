// Original file: proto/token/v1/token_engine.proto


/**
 * A DPoP proof (RFC 9449) as the client sent it, with the HTTP method and URL of the
 * request it was sent with (the caller's own endpoint, or the resource server's).
 */
export interface DpopProof {
  /**
   * the compact JWS from the client's DPoP header
   */
  'proof'?: (string);
  /**
   * e.g. "POST"
   */
  'htm'?: (string);
  /**
   * e.g. "https://api.example.com/token" (no query, no fragment)
   */
  'htu'?: (string);
}

/**
 * A DPoP proof (RFC 9449) as the client sent it, with the HTTP method and URL of the
 * request it was sent with (the caller's own endpoint, or the resource server's).
 */
export interface DpopProof__Output {
  /**
   * the compact JWS from the client's DPoP header
   */
  'proof': (string);
  /**
   * e.g. "POST"
   */
  'htm': (string);
  /**
   * e.g. "https://api.example.com/token" (no query, no fragment)
   */
  'htu': (string);
}
