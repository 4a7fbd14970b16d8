// Public face of kernel/bench: the harness and the kernel's cases.
export * from './harness.js';
export { auditAppendCase, vaultSealCase, type ServerBenchContext } from './cases.js';
