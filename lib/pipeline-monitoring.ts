import { Aws, Duration, Stack } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  type Metric,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { stackNameFor } from './app-environments.ts';
import type { ImportPipeline } from './import-pipeline.ts';

/**
 * A metric read from the functions' structured log lines. Powertools Logger writes one JSON
 * object per line, with the constant `message` and the data fields at the top level; these are
 * the lines the consumer (`src/import/record-outcome.ts`) and the splitter
 * (`src/split/split-export.ts`) write.
 */
export interface LogMetricDefinition {
  readonly metricName: string;
  readonly logGroup: 'consumer' | 'splitter';
  /** Top-level fields a log line must have, with exactly these values. */
  readonly match: Readonly<Record<string, string>>;
  /** The numeric field whose value the line adds; each line counts 1 without one. */
  readonly valueField?: string;
  readonly label: string;
}

/**
 * Per record, the consumer logs `"message":"Record outcome"` with its `status` and `ledger`:
 * `recorded` when the outcome changed the ledger, `already_final` for a duplicate delivery,
 * which these metrics leave out so that a user is counted once. (The ledger keeps the exact
 * per-job counts; these metrics show the pace over time.)
 */
const recordOutcome = (status: string) => ({
  message: 'Record outcome',
  status,
  ledger: 'recorded',
});

export const logMetrics = {
  usersCreated: {
    metricName: 'UsersCreated',
    logGroup: 'consumer',
    match: recordOutcome('created'),
    label: 'created',
  },
  usersUpdated: {
    metricName: 'UsersUpdated',
    logGroup: 'consumer',
    match: recordOutcome('updated'),
    label: 'updated',
  },
  usersUnchanged: {
    metricName: 'UsersUnchanged',
    logGroup: 'consumer',
    match: recordOutcome('unchanged'),
    label: 'unchanged',
  },
  usersFailed: {
    metricName: 'UsersFailed',
    logGroup: 'consumer',
    match: recordOutcome('failed'),
    label: 'failed (dead-lettered)',
  },
  // Time the WorkOS calls of one user took (create, and the lookups and update of an existing
  // user), from the same line; shown as average and p99, not summed.
  workosLatency: {
    metricName: 'WorkosMillisecondsPerUser',
    logGroup: 'consumer',
    match: recordOutcome('created'),
    valueField: 'workosMs',
    label: 'WorkOS ms per created user',
  },
  workosRateLimited: {
    metricName: 'WorkosRateLimited',
    logGroup: 'consumer',
    match: { message: 'WorkOS rate limit reached; pausing writes' },
    label: 'WorkOS 429 answers',
  },
  // The splitter logs `"message":"Export split"` once per export, when its last hop finishes,
  // with the export's totals (`read`, `enqueued`): its throughput is credited then. The records
  // it settles itself (rejected, merged) are read − enqueued; their outcomes are in the ledger.
  recordsSplit: {
    metricName: 'RecordsSplit',
    logGroup: 'splitter',
    match: { message: 'Export split' },
    valueField: 'read',
    label: 'records read',
  },
  recordsEnqueued: {
    metricName: 'RecordsEnqueued',
    logGroup: 'splitter',
    match: { message: 'Export split' },
    valueField: 'enqueued',
    label: 'records enqueued',
  },
} as const satisfies Record<string, LogMetricDefinition>;

export type LogMetricName = keyof typeof logMetrics;

/** The CloudWatch Logs filter pattern matching a definition's lines. */
export function filterPatternOf(definition: LogMetricDefinition) {
  return FilterPattern.all(
    ...Object.entries(definition.match).map(([field, value]) =>
      FilterPattern.stringValue(`$.${field}`, '=', value),
    ),
  );
}

/** Properties of a {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  readonly pipeline: ImportPipeline;
  /**
   * Namespace of the metrics read from the logs.
   * @default `WorkosUserImport/<env>` for the stack `WorkosUserImport-<env>`; the stack name for
   * any other stack
   */
  readonly metricNamespace?: string;
}

const stackNamePrefix = stackNameFor('');
const graphPeriod = Duration.minutes(1);

/**
 * What an operator watches during an import: metrics from the functions' structured logs (users
 * per outcome, WorkOS 429s, records split) and one dashboard with those, the queues, both
 * functions and the pipeline's alarms (which `ImportPipeline` defines; they are shown here, not
 * duplicated).
 */
export class PipelineMonitoring extends Construct {
  readonly metricNamespace: string;
  /** The log-derived metrics, summed per minute. */
  readonly metrics: Record<LogMetricName, Metric>;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const { pipeline } = props;
    const stackName = Stack.of(this).stackName;
    const environment = stackName.startsWith(stackNamePrefix)
      ? stackName.slice(stackNamePrefix.length)
      : undefined;
    this.metricNamespace =
      props.metricNamespace ??
      (environment === undefined ? stackName : `WorkosUserImport/${environment}`);
    const env = environment ?? '<env>';

