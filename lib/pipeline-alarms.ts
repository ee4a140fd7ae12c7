import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { EnvironmentSettings } from './environment-settings.ts';
import type { ConsumerFunction } from './pipeline-functions.ts';
import type { PipelineKey } from './pipeline-key.ts';
import { type PipelineQueues, userQueueRetention } from './pipeline-queues.ts';

/** Properties of {@link addPipelineAlarms}. */
export interface PipelineAlarmsProps {
  /** `alarmEmail`: who the topic notifies, if anyone. */
  readonly settings: Pick<EnvironmentSettings, 'alarmEmail'>;
  /** Encrypts the alarm topic. */
  readonly dataKey: PipelineKey;
  readonly queues: PipelineQueues;
  readonly consumerFunction: ConsumerFunction;
}

/** The pipeline's alarms and the topic they all notify. */
export interface PipelineAlarms {
  /** Every alarm of the pipeline notifies this topic. */
  readonly alarmTopic: Topic;
  readonly alarms: {
    readonly deadLetterQueueNotEmpty: Alarm;
    readonly splitterFailuresNotEmpty: Alarm;
    readonly userQueueStale: Alarm;
    readonly consumerErrors: Alarm;
    readonly userQueueNotDraining: Alarm;
  };
}

/**
 * An alarm on every failure sink, on a stale or stalled user queue and on the consumer's errors,
 * all notifying one encrypted topic. (The dashboard that shows them is `PipelineMonitoring`.)
 *
 * Created in `scope` itself, under the ids `AlarmTopic` and each alarm's name, not in a construct
 * of their own: the logical ids are the ones deployed stacks already have.
 */
export function addPipelineAlarms(scope: Construct, props: PipelineAlarmsProps): PipelineAlarms {
  const { settings, dataKey, consumerFunction } = props;
  const { userQueue, deadLetterQueue, splitterFailureQueue } = props.queues;
  const alarmTopic = new Topic(scope, 'AlarmTopic', {
    displayName: 'WorkOS user import alarms',
    enforceSSL: true,
    // The key's policy lets CloudWatch publish alarms to it (see PipelineKey).
    masterKey: dataKey,
  });
  if (settings.alarmEmail !== undefined) {
    alarmTopic.addSubscription(new EmailSubscription(settings.alarmEmail));
  }
  const alarmAction = new SnsAction(alarmTopic);
  const alarmWhenAbove = (
    id: string,
    metric: IMetric,
    threshold: number,
    alarmDescription: string,
    evaluationPeriods = 1,
  ): Alarm => {
    const alarm = new Alarm(scope, id, {
      metric,
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription,
    });
    alarm.addAlarmAction(alarmAction);
    return alarm;
  };
  const everyMinute = { period: Duration.minutes(1), statistic: Stats.MAXIMUM };
  const alarms = {
    deadLetterQueueNotEmpty: alarmWhenAbove(
      'DeadLetterQueueNotEmpty',
      deadLetterQueue.metricApproximateNumberOfMessagesVisible(everyMinute),
      0,
      'Users could not be imported. Read the FailureReason attribute of the dead-lettered messages, fix the cause, then redrive.',
    ),
    splitterFailuresNotEmpty: alarmWhenAbove(
      'SplitterFailuresNotEmpty',
      splitterFailureQueue.metricApproximateNumberOfMessagesVisible(everyMinute),
      0,
      'An uploaded export could not be split. The messages hold the S3 events or the continuation requests; read the splitter logs.',
    ),
    userQueueStale: alarmWhenAbove(
      'UserQueueStale',
      userQueue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: Stats.MAXIMUM,
      }),
      // Half the retention: a normal multi-day import stays below it, and a stalled one leaves
      // days to act before SQS deletes unimported users.
      userQueueRetention.toSeconds() / 2,
      'Users have waited longer than half the queue retention. Is the consumer failing or paused?',
    ),
    consumerErrors: alarmWhenAbove(
      'ConsumerErrors',
      consumerFunction.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
      0,
      'The consumer failed whole batches (a thrown error or a timeout, not a single user). Read its logs.',
    ),
    // A consumer that stopped itself (an invalid API key disables its event source mapping)
    // throws nothing, so the errors alarm stays quiet, and the stale-queue alarm would wait
    // days. This one watches the queue instead of the code: users are waiting and none was
    // deleted for 15 minutes. It also catches a mapping disabled by hand or a broken response.
    userQueueNotDraining: alarmWhenAbove(
      'UserQueueNotDraining',
      new MathExpression({
        expression: 'IF(waiting > 0 AND FILL(deleted, 0) == 0, 1, 0)',
        usingMetrics: {
          waiting: userQueue.metricApproximateNumberOfMessagesVisible({
            statistic: Stats.MINIMUM,
          }),
          deleted: userQueue.metricNumberOfMessagesDeleted({ statistic: Stats.SUM }),
        },
        period: Duration.minutes(5),
        label: 'Users waiting while none is consumed',
      }),
      0,
      'Users are waiting in the queue and the consumer has deleted none for 15 minutes. If the consumer stopped itself on an invalid WorkOS API key, its event source mapping is disabled: put a valid key in the secret, then re-enable the mapping (aws lambda list-event-source-mappings --function-name <ConsumerFunctionName>; aws lambda update-event-source-mapping --uuid <uuid> --enabled) and resume the halted job. Otherwise read the consumer logs.',
      3,
    ),
  };
  return { alarmTopic, alarms };
}
