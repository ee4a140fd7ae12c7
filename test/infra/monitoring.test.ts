import { describe, expect, it } from 'vitest';
import {
  filterPatternOf,
  type LogMetricDefinition,
  logMetrics,
} from '../../lib/pipeline-monitoring.ts';
import { RateLimitedError } from '../../src/errors.ts';
import { importBatch } from '../../src/import/import-batch.ts';
import { WritePacer } from '../../src/import/write-pacer.ts';
import { InMemoryMigrationLedger } from '../../src/ledger/in-memory-ledger.ts';
import type { QueueControl } from '../../src/queue/queue-types.ts';
import { parseAuth0UserLine } from '../../src/sources/auth0/users.ts';
import { splitExport } from '../../src/split/split-export.ts';
import { capturingLogger } from '../helpers/export-files.ts';
import { receivedMessageFactory, userMessageFactory } from '../helpers/factories.ts';
import { InMemoryUserDirectory } from '../helpers/in-memory-user-directory.ts';
import { linePass } from '../helpers/split-passes.ts';
import { synthesizePipeline } from './pipeline-template.ts';

const synthesized = synthesizePipeline();
const { template, ids } = synthesized;
const namespace = 'WorkosUserImport/test';

/** The stack's metric filters by metric name. */
function metricFilters() {
  const byName = new Map<string, Record<string, unknown>>();
  for (const filter of Object.values(template.findResources('AWS::Logs::MetricFilter'))) {
    const properties = filter.Properties as {
      MetricTransformations: { MetricName: string }[];
    };
    byName.set(properties.MetricTransformations[0]?.MetricName ?? '?', properties);
  }
  return byName;
}

/** The dashboard's body with CloudFormation's intrinsic functions flattened to readable text. */
function dashboardBody(): string {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const [dashboard] = dashboards as { Properties: { DashboardBody: unknown } }[];
  const body = dashboard?.Properties.DashboardBody;
  const flatten = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.map(flatten).join('');
    if (typeof value === 'object' && value !== null) {
      const [fn, argument] = Object.entries(value)[0] ?? [];
      if (fn === 'Fn::Join') return (argument as [string, unknown[]])[1].map(flatten).join('');
      if (fn === 'Ref') return `<${String(argument)}>`;
      if (fn === 'Fn::GetAtt') return `<${(argument as string[]).join('.')}>`;
    }
    return JSON.stringify(value);
  };
  return flatten(body);
}

