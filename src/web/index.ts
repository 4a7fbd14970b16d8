// Public face of the web layer.
export { buildWebServer, type WebOptions } from './server.js';
