// Every system's migration folders, kernel first.  Later systems append theirs here.  Peers (decision 0134)
// each own a schema and a role; their migrations run on the same store.
import { kernelMigrations, type MigrationSource } from '../kernel/db/index.js';
import { municipalityMigrations } from '../municipality/migrations/index.js';
import { jlisMigrations } from '../peers/jlis/index.js';
import { networkMigrations } from '../peers/network/index.js';
import { chukanMigrations } from '../peers/chukan/index.js';
import { vrsMigrations } from '../peers/vrs/index.js';
import { platformMigrations } from '../platform/index.js';
import { insurerHubMigrations } from '../peers/insurerhub/index.js';
import { cardMigrations } from '../peers/card/index.js';
import { mynaportalMigrations } from '../peers/mynaportal/index.js';
import { kokuhorenMigrations } from '../peers/kokuhoren/index.js';
import { koukinMigrations } from '../peers/koukin/index.js';
import { eapplyMigrations } from '../peers/eapply/index.js';
import { registryMigrations } from '../registry/index.js';
import { paymentMigrations } from '../peers/payment/index.js';
import { kosekiMigrations } from '../peers/koseki/index.js';
import { menkyoMigrations } from '../peers/menkyo/index.js';
import { kensakuMigrations } from '../peers/kensaku/index.js';
import { shikenMigrations } from '../peers/shiken/index.js';

export function allMigrations(): MigrationSource[] {
  return [kernelMigrations, municipalityMigrations, jlisMigrations, networkMigrations, chukanMigrations, vrsMigrations, platformMigrations, insurerHubMigrations, cardMigrations, mynaportalMigrations, kokuhorenMigrations, eapplyMigrations, koukinMigrations, paymentMigrations, registryMigrations, kosekiMigrations,
    menkyoMigrations, kensakuMigrations, shikenMigrations];
}
