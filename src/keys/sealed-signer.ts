import type { StoredSigningKey } from '../store/ports.js';
import type { SigningAlg } from './algorithms.js';
import { generateSigningKey, isStoredInClear, openSigningKey, type SealedSigningKey, unsealPrivateKey } from './key-material.js';
import { checkTag, kekRecordMac, type RecordMac, withTag } from './record-tag.js';
import { type KeySchedule, KeyRefusedError, type Signer } from './signer.js';

/**
 * The sealed-key signer (TOKEN_ENGINE_SIGNER=sealed, the default): private keys live in
 * the shared store, sealed with AES-256-GCM under TOKEN_ENGINE_KEY_ENCRYPTION_KEY, and are
 * imported into each replica. Records are tagged with an HMAC under a key derived from
 * the KEK. Without a KEK keys are stored in the clear and records are not tagged (the
 * configuration warns): nothing in the store can then be trusted more than the store.
 */
export class SealedKeySigner implements Signer {
  readonly kind = 'sealed';
  private readonly mac: RecordMac | undefined;

  constructor(private readonly kek: Buffer | undefined) {
    this.mac = kek ? kekRecordMac(kek) : undefined;
  }

  async generate(tenantId: string, alg: SigningAlg, schedule: KeySchedule): Promise<StoredSigningKey> {
    return this.tag(tenantId, await generateSigningKey(tenantId, alg, schedule, this.kek));
  }

  async open(tenantId: string, stored: StoredSigningKey): Promise<SealedSigningKey> {
    if (stored.sealedPrivateKey === undefined) {
      throw new KeyRefusedError(`signing key ${stored.kid} lives in a PKCS#11 token; not used by the sealed-key signer`);
    }
    // With a KEK, an unencrypted key is never trusted: anyone able to write to the store
    // could otherwise plant a signing key whose private half they know.
    if (this.kek && isStoredInClear(stored)) {
      throw new KeyRefusedError(`signing key ${stored.kid} is stored unencrypted while a key-encryption key is set; not used`);
    }
    // Unsealing first: a wrong KEK is a configuration error that stops the start (ADR
    // 0003), which a failing tag check would otherwise hide as a refusal. Then the tag,
    // before anything of the record (its algorithm) is acted upon.
    unsealPrivateKey(stored.sealedPrivateKey, tenantId, stored.kid, this.kek);
    await this.verify(tenantId, stored);
    return openSigningKey(tenantId, stored, this.kek);
  }

  async verify(tenantId: string, stored: StoredSigningKey): Promise<void> {
    if (this.mac) await checkTag(tenantId, stored, this.mac);
  }

  async tag(tenantId: string, stored: StoredSigningKey): Promise<StoredSigningKey> {
    return this.mac ? withTag(tenantId, stored, this.mac) : stored;
  }

  /** Nothing to destroy: the sealed key went with its record. */
  async retire(_tenantId: string, _kid: string): Promise<void> {}

  /** Signing needs nothing outside the process. */
  async health(): Promise<void> {}

  async close(): Promise<void> {}
}
