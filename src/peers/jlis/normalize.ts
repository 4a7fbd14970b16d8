// The 全国サーバ's search keys of the 4情報 (RES-12 rules) live in the kernel (kernel/jp/search-keys.ts), so that
// a register comparing its items with a 住基 answer uses the very same keys (decision 0180).
export { nameKey, addressKey } from '../../kernel/jp/index.js';
