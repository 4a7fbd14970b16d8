// `mamori registry qualifications|form` (docs/formats/registry-cli.md; decisions 0170, 0171): the qualification
// catalog and the new-registration form of each qualification.  Both read only the catalog shipped with
// Mamori (no database): the catalog is validated when loaded, so a broken file fails here too.
import { invalidField } from '../../kernel/problems/index.js';
import { catalog, exampleForm } from '../../registry/index.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown>;

export async function qualifications(o: O): Promise<number> {
  const c = catalog();
  const rows = c.qualifications.map((q) => ({ code: q.code, name: q.name, administrator: q.administrator }));
  if (o['json']) printJson(rows);
  else {
    print(table([['資格コード', '資格', '名簿', '資格管理者', '資格管理者コード'], ...c.qualifications.map((q) => [q.code, q.name, q.fileName, c.administrator(q.administrator)!.name, q.administrator])]));
  }
  return 0;
}

export async function form(o: O): Promise<number> {
  const code = String(o['qualification'] ?? '');
  if (!catalog().qualification(code)) throw invalidField('qualification', 'QUALIFICATION_UNKNOWN', `資格コード「${code}」はありません（mamori registry qualifications で一覧を確認してください）`);
  printJson(exampleForm(code));
  return 0;
}
