// 住基ネット fed at scale by the same deterministic generator as `mamori synth` (issue 11 point 3): the
// snapshot a synthetic municipality's 住基 would hold, as 本人確認情報, loaded straight into the jlis node's
// schema (初期移行 path: no HTTP, no history).  Same options → the same people as `mamori synth residents`
// and `mamori synth city`, so a synthetic city loaded into a municipality is also known to 住基ネット.
import { parse } from 'csv-parse/sync';
import { loadIdentities, JLIS_ROLE, type IdentityInput } from '../peers/jlis/index.js';
import { SyntheticResidents, type SynthResidentsOptions } from '../municipality/synth/index.js';
import type { App } from './index.js';

function* identities(opts: SynthResidentsOptions): Generator<IdentityInput> {
  const gen = new SyntheticResidents(opts);
  const header = SyntheticResidents.header('full').split(',');
  const tenant = opts.tenant ?? '312011';
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`synthetic header lacks ${name}`);
    return i;
  };
  const I = { code: col('住民票コード'), mn: col('個人番号'), name: col('氏名'), kana: col('氏名カナ'), birth: col('生年月日'), sex: col('性別'), address: col('住所'), kata: col('方書'), move: col('最新異動区分'), moveOn: col('最新異動日') };
  const iso = (d: string) => (/^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : d);
  for (const line of gen.snapshot()) {
    const c = (parse(line) as string[][])[0]!;
    if (!c[I.code]) continue;
    yield {
      municipalityCode: tenant,
      juminhyoCode: c[I.code]!,
      myNumber: c[I.mn] || undefined,
      name: c[I.name]!,
      nameKana: c[I.kana] ?? '',
      birthDate: iso(c[I.birth]!),
      sex: c[I.sex] === '2' ? 'female' : 'male',
      address: `${c[I.address] ?? ''}${c[I.kata] ? ` ${c[I.kata]}` : ''}`,
      status: 'resident',
      movement: c[I.move] || null,
      movementDate: c[I.moveOn] ? iso(c[I.moveOn]!) : null,
    };
  }
}

/** Loads the synthetic municipality's residents into 住基ネット; returns how many. */
export async function feedJlisFromSynth(app: App, opts: SynthResidentsOptions): Promise<{ loaded: number }> {
  const db = await app.db.forRole(JLIS_ROLE);
  return loadIdentities(db, identities(opts), { keyDir: app.config.keyDir, at: app.config.clock.now() });
}