describe('Construct: PipelineMonitoring', () => {
  describe('metric filters', () => {
    it.each([
      [
        'UsersCreated',
        'consumerLogGroup',
        '{ ($.message = "Record outcome") && ($.status = "created") && ($.ledger = "recorded") }',
        '1',
      ],
      [
        'WorkosMillisecondsPerUser',
        'consumerLogGroup',
        '{ ($.message = "Record outcome") && ($.status = "created") && ($.ledger = "recorded") }',
        '$.workosMs',
      ],
      [
        'UsersUpdated',
        'consumerLogGroup',
        '{ ($.message = "Record outcome") && ($.status = "updated") && ($.ledger = "recorded") }',
        '1',
      ],
      [
        'UsersUnchanged',
        'consumerLogGroup',
        '{ ($.message = "Record outcome") && ($.status = "unchanged") && ($.ledger = "recorded") }',
        '1',
      ],
      [
        'UsersFailed',
        'consumerLogGroup',
        '{ ($.message = "Record outcome") && ($.status = "failed") && ($.ledger = "recorded") }',
        '1',
      ],
      [
        'WorkosRateLimited',
        'consumerLogGroup',
        '{ $.message = "WorkOS rate limit reached; pausing writes" }',
        '1',
      ],
      ['RecordsSplit', 'splitterLogGroup', '{ $.message = "Export split" }', '$.read'],
      ['RecordsEnqueued', 'splitterLogGroup', '{ $.message = "Export split" }', '$.enqueued'],
    ] as const)(
      '%s counts the matching lines of the %s',
      (metricName, logGroup, pattern, value) => {
        expect(metricFilters().get(metricName)).toEqual({
          LogGroupName: { Ref: ids[logGroup] },
          FilterPattern: pattern,
          MetricTransformations: [
            { MetricNamespace: namespace, MetricName: metricName, MetricValue: value },
          ],
        });
      },
    );

    it('are exactly the documented ones', () => {
      expect([...metricFilters().keys()].sort()).toEqual(
        Object.values(logMetrics)
          .map((definition) => definition.metricName)
          .sort(),
      );
    });
  });

  describe('the log lines the filters read', () => {
    /**
     * What a CloudWatch Logs JSON filter of `($.field = "value") && ...` matches, for the
     * patterns this construct writes: every field present at the top level with that value.
     */
    function matches(definition: LogMetricDefinition, line: Record<string, unknown>): boolean {
      const pattern = filterPatternOf(definition).logPatternString;
      const clauses = [...pattern.matchAll(/\$\.(\w+) = "([^"]*)"/g)];
      expect(clauses.length, pattern).toBe(Object.keys(definition.match).length);
      return clauses.every(([, field = '', value]) => line[field] === value);
    }

    /** A Powertools log line: the message and the fields at the top level of one JSON object. */
    function logLines(lines: string[]): Record<string, unknown>[] {
      return lines.map((entry) => {
        const { args } = JSON.parse(entry) as { args: [string, Record<string, unknown>?] };
        return { message: args[0], ...args[1] };
      });
    }

    function consumerDependencies(directory = new InMemoryUserDirectory()) {
      const { lines, logger } = capturingLogger();
      const ledger = new InMemoryMigrationLedger();
      void ledger.claimSplit(
        { jobId: 'job_test', sourceFile: 'exports/users.json.gz' },
        Number.MAX_SAFE_INTEGER,
      );
      const queue: QueueControl = {
        requeue: async () => {},
        retryLater: async () => {},
        deadLetter: async () => {},
      };
      return {
        lines,
        deps: {
          directory,
          pacer: new WritePacer({ writesPerSecond: 1000 }),
          queue,
          ledger,
          logger,
          maxReceiveCount: 5,
          maxPacingWaitMs: 2000,
        },
      };
    }

    it('UsersCreated matches the line the consumer writes for a created user, once', async () => {
      const { lines, deps } = consumerDependencies();
      const message = receivedMessageFactory(userMessageFactory());

      await importBatch([message], deps);
      // A duplicate delivery of the same record is not counted again.
      await importBatch([receivedMessageFactory(userMessageFactory())], deps);

      const counted = logLines(lines).filter((line) => matches(logMetrics.usersCreated, line));
      expect(counted).toHaveLength(1);
      expect(
        logLines(lines).filter((line) => matches(logMetrics.usersUnchanged, line)),
      ).toHaveLength(0);
    });

    it('WorkosRateLimited matches the line the consumer writes on a WorkOS 429', async () => {
      const directory = new InMemoryUserDirectory();
      directory.createUser = async () => {
        throw new RateLimitedError(2);
      };
      const { lines, deps } = consumerDependencies(directory);

      await importBatch([receivedMessageFactory(userMessageFactory())], deps);

      expect(
        logLines(lines).filter((line) => matches(logMetrics.workosRateLimited, line)),
      ).toHaveLength(1);
    });

    it('RecordsSplit and RecordsEnqueued read the totals the splitter logs when an export is split', async () => {
      const { lines, logger } = capturingLogger();
      const ledger = new InMemoryMigrationLedger();
      await ledger.claimSplit(
        { jobId: 'job_test', sourceFile: 'users.ndjson' },
        Date.now() + 60_000,
      );
      const exportLines = [
        JSON.stringify({ user_id: 'auth0|1', email: 'one@example.com', email_verified: true }),
        JSON.stringify({ user_id: 'auth0|2' }),
      ];
      async function* numbered() {
        for (const [index, text] of exportLines.entries()) yield { line: index + 1, text };
      }

      await splitExport(
        {
          jobId: 'job_test',
          passes: [
            linePass({
              sourceFile: 'users.ndjson',
              lines: numbered(),
              parseLine: parseAuth0UserLine,
            }),
          ],
        },
        { sink: { enqueue: async () => {}, flush: async () => {} }, ledger, logger },
      );

      const [line] = logLines(lines).filter((entry) => matches(logMetrics.recordsSplit, entry));
      expect(line?.[logMetrics.recordsSplit.valueField]).toBe(2);
      expect(line?.[logMetrics.recordsEnqueued.valueField]).toBe(1);
    });
  });

  describe('dashboard', () => {
    it('shows users per outcome, the 429s and the records split from the log metrics', () => {
      const body = dashboardBody();
      for (const metricName of [
        'UsersCreated',
        'UsersUpdated',
        'UsersUnchanged',
        'UsersFailed',
        'WorkosRateLimited',
        'RecordsSplit',
        'RecordsEnqueued',
      ]) {
        expect(body).toContain(`["${namespace}","${metricName}"`);
      }
    });

    it('shows the queue depth and age of the oldest message, and the dead-letter queue', () => {
      const body = dashboardBody();
      const queueName = (logicalId: string) => `"QueueName","<${logicalId}.QueueName>"`;

      expect(body).toContain(
        `["AWS/SQS","ApproximateNumberOfMessagesVisible",${queueName(ids.userQueue)}`,
      );
      expect(body).toContain(
        `["AWS/SQS","ApproximateAgeOfOldestMessage",${queueName(ids.userQueue)}`,
      );
      expect(body).toContain(
        `["AWS/SQS","ApproximateNumberOfMessagesVisible",${queueName(ids.deadLetterQueue)}`,
      );
    });

    it("shows the consumer's duration, errors, throttles and concurrency, and the splitter's duration", () => {
      const body = dashboardBody();
      const consumer = `"FunctionName","<${ids.consumerFunction}>"`;

      for (const metric of ['Duration', 'Errors', 'Throttles', 'ConcurrentExecutions']) {
        expect(body).toContain(`["AWS/Lambda","${metric}",${consumer}`);
      }
      expect(body).toContain(`["AWS/Lambda","Duration","FunctionName","<${ids.splitterFunction}>"`);
    });

    it('shows the alarms the pipeline defines, without defining new ones', () => {
      const body = dashboardBody();
      const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));

      expect(alarms).toHaveLength(Object.keys(synthesized.stack.pipeline.alarms).length);
      for (const alarm of alarms) expect(body).toContain(`<${alarm}.Arn>`);
    });

    it('is named after the stack and its region, for operators to find it', () => {
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: { 'Fn::Join': ['', ['WorkosUserImport-test-', { Ref: 'AWS::Region' }]] },
      });
    });
  });
});
