// Public face of kernel/jp: Japanese codes, widths, dates and legal arithmetic.
export * from './codes.js';
export * from './width.js';
export * from './clock.js';
export * from './dates.js';
export * from './search-keys.js';
