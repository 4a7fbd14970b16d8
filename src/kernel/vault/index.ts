// Public face of kernel/vault: the My Number store, kept apart from every business table (KRN-09).
export {
  Vault,
  rewrapAllKeys,
  rotateDataKey,
  blindIndex,
  type TenantKeySet,
  type SealedMyNumber,
  type SubjectRef,
  type RewrapResult,
  type DataKeyRotation,
} from './vault.js';
