// Public face of web/bench: bench cases that drive the HTTP server (they need the web layer, so they live
// here and the CLI hands them to the app's bench runner).
import type { BenchCase } from '../../kernel/bench/index.js';
import type { AppBenchContext } from '../../app/index.js';
import { recordsRegisterHttpCase, recordsRegisterSoakCase } from './records-http.js';
import { clinicRegisterHttpCase } from './clinic-http.js';

export function webBenchCases(): BenchCase<AppBenchContext>[] {
  return [recordsRegisterHttpCase, recordsRegisterSoakCase, clinicRegisterHttpCase];
}
