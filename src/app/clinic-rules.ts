// The vaccination rules the platform's clinic API applies (docs/formats/clinic-protocol.md §2): the schedule
// engine's live check (municipality/schedule, pure — ARCHITECTURE.md: "everything about vaccination
// eligibility goes through it … the clinic app") and the GS1 reading of a vial (municipality/records).  The
// app gives them to the platform node, since systems never import each other.
import { parseGs1 } from '../municipality/records/index.js';
import { checkWith, defaultCatalog, type Catalog } from '../municipality/schedule/index.js';
import type { ClinicRules } from '../platform/index.js';

export function clinicRules(catalog: Catalog = defaultCatalog()): ClinicRules {
  return {
    hasProduct: (code) => catalog.productByCode.has(code),
    hasProgram: (code) => catalog.programsByCode.has(code),
    firstProduct: (program) => catalog.programsByCode.get(program)?.[0]?.products[0]?.code,
    check: (person, history, proposed) => checkWith(catalog, { ...person, conditions: [] }, history, proposed),
    parseGs1,
  };
}
