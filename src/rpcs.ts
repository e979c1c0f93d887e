import { TOKEN_RPCS } from './tokens/rpcs.js';

/**
 * Every method of `token.v1.TokenEngine`, from the features that own them: what the
 * client SDK and the CLI derive their method tables from. (The server binds each
 * feature's list to its service in `app.ts`.)
 */
export const TOKEN_ENGINE_RPCS = [...TOKEN_RPCS] as const;
