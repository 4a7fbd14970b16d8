// Composition root: the kernel plus every system's migrations, data classes and duties.  The CLI and the
// web server start Mamori through here; systems never import each other.
import { resolveConfig, type ConfigFlags, type MamoriConfig } from '../kernel/config/index.js';
import { openKernel, type Kernel } from '../kernel/runtime/index.js';
import { allMigrations } from './migrations.js';
import { CERTIFICATE_CONTENT_CLASS } from '../municipality/certification/index.js';
import { NOTICE_CONTENT_CLASS } from '../municipality/notices/index.js';
import { RESIDENT_HISTORY_CLASS, residentMyNumberClass } from '../municipality/residents/index.js';
import { VACCINATION_RECORD_CLASS } from '../municipality/records/index.js';
import { EAPPLICATION_CONTENT_CLASS } from '../municipality/eapply/index.js';
import { RESIDENT_ELIGIBILITY_CLASS } from '../municipality/copay/index.js';

export type App = Kernel;

export async function openApp(config: MamoriConfig, opts: { migrate?: boolean } = {}): Promise<App> {
  const app = await openKernel(config, { migrations: allMigrations(), ...opts });
  // Systems' data classes (KRN-37): what the retention run may erase, and after how long by default.
  app.retention.register(CERTIFICATE_CONTENT_CLASS);
  app.retention.register(NOTICE_CONTENT_CLASS);
  app.retention.register(VACCINATION_RECORD_CLASS);
  app.retention.register(residentMyNumberClass(app.vault));
  app.retention.register(RESIDENT_HISTORY_CLASS);
  app.retention.register(EAPPLICATION_CONTENT_CLASS);
  app.retention.register(RESIDENT_ELIGIBILITY_CLASS);
  return app;
}

export async function openAppFromFlags(flags: ConfigFlags): Promise<App> {
  return openApp(resolveConfig(flags));
}

export { allMigrations } from './migrations.js';
export type { MynaPortal, PortalSession, PortalPerson, PortalNotice, PortalQuestionnaire, QuestionnaireItem, PortalRecords, DataUseEntry, CardProof, RegistryApplication, RegistryFees, RegistrySubmitAnswer, RegistrySubmission } from '../peers/mynaportal/index.js';
export type { RegistryNotice, RegistryNoticePage } from '../peers/mynaportal/index.js';
export { startOrganisations, readDirectoryFile, nodeSpecs, messageLogOf, exchangeReady, syncExchange, MUNICIPALITY_NODE, type ExchangeSyncReport, type Organisations, type RunningNode, type NodeSpec, type StartOptions } from './nodes.js';
export { startJobs, runMaintenance } from './jobs.js';
export { runBench, allBenchCases, type BenchRun, type AppBenchContext } from './bench.js';
export { benchRegistryChecks, seedSynthCity, synthCityCounts, registryChecksCase, SYNTH_CITY_RULES, type RegistryChecksBench, type SynthCityCounts } from './registry-bench.js';
export { databaseDigest, DIGEST_TABLES, type DatabaseDigest, type DigestOptions, type TableDigest } from './digest.js';
export { runDrill, DRILL_OPERATIONS, type DrillOptions, type DrillReport, type DrillResult, type DrillChain, type DrillKill, type DrillOperation } from './drill.js';
export { koukinDeps, seedDemoKoukin } from './koukin.js';
export { kosekiDeps, registryKosekiDeps, seedDemoKoseki, syntheticKoseki } from './koseki.js';
export { paymentDeps, addPaymentMerchant } from './payment.js';
export { prepareDemoRegistry, DEMO_REGISTRY_MERCHANT, type DemoRegistry } from './registry-demo.js';
export { runFuzz, FUZZ_TARGETS, type FuzzOptions, type FuzzReport, type FuzzTarget, type FuzzCrash } from './fuzz.js';
export { feedJlisFromSynth } from './jlis-feed.js';
