// Public face of the JSON API.
export { registerApiV1 } from './v1.js';
export { registerMunicipalityApi } from './municipality.js';
