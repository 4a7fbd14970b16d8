// The relief module's input pieces (zod): dates, texts, ids — shared by the case steps and the payment orders.
import { z } from 'zod';
import { isIsoDate } from '../../kernel/jp/index.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const blankToUndef = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const isoDate = (label: string) => z.string({ message: `${label}を入力してください` }).trim().refine((s) => isIsoDate(s), `${label}は YYYY-MM-DD で入力してください`);

export const text = (label: string, max: number) => z.string({ message: `${label}を入力してください` }).trim().min(1, `${label}を入力してください`).max(max, `${label}は${max}文字以内です`);

export const optText = (label: string, max: number) => z.preprocess(blankToUndef, text(label, max).optional());
