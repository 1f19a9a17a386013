export { csvField, groupingAccuracy, parseCsv } from './accuracy.ts';
export { type CompareOptions, compareWindows, type WindowComparison, type WindowTemplate } from './compare.ts';
export {
  type AddResult,
  DEFAULT_MINER_PARAMETERS,
  type TemplateInfo,
  TemplateMiner,
  type TemplateMinerOptions,
  tokenize,
} from './drain.ts';
export { extractContent, LOGHUB_FORMATS, type LogFormat, parseLogFormat, parseLogLine } from './format.ts';
export { Masker, type MaskRule, maskContent, PARAM } from './masking.ts';
export { type MessageTokens, type TokenizerOptions, tokenizeMessage } from './tokens.ts';
