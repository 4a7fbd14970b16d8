// A synthetic certificate for `mamori certificate sample` and tests: a made-up person (見本 花子), made-up
// lots, fixed dates — the same content on every run, so outside verifiers can be pointed at it.
import { issuerUrlFor, type CertificateInput } from './model.js';

export const SAMPLE_TENANT = '312011';
export const SAMPLE_ISSUER_NAME = '鳥取市';
export const SAMPLE_BASE_URL = 'https://mamori.example';
/** The sample's issuance instant (its `nbf`): 2025-04-01 09:00 JST. */
export const SAMPLE_ISSUED_AT = new Date('2025-04-01T00:00:00Z');

export interface SampleOptions {
  readonly tenant?: string;
  readonly issuerName?: string;
  /** Full issuer URL (default <base>/issuers/<tenant>). */
  readonly issuerUrl?: string;
  readonly kind?: 'domestic' | 'overseas';
}

export function sampleCertificateInput(opts: SampleOptions = {}): CertificateInput {
  const tenant = opts.tenant ?? SAMPLE_TENANT;
  const kind = opts.kind ?? 'domestic';
  return {
    kind,
    certificateId: `${tenant}-SAMPLE-000001`,
    issueDate: '2025-04-01',
    issuer: {
      municipalityCode: tenant,
      name: opts.issuerName ?? (tenant === SAMPLE_TENANT ? SAMPLE_ISSUER_NAME : `団体コード${tenant}`),
      url: opts.issuerUrl ?? issuerUrlFor(SAMPLE_BASE_URL, tenant),
    },
    person: {
      name: { family: '見本', given: '花子' },
      birthDate: '1985-04-01',
      ...(kind === 'overseas' ? { overseas: { romajiName: { family: 'MIHON', given: 'HANAKO' }, nationality: 'JPN', passportNumber: 'XX0000000' } } : {}),
    },
    doses: [
      { date: '2021-06-01', vaccineCode: { code: '208' }, productName: 'コミナティ筋注', manufacturer: 'ファイザー株式会社', lotNumber: 'SAMPLE01' },
      { date: '2021-06-22', vaccineCode: { code: '208' }, productName: 'コミナティ筋注', manufacturer: 'ファイザー株式会社', lotNumber: 'SAMPLE02' },
      { date: '2022-01-20', vaccineCode: { code: '207' }, productName: 'スパイクバックス筋注', manufacturer: 'モデルナ・ジャパン株式会社', lotNumber: 'SAMPLE03' },
    ],
  };
}