    const logGroups: Record<LogMetricDefinition['logGroup'], ILogGroup> = {
      consumer: pipeline.consumerFunction.logGroup,
      splitter: pipeline.splitterFunction.logGroup,
    };
    const metrics = {} as Record<LogMetricName, Metric>;
    for (const [name, definition] of Object.entries(logMetrics) as [
      LogMetricName,
      LogMetricDefinition,
    ][]) {
      const filter = new MetricFilter(this, `${definition.metricName}Filter`, {
        logGroup: logGroups[definition.logGroup],
        filterPattern: filterPatternOf(definition),
        metricNamespace: this.metricNamespace,
        metricName: definition.metricName,
        metricValue: definition.valueField ? `$.${definition.valueField}` : '1',
      });
      metrics[name] = filter.metric({
        statistic: Stats.SUM,
        period: graphPeriod,
        label: definition.label,
      });
    }
    this.metrics = metrics;

    const { userQueue, deadLetterQueue, splitterFailureQueue } = pipeline;
    const consumer = pipeline.consumerFunction;
    const splitter = pipeline.splitterFunction;
    const maximum = { statistic: Stats.MAXIMUM, period: graphPeriod };
    const sum = { statistic: Stats.SUM, period: graphPeriod };
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 8) =>
      new GraphWidget({ title, left, right, width, height: 6 });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      // Named, unlike the other resources, because operators look for it by name in the console.
      // Dashboard names are unique per account across regions, hence the region.
      dashboardName: `${stackName}-${Aws.REGION}`,
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          new TextWidget({
            markdown:
              `# WorkOS user import: ${stackName}\n` +
              `Exact per-job counts: \`npm run migrate -- status --env ${env}\`. ` +
              `Failures by reason: \`npm run migrate -- dlq --env ${env}\`. See docs/runbook.md.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          graph(
            'Users imported, per outcome (per minute)',
            [
              metrics.usersCreated,
              metrics.usersUpdated,
              metrics.usersUnchanged,
              metrics.usersFailed,
            ],
            [],
            16,
          ),
          graph('WorkOS 429 answers (writes paused)', [metrics.workosRateLimited]),
        ],
        [
          graph(
            'WorkOS time per created user (ms)',
            [
              metrics.workosLatency.with({ statistic: Stats.AVERAGE, label: 'average' }),
              metrics.workosLatency.with({ statistic: Stats.p(99), label: 'p99' }),
            ],
            [],
            24,
          ),
        ],
        [
          graph(
            'User queue',
            [
              userQueue.metricApproximateNumberOfMessagesVisible({ ...maximum, label: 'waiting' }),
              userQueue.metricApproximateNumberOfMessagesNotVisible({
                ...maximum,
                label: 'in flight',
              }),
            ],
            [
              userQueue.metricApproximateAgeOfOldestMessage({
                ...maximum,
                label: 'age of oldest message (s)',
              }),
            ],
          ),
          graph('Dead-letter queue depth', [
            deadLetterQueue.metricApproximateNumberOfMessagesVisible({
              ...maximum,
              label: 'users not imported',
            }),
          ]),
          graph('Splitter failures', [
            splitterFailureQueue.metricApproximateNumberOfMessagesVisible({
              ...maximum,
              label: 'exports or hops not split',
            }),
          ]),
        ],
        [
          graph(
            'Consumer duration (ms)',
            [
              consumer.metricDuration({ statistic: Stats.AVERAGE, period: graphPeriod }),
              consumer.metricDuration({ statistic: Stats.p(99), period: graphPeriod }),
            ],
            [],
            6,
          ),
          graph(
            'Consumer errors and throttles',
            [
              consumer.metricErrors({ ...sum, label: 'errors' }),
              consumer.metricThrottles({ ...sum, label: 'throttles' }),
            ],
            [],
            6,
          ),
          graph(
            'Consumer concurrency',
            [consumer.metric('ConcurrentExecutions', { ...maximum, label: 'instances' })],
            [],
            6,
          ),
          graph(
            'Consumer invocations',
            [consumer.metricInvocations({ ...sum, label: 'batches' })],
            [],
            6,
          ),
        ],
        [
          graph(
            'Splitter duration (ms) and errors',
            [splitter.metricDuration({ ...maximum, label: 'duration (max)' })],
            [splitter.metricErrors({ ...sum, label: 'errors' })],
            12,
          ),
          graph(
            'Records split (credited when an export is done)',
            [metrics.recordsSplit, metrics.recordsEnqueued],
            [],
            12,
          ),
        ],
        [
          new AlarmStatusWidget({
            title: 'Alarms',
            alarms: Object.values(pipeline.alarms),
            width: 24,
            height: 3,
          }),
        ],
      ],
    });
  }
}
