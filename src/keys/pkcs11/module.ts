import { createRequire } from 'node:module';
import type * as Pkcs11js from 'pkcs11js';

/** The pkcs11js binding: loaded on first use, so the sealed-key signer never needs the native addon. */
export type Binding = typeof Pkcs11js;

let binding: Binding | undefined;

/** The pkcs11js module (native; compiled at install, see doc/adr/0005-pkcs11-signer.md). */
export function pkcs11js(): Binding {
  binding ??= createRequire(import.meta.url)('pkcs11js') as Binding;
  return binding;
}

/**
 * PKCS#11 2.40 has no EdDSA; 3.0 added these, and pkcs11js (written to 2.40) does not
 * export them. The numbers are the standard's.
 */
export const CKK_EC_EDWARDS = 0x40;
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EDDSA = 0x1057;

/** A PKCS#11 library loaded into this process, shared by every signer using it. */
export interface LoadedModule {
  readonly path: string;
  readonly pkcs11: Pkcs11js.PKCS11;
  /** Bumped on every re-initialisation: sessions and handles of an older generation are gone. */
  generation: number;
  users: number;
  /** False after a failed reload, until a later one succeeds. */
  loaded: boolean;
}

/**
 * One load and one C_Initialize per library and process: a library is initialised once
 * per process whatever the number of users, and C_Finalize by one user would end every
 * other user's sessions.
 */
const modules = new Map<string, LoadedModule>();

/** Loads and initialises the library at `path` (or shares the loaded one). */
export function acquireModule(path: string): LoadedModule {
  let module = modules.get(path);
  if (!module) {
    module = { path, pkcs11: new (pkcs11js().PKCS11)(), generation: 0, users: 0, loaded: false };
    load(module);
    try {
      initialize(module);
    } catch (err) {
      module.pkcs11.close();
      throw err;
    }
    modules.set(path, module);
  }
  module.users += 1;
  return module;
}

/** One user is done; the last one finalises and unloads the library. */
export function releaseModule(module: LoadedModule): void {
  module.users -= 1;
  if (module.users > 0) return;
  modules.delete(module.path);
  if (!module.loaded) return;
  try {
    module.pkcs11.C_Finalize();
  } catch {
    // Already finalised or the device is gone: unloading is all that is left to do.
  }
  module.pkcs11.close();
}

/**
 * Finalises, unloads, loads and initialises the library again, unless another user
 * already did since `seen`. Some libraries (SoftHSM2 among them) cache the slot and token
 * list until then, so a token that came back is only found after this; and a library
 * replaced on disk (an upgrade of the vendor's client) is the new one afterwards. Throws
 * while the library cannot be loaded; the next call tries again.
 */
export function reload(module: LoadedModule, seen: number): void {
  if (module.generation !== seen && module.loaded) return;
  if (module.loaded) {
    try {
      module.pkcs11.C_Finalize();
    } catch {
      // Not initialised any more: loading again is what is needed.
    }
    module.pkcs11.close();
    module.loaded = false;
    module.generation += 1;
  }
  load(module);
  initialize(module);
}

function load(module: LoadedModule): void {
  try {
    module.pkcs11.load(module.path);
  } catch (err) {
    throw new Error(`cannot load PKCS#11 module ${module.path} (TOKEN_ENGINE_PKCS11_MODULE): ${(err as Error).message}`, {
      cause: err,
    });
  }
  module.loaded = true;
}

function initialize(module: LoadedModule): void {
  const p11 = pkcs11js();
  try {
    // Sessions sign on libuv threads at the same time: the library must lock for itself.
    module.pkcs11.C_Initialize({ flags: p11.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (isPkcs11Error(err, 'CKR_CRYPTOKI_ALREADY_INITIALIZED')) return;
    throw new Error(`PKCS#11 module ${module.path} failed to initialise: ${(err as Error).message}`, { cause: err });
  }
}

/** True for a pkcs11js error carrying the return value `name` (e.g. `CKR_PIN_INCORRECT`). */
export function isPkcs11Error(err: unknown, name: string): boolean {
  return err instanceof Error && err.message === name;
}
