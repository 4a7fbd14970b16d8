// The electronic application forms (src/kernel/eforms; XCH-26, decision 0155): the national standard items
// only, strict per kind, and no value rewritten — what the card signed is what is read.
import { describe, expect, it } from 'vitest';
import { EFORM_FORMAT, EFORM_SCHEMAS, eformDocumentSchema, formHasMyNumber, withoutMyNumber } from '../../src/kernel/eforms/index.js';
import { canonicalDocumentText } from '../../src/kernel/jpki/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { findMyNumbers } from '../harness/leaks.js';

const MN = syntheticMyNumber('eforms-test', 3);
const common = { subject: { name: '鳥取　はな', nameKana: 'トットリ　ハナ', birthDate: '2026-08-13' }, relation: 'parent', phone: '0857-00-1111', myNumber: MN };
const FORMS = {
  'vaccination-request': { ...common, program: 'hib', reason: '里帰り出産', destination: '大阪こどもクリニック', stayAddress: '大阪府大阪市北区梅田1-1-1', periodFrom: '2026-11-21', periodUntil: '2027-01-20' },
  'certificate-reissue': { ...common, programs: ['hib', 'pcv'], reason: '紛失' },
  reimbursement: {
    ...common, program: 'hib', dose: 1, vaccinatedOn: '2026-11-10', clinicName: '大阪こどもクリニック', receiptDate: '2026-11-10', amountPaid: 8800,
    bank: { bankCode: '0001', branchCode: '001', accountType: '1', accountNumber: '1234567', holderKana: 'トットリ　タロウ' },
  },
} as const;

describe('electronic application forms', () => {
  it('accepts each kind as it is, unchanged', () => {
    for (const [kind, form] of Object.entries(FORMS)) {
      const r = EFORM_SCHEMAS[kind as keyof typeof FORMS].safeParse(form);
      expect(r.success, kind).toBe(true);
      expect(canonicalDocumentText(r.data)).toBe(canonicalDocumentText(form));
      expect(eformDocumentSchema.safeParse({ format: EFORM_FORMAT, tenant: '312011', kind, form }).success, kind).toBe(true);
    }
  });

  it('refuses an item outside the standard form, a value with spaces, and wrong values, without echoing the My Number', () => {
    const bad = (kind: keyof typeof FORMS, form: Record<string, unknown>) => {
      const r = EFORM_SCHEMAS[kind].safeParse(form);
      expect(r.success).toBe(false);
      expect(findMyNumbers(JSON.stringify(r.error?.issues))).toEqual([]);
      return r.error!.issues.map((i) => i.path.join('.'));
    };
    expect(bad('reimbursement', { ...FORMS.reimbursement, note: '自由記載' })).toEqual(['']);
    expect(bad('reimbursement', { ...FORMS.reimbursement, clinicName: ' 大阪こどもクリニック' })).toEqual(['clinicName']);
    expect(bad('reimbursement', { ...FORMS.reimbursement, bank: { ...FORMS.reimbursement.bank, bankCode: '0000' } })).toEqual(['bank.bankCode']);
    expect(bad('reimbursement', { ...FORMS.reimbursement, bank: { ...FORMS.reimbursement.bank, holderKana: 'tottori' } })).toEqual(['bank.holderKana']);
    expect(bad('reimbursement', { ...FORMS.reimbursement, receiptDate: '2026-11-09' })).toEqual(['receiptDate']);
    expect(bad('reimbursement', { ...FORMS.reimbursement, amountPaid: 8800.5 })).toEqual(['amountPaid']);
    // 受取口座: the account on the form or 「公金受取口座を利用する」, one of the two.
    const { bank: _bank, ...noBank } = FORMS.reimbursement;
    expect(bad('reimbursement', noBank)).toEqual(['bank']);
    expect(bad('reimbursement', { ...noBank, useKoukin: false })).toEqual(['bank']);
    expect(EFORM_SCHEMAS.reimbursement.safeParse({ ...noBank, useKoukin: true }).success).toBe(true);
    expect(bad('reimbursement', { ...noBank, useKoukin: 'yes' })).toEqual(['useKoukin']);
    expect(bad('vaccination-request', { ...FORMS['vaccination-request'], periodUntil: '2026-11-01' })).toEqual(['periodUntil']);
    expect(bad('certificate-reissue', { ...FORMS['certificate-reissue'], programs: [] })).toEqual(['programs']);
    const wrongDigit = MN.slice(0, 11) + String((Number(MN[11]) + 1) % 10);
    expect(bad('certificate-reissue', { ...FORMS['certificate-reissue'], myNumber: wrongDigit })).toEqual(['myNumber']);
    expect(eformDocumentSchema.safeParse({ format: EFORM_FORMAT, tenant: '312011', kind: 'other', form: {} }).success).toBe(false);
  });

  it('the form kept after receipt has no My Number', () => {
    expect(formHasMyNumber(FORMS.reimbursement)).toBe(true);
    const kept = withoutMyNumber(FORMS.reimbursement);
    expect(formHasMyNumber(kept)).toBe(false);
    expect(JSON.stringify(kept)).not.toContain(MN);
  });
});
