export { csvField, groupingAccuracy, parseCsv } from './accuracy.ts';
export { type CompareOptions, compareWindows, type WindowComparison, type WindowTemplate } from './compare.ts';
export { type AddResult, type TemplateInfo, TemplateMiner, type TemplateMinerOptions, tokenize } from './drain.ts';
export { extractContent, LOGHUB_FORMATS, type LogFormat, parseLogFormat, parseLogLine } from './format.ts';
export { DEFAULT_MASKS, Masker, type MaskRule, maskContent, PARAM } from './masking.ts';
