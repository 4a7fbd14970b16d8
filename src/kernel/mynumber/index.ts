// Public face of kernel/mynumber: the number itself (validation, masking, synthetic test range).
// Storage lives in kernel/vault.
export {
  checkMyNumber,
  isValidMyNumber,
  myNumberCheckDigit,
  maskMyNumber,
  syntheticMyNumber,
  syntheticMyNumbers,
  isTestRangeMyNumber,
  TEST_RANGE_PREFIX,
  type MyNumberCheck,
} from './mynumber.js';
