// What a call leaves for its owner besides its calls row, as the worker writes it
// (supabase/migrations/20261203100000_record_call_outcomes.sql): transcript turns, messages the
// caller left, and the post-call analysis. Shared by both CallStore backends. All of it is PII
// (what was said, names, numbers): never log it.

/** One row of call_turns. Offsets are ms from the moment the call was answered. */
export interface CallTurnRow {
  seq: number;
  role: 'caller' | 'agent' | 'tool';
  text: string;
  started_ms: number | null;
  ended_ms: number | null;
  interrupted: boolean;
  truncated: boolean;
  tool_name: string | null;
  tool_arguments: unknown;
  tool_result: unknown;
}

/** A message the caller asked the agent to pass on (the take_message tool). */
export interface CallMessageRow {
  caller_name: string;
  /** E.164, or null when the caller gave none and their number is unknown. */
  callback_number: string | null;
  body: string;
  urgent: boolean;
}

export type CallOutcomeKind =
  | 'message_taken'
  | 'transferred'
  | 'question_answered'
  | 'spam'
  | 'caller_hung_up_early'
  | 'other';

export const CALL_OUTCOMES: readonly CallOutcomeKind[] = [
  'message_taken',
  'transferred',
  'question_answered',
  'spam',
  'caller_hung_up_early',
  'other',
];

/** The post-call analysis, with the call's LLM token totals (the analysis's own tokens included). */
export type CallAnalysisRow =
  | {
      status: 'done';
      summary: string;
      outcome: CallOutcomeKind;
      llm_prompt_tokens: number;
      llm_completion_tokens: number;
    }
  | { status: 'failed'; error: string; llm_prompt_tokens: number; llm_completion_tokens: number }
  | { status: 'skipped' };

/** The JSON record_call_analysis takes: integer token totals, absent ones left as they are. */
export function callAnalysisRecord(analysis: CallAnalysisRow): Record<string, unknown> {
  if (analysis.status === 'skipped') return { status: 'skipped' };
  const whole = (n: number) => (Number.isFinite(n) ? Math.max(0, Math.round(n)) : null);
  return {
    ...analysis,
    llm_prompt_tokens: whole(analysis.llm_prompt_tokens),
    llm_completion_tokens: whole(analysis.llm_completion_tokens),
  };
}
