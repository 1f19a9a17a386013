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
export { extractContent, formatContent, LOGHUB_FORMATS, type LogFormat, parseLogFormat, parseLogLine } from './format.ts';
export { LineSplitter, readLinesSync } from './lines.ts';
export { Masker, type MaskRule, maskContent, PARAM } from './masking.ts';
export { type ParallelOptions, parseLogFileInParallel } from './parallel-parse.ts';
export { LogParser, type ParsedLog, parseLogFile, parseLogStream } from './parse.ts';
export { type MessageTokens, type TokenizerOptions, tokenizeMessage } from './tokens.ts';
