export { CAUSE_KINDS, type CauseKind, causeKind } from './cause-kinds.ts';
export { classifyEvent, type RcaEvent } from './change-events.ts';
export { findLevelShift, type LevelShift } from './level-shift.ts';
export { findLogChanges, type LogFinding, type RcaLogLine } from './log-evidence.ts';
export {
  type Action,
  type Evidence,
  type Hypothesis,
  type RcaInput,
  type RcaResult,
  type RcaSeries,
  rankHypotheses,
} from './rank-hypotheses.ts';
