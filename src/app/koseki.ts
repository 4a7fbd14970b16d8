// The 戸籍情報連携システム (法務省, node `koseki`, decision 0184) and the registry's 戸籍 checks seen from this
// store: each side's deps as its own organisation (its role, its keys, its message log), and the demo's
// synthetic 戸籍 for the residents of a demo city — deterministic by 住民票コード, so a second run changes
// nothing: 本籍 mostly in the city's prefecture, a 婚姻 (氏 changed) for about one adult woman in three, and
// about one person in twelve whose 戸籍 is not linked to 住基 (the 本籍 cannot be identified).
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { exchangeNodeFor, type Directory } from '../kernel/exchange/index.js';
import { addDaysIso } from '../kernel/jp/index.js';
import { KOSEKI_NODE, KOSEKI_ROLE, KOSEKI_SCHEMA, recordPerson, type KosekiDeps, type KosekiPersonInput } from '../peers/koseki/index.js';
import { REGISTRY_NODE, REGISTRY_ROLE, REGISTRY_SCHEMA, RegistrySecrets, type KosekiCheckDeps } from '../registry/index.js';
import type { App } from './index.js';

/** The 戸籍情報連携システム's own deps (role, keys, message log) on this store. */
export async function kosekiDeps(app: App, directory: Directory): Promise<KosekiDeps> {
  const db = await app.db.forRole(KOSEKI_ROLE);
  const clock = app.config.clock;
  return { db, clock, node: exchangeNodeFor({ name: KOSEKI_NODE, schema: KOSEKI_SCHEMA, db, keyDir: app.config.keyDir, directory, clock }) };
}

/** The registry's deps for its 戸籍 checks (its role, keys, message log and My Number secrets). */
export async function registryKosekiDeps(app: App, directory: Directory): Promise<KosekiCheckDeps> {
  const db = await app.db.forRole(REGISTRY_ROLE);
  const clock = app.config.clock;
  return {
    db, clock, secrets: RegistrySecrets.open(app.config.keyDir),
    node: exchangeNodeFor({ name: REGISTRY_NODE, schema: REGISTRY_SCHEMA, db, keyDir: app.config.keyDir, directory, clock }),
  };
}

const PREFECTURES = [
  '北海道', '青森県', '岩手県', '宮城県', '秋田県', '山形県', '福島県', '茨城県', '栃木県', '群馬県', '埼玉県', '千葉県', '東京都', '神奈川県', '新潟県', '富山県',
  '石川県', '福井県', '山梨県', '長野県', '岐阜県', '静岡県', '愛知県', '三重県', '滋賀県', '京都府', '大阪府', '兵庫県', '奈良県', '和歌山県', '鳥取県', '島根県',
  '岡山県', '広島県', '山口県', '徳島県', '香川県', '愛媛県', '高知県', '福岡県', '佐賀県', '長崎県', '熊本県', '大分県', '宮崎県', '鹿児島県', '沖縄県',
] as const;
const FORMER_SURNAMES = ['山本', '中村', '小林', '加藤', '吉田', '山田', '佐々木', '松本'] as const;

/** 本籍 (都道府県コード and a synthetic 本籍地) of a person, from a hash. */
function honsekiOf(h: Buffer, home: string): { honsekiCode: string; honseki: string } {
  const code = h[3]! % 5 === 0 ? String((h[4]! % 47) + 1).padStart(2, '0') : home;
  return { honsekiCode: code, honseki: `${PREFECTURES[Number(code) - 1]}見本市本町${(h[5]! % 30) + 1}番地` };
}

/** A synthetic 戸籍 for a resident (exported for tests): deterministic by 住民票コード. */
export function syntheticKoseki(p: { juminhyoCode: string; nameKanji: string; birthDate: string; sex: 'male' | 'female' }, homePrefecture: string, today: string): KosekiPersonInput | undefined {
  const h = createHash('sha256').update(`koseki:${p.juminhyoCode}`).digest();
  if (h[0]! % 12 === 0) return undefined; // 戸籍の附票 not linked: the 本籍 cannot be identified
  const [surname = p.nameKanji, given = '　'] = p.nameKanji.split(/[\s　]+/);
  const sex = p.sex === 'male' ? '1' : '2';
  const { honsekiCode, honseki } = honsekiOf(h, homePrefecture);
  const married = sex === '2' && h[1]! % 3 === 0 && addDaysIso(p.birthDate, 26 * 366) < today;
  const maiden = FORMER_SURNAMES[h[2]! % FORMER_SURNAMES.length]!;
  const birthSurname = married && maiden !== surname ? maiden : surname;
  const events: KosekiPersonInput['events'] = [
    { occurredOn: p.birthDate, reason: 'birth', honsekiCode, honseki, hittosha: `${birthSurname}　一郎`, surname: birthSurname, givenName: given },
  ];
  if (birthSurname !== surname) {
    events.push({ occurredOn: addDaysIso(p.birthDate, 25 * 366 + (h[6]! % 365)), reason: 'marriage', honsekiCode, honseki, hittosha: `${surname}　太郎`, surname, givenName: given });
  }
  return { juminhyoCode: p.juminhyoCode, birthDate: p.birthDate, sex, birthPlace: PREFECTURES[Number(homePrefecture) - 1], events };
}

/**
 * Records synthetic 戸籍 for the residents of `tenant` (the demo), each linked person with the 法務省's 符号.
 * Returns how many residents have a linked 戸籍 and how many do not.
 */
export async function seedDemoKoseki(app: App, directory: Directory, tenant: string): Promise<{ linked: number; unlinked: number }> {
  const deps = await kosekiDeps(app, directory);
  const persons = await sql<{ juminhyo_code: string; name_kanji: string; birth_date: string; sex: 'male' | 'female' }>`
    SELECT juminhyo_code, name_kanji, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, sex FROM municipality.persons
    WHERE tenant_code = ${tenant} AND juminhyo_code IS NOT NULL AND status = 'resident' ORDER BY atena_no`.execute(app.db.system);
  const home = tenant.slice(0, 2);
  const todo: KosekiPersonInput[] = [];
  let unlinked = 0;
  for (const p of persons.rows) {
    const k = syntheticKoseki({ juminhyoCode: p.juminhyo_code, nameKanji: p.name_kanji, birthDate: p.birth_date, sex: p.sex }, home, app.config.clock.today());
    if (k) todo.push(k);
    else unlinked++;
  }
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(4, todo.length) }, async () => {
    while (next < todo.length) await recordPerson(deps, todo[next++]!);
  }));
  return { linked: todo.length, unlinked };
}
