// What the municipality puts on the platform before its first push (PMH-01; `settings.put`): its programs
// (codes and Japanese names from the schedule catalog, with their number of doses) and the default
// templates — a 予診票 (questionnaire) and a 接種券 notice, in Japanese.
import { createHash } from 'node:crypto';
import type { Catalog } from '../schedule/index.js';

export interface QuestionnaireItem {
  readonly itemId: string;
  readonly label: string;
  readonly type: 'boolean' | 'choice' | 'text' | 'number';
  readonly options?: readonly string[];
  readonly required: boolean;
  readonly maxLength?: number;
}

export interface PlatformSettings {
  readonly tenant: string;
  readonly vaccinations: readonly { programCode: string; name: string; doses: number }[];
  readonly templates: readonly Record<string, unknown>[];
}

export const QUESTIONNAIRE_TEMPLATE_ID = 'questionnaire-default';
export const NOTICE_TEMPLATE_ID = 'notice-default';

/** The items of the standard 予診票 (定期接種実施要領 の様式に沿った問い). */
export const QUESTIONNAIRE_ITEMS: readonly QuestionnaireItem[] = [
  { itemId: 'temperature', label: '今日の体温（℃）', type: 'number', required: true },
  { itemId: 'unwell-today', label: '今日体に具合の悪いところはありますか', type: 'boolean', required: true },
  { itemId: 'unwell-today-detail', label: '具合の悪いところがある場合は、その内容を書いてください', type: 'text', required: false, maxLength: 200 },
  { itemId: 'illness-last-month', label: '最近1か月以内に病気にかかりましたか', type: 'boolean', required: true },
  { itemId: 'illness-last-month-detail', label: '病気にかかった場合は、病名を書いてください', type: 'text', required: false, maxLength: 200 },
  { itemId: 'contact-infection', label: '1か月以内に家族や周囲で麻しん、風しん、水痘、おたふくかぜなどにかかった方はいますか', type: 'boolean', required: true },
  { itemId: 'other-vaccine-last-month', label: '1か月以内に予防接種を受けましたか', type: 'boolean', required: true },
  { itemId: 'birth-condition', label: '生まれたときに異常がありましたか（お子さんの場合）', type: 'boolean', required: false },
  { itemId: 'underlying-disease', label: '心臓病、腎臓病、肝臓病、血液の病気、免疫不全症などで医師の診察を受けていますか', type: 'boolean', required: true },
  { itemId: 'convulsion', label: 'これまでにひきつけ（けいれん）を起こしたことがありますか', type: 'boolean', required: true },
  { itemId: 'allergy', label: '薬や食品で皮膚に発しんやじんましんが出たり、体の具合が悪くなったりしたことがありますか（アレルギー）', type: 'boolean', required: true },
  { itemId: 'previous-reaction', label: 'これまでに予防接種を受けて具合が悪くなったことがありますか', type: 'boolean', required: true },
  { itemId: 'previous-reaction-detail', label: '具合が悪くなった場合は、ワクチンの種類と症状を書いてください', type: 'text', required: false, maxLength: 200 },
  { itemId: 'family-reaction', label: '近親者に予防接種を受けて具合が悪くなった方はいますか', type: 'boolean', required: false },
  { itemId: 'pregnancy', label: '現在妊娠している可能性はありますか（女性の方）', type: 'choice', options: ['いいえ', 'はい', '該当しない'], required: false },
  { itemId: 'questions', label: '今日の予防接種について質問がありますか', type: 'text', required: false, maxLength: 400 },
];

function latestName(catalog: Catalog, code: string): { name: string; doses: number } {
  const versions = catalog.programsByCode.get(code) ?? [];
  const p = versions[versions.length - 1]!;
  return { name: p.name, doses: Math.max(1, ...p.series.map((s) => s.doses.length)) };
}

export function platformSettings(tenant: string, catalog: Catalog): PlatformSettings {
  const vaccinations = [...catalog.programsByCode.keys()].sort().map((code) => ({ programCode: code, ...latestName(catalog, code) }));
  return {
    tenant,
    vaccinations,
    templates: [
      {
        templateId: QUESTIONNAIRE_TEMPLATE_ID,
        kind: 'questionnaire',
        title: '予防接種予診票',
        purpose: '予防接種を安全に受けていただくため、接種前の体調をお知らせください。回答は医師の予診に使います。',
        items: QUESTIONNAIRE_ITEMS,
      },
      {
        templateId: NOTICE_TEMPLATE_ID,
        kind: 'notice',
        title: '予防接種のお知らせ（接種券）',
        body: '{name} 様\n{programName}の定期予防接種の対象です。接種券番号 {voucherNo} を医療機関にお示しください。接種期限は {dueUntil} です。接種の前に、予診票の質問にお答えください。',
      },
    ],
  };
}

export function settingsHash(s: PlatformSettings): string {
  return createHash('sha256').update(JSON.stringify(s)).digest('hex');
}
