// Public face of the staff UI kit.
export * from './html.js';
export * from './components.js';
export * from './layout.js';
export * from './query.js';
export * from './assets.js';
