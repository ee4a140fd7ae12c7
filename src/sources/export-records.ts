// The record readers live in `formats/`; this path is kept for the callers outside src/ that
// still import it here (scripts/bench).
export * from './formats/export-records.ts';
