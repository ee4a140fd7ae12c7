// The NDJSON line reader lives in `formats/ndjson-lines.ts`; this path is kept for the callers
// outside src/ that still import it here (scripts/bench).

export { CorruptExportError } from './formats/gzip.ts';
export {
  defaultMaxLineBytes,
  type ExportLine,
  type ExportLineStream,
  type ReadExportLinesOptions,
  readExportLines,
  unreadableReasons,
} from './formats/ndjson-lines.ts';
