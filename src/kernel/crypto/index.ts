// Public face of kernel/crypto.
export { seal, open } from './aead.js';
export { ensureKeyFile, createSecretFileOnce, readKeyFile, nodeKeyDir, versionedKeys } from './keyfile.js';
export { LocalKeyring, AuditKeys, type KeyEncryptionKeys, type SigningKey, type SignatureVerifier } from './keyring.js';
export { TenantKeyService, wrapContext, KEY_PURPOSES, type KeySeries } from './tenant-keys.js';
