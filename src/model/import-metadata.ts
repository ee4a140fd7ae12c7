/**
 * Metadata keys this tool writes on every user and organization it creates: how a later run, or
 * a later job, knows what it imported (and from which source) without a ledger.
 */
export const importMetadataKeys = {
  source: 'import_source',
  /** Fingerprint of the imported state: lets a re-run tell "unchanged" without any write. */
  digest: 'import_digest',
} as const;
