import type { Handle, PKCS11, Template } from 'pkcs11js';
import { inject } from 'vitest';
import { acquireModule, type LoadedModule, pkcs11js, releaseModule } from '../../src/keys/pkcs11/module.js';

/** The run's SoftHSM2 token (softhsm-global-setup.ts), for the service's environment. */
export function runToken(): { env: Record<string, string>; label: string; pin: string } {
  const token = inject('softHsm');
  if (!token) throw new Error('softHsm was not provided: PKCS#11 tests belong in test/integration or test/e2e');
  if ('error' in token) throw new Error(`no SoftHSM2 token for the PKCS#11 tests: ${token.error}`);
  // The library reads its configuration when this process first initialises it.
  process.env['SOFTHSM2_CONF'] = token.env['SOFTHSM2_CONF'];
  return token;
}

/**
 * A logged-in session on a token, opened through the same per-process module registry as
 * the service (one C_Initialize per process), to look at what the service put there.
 */
export class TokenInspector {
  readonly p11 = pkcs11js();
  private readonly module: LoadedModule;
  private readonly session: Handle;

  constructor(modulePath: string, label: string, pin: string) {
    this.module = acquireModule(modulePath);
    const slot = this.pkcs11.C_GetSlotList(true).find((s) => this.pkcs11.C_GetTokenInfo(s).label.trim() === label);
    if (!slot) throw new Error(`no token ${label}`);
    this.session = this.pkcs11.C_OpenSession(slot, this.p11.CKF_SERIAL_SESSION | this.p11.CKF_RW_SESSION);
    try {
      this.pkcs11.C_Login(this.session, this.p11.CKU_USER, pin);
    } catch (err) {
      if ((err as Error).message !== 'CKR_USER_ALREADY_LOGGED_IN') throw err;
    }
  }

  get pkcs11(): PKCS11 {
    return this.module.pkcs11;
  }

  /** Handles of the objects matching `template`. */
  find(template: Template): Handle[] {
    this.pkcs11.C_FindObjectsInit(this.session, template);
    try {
      return this.pkcs11.C_FindObjects(this.session, 100);
    } finally {
      this.pkcs11.C_FindObjectsFinal(this.session);
    }
  }

  /** The private-key objects labelled `kid`. */
  privateKeys(kid: string): Handle[] {
    return this.find([
      { type: this.p11.CKA_CLASS, value: this.p11.CKO_PRIVATE_KEY },
      { type: this.p11.CKA_LABEL, value: kid },
    ]);
  }

  /** Boolean attributes of an object, by attribute number. */
  flags(handle: Handle, types: number[]): boolean[] {
    return this.pkcs11
      .C_GetAttributeValue(
        this.session,
        handle,
        types.map((type) => ({ type })),
      )
      .map((a) => a.value[0] === 1);
  }

  /** Reads an attribute's value; throws the token's refusal (CKR_ATTRIBUTE_SENSITIVE for a secret). */
  value(handle: Handle, type: number): Buffer {
    return this.pkcs11.C_GetAttributeValue(this.session, handle, [{ type }])[0]?.value ?? Buffer.alloc(0);
  }

  /** Generates a key pair as the service does, with the given extractability (for refusal tests). */
  generateEc(label: string, extractable: boolean): void {
    const p = this.p11;
    this.pkcs11.C_GenerateKeyPair(
      this.session,
      { mechanism: p.CKM_EC_KEY_PAIR_GEN },
      [
        { type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY },
        { type: p.CKA_TOKEN, value: true },
        { type: p.CKA_LABEL, value: label },
        { type: p.CKA_VERIFY, value: true },
        { type: p.CKA_EC_PARAMS, value: Buffer.from('06082a8648ce3d030107', 'hex') },
      ],
      [
        { type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY },
        { type: p.CKA_TOKEN, value: true },
        { type: p.CKA_PRIVATE, value: true },
        { type: p.CKA_LABEL, value: label },
        { type: p.CKA_SIGN, value: true },
        { type: p.CKA_SENSITIVE, value: true },
        { type: p.CKA_EXTRACTABLE, value: extractable },
      ],
    );
  }

  close(): void {
    try {
      this.pkcs11.C_CloseSession(this.session);
    } finally {
      releaseModule(this.module);
    }
  }
}
