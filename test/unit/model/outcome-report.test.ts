import { describe, expect, it } from 'vitest';
import type { RecordOutcome } from '../../../src/model/outcome.ts';
import { formatOutcomeReport, outcomeReportColumns } from '../../../src/model/outcome-report.ts';

const header = 'source_file,line,source_id,status,workos_user_id,reason\n';

function outcomeFactory(overrides: Partial<RecordOutcome> = {}): RecordOutcome {
  return {
    origin: { jobId: 'job_test', sourceFile: 'exports/users.json.gz', line: 7 },
    kind: 'user',
    sourceId: 'auth0|68c46cab7997cfbfb72cfca9',
    status: 'created',
    workosUserId: 'user_01M84PVP9752Y3SXZ6172QNW07',
    ...overrides,
  };
}

describe('Function: formatOutcomeReport()', () => {
  it('writes a header row naming the columns in order', () => {
    // Act
    const report = formatOutcomeReport([]);

    // Assess
    expect(report).toBe(header);
    expect(header.trimEnd().split(',')).toEqual([...outcomeReportColumns]);
  });

  it('writes one row per outcome, in the column order of the header', () => {
    // Prepare
    const outcomes = [
      outcomeFactory(),
      outcomeFactory({
        origin: { jobId: 'job_test', sourceFile: 'exports/users.json.gz', line: 8 },
        sourceId: 'auth0|2',
        status: 'rejected',
        workosUserId: undefined,
        reason: 'invalid_email',
      }),
    ];

    // Act
    const report = formatOutcomeReport(outcomes);

    // Assess
    expect(report).toBe(
      `${header}` +
        'exports/users.json.gz,7,auth0|68c46cab7997cfbfb72cfca9,created,user_01M84PVP9752Y3SXZ6172QNW07,\n' +
        'exports/users.json.gz,8,auth0|2,rejected,,invalid_email\n',
    );
  });

  it('leaves a line without a source id with an empty source_id cell', () => {
    // Prepare
    const outcomes = [
      outcomeFactory({ sourceId: undefined, status: 'rejected', reason: 'invalid_json' }),
    ];

    // Act
    const report = formatOutcomeReport(outcomes, false);

    // Assess
    expect(report).toBe(
      'exports/users.json.gz,7,,rejected,user_01M84PVP9752Y3SXZ6172QNW07,invalid_json\n',
    );
  });

  it('writes no header when asked not to, so reports can be appended', () => {
    // Prepare
    const outcomes = [outcomeFactory()];

    // Act
    const report = formatOutcomeReport(outcomes, false);

    // Assess
    expect(report).not.toContain('source_file');
    expect(report.split('\n').filter((row) => row !== '')).toHaveLength(1);
  });

  it('writes nothing for no outcomes without a header', () => {
    // Act
    const report = formatOutcomeReport([], false);

    // Assess
    expect(report).toBe('');
  });

  it('accepts any iterable of outcomes, such as a generator', () => {
    // Prepare
    function* outcomes(): Generator<RecordOutcome> {
      yield outcomeFactory({ sourceId: 'auth0|1' });
      yield outcomeFactory({ sourceId: 'auth0|2' });
    }

    // Act
    const report = formatOutcomeReport(outcomes(), false);

    // Assess
    expect(report).toContain(',auth0|1,');
    expect(report).toContain(',auth0|2,');
  });

  it.each([
    { variant: 'a comma', sourceId: 'auth0|a,b', cell: '"auth0|a,b"' },
    { variant: 'double quotes', sourceId: 'auth0|say "hi"', cell: '"auth0|say ""hi"""' },
    { variant: 'a newline', sourceId: 'auth0|line1\nline2', cell: '"auth0|line1\nline2"' },
    { variant: 'a carriage return', sourceId: 'auth0|a\rb', cell: '"auth0|a\rb"' },
  ])('quotes a cell containing $variant', ({ sourceId, cell }) => {
    // Prepare
    const outcomes = [outcomeFactory({ sourceId, workosUserId: undefined })];

    // Act
    const report = formatOutcomeReport(outcomes, false);

    // Assess
    expect(report).toBe(`exports/users.json.gz,7,${cell},created,,\n`);
  });

  it.each([
    { trigger: '=', sourceId: '=HYPERLINK("https://evil.example","x")' },
    { trigger: '+', sourceId: '+1+cmd|calc' },
    { trigger: '-', sourceId: '-2+3' },
    { trigger: '@', sourceId: '@SUM(1,2)' },
    { trigger: 'a tab', sourceId: '\t=1+1' },
    { trigger: 'a carriage return', sourceId: '\r=1+1' },
  ])('defuses a cell starting with $trigger by prefixing a quote', ({ sourceId }) => {
    // Prepare
    const outcomes = [outcomeFactory({ sourceId })];

    // Act
    const report = formatOutcomeReport(outcomes, false);

    // Assess: the cell, after CSV unquoting, starts with the defusing quote
    const row = report.slice('exports/users.json.gz,7,'.length);
    const unquotedStart = row.startsWith('"') ? row.slice(1) : row;
    expect(unquotedStart.startsWith(`'${sourceId.slice(0, 1)}`)).toBe(true);
    expect(report).toContain(sourceId.replaceAll('"', '""'));
  });

  it('defuses formula triggers in every column, not only the source id', () => {
    // Prepare
    const outcomes = [
      outcomeFactory({
        origin: { jobId: 'job_test', sourceFile: '=cmd|/c calc', line: 1 },
        workosUserId: '@user',
        reason: '-reason',
      }),
    ];

    // Act
    const report = formatOutcomeReport(outcomes, false);

    // Assess
    expect(report).toBe("'=cmd|/c calc,1,auth0|68c46cab7997cfbfb72cfca9,created,'@user,'-reason\n");
  });

  it.each([
    { variant: 'a trigger after the first character', sourceId: 'auth0|a=b+c-d@e' },
    { variant: 'an email address', sourceId: 'email|ada@example.com' },
  ])('leaves a cell with $variant as it is', ({ sourceId }) => {
    // Prepare
    const outcomes = [outcomeFactory({ sourceId })];

    // Act
    const report = formatOutcomeReport(outcomes, false);

    // Assess
    expect(report).toContain(`,${sourceId},`);
    expect(report).not.toContain("'");
  });
});
