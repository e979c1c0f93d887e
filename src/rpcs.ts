import { API_KEY_RPCS } from './apikeys/rpcs.js';
import { TOKEN_RPCS } from './tokens/rpcs.js';
import { VALIDATION_RPCS } from './validation/rpcs.js';
import { WATCH_RPCS } from './watch/rpcs.js';

/**
 * Every method of `token.v1.TokenEngine`, from the features that own them, in the order
 * of the proto: what the client SDK and the CLI derive their method tables from. (The
 * server binds each feature's list to its service in `app.ts`.)
 */
export const TOKEN_ENGINE_RPCS = [...TOKEN_RPCS, ...VALIDATION_RPCS, ...WATCH_RPCS, ...API_KEY_RPCS] as const;
