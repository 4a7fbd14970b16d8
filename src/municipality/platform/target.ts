// The platform's Target (docs/formats/platform-protocol.md "Target"), as zod schemas: what the municipality
// sends through `targets.register`, and what a stand-in (or the platform) may check it against.
import { z } from 'zod';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const key = z.string().regex(/^[0-9A-Za-z-]{1,20}$/);

export const vaccinationSchema = z.object({
  programCode: z.string().min(1).max(40),
  dose: z.number().int().min(1).max(99),
  dueFrom: isoDate,
  dueUntil: isoDate.nullable(),
  recommendation: z.object({ ruleId: z.string().min(1), recommendedOn: isoDate }).nullable(),
  forcedExpiryDate: isoDate.nullable(),
  combinationNo: z.string().nullable(),
});

export const historySchema = z.object({
  recordId: z.string().min(1),
  programCode: z.string().min(1),
  dose: z.number().int().min(1).max(99),
  date: isoDate,
  vaccineName: z.string().nullable(),
  lotNumber: z.string().nullable(),
  institutionName: z.string().nullable(),
});

export const noticeSchema = z.object({
  noticeId: z.string().min(1),
  templateId: z.string().min(1),
  programCode: z.string().min(1),
  dose: z.number().int().min(1).max(99),
  voucherNo: z.string().min(1).max(30),
  issuedOn: isoDate,
  dueUntil: isoDate.nullable(),
});

export const registerTargetSchema = z.object({
  modificationSeg: z.literal('1'),
  municipalityIdentityKey: key,
  myNumber: z.string().regex(/^\d{12}$/),
  basicFiveInfo: z.object({
    name: z.string().min(1).max(100),
    nameKana: z.string().max(100),
    address: z.string().min(1).max(200),
    dateOfBirth: isoDate,
    sex: z.enum(['1', '2', '9']),
  }),
  guardianName: z.string().max(100).nullable(),
  isNotDisclosed: z.boolean(),
  isDeleted: z.literal(false),
  changeCategory: z.null(),
  movementDate: z.null(),
  targetCategory: z.enum(['1', '2', '3']),
  reductionCategory: z.enum(['0', '1', '2', '3']),
  vaccinations: z.array(vaccinationSchema),
  history: z.array(historySchema),
  notices: z.array(noticeSchema),
});

export const deleteTargetSchema = z.object({
  modificationSeg: z.literal('2'),
  municipalityIdentityKey: key,
  changeCategory: z.enum(['11', '12', '13']),
  movementDate: isoDate.nullable(),
});

export const targetSchema = z.discriminatedUnion('modificationSeg', [registerTargetSchema, deleteTargetSchema]);

export type RegisterTarget = z.infer<typeof registerTargetSchema>;
export type DeleteTarget = z.infer<typeof deleteTargetSchema>;
export type Target = z.infer<typeof targetSchema>;

/** One row of the `targets.register` answer. */
export const registerResultSchema = z.object({
  index: z.number().int().min(0),
  municipalityIdentityKey: z.string(),
  targetId: z.string().nullable().optional(),
  status: z.enum(['registered', 'updated', 'deleted', 'unchanged', 'failed']),
  linkage: z.object({ status: z.string(), error: z.string().nullable().optional() }).nullable().optional(),
});

export const registerAnswerSchema = z.object({
  callId: z.string().optional(),
  fileName: z.string().optional(),
  sent: z.number().int(),
  registered: z.number().int(),
  updated: z.number().int(),
  deleted: z.number().int(),
  unchanged: z.number().int(),
  failed: z.number().int(),
  results: z.array(registerResultSchema),
});
export type RegisterAnswer = z.infer<typeof registerAnswerSchema>;
