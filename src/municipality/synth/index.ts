// Public face of municipality/synth: synthetic residents (住基 snapshot and weekly movement files) for
// tests, demos and the benchmark city.  Deterministic from the seed; synthetic data only (test-range My
// Numbers).  See docs/decisions/0030-synthetic-residents.md.
export { SyntheticResidents, DEFAULT_START, MAX_COUNT, resolveOptions, supportedTenants, type SynthResidentsOptions, type PopulationStats, type SyntheticPerson } from './residents.js';
export type { WeekFile } from './simulate.js';
export { writeSyntheticResidents, diffFileName, MAX_DIFF_WEEKS, type WriteResidentsOptions, type WriteResidentsSummary, type WrittenFile, type SynthEncoding } from './write.js';
export { PERSON_HEADER, MOVEMENT_HEADER, MOVEMENT_NAMES } from './columns.js';
export { AGE_BANDS, FOREIGN_SHARE } from './data/population.js';
export { SURNAME_TABLE, GIVEN_TABLE } from './data/names-jp.js';
export { NATIONALITIES } from './data/names-foreign.js';
export { TENANTS, OTHER_PLACES, DEFAULT_TENANT } from './data/places.js';
export {
  writeSyntheticCity,
  resolveCityOptions,
  CITY_DEFAULTS,
  MAX_CITY_WEEKS,
  MANIFEST_NAME,
  BAD_ROW_KINDS,
  type SynthCityOptions,
  type WriteCityOptions,
  type CityManifest,
  type CityFile,
  type CityFileKind,
  type CityCounts,
} from './city.js';
export { loadCity, readCityManifest, verifyCityFiles, type CityLoadDeps, type CityLoadOptions, type CityLoadSummary, type CityLoadTotals, type CityFileReport, type CityPart } from './city-load.js';
export { CITY_PRODUCTS } from './city-doses.js';
export { doseSeries, type SeriesHost } from './series.js';
