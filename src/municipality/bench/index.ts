// Public face of municipality/bench: the municipality system's bench cases and the synthetic population
// they (and the schedule engine's golden tests) use.  Kept outside municipality/schedule, which is pure.
export { syntheticPopulation, type SyntheticPerson } from './population.js';
export { BENCH_AS_OF, scheduleEvaluateCase } from './schedule.js';
export { residentsImportCase, RESIDENTS_BENCH_TENANT, type ResidentsBenchContext } from './residents-import.js';
